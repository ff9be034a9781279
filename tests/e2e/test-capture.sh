#!/bin/bash
# End to end: a Debian kernel crashes under QEMU (TCG), the capture kernel
# boots the initramfs kcatch-mkinitramfs built, kcatch-agent finds the
# ext4 dump disk by UUID and saves the crash; the host then reads the disk
# without mounting it (debugfs) and checks what the agent wrote with
# independent tools (crash, drgn, python3 json).
#
#   test-capture.sh --kernel 6.1|6.12|sid --build DIR
#                   [--scenario ok|partuuid|missing-target|small-target|threads]
#                   [--mem 1G] [--crashkernel 256M] [--capture-cpus N] [--keep]
#
# ok              the dump is complete; crash shows the console's backtrace
#                 and log, drgn reads it, vmcore-dmesg.txt and kcatch.json agree
# partuuid        the same on partition 1 of an MBR disk, found by PARTUUID=
# missing-target  no disk with the configured UUID: failure_action poweroff
#                 runs after target_timeout, the VM powers off
# small-target    an 8 MiB disk found by LABEL=: vmcore-dmesg.txt is saved,
#                 no file is named vmcore, kcatch.json says why
# threads         as ok, with nr_cpus=2 in the capture kernel: the agent
#                 filters with two threads (its log, kcatch.json) and
#                 kdump-verify ($BUILD/tests/tools) finds the dump well formed;
#                 --capture-cpus N: nr_cpus=N and N threads in a guest with
#                 N+1 CPUs (bench/crashkernel-bisect.sh): a capture kernel
#                 started from another CPU than the boot CPU leaves that one
#                 down, so with N guest CPUs a crash on CPU 1 gives N-1
#                 ("Boot CPU APIC ID not the first enumerated")
# Prints TAP; exits non-zero on failure. Work files: $KCATCH_CACHE/e2e/.
set -uo pipefail
. "$(dirname "$0")/lib-e2e.sh"

KERNEL= BUILD= SCENARIO=ok MEM=1G CK=256M KEEP=0 CPUS=
while (($#)); do
	case $1 in
	--kernel) KERNEL=${2:?}; shift ;;
	--build) BUILD=$(cd "${2:?}" && pwd); shift ;;
	--scenario) SCENARIO=${2:?}; shift ;;
	--mem) MEM=${2:?}; shift ;;
	--crashkernel) CK=${2:?}; shift ;;
	--capture-cpus) CPUS=${2:?}; shift ;;
	--keep) KEEP=1 ;;
	*) die "unknown argument $1 (see the header of $0)" ;;
	esac
	shift
done
[[ $KERNEL == 6.1 || $KERNEL == 6.12 || $KERNEL == sid ]] || die "--kernel must be 6.1, 6.12 or sid"
[[ -n $BUILD ]] || die "--build DIR is required"
case $SCENARIO in ok | partuuid | missing-target | small-target | threads) ;; *) die "unknown --scenario $SCENARIO" ;; esac
[[ -z $CPUS || ($SCENARIO == threads && $CPUS =~ ^[2-8]$) ]] || die "--capture-cpus wants --scenario threads and 2 to 8"
# threads always boots a guest with one CPU more than the capture kernel's
# (see above): with as many, a crash on CPU 1 left one CPU up, a flaky test
[[ $SCENARIO == threads ]] && CPUS=${CPUS:-2}
need_cmd qemu-system-x86_64 timeout mkfs.ext4 debugfs cpio gzip depmod /usr/bin/python3
[[ -x $BUILD/capture/kcatch-agent && -x $BUILD/initramfs/kcatch-mkinitramfs ]] ||
	die "build $BUILD first (kcatch-agent, kcatch-mkinitramfs)"
[[ -x /bin/busybox && -x /usr/sbin/kexec ]] || die "needs busybox-static and kexec-tools"

