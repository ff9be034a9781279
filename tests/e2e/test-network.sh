#!/bin/bash
# End to end: network dumps over SSH and NFS. A Debian kernel crashes
# under QEMU (TCG) with a virtio NIC on QEMU user networking; the capture
# kernel's kcatch-agent brings the NIC up itself (netlink, its own DHCP
# client or a static address) and streams the dump with the image's
# OpenSSH client to an sshd this script runs on the host's loopback (the
# guest reaches it as 10.0.2.2), or mounts an export of an nfs-ganesha
# server this script runs there too (NFSv4.1, its own port). Throwaway
# host key, client key, collector and export directories; the host's own
# sshd and NFS configurations are not used.
#
#   test-network.sh --kernel 6.1|6.12 --build DIR
#                   [--scenario propagate,ok,drop,server-down,wrong-key] [--keep]
#
# Most QEMU boots check two things, to keep the test short:
# ok           DHCP (interface by name): vmcore-dmesg.txt, vmcore.flat and
#              kcatch.json arrive; kcatch-filter -R rebuilds a dump that
#              crash reads (bt has sysrq_handle_crash, log has the panic)
# drop         the sshd session is killed mid-stream: the collector keeps
#              vmcore.flat.incomplete (no vmcore.flat), -R says it is cut;
#              then the fallback nfs:// target has no server (nfs down):
#              the mount fails, reported, within target_timeout
# server-down  static address (interface by MAC), nothing listens on the
#              ssh port: the fallback starts within a bounded time
#              (measured) and saves to nfs://10.0.2.2:PORT/crash (nfs ok):
#              vmcore, vmcore-dmesg.txt and kcatch.json in the export, crash
#              reads the vmcore; gives the NFS throughput
# wrong-key    static address (by name), the pinned host key is another
#              one: ssh refuses the collector, nothing is written there,
#              the fallback saves to the local disk (complete); gives the
#              local-disk throughput
# propagate    (no QEMU) kcatch --root R --dry-run propagate 127.0.0.1 makes the
#              key pair, pins the collector's key as [10.0.2.2]:PORT with its
#              fingerprint printed, leaves it on a second run, and refuses
#              a pinned key that changed
# At the end: SSH throughput against local-disk throughput (dump bytes per
# second of dump writing, and wall time), from the same run.
# Prints TAP; exits non-zero on failure. Work files: $KCATCH_CACHE/e2e/.
set -uo pipefail
. "$(dirname "$0")/lib-e2e.sh"

KERNEL=6.1 BUILD= SCENARIOS=propagate,ok,drop,server-down,wrong-key MEM=1G CK=256M KEEP=0
while (($#)); do
	case $1 in
	--kernel) KERNEL=${2:?}; shift ;;
	--build) BUILD=$(cd "${2:?}" && pwd); shift ;;
	--scenario) SCENARIOS=${2:?}; shift ;;
	--keep) KEEP=1 ;;
	*) die "unknown argument $1 (see the header of $0)" ;;
	esac
	shift
done
[[ -n $BUILD ]] || die "--build DIR is required"
need_cmd qemu-system-x86_64 timeout mkfs.ext4 debugfs cpio gzip /usr/bin/python3 ssh ssh-keygen ssh-keyscan
[[ -x /usr/sbin/sshd ]] || die "needs /usr/sbin/sshd (Debian package openssh-server)"
[[ -x /usr/bin/ganesha.nfsd ]] || die "needs /usr/bin/ganesha.nfsd (Debian packages nfs-ganesha nfs-ganesha-vfs)"
[[ -x $BUILD/capture/kcatch-agent && -x $BUILD/initramfs/kcatch-mkinitramfs && -x $BUILD/filter/kcatch-filter ]] ||
	die "build $BUILD first (kcatch-agent, kcatch-mkinitramfs, kcatch-filter)"