e2e_kernel "$KERNEL"
# crash reads 6.x dumps; Debian's crash cannot open 7.x, sid's drgn reads those
READER=$(kernel_reader "$KVER")
[[ $READER == crash ]] && CRASH=$(crash_bin)
# a work directory of its own for each CPU count (the bisection runs several side by side)
W=$KCATCH_CACHE/e2e/$KERNEL-$SCENARIO-$MEM-$CK${CPUS:+-c$CPUS}
rm -rf "$W"
mkdir -p "$W"
cleanup() { ((KEEP)) || rm -rf "$W"/*.img "$W/out"; }  # logs stay
trap cleanup EXIT

UUID=$(cat /proc/sys/kernel/random/uuid)
SIG=$(printf '%08x' $((RANDOM * 32768 + RANDOM + 1)))
TARGET=UUID=$UUID FAILURE=reboot TIMEOUT=30 DISK_SIZE=512M
case $SCENARIO in
partuuid) TARGET=PARTUUID=$SIG-01 ;;
missing-target) TARGET=UUID=$(cat /proc/sys/kernel/random/uuid) FAILURE=poweroff TIMEOUT=10 DISK_SIZE=64M ;;
small-target) TARGET=LABEL=kcdump DISK_SIZE=8M ;;
threads) CAPTURE_CMDLINE=${CAPTURE_CMDLINE/nr_cpus=1/nr_cpus=${CPUS:-2}} ;;  # the guest has -smp 2 or more
esac
cat >"$W/kcatch.conf" <<EOF
# kcatch end-to-end test, scenario $SCENARIO
target $TARGET
path /var/crash
dump_level 31
compress zstd
keep 3
failure_action $FAILURE
final_action reboot
target_timeout $TIMEOUT
watchdog 900
extra_modules virtio_pci virtio_blk
EOF

echo "# $KVER, scenario $SCENARIO, guest memory $MEM, crashkernel=$CK"
if [[ $SCENARIO == partuuid ]]; then
	e2e_disk_mbr "$W/dump.img" "${DISK_SIZE%M}" "$SIG" "$UUID"
else
	e2e_disk "$W/dump.img" "$DISK_SIZE" "$UUID"
fi
# The file system as debugfs reads it: the disk, or its partition 1.
fs_image() {
	if [[ $SCENARIO == partuuid ]]; then
		dd if="$W/dump.img" of="$W/part.img" bs=1M skip=1 status=none && echo "$W/part.img"
	else
		echo "$W/dump.img"
	fi
}
e2e_capture_image "$W/capture.img" "$BUILD" "$W/kcatch.conf" 2>"$W/mkinitramfs.log"
mk_rc=$?
sed 's/^/# /' "$W/mkinitramfs.log"
((mk_rc == 0)) || die "kcatch-mkinitramfs failed"
check "kcatch-mkinitramfs warned about nothing" bash -c "! grep -qi 'warning' '$W/mkinitramfs.log'"
# Modules stay compressed where the kernel's config says it decompresses them.
if grep -q '^CONFIG_MODULE_DECOMPRESS=y' "$KROOT"/{boot/config-"$KVER",usr/lib/modules/"$KVER"/config} 2>/dev/null; then
	mods=$(zstd -dc "$W/capture.img" 2>/dev/null | cpio -it 2>/dev/null | grep -c '\.ko\.\(xz\|zst\|gz\)$' || true)
	plain=$(zstd -dc "$W/capture.img" 2>/dev/null | cpio -it 2>/dev/null | grep -c '\.ko$' || true)
	check "the kernel decompresses modules itself: $mods kept compressed in the image, $plain unpacked" \
		bash -c "((${mods:-0} > 0 && ${plain:-1} == 0))"
fi
e2e_first_image "$W/first.img" "$W/capture.img"
echo "# capture initramfs $(stat -c %s "$W/capture.img") bytes; first initramfs $(stat -c %s "$W/first.img") bytes"

if [[ -n $CPUS ]]; then  # e2e_qemu, with N+1 guest CPUs
	e2e_qemu_run "$W/console.log" "$MEM" $((CPUS + 1)) "console=ttyS0,115200 crashkernel=$CK panic=5 loglevel=7" \
		"$W/first.img" "$W/dump.img"
else
	e2e_qemu "$W/console.log" "$MEM" "$CK" "$W/first.img" "$W/dump.img"
fi
C=$W/console.txt
e2e_console_clean "$W/console.log" >"$C"
echo "# QEMU ran ${QEMU_SECS}s (status $QEMU_RC); console in $C"
if ((QEMU_RC != 0)); then
	not_ok "QEMU exits by itself (status $QEMU_RC after ${QEMU_SECS}s; 124 = timeout)"
	tail -n 30 "$C" | sed 's/^/#   /'
	e2e_finish
	exit 1
fi
ok "QEMU exits by itself after the capture kernel's final action (${QEMU_SECS}s)"
check "the first kernel loaded the capture kernel with kexec -s -p and crashed" \
	bash -c "grep -q '^E2E: capture kernel loaded' '$C' && grep -q 'Kdump: loaded' '$C'"
check "kcatch-agent ran as /init of the capture kernel" grep -q 'kcatch-agent .*(capture kernel' "$C"
check "the agent read the panic message from /proc/vmcore" \
	grep -q 'kcatch: .* panic: Kernel panic - not syncing: sysrq triggered crash' "$C"
line=$(e2e_agent_line "$C" 'kcatch-agent .*capture kernel, up')
echo "# capture kernel: agent started at uptime $(sed -n 's/.*up \([0-9.]*\) s.*/\1/p' <<<"$line") s"
grep -a '^kcatch: ' "$C" | sed 's/^/#   /'

json_field() {  # FILE EXPR: print a python expression over the parsed kcatch.json as j
	/usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

check_ok() {
	check "modules loaded without failure" grep -Eq 'kcatch: .* modules: [0-9]+ loaded, 0 failed' "$C"
	if ((${mods:-0} > 0)); then
		check "the capture kernel took a compressed module as it is ($(grep -aom1 'module [^ ]*\.ko\.[a-z]* loaded' "$C"))" \
			grep -aEq 'kcatch: .* module [^ ]+\.ko\.(xz|zst|gz) loaded' "$C"
	fi
	check "the agent found the target by ${TARGET%%=*} and mounted it" \
		grep -q "kcatch: .* target $TARGET is /dev/vda$([[ $SCENARIO == partuuid ]] && echo 1) (ext4)" "$C"
	check "the agent reports a complete dump" grep -q 'kcatch: .* RESULT complete ' "$C"
	check "final_action reboot ran" grep -q 'reboot: Restarting system' "$C"
	if ! e2e_extract "$(fs_image)" "$W/out"; then
		not_ok "debugfs reads /var/crash from the dump disk"
		return
	fi
	local dirs d
	mapfile -t dirs < <(cd "$W/out/crash" && ls)
	check "one dump directory, named by crash time and host (${dirs[*]})" \
		bash -c "[[ ${#dirs[@]} == 1 && ${dirs[0]:-} =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}:[0-9]{2}:[0-9]{2}-$E2E_HOSTNAME\$ ]]"
	d=$W/out/crash/${dirs[0]:-none}
	check "vmcore, vmcore-dmesg.txt and kcatch.json, nothing else" \
		bash -c "[[ \$(cd '$d' && ls | tr '\n' ' ') == 'kcatch.json vmcore vmcore-dmesg.txt ' ]]"
	check "files 0600, directory 0700" \
		bash -c "[[ \$(stat -c %a '$d' '$d/vmcore' '$d/vmcore-dmesg.txt' '$d/kcatch.json' | tr '\n' ' ') == '700 600 600 600 ' ]]"
	check "vmcore-dmesg.txt holds the panic line" \
		grep -q 'Kernel panic - not syncing: sysrq triggered crash' "$d/vmcore-dmesg.txt"
	check "kcatch.json parses and says complete" test "$(json_field "$d/kcatch.json" 'j["status"]')" = complete
	check "kcatch.json: kernel release, host, panic message, dump file size" \
		test "$(json_field "$d/kcatch.json" \
			'(j["kernel_release"], j["hostname"], "sysrq triggered crash" in j["panic_message"], j["bytes"]["dump"], j["dump"]["file"])')" \
		= "('$KVER', '$E2E_HOSTNAME', True, $(stat -c %s "$d/vmcore"), 'vmcore')"
	if [[ $SCENARIO == threads ]]; then
		local n=${CPUS:-2}
		check "the agent filtered with $n threads ($(grep -aom1 'filter threads: .*' "$C"))" \
			bash -c "grep -aq 'kcatch: .* filter threads: $n ($n CPUs online' '$C' &&
				[[ \$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"dump\"][\"threads\"])' '$d/kcatch.json') == $n ]]"
		check "kdump-verify: the $n-thread dump is well formed, every page decompresses" \
			"$BUILD/tests/tools/kdump-verify" --quiet "$d/vmcore"
	fi
	echo "# dump $(stat -c %s "$d/vmcore") bytes for $MEM of RAM; $(json_field "$d/kcatch.json" \
		'"pages kept %d of %d; durations: %s" % (j["pages"]["kept"], j["pages"]["in_memory"], j["durations"])')"

	if [[ $READER == drgn ]]; then
		check_drgn "$d"
		return
	fi
	printf '%s\n' bt log exit >"$W/crash.cmd"
	timeout 600 "$CRASH" -s "$VMLINUX" "$d/vmcore" -i "$W/crash.cmd" </dev/null >"$W/crash.txt" 2>&1
	check "crash opens the dump; bt shows sysrq_handle_crash and panic" \
		bash -c "grep -q 'sysrq_handle_crash' '$W/crash.txt' && grep -Eq '#[0-9]+ .* panic at' '$W/crash.txt'"
	check "crash bt has the console's call trace, in order" /usr/bin/python3 - "$C" "$W/crash.txt" <<'PY'
import re, sys
con = open(sys.argv[1], errors="replace").read().splitlines()
i = next(n for n, l in enumerate(con) if "Kernel panic - not syncing" in l)
trace = []
for l in con[i:]:
    if "</TASK>" in l or " RIP: " in l:
        break
    m = re.match(r"\[ *[0-9.]+\]  ([A-Za-z0-9_.]+)\+0x", l)
    if m and not m.group(1).startswith("dump_stack"):
        trace.append(m.group(1))
bt = re.findall(r"#\d+ \[[0-9a-f]+\] (\S+) at ", open(sys.argv[2], errors="replace").read())
pos = 0
for f in trace:
    if f not in bt[pos:]:
        sys.exit("console frame %s not in crash bt (after %d): console %s, crash %s" % (f, pos, trace, bt))
    pos += bt[pos:].index(f) + 1
print("frames:", " ".join(trace))
PY
	check "crash log has the console's lines from the sysrq to the panic" /usr/bin/python3 - "$C" "$W/crash.txt" <<'PY'
import sys
con = open(sys.argv[1], errors="replace").read().splitlines()
log = set(open(sys.argv[2], errors="replace").read().splitlines())
a = next(n for n, l in enumerate(con) if "sysrq: Trigger a crash" in l)
b = next(n for n, l in enumerate(con) if "Kernel panic - not syncing" in l)
missing = [l for l in con[a:b + 1] if l.startswith("[") and l not in log]
if missing or b < a:
    sys.exit("not in crash's log: %s" % missing)
PY
	local drgn_rc=0
	# Debian 12's drgn crashes at exit under meson's MALLOC_PERTURB_ (a use after free of its own)
	env -u MALLOC_PERTURB_ /usr/bin/python3 "$REAL_DIR/drgn-check.py" "$VMLINUX" "$d/vmcore" >"$W/drgn.txt" 2>&1 || drgn_rc=$?
	check "drgn reads the dump: exit 0, $(grep -m1 '^tasks' "$W/drgn.txt"), $(grep -m1 '^log records' "$W/drgn.txt")" \
		bash -c "(($drgn_rc == 0)) && grep -q '^tasks [1-9]' '$W/drgn.txt' && grep -q '^log records [1-9]' '$W/drgn.txt'"
	check "drgn's last log lines are in vmcore-dmesg.txt" /usr/bin/python3 - "$W/drgn.txt" "$d/vmcore-dmesg.txt" <<'PY'
import sys
dm = open(sys.argv[2], errors="replace").read()
lines = [l[len("  log "):] for l in open(sys.argv[1], errors="replace").read().splitlines() if l.startswith("  log ")]
missing = [l for l in lines if l.strip() and l not in dm]
if not lines or missing:
    sys.exit("drgn log lines not in vmcore-dmesg.txt: %s" % missing[:5])
PY
}

# 7.x: sid's drgn (crash cannot open these kernels) reads the saved dump as
# the console showed the crash: backtrace through sysrq_handle_crash, tasks,
# the log with the panic, slab caches.
check_drgn() {
	local d=$1 py rc=0
	py=$(sid_python)
	"$py" "$REAL_DIR/drgn-check.py" "$VMLINUX" "$d/vmcore" >"$W/drgn.txt" 2>&1 || rc=$?
	check "sid's drgn reads the dump (crash cannot open $KVER): exit 0, $(grep -m1 '^tasks' "$W/drgn.txt"), $(grep -m1 '^log records' "$W/drgn.txt"), $(grep -m1 '^slab caches' "$W/drgn.txt")" \
		bash -c "(($rc == 0)) && grep -q '^tasks [1-9]' '$W/drgn.txt' && grep -q '^log records [1-9]' '$W/drgn.txt' && grep -q '^slab caches [1-9]' '$W/drgn.txt'"
	check "drgn's backtrace of the crashed thread goes through sysrq_handle_crash and panic" \
		bash -c "grep -q '^  frame sysrq_handle_crash' '$W/drgn.txt' && grep -q '^  frame panic' '$W/drgn.txt'"
	check "drgn's last log lines are in vmcore-dmesg.txt" /usr/bin/python3 - "$W/drgn.txt" "$d/vmcore-dmesg.txt" <<'PY'
import sys
dm = open(sys.argv[2], errors="replace").read()
lines = [l[len("  log "):] for l in open(sys.argv[1], errors="replace").read().splitlines() if l.startswith("  log ")]
missing = [l for l in lines if l.strip() and l not in dm]
if not lines or missing:
    sys.exit("drgn log lines not in vmcore-dmesg.txt: %s" % missing[:5])
PY
}

check_missing() {
	local l t
	check "the agent gave up on the missing target after target_timeout ($TIMEOUT s)" \
		grep -q "kcatch: .* target $TARGET not found after $TIMEOUT s" "$C"
	l=$(e2e_agent_line "$C" 'failure_action: poweroff')
	t=$(e2e_agent_time "$l")
	check "failure_action poweroff ran ${t:-never} s after the agent started (limit $((TIMEOUT + 10)) s)" \
		awk -v t="${t:-9999}" -v lim=$((TIMEOUT + 10)) 'BEGIN { exit !(t <= lim) }'
	check "the VM powered off (not rebooted)" grep -q 'reboot: Power down' "$C"
	check "final_action did not run after poweroff" bash -c "! grep -q 'final_action: reboot' '$C'"
	check "nothing was written to the disk" \
		bash -c "! debugfs -R 'stat /var/crash' '$W/dump.img' 2>&1 | grep -q 'Inode:'"
}

check_small() {
	check "the agent reports an incomplete or failed dump" grep -Eq 'kcatch: .* RESULT (incomplete|failed)[ :]' "$C"
	check "failure_action reboot ran" grep -q 'kcatch: .* failure_action: reboot' "$C"
	if ! e2e_extract "$W/dump.img" "$W/out"; then
		not_ok "debugfs reads /var/crash from the dump disk"
		return
	fi
	local d
	d=$(find "$W/out/crash" -mindepth 1 -maxdepth 1 -type d | head -n1)
	check "vmcore-dmesg.txt was saved and holds the panic line" \
		grep -q 'Kernel panic - not syncing: sysrq triggered crash' "$d/vmcore-dmesg.txt"
	check "no file is named vmcore ($(cd "$d" && ls | tr '\n' ' '))" test ! -e "$d/vmcore"
	check "kcatch.json parses and says incomplete or failed, with the reason" \
		test "$(json_field "$d/kcatch.json" 'j["status"] in ("incomplete", "failed") and bool(j["error"])')" = True
	echo "# kcatch.json error: $(json_field "$d/kcatch.json" 'j["error"]')"
}

case $SCENARIO in
ok | partuuid | threads) check_ok ;;
missing-target) check_missing ;;
small-target) check_small ;;
esac
e2e_finish