e2e_kernel "$KERNEL"
CRASH=$(crash_bin)
W=$KCATCH_CACHE/e2e/network-$KERNEL
rm -rf "$W"
mkdir -p "$W/keys" "$W/collector" "$W/nfs/export" "$W/nfs/recovery"
SSHD_PID= GANESHA_PID=
T_START=$(now)
cleanup() {
	[[ -n $SSHD_PID ]] && kill "$SSHD_PID" 2>/dev/null
	[[ -n $GANESHA_PID ]] && kill "$GANESHA_PID" 2>/dev/null
	((KEEP)) || rm -rf "$W"/*/*.img "$W"/*/out "$W/collector" "$W/nfs/export"
}
trap cleanup EXIT
MAC=52:54:00:4b:43:01

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The collector: sshd on 127.0.0.1 only, as root, its own keys, no config file.
ssh-keygen -q -t ed25519 -N '' -C kcatch-test-host -f "$W/keys/host" || die "ssh-keygen"
ssh-keygen -q -t ed25519 -N '' -C kcatch-test-other -f "$W/keys/other" || die "ssh-keygen"
ssh-keygen -q -t ed25519 -N '' -C kcatch-test-client -f "$W/keys/id_kcatch" || die "ssh-keygen"
cp "$W/keys/id_kcatch.pub" "$W/keys/authorized_keys"
PORT=$(free_port)
mkdir -p /run/sshd  # sshd's privilege separation directory
/usr/sbin/sshd -D -e -f /dev/null -o "ListenAddress=127.0.0.1:$PORT" -o "HostKey=$W/keys/host" \
	-o "AuthorizedKeysFile=$W/keys/authorized_keys" -o StrictModes=no -o PidFile=none \
	-o PermitRootLogin=prohibit-password -o PasswordAuthentication=no -o LogLevel=VERBOSE \
	>"$W/sshd.log" 2>&1 &
SSHD_PID=$!
for _ in $(seq 50); do ssh-keyscan -p "$PORT" 127.0.0.1 >"$W/keys/scan" 2>/dev/null && [[ -s $W/keys/scan ]] && break; sleep 0.2; done
[[ -s $W/keys/scan ]] || die "the test sshd on port $PORT did not start: $(tail -3 "$W/sshd.log")"
# Pinned as the guest names it: [10.0.2.2]:PORT
grep ssh-ed25519 "$W/keys/scan" | sed "s/^\[127.0.0.1\]/[10.0.2.2]/" >"$W/keys/known_hosts"
echo "[10.0.2.2]:$PORT $(cut -d' ' -f1,2 "$W/keys/other.pub")" >"$W/keys/known_hosts.wrong"
echo "# $KVER; collector sshd pid $SSHD_PID on 127.0.0.1:$PORT (10.0.2.2:$PORT from the guest)"

# The NFS server: nfs-ganesha in the foreground, NFSv4 over TCP only, on
# 127.0.0.1 and a free port; no rpcbind, NLM, rquota or UDP; no grace
# period (a fresh server would make clients wait 90 s); root not squashed.
NFS_PORT=$(free_port)
cat >"$W/nfs/ganesha.conf" <<EOF
NFS_CORE_PARAM {
	Bind_addr = 127.0.0.1;
	NFS_Port = $NFS_PORT;
	Protocols = 4;
	Enable_NLM = false;
	Enable_RQUOTA = false;
	Enable_UDP = false;
}
NFSV4 {
	Graceless = true;
	RecoveryBackend = fs;
	RecoveryRoot = "$W/nfs/recovery";
}
EXPORT {
	Export_Id = 1;
	Path = "$W/nfs/export";
	Pseudo = /crash;
	Access_Type = RW;
	Squash = No_Root_Squash;
	Protocols = 4;
	Transports = TCP;
	SecType = sys;
	FSAL { Name = VFS; }
}
EOF
/usr/bin/ganesha.nfsd -F -f "$W/nfs/ganesha.conf" -L "$W/nfs/ganesha.log" -p "$W/nfs/ganesha.pid" -N NIV_EVENT \
	</dev/null >"$W/nfs/ganesha.out" 2>&1 &
GANESHA_PID=$!
for _ in $(seq 100); do
	/usr/bin/python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$NFS_PORT" 2>/dev/null && break
	kill -0 "$GANESHA_PID" 2>/dev/null || break
	sleep 0.2
done
kill -0 "$GANESHA_PID" 2>/dev/null ||
	die "nfs-ganesha did not start: $(tail -3 "$W/nfs/ganesha.log" "$W/nfs/ganesha.out" 2>/dev/null)"
echo "# nfs-ganesha pid $GANESHA_PID on 127.0.0.1:$NFS_PORT, export $W/nfs/export as /crash"

# Like e2e_qemu, plus the NIC on QEMU user networking.
net_qemu() {  # CONSOLE FIRST_IMG DISK
	local t0
	t0=$(now)
	QEMU_RC=0
	timeout --kill-after=10 "$E2E_QEMU_TIMEOUT" qemu-system-x86_64 -accel tcg -machine pc -cpu max -smp 2 -m "$MEM" \
		-nodefaults -no-user-config -display none -monitor none -no-reboot -serial "file:$1" \
		-kernel "$VMLINUZ" -initrd "$2" \
		-append "console=ttyS0,115200 crashkernel=$CK panic=5 loglevel=7" \
		-drive "file=$3,format=raw,if=none,id=disk0" -device virtio-blk-pci,drive=disk0 \
		-netdev user,id=n0 -device "virtio-net-pci,netdev=n0,mac=$MAC" \
		</dev/null >"$1.qemu" 2>&1 || QEMU_RC=$?
	QEMU_SECS=$(elapsed "$t0")
}

# The first kernel's initramfs: one base image for every scenario (busybox,
# kexec, init-first.sh, the kernel), then a second gzip'd cpio member with
# this scenario's boot/capture.img, which replaces the base's empty one
# when the kernel unpacks the members in order.
first_image() {  # OUT CAPTURE_IMG
	local t
	if [[ ! -s $W/first-base.img ]]; then
		: >"$W/empty.img"
		e2e_first_image "$W/first-base.img" "$W/empty.img"
	fi
	t=$(mktemp -d "$W/first.XXXXXX")
	mkdir "$t/boot"
	cp "$2" "$t/boot/capture.img"
	{
		cat "$W/first-base.img"
		(cd "$t" && printf '%s\n' boot boot/capture.img | cpio -o -H newc --quiet -R 0:0 | gzip -1)
	} >"$1"
	rm -rf "$t"
}

json_field() { /usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
mbps() { json_field "$1" '"%.1f MB/s (%d bytes in %.2f s)" % (j["bytes"]["dump"] / 1e6 / max(j["durations"]["dump"], 0.01), j["bytes"]["dump"], j["durations"]["dump"])'; }

# restricted_key BASE: the collector's authorized_keys holds the capture key as
# kcatch propagate installs it (restrict + the forced command, for new dumps
# under BASE only), so that every capture goes through that restriction.
restricted_key() {
	local R=$W/restrict
	[[ -x $BUILD/systemd/kcatch ]] || die "build $BUILD first (systemd/kcatch)"
	rm -rf "$R" && mkdir -p "$R/etc/kcatch"
	cp "$W/keys/id_kcatch" "$W/keys/id_kcatch.pub" "$W/keys/known_hosts" "$R/etc/kcatch/"
	printf 'target ssh://root@10.0.2.2:%s%s\nnet eth0 dhcp\n' "$PORT" "$1" >"$R/etc/kcatch.conf"
	"$BUILD/systemd/kcatch" --root "$R" --dry-run propagate 127.0.0.1 2>&1 |
		sed -n '/^and this line on its input/{n;p}' >"$W/keys/authorized_keys.new"
	grep -q '^restrict,command=' "$W/keys/authorized_keys.new" || die "kcatch propagate --dry-run printed no restricted line"
	mv "$W/keys/authorized_keys.new" "$W/keys/authorized_keys"
}

# run SCENARIO NET TARGET-PORT KNOWN_HOSTS FALLBACK [extra conf lines...]: build, boot, crash;
# sets S C. FALLBACK: "" (failure_action reboot), disk (the local disk) or a target.
run() {
	local sc=$1 net=$2 port=$3 kh=$4 fallback=$5 uuid t0
	shift 5
	t0=$(now)
	S=$W/$sc
	mkdir -p "$S" "$W/collector/$sc"
	restricted_key "$W/collector/$sc"
	uuid=$(cat /proc/sys/kernel/random/uuid)
	{
		echo "# kcatch network test, scenario $sc"
		echo "target ssh://root@10.0.2.2:$port$W/collector/$sc"
		echo "net $net"
		echo "net_timeout 30"
		echo "target_timeout 10"
		if [[ -z $fallback ]]; then
			echo "failure_action reboot"
		else
			echo "failure_action fallback"
			echo "fallback_target $([[ $fallback == disk ]] && echo "UUID=$uuid" || echo "$fallback")"
			echo "fallback_path /var/crash"
		fi
		echo "final_action reboot"
		echo "watchdog 600"
		echo "progress_interval 2"
		echo "extra_modules virtio_pci virtio_net virtio_blk"
		printf '%s\n' "$@"
	} >"$S/kcatch.conf"
	e2e_disk "$S/dump.img" 512M "$uuid"
	# Uncompressed: zstd costs seconds per image here, the first image's gzip
	# compresses it anyway (test-capture.sh covers zstd images).
	"$BUILD/initramfs/kcatch-mkinitramfs" --compress none --kernel-version "$KVER" --root "$KROOT" --config "$S/kcatch.conf" \
		--agent "$BUILD/capture/kcatch-agent" --ssh-identity "$W/keys/id_kcatch" --ssh-known-hosts "$kh" \
		--no-host-devices --output "$S/capture.img" 2>"$S/mkinitramfs.log" || {
		sed 's/^/# /' "$S/mkinitramfs.log"
		die "kcatch-mkinitramfs failed for $sc"
	}
	first_image "$S/first.img" "$S/capture.img"
	echo "# scenario $sc: net $net, port $port; capture initramfs $(stat -c %s "$S/capture.img") bytes"
	net_qemu "$S/console.log" "$S/first.img" "$S/dump.img"
	C=$S/console.txt
	e2e_console_clean "$S/console.log" >"$C"
	grep -a '^kcatch: ' "$C" | sed 's/^/#   /'
	if ((QEMU_RC != 0)); then
		not_ok "$sc: QEMU exits by itself (status $QEMU_RC after ${QEMU_SECS}s; 124 = timeout)"
		tail -n 30 "$C" | sed 's/^/#   /'
		return 1
	fi
	ok "$sc: QEMU exits by itself after the capture kernel's final action (${QEMU_SECS}s; $(elapsed "$t0")s with the image builds)"
}

agent_t() { e2e_agent_time "$(e2e_agent_line "$C" "$1")"; }

SSH_RATE= LOCAL_RATE= NFS_RATE=
rate_of() {  # KCATCH_JSON
	echo "$(mbps "$1"), capture wall time $(json_field "$1" 'j["durations"]["since_start"]') s"
}

# crash_checks LABEL VMCORE: crash reads it; bt and log show the sysrq crash
crash_checks() {
	local label=$1 vmcore=$2 t0
	t0=$(now)
	printf '%s\n' bt log exit >"$S/crash.cmd"
	timeout 600 "$CRASH" -s "$VMLINUX" "$vmcore" -i "$S/crash.cmd" </dev/null >"$S/crash.txt" 2>&1
	echo "# $label: crash ran $(elapsed "$t0") s"
	check "$label: crash opens the dump; bt shows sysrq_handle_crash and panic" \
		bash -c "grep -aq 'sysrq_handle_crash' '$S/crash.txt' && grep -Eq '#[0-9]+ .* panic at' '$S/crash.txt'"
	check "$label: crash log has the panic line and the console's sysrq line" \
		bash -c "grep -q 'Kernel panic - not syncing: sysrq triggered crash' '$S/crash.txt' && grep -q 'sysrq: Trigger a crash' '$S/crash.txt'"
}

scenario_ok() {
	local d logins
	logins=$(grep -c 'Accepted publickey for root' "$W/sshd.log")
	run ok "eth0 dhcp" "$PORT" "$W/keys/known_hosts" "" || return
	check "ok: the agent got a DHCP lease from QEMU (10.0.2.15 gw 10.0.2.2)" \
		grep -aEq 'kcatch: .* net: eth0 10\.0\.2\.15/24 gw 10\.0\.2\.2 \(DHCP' "$C"
	check "ok: one ssh connection, its host key verified, for the three files" \
		bash -c "[[ \$(grep -ac 'kcatch: .* connected to root@10.0.2.2:$PORT, host key verified' '$C') == 1 ]] &&
			[[ \$(grep -ac 'Accepted publickey for root' '$W/sshd.log') == $((logins + 1)) ]]"
	check "ok: RESULT complete on the collector" grep -aq 'kcatch: .* RESULT complete root@10.0.2.2:' "$C"
	d=$(find "$W/collector/ok" -mindepth 1 -maxdepth 1 -type d | head -n1)
	check "ok: vmcore-dmesg.txt, vmcore.flat and kcatch.json, nothing else (${d##*/})" \
		bash -c "[[ \$(cd '$d' && ls | tr '\n' ' ') == 'kcatch.json vmcore-dmesg.txt vmcore.flat ' ]]"
	check "ok: directory 0700, files 0600 on the collector" \
		bash -c "[[ \$(stat -c %a '$d' '$d/vmcore.flat' '$d/vmcore-dmesg.txt' '$d/kcatch.json' | tr '\n' ' ') == '700 600 600 600 ' ]]"
	check "ok: vmcore-dmesg.txt holds the panic line" \
		grep -q 'Kernel panic - not syncing: sysrq triggered crash' "$d/vmcore-dmesg.txt"
	check "ok: kcatch.json: complete, host name, ssh, dump file vmcore.flat in the flattened format" \
		test "$(json_field "$d/kcatch.json" '(j["status"], j["hostname"], j["target"]["fstype"], j["dump"]["file"], j["dump"]["format"])')" \
		= "('complete', '$E2E_HOSTNAME', 'ssh', 'vmcore.flat', 'flattened')"
	"$BUILD/filter/kcatch-filter" -R "$S/vmcore" <"$d/vmcore.flat" >"$S/rearrange.log" 2>&1
	check "ok: kcatch-filter -R rebuilds the dump from the stream ($(tail -n1 "$S/rearrange.log"))" \
		test -s "$S/vmcore"
	crash_checks ok "$S/vmcore"
	# The stream path writes what the direct path writes: from the rebuilt
	# dump, -F | -R and a plain run (same level and compressor) agree.
	"$BUILD/filter/kcatch-filter" -z -d 31 "$S/vmcore" "$S/direct" >/dev/null 2>&1
	"$BUILD/filter/kcatch-filter" -F -z -d 31 "$S/vmcore" 2>/dev/null | "$BUILD/filter/kcatch-filter" -R "$S/via-stream" >/dev/null 2>&1
	check "ok: kcatch-filter -F | -R gives the same bytes as a direct run ($(stat -c %s "$S/direct" 2>/dev/null) bytes)" \
		cmp "$S/direct" "$S/via-stream"
	SSH_RATE=$(rate_of "$d/kcatch.json")
	rm -f "$S/vmcore" "$S/direct" "$S/via-stream"
}

# drop, then nfs down: the ssh session dies mid-stream; the fallback is an
# nfs:// server that is hung: it accepts connections and never answers
# (the worst case: a refused connection fails at once), so the mount must
# be abandoned after target_timeout.
scenario_drop() {
	local watcher killed hung hung_pid t_fb t_res
	/usr/bin/python3 -c '
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
print(s.getsockname()[1], flush=True)
held = []
while True:
    held.append(s.accept()[0])
' >"$W/hung.port" 2>/dev/null &
	hung_pid=$!
	for _ in $(seq 50); do [[ -s $W/hung.port ]] && break; sleep 0.1; done
	hung=$(cat "$W/hung.port")
	# Kill the session processes (children of the listening sshd) once the stream has begun.
	(
		for _ in $(seq 6000); do
			f=$(find "$W/collector/drop" -name vmcore.flat.incomplete -size +256k 2>/dev/null | head -n1)
			if [[ -n $f ]]; then
				# the session's monitor process and its unprivileged child
				for p in $(pgrep -P "$SSHD_PID"); do pkill -KILL -P "$p"; kill -KILL "$p"; done
				stat -c %s "$f" >"$W/drop.killed"
				exit 0
			fi
			sleep 0.1
		done
	) &
	watcher=$!
	run drop "eth0 dhcp" "$PORT" "$W/keys/known_hosts" "nfs://10.0.2.2:$hung/crash" "compress none"
	kill "$watcher" "$hung_pid" 2>/dev/null
	wait "$watcher" "$hung_pid" 2>/dev/null
	[[ -n ${S:-} && -f $S/console.txt ]] || return
	killed=$(cat "$W/drop.killed" 2>/dev/null)
	check "drop: the session was killed with ${killed:-no} bytes received" test -n "$killed"
	check "drop: the agent reports the lost connection and RESULT incomplete" \
		bash -c "grep -aq 'kcatch: .*connection lost' '$C' && grep -aq 'kcatch: .* RESULT incomplete ' '$C'"
	local d
	d=$(find "$W/collector/drop" -mindepth 1 -maxdepth 1 -type d | head -n1)
	check "drop: the collector has vmcore.flat.incomplete and no vmcore.flat" \
		bash -c "test -s '$d/vmcore.flat.incomplete' && ! test -e '$d/vmcore.flat'"
	check "drop: kcatch.json on the collector says incomplete, file vmcore.flat.incomplete" \
		test "$(json_field "$d/kcatch.json" '(j["status"], j["dump"]["file"])')" = "('incomplete', 'vmcore.flat.incomplete')"
	"$BUILD/filter/kcatch-filter" -R "$S/cut" <"$d/vmcore.flat.incomplete" >"$S/rearrange.log" 2>&1
	local rc=$?
	check "drop: kcatch-filter -R says the stream was cut (status $rc: $(tail -n1 "$S/rearrange.log"))" \
		bash -c "((rc=$rc, rc != 0)) && grep -Eq 'cut off|incomplete' '$S/rearrange.log'"
	rm -f "$S/cut"
	# nfs down
	check "nfs down: the mount of 10.0.2.2:/crash (a hung server on port $hung) is abandoned and says why" \
		grep -aEq "kcatch: .* mount 10\.0\.2\.2:/crash: no answer after 10 s" "$C"
	t_fb=$(agent_t 'failure_action fallback: saving to nfs://')
	t_res=$(agent_t 'RESULT fallback failed')
	check "nfs down: RESULT fallback failed $(awk -v a="${t_fb:-0}" -v b="${t_res:-999}" 'BEGIN { printf "%.1f", b - a }') s after the attempt began (limit: target_timeout 10 s, plus 2)" \
		awk -v a="${t_fb:-0}" -v b="${t_res:-999}" 'BEGIN { exit !(b - a <= 12) }'
}

# ssh server down, then nfs ok: nothing listens on the ssh port; the
# fallback target is the nfs-ganesha export.
scenario_server_down() {
	local dead t_try t_fb d
	dead=$(free_port)  # nothing listens there; the key is pinned, so the builder accepts it
	sed "s/^\[10.0.2.2\]:$PORT /[10.0.2.2]:$dead /" "$W/keys/known_hosts" >"$W/keys/known_hosts.down"
	run server-down "$MAC 10.0.2.15/24 gw 10.0.2.2" "$dead" "$W/keys/known_hosts.down" "nfs://10.0.2.2:$NFS_PORT/crash" || return
	check "server-down: static address on the interface found by MAC" \
		grep -aEq 'kcatch: .* net: eth0 10\.0\.2\.15/24 gw 10\.0\.2\.2 \(static' "$C"
	check "server-down: ssh's refusal is reported" grep -aq 'kcatch: .* connecting to the collector: ssh failed: .*refused' "$C"
	t_try=$(agent_t 'saving to ssh://')
	t_fb=$(agent_t 'failure_action fallback: saving to')
	check "server-down: the fallback started $(awk -v a="${t_try:-0}" -v b="${t_fb:-999}" 'BEGIN { printf "%.1f", b - a }') s after the ssh attempt (limit: target_timeout 10 s)" \
		awk -v a="${t_try:-0}" -v b="${t_fb:-999}" 'BEGIN { exit !(b - a <= 10) }'
	# nfs ok
	check "nfs ok: mounted 10.0.2.2:/crash (NFSv4.1, port $NFS_PORT)" \
		grep -aq "kcatch: .* mounted 10.0.2.2:/crash on " "$C"
	check "nfs ok: RESULT fallback complete on the NFS export" grep -aq 'kcatch: .* RESULT fallback complete /kcatch/fallback/' "$C"
	d=$(find "$W/nfs/export" -mindepth 1 -maxdepth 1 -type d | head -n1)
	check "nfs ok: the export has vmcore, vmcore-dmesg.txt and kcatch.json, nothing else (${d##*/})" \
		bash -c "[[ -n '$d' && \$(cd '$d' && ls | tr '\n' ' ') == 'kcatch.json vmcore vmcore-dmesg.txt ' ]]"
	check "nfs ok: directory 0700, files 0600, owned by root" \
		bash -c "[[ \$(stat -c %a:%u '$d' '$d/vmcore' '$d/vmcore-dmesg.txt' '$d/kcatch.json' | tr '\n' ' ') == '700:0 600:0 600:0 600:0 ' ]]"
	check "nfs ok: vmcore-dmesg.txt holds the panic line" \
		grep -q 'Kernel panic - not syncing: sysrq triggered crash' "$d/vmcore-dmesg.txt"
	check "nfs ok: kcatch.json: complete, role fallback, nfs 10.0.2.2:/crash, kdump-compressed vmcore" \
		test "$(json_field "$d/kcatch.json" '(j["status"], j["target"]["role"], j["target"]["fstype"], j["target"]["device"], j["dump"]["file"], j["dump"]["format"])')" \
		= "('complete', 'fallback', 'nfs', '10.0.2.2:/crash', 'vmcore', 'kdump-compressed')"
	crash_checks "nfs ok" "$d/vmcore"
	NFS_RATE=$(rate_of "$d/kcatch.json")
}

scenario_wrong_key() {
	local d
	run wrong-key "eth0 10.0.2.15/24 gw 10.0.2.2" "$PORT" "$W/keys/known_hosts.wrong" disk || return
	check "wrong-key: ssh refused the collector's host key" \
		grep -aq 'kcatch: .* connecting to the collector: ssh failed: Host key verification failed' "$C"
	check "wrong-key: nothing was written on the collector" \
		bash -c "[[ -z \$(ls -A '$W/collector/wrong-key') ]]"
	check "wrong-key: the fallback saved the dump locally" grep -aq 'kcatch: .* RESULT fallback complete ' "$C"
	if e2e_extract "$S/dump.img" "$S/out"; then
		d=$(find "$S/out/crash" -mindepth 1 -maxdepth 1 -type d | head -n1)
		check "wrong-key: the local dump is complete (vmcore, kcatch.json complete)" \
			bash -c "test -s '$d/vmcore' && [[ \$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"status\"])' '$d/kcatch.json') == complete ]]"
		LOCAL_RATE=$(rate_of "$d/kcatch.json")
	else
		not_ok "wrong-key: debugfs reads /var/crash from the local disk"
	fi
}

scenario_propagate() {
	local R=$W/propagate out fp
	[[ -x $BUILD/systemd/kcatch ]] || { not_ok "propagate: no $BUILD/systemd/kcatch"; return; }
	mkdir -p "$R/etc"
	printf 'target ssh://root@10.0.2.2:%s/srv/crash\nnet eth0 dhcp\n' "$PORT" >"$R/etc/kcatch.conf"
	out=$("$BUILD/systemd/kcatch" --root "$R" --dry-run propagate 127.0.0.1 2>&1)
	echo "$out" | sed 's/^/#   /'
	fp=$(ssh-keygen -l -f "$W/keys/host.pub" | cut -d' ' -f2)
	check "propagate: key pair made, private key 0600" \
		bash -c "[[ \$(stat -c %a '$R/etc/kcatch/id_kcatch') == 600 ]] && grep -q '^ssh-ed25519 ' '$R/etc/kcatch/id_kcatch.pub'"
	check "propagate: the collector's key pinned as [10.0.2.2]:$PORT" \
		cmp "$R/etc/kcatch/known_hosts" "$W/keys/known_hosts"
	check "propagate: its fingerprint $fp is printed" grep -qF "$fp" <<<"$out"
	check "propagate: --dry-run prints the authorized_keys command with the public key" \
		grep -qF "$(cut -d' ' -f2 "$R/etc/kcatch/id_kcatch.pub")" <<<"$out"
	out=$("$BUILD/systemd/kcatch" --root "$R" --dry-run propagate 127.0.0.1 2>&1)
	check "propagate: a second run keeps the pinned key" grep -q 'already pinned' <<<"$out"
	sed -i 's/ssh-ed25519 AAAA/ssh-ed25519 AAAB/' "$R/etc/kcatch/known_hosts"
	out=$("$BUILD/systemd/kcatch" --root "$R" --dry-run propagate 127.0.0.1 2>&1)
	check "propagate: a changed host key is refused (status $?)" grep -q 'differs from the one pinned' <<<"$out"
}

IFS=, read -ra list <<<"$SCENARIOS"
for sc in "${list[@]}"; do
	case $sc in
	propagate) scenario_propagate ;;
	ok) scenario_ok ;;
	server-down) scenario_server_down ;;
	wrong-key) scenario_wrong_key ;;
	drop) scenario_drop ;;
	*) die "unknown scenario $sc" ;;
	esac
done
check "the collector's sshd still runs" kill -0 "$SSHD_PID"
check "nfs-ganesha still runs" kill -0 "$GANESHA_PID"
[[ -n $SSH_RATE ]] && echo "# throughput over SSH (flattened, zstd, to 10.0.2.2): $SSH_RATE"
[[ -n $NFS_RATE ]] && echo "# throughput over NFSv4.1 (kdump, zstd, to 10.0.2.2): $NFS_RATE"
[[ -n $LOCAL_RATE ]] && echo "# throughput to the local disk (kdump, zstd, virtio-blk): $LOCAL_RATE"
echo "# whole test: $(elapsed "$T_START") s"
e2e_finish
