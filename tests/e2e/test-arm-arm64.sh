#!/bin/bash
# The arm64 end to end test (issue 14, "e2e"): test-arm.sh's two boots on
# Debian trixie's 6.12 cloud-arm64 kernel under qemu-system-aarch64 -M virt
# (TCG), with the cross-built arm64 kcatch, kcatch-mkinitramfs and static
# kcatch-agent. That kernel has no CONFIG_KEXEC_FILE, so `kcatch load` goes
# through kexec-tools' `kexec -p` (the static arm64 kexec of
# tests/real/fetch-kernels.sh arm64guest, in /usr/sbin on the disk).
#
#   test-arm-arm64.sh --build DIR [--arm64-build DIR] [--mem 1G]
#                     [--crashkernel 256M] [--cpu max|max,lpa2=off|...] [--keep]
#
# -cpu max (the default) has LPA2, so the kernel runs with 52-bit VA;
# --cpu max,lpa2=off makes it fall back to 48 bits (both pass).
# --build is the host's (x86_64) build: its kcatch-mkinitramfs builds the
# first capture image on the host, for the arm64 kernel's modules, with the
# arm64 agent, and its kdump-verify checks the dump. --arm64-build (default
# $KCATCH_ARM64_BUILD; tests/run cross-builds build-arm64 and sets it) holds
# the programs that run in the guest; without it the test skips, saying so.
# The guest's kcatch and kcatch-mkinitramfs are dynamic: their libraries are
# the host's :arm64 ones, as the aarch64 ld.so lists them (run under
# qemu-aarch64-static: ldd cannot read a foreign binary).
#
# The disk (ext4, UUID=, no merged /usr): arm64 busybox, kcatch,
# kcatch-mkinitramfs and their libraries, kcatch-agent, kexec, /etc/kcatch.conf
# (target UUID= of this disk), the kernel's /boot files and modules (depmod
# run), and the capture image built on the host. guest/init-arm.sh loads
# virtio_blk from a small initramfs and switches to guest/arm-root.sh on the
# disk, the same scripts as on x86_64:
#   boot 1 (kcatch_e2e=arm): status, test, show, load --dry-run, load (the
#          host's image), unload; keep 3 -> keep 2: test (stale), load
#          (rebuilt in the guest by the arm64 kcatch-mkinitramfs), test;
#          sysrq c: the capture kernel runs the agent as /init, which saves
#          the dump to /var/crash on the disk, found by UUID, and reboots
#   boot 2 (kcatch_e2e=report): status, list, report, report ID,
#          report --journal twice, list
# The host reads the results with debugfs, checks the dump with kdump-verify
# (structure, every page decompressed) and reads it with sid's drgn
# (tests/real/drgn-check.py: release, crashed thread, tasks, panic line).
# Prints TAP; exits non-zero on failure.
# Work files: $KCATCH_CACHE/e2e/arm-arm64-6.12-<mem>-<crashkernel>/.
set -uo pipefail
. "$(dirname "$0")/lib-e2e.sh"

BUILD='' ABUILD=${KCATCH_ARM64_BUILD:-} MEM=1G CK=256M CPU=max KEEP=0
while (($#)); do
	case $1 in
	--build) BUILD=$(cd "${2:?}" && pwd); shift ;;
	--arm64-build) ABUILD=${2:?}; shift ;;
	--mem) MEM=${2:?}; shift ;;
	--crashkernel) CK=${2:?}; shift ;;
	--cpu) CPU=${2:?}; shift ;;
	--keep) KEEP=1 ;;
	*) die "unknown argument $1 (see the header of $0)" ;;
	esac
	shift
done
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
[[ -n $BUILD ]] || die "--build DIR is required"
[[ -n $ABUILD ]] || skip_all "no arm64 build: set KCATCH_ARM64_BUILD or pass --arm64-build" \
	"(meson setup build-arm64 --cross-file cross/aarch64-linux-gnu.ini && ninja -C build-arm64; tests/run does it)"
ABUILD=$(cd "$ABUILD" && pwd) || die "--arm64-build $ABUILD: no such directory"
[[ $CK =~ ^[0-9]+M$ ]] || die "--crashkernel takes a size in MiB such as 256M"
CKRE="${CK%M}(\\.0)? MiB"  # as kcatch status prints it
need_cmd qemu-system-aarch64 qemu-aarch64-static file strings timeout mkfs.ext4 debugfs cpio gzip zstd modinfo depmod meson /usr/bin/python3
for b in initramfs/kcatch-mkinitramfs tests/tools/kdump-verify; do
	[[ -x $BUILD/$b ]] || die "build $BUILD first ($b is missing)"
done
for b in systemd/kcatch capture/kcatch-agent initramfs/kcatch-mkinitramfs; do
	[[ -x $ABUILD/$b ]] || die "build $ABUILD first ($b is missing: ninja -C $ABUILD)"
done
file -b "$ABUILD/systemd/kcatch" | grep -q 'ARM aarch64' || die "$ABUILD/systemd/kcatch is not an arm64 program: pass the arm64 cross build"
ALD=/lib/ld-linux-aarch64.so.1  # the arm64 loader of the :arm64 libc6 (dpkg --add-architecture arm64)
[[ -e $ALD ]] || die "no $ALD: apt-get install libc6:arm64 (see cross/aarch64-linux-gnu.ini)"

# the kernel, arm64 busybox and kexec, sid's drgn
"$E2E_DIR/../real/fetch-kernels.sh" 6.12-arm64 arm64guest sidtools >&2 || die "fetch-kernels.sh 6.12-arm64 arm64guest sidtools failed"
KVER=$(kernel_kver 6.12-arm64)
KDIR=$(kernel_dir "$KVER")
[[ -f $KDIR/.complete ]] || die "kernel $KVER incomplete: run tests/real/fetch-kernels.sh 6.12-arm64"
KROOT=$KDIR/root
VMLINUZ=$(kernel_vmlinuz "$KVER")
VMLINUX=$KDIR/vmlinux
[[ -f $VMLINUX ]] || die "no debug vmlinux for $KVER in $KDIR"
GT=$KCATCH_CACHE/tools/arm64-guest
[[ -f $GT/.complete ]] || die "no arm64 busybox and kexec: run tests/real/fetch-kernels.sh arm64guest"
SIDPY=$(sid_python)
KRE=$(sed 's/[.+]/\\&/g' <<<"$KVER")  # the release in a grep -E pattern

W=$KCATCH_CACHE/e2e/arm-arm64-6.12-$MEM-$CK
rm -rf "$W"
mkdir -p "$W"
cleanup() { ((KEEP)) || rm -rf "$W"/*.img "$W/rootfs" "$W/initramfs" "$W/out"; }  # logs stay
trap cleanup EXIT
T0=$(now)
UUID=$(cat /proc/sys/kernel/random/uuid)
ROOT=$W/rootfs
echo "# $KVER (arm64, -cpu $CPU), guest memory $MEM, crashkernel=$CK, root disk UUID $UUID"

# busybox_tree DIR: the arm64 busybox and a link per applet
busybox_tree() {
	local root=$1 applet
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,etc}
	cp "$GT/busybox" "$root/bin/busybox"
	for applet in $(qemu-aarch64-static "$GT/busybox" --list); do
		[[ $applet == busybox || -e $root/bin/$applet ]] || ln -s busybox "$root/bin/$applet"
	done
	[[ -e $root/dev/console ]] || mknod -m 600 "$root/dev/console" c 5 1
}
# install_arm64 DIR BINARY DEST: BINARY as DIR/DEST with the libraries and
# the loader the aarch64 ld.so --list names, at their own paths
install_arm64() {
	local root=$1 bin=$2 dest=$3 lib libs
	install -D -m 755 "$bin" "$root$dest" || return 1
	libs=$(qemu-aarch64-static "$ALD" --list "$bin") || { echo "$ALD --list $bin failed" >&2; return 1; }
	for lib in $(awk '/=> \// { print $3 } /^\t\// { print $1 }' <<<"$libs"); do
		[[ -e $root$lib ]] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib" || return 1
	done
}

# --- the root disk, as a distribution would install kcatch on it ---
busybox_tree "$ROOT"
install -m 755 "$E2E_DIR/guest/arm-root.sh" "$ROOT/sbin/e2e-arm"
# Where the arm64 build's kcatch looks for the agent (KC_AGENT_PATH), and sbindir.
read -r PREFIX LIBEXECDIR SBINDIR < <(meson introspect --buildoptions "$ABUILD" | /usr/bin/python3 -c '
import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
print(o["prefix"], o["libexecdir"], o["sbindir"])')
[[ $LIBEXECDIR == /* ]] || LIBEXECDIR=$PREFIX/$LIBEXECDIR
[[ $SBINDIR == /* ]] || SBINDIR=$PREFIX/$SBINDIR
install_arm64 "$ROOT" "$ABUILD/systemd/kcatch" "$SBINDIR/kcatch" &&
	install_arm64 "$ROOT" "$ABUILD/initramfs/kcatch-mkinitramfs" "$SBINDIR/kcatch-mkinitramfs" &&
	install -D -m 755 "$ABUILD/capture/kcatch-agent" "$ROOT$LIBEXECDIR/kcatch/kcatch-agent" &&
	install -D -m 755 "$GT/kexec" "$ROOT/usr/sbin/kexec" ||
	die "cannot copy kcatch, kcatch-mkinitramfs, kcatch-agent and kexec"
mkdir -p "$ROOT/boot" "$ROOT/lib/modules" "$ROOT/var/lib/kcatch" "$ROOT/var/log"
cp -a "$(kernel_moddir "$KVER")" "$ROOT/lib/modules/$KVER"
cp "$KROOT/boot/config-$KVER" "$ROOT/boot/"
depmod -b "$ROOT" "$KVER" || die "depmod -b $ROOT $KVER"
echo "$E2E_HOSTNAME" >"$ROOT/etc/hostname"
install -d -m 700 "$ROOT/var/crash"
e2e_conf "$ROOT/etc/kcatch.conf" "UUID=$UUID" 3
cp "$VMLINUZ" "$ROOT/boot/vmlinuz-$KVER"
# Built last (mtimes decide staleness): the host's x86_64 builder, the arm64 agent.
IMG=$ROOT/var/lib/kcatch/initrd-$KVER.img
"$BUILD/initramfs/kcatch-mkinitramfs" --kernel-version "$KVER" --root "$KROOT" --config "$ROOT/etc/kcatch.conf" \
	--agent "$ABUILD/capture/kcatch-agent" --output "$IMG" 2>"$W/mkinitramfs.log" ||
	{ sed 's/^/# /' "$W/mkinitramfs.log"; die "kcatch-mkinitramfs failed"; }
truncate -s 512M "$W/disk.img"
mkfs.ext4 -q -F -U "$UUID" -L kcroot -d "$ROOT" "$W/disk.img" || die "mkfs.ext4 -d $ROOT"
echo "# root disk: $(du -sm "$ROOT" | cut -f1) MiB; capture image $(stat -c %s "$IMG") bytes;" \
	"arm64 libraries: $(cd "$ROOT" && find lib usr/lib -name '*.so*' 2>/dev/null | grep -v '^lib/modules' | wc -l)"
HOST_IMAGE_SUM=$(sha256sum <"$IMG")
check "the host-built capture image has the arm64 agent as /init" \
	bash -c "zstd -qdc '$IMG' | cpio -i --quiet --to-stdout init | cmp - '$ABUILD/capture/kcatch-agent'"

# --- the first kernel's initramfs: the disk driver, mount, switch_root ---
I=$W/initramfs
busybox_tree "$I"
install -m 755 "$E2E_DIR/guest/init-arm.sh" "$I/init"
mkdir -p "$I/etc/e2e"
e2e_module_files "$I/lib/e2e-modules" virtio_pci virtio_blk >"$I/etc/e2e/modules"
echo "$UUID" >"$I/etc/e2e/root-uuid"
(cd "$I" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 >"$W/first.img"
echo "# first initramfs $(stat -c %s "$W/first.img") bytes, modules: $(tr '\n' ' ' <"$I/etc/e2e/modules")"
echo "# disk and images built in $(elapsed "$T0")s"

APPEND="console=ttyAMA0 crashkernel=$CK panic=5 loglevel=7"
# qemu_boot CONSOLE APPEND: the arm64 kernel, one CPU (as on x86_64), the
# disk as virtio-blk-pci; no reboot: a reboot or poweroff ends QEMU.
# pauth-impdef: QEMU's own pointer-authentication hash, much faster under
# TCG than QARMA5 (as tests/real/capture-vmcore.sh).
qemu_boot() {
	local t0
	# shellcheck disable=SC2054 # commas are QEMU option syntax
	local args=(qemu-system-aarch64 -accel tcg -machine virt,gic-version=3 -cpu "$CPU,pauth-impdef=on" -smp 1 -m "$MEM"
		-nodefaults -no-user-config -display none -monitor none -no-reboot
		-serial "file:$1" -kernel "$VMLINUZ" -initrd "$W/first.img" -append "$2"
		-drive "file=$W/disk.img,format=raw,if=none,id=disk0" -device virtio-blk-pci,drive=disk0)
	t0=$(now)
	QEMU_RC=0
	timeout --kill-after=10 "$E2E_QEMU_TIMEOUT" "${args[@]}" </dev/null >"$1.qemu" 2>&1 || QEMU_RC=$?
	QEMU_SECS=$(elapsed "$t0")
}
# boot BOOT: run the first kernel with kcatch_e2e=BOOT; stops the test when QEMU hangs
boot() {
	qemu_boot "$W/console-$1.log" "$APPEND kcatch_e2e=$1"
	e2e_console_clean "$W/console-$1.log" >"$W/console-$1.txt"
	echo "# boot $1: QEMU ran ${QEMU_SECS}s (status $QEMU_RC); console in $W/console-$1.txt"
	if ((QEMU_RC != 0)); then
		not_ok "boot $1: QEMU exits by itself (status $QEMU_RC after ${QEMU_SECS}s; 124 = timeout)"
		tail -n 30 "$W/console-$1.txt" | sed 's/^/#   /'
		sed 's/^/#   qemu: /' "$W/console-$1.log.qemu"
		e2e_finish
		exit 1
	fi
	ok "boot $1: QEMU exits by itself (${QEMU_SECS}s)"
}
. "$E2E_DIR/lib-arm.sh"  # extract, step, rc, check_step, loaded

# --- boot 1: arm with kcatch load (kexec -p), crash, capture ---
boot arm
C=$W/console-arm.txt
extract
check "boot arm: the arm64 kernel came up on the root disk and ran kcatch" \
	grep -Eq "^E2E: arm boot on /dev/vda \\(UUID $UUID\\), $KRE," "$C"
check_step arm status-before 3 "not armed before load, memory reserved" \
	"^not armed: no capture kernel is loaded \\($CKRE reserved\\)"
check_step arm test 0 "every check passes on the guest" '^ready: ' "target: .*UUID=$UUID.* /dev/vda"
check_step arm load-dry-run 0 "dry run: kexec_load through kexec -p (no CONFIG_KEXEC_FILE), kernel, image, command line" \
	'^kexec_load\(2\) \(dry run' '^method +kexec_load\(2\) through /usr/sbin/kexec -p: .*no CONFIG_KEXEC_FILE' \
	"^kernel +/boot/vmlinuz-$KRE\$" "^initrd +/var/lib/kcatch/initrd-$KRE\.img\$" \
	'^cmdline .*console=ttyAMA0 .*reset_devices nr_cpus=1 irqpoll panic=10$' \
	"^run +/usr/sbin/kexec -p /boot/vmlinuz-$KRE --initrd=/var/lib/kcatch/initrd-$KRE\\.img --command-line="
check "the capture command line drops crashkernel= and the first kernel's panic=5" \
	bash -c "grep -q '^cmdline ' '$(step arm load-dry-run)' && ! grep -E '^cmdline .*(crashkernel|panic=5)' '$(step arm load-dry-run)'"
check_step arm load 0 "loads through kexec -p" "^loaded /boot/vmlinuz-$KRE with /var/lib/kcatch/initrd-$KRE\\.img \\(kexec -p\\)\$"
check "kexec_crash_loaded is 1 after kcatch load ($(loaded after-load))" test "$(loaded after-load)" = 1
check_step arm status-armed 0 "armed after load" "^armed: a capture kernel is loaded \\($CKRE reserved\\)"
check_step arm unload 0 "unloads (kexec -p -u)" '^unloaded$'
check "kexec_crash_loaded is 0 after kcatch unload ($(loaded after-unload))" test "$(loaded after-unload)" = 0
check_step arm status-unloaded 3 "not armed after unload" '^not armed: no capture kernel is loaded'
check "kcatch load used the image built on the host (no rebuild)" bash -c "! grep -q '^rebuilding' '$(step arm load)'"
check_step arm test-stale 1 "after the config change: the image is stale, load would rebuild it" \
	'^FAIL +capture image: rebuild needed: .*/etc/kcatch\.conf' '^not ready: 1 check'
check_step arm load-again 0 "rebuilds the image in the guest with the arm64 kcatch-mkinitramfs, then loads it" \
	"^rebuilding /var/lib/kcatch/initrd-$KRE\\.img: .*/etc/kcatch\\.conf" \
	"^built /var/lib/kcatch/initrd-$KRE\\.img \\(" '^loaded .*\(kexec -p\)$'
check "kexec_crash_loaded is 1 before the crash ($(loaded after-load-again))" test "$(loaded after-load-again)" = 1
check_step arm test-rebuilt 0 "the rebuilt image is up to date" '^ready: ' "capture image: .* is up to date"
debugfs -R "dump /var/lib/kcatch/initrd-$KVER.img $W/guest-image.img" "$W/disk.img" >/dev/null 2>&1
debugfs -R "cat /var/lib/kcatch/initrd-$KVER.img.stamp" "$W/disk.img" >"$W/guest-image.stamp" 2>/dev/null
check "the image on the disk is the guest's: new bytes, a stamp, the changed config (keep 2), the arm64 agent as /init" bash -c "
	[[ \$(sha256sum <'$W/guest-image.img') != '$HOST_IMAGE_SUM' ]] && grep -Eq '^release $KRE\$' '$W/guest-image.stamp' &&
	zstd -qdc '$W/guest-image.img' | cpio -i --quiet --to-stdout etc/kcatch.conf 2>/dev/null | grep -q '^keep 2\$' &&
	zstd -qdc '$W/guest-image.img' | cpio -i --quiet --to-stdout init 2>/dev/null | cmp - '$ABUILD/capture/kcatch-agent'"
check "the kernel crashed through sysrq after kcatch armed it" \
	bash -c "grep -q '^E2E: armed by kcatch load; crashing' '$C' && grep -q 'Kernel panic - not syncing: sysrq triggered crash' '$C' &&
		grep -q 'Starting crashdump kernel' '$C'"
check "the capture kernel booted with kcatch's command line" \
	grep -Eq 'Kernel command line: .*kcatch_e2e=arm reset_devices nr_cpus=1 irqpoll panic=10$' "$C"
check "kcatch-agent ran as /init of the capture kernel" grep -q 'kcatch-agent .*(capture kernel' "$C"
check "the agent found the root disk by UUID and saved a complete dump" \
	bash -c "grep -q 'kcatch: .* target UUID=$UUID is /dev/vda (ext4)' '$C' && grep -q 'kcatch: .* RESULT complete ' '$C'"
grep -a '^kcatch: ' "$C" | sed 's/^/#   /'

# --- boot 2: the same disk, kcatch list and report ---
boot report
C2=$W/console-report.txt
extract
mapfile -t DUMPS < <(cd "$W/out/crash" 2>/dev/null && ls -d ????-??-??-*)
ID=${DUMPS[0]:-none}
D=$W/out/crash/$ID
check "one dump directory on the disk, named by crash time and host (${DUMPS[*]})" \
	bash -c "[[ ${#DUMPS[@]} == 1 && $ID =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}:[0-9]{2}:[0-9]{2}-$E2E_HOSTNAME\$ ]]"
check "kcatch.json: status complete, this kernel, the vmcore kdump-compressed, a signature hash" /usr/bin/python3 - "$D/kcatch.json" "$KVER" <<'PY'
import json, re, sys
j = json.load(open(sys.argv[1]))
bad = []
if j.get("status") != "complete":
    bad.append("status %r, error %r" % (j.get("status"), j.get("error")))
if j.get("kernel_release") != sys.argv[2]:
    bad.append("kernel_release %r" % j.get("kernel_release"))
d = j.get("dump") or {}
if d.get("file") != "vmcore" or d.get("format") != "kdump-compressed":
    bad.append("dump %r" % d)
h = (j.get("signature") or {}).get("hash")
if not isinstance(h, str) or not re.fullmatch(r"[0-9a-f]{16}", h):
    bad.append("signature %r" % j.get("signature"))
sys.exit("; ".join(bad) if bad else None)
PY
check "the report boot ran to its end" grep -q '^E2E: report boot done' "$C2"
check_step report status 3 "not armed on the next boot (nothing loaded it)" '^not armed: no capture kernel is loaded'
LIST_LINE="^$ID +[^ ]+ +$KRE +[0-9.]+ [KMG]i?B +complete +[0-9a-f]{16} +Kernel panic - not syncing: sysrq triggered crash"
check_step report list 0 "one line: id, kernel, size, complete, crash signature, panic line" \
	'^ID +CRASH TIME +KERNEL +SIZE +STATE +SIGNATURE +PANIC' "$LIST_LINE"
check "kcatch list shows exactly one dump" test "$(grep -c . "$(step report list)")" = 2
SIG=$(sed -n "s/^$ID .* complete \\+\\([0-9a-f]\\{16\\}\\) .*/\\1/p" "$(step report list)" 2>/dev/null)
check "kcatch list's SIGNATURE is kcatch.json's (${SIG:-none})" \
	bash -c "[[ -n '$SIG' ]] && grep -q '\"$SIG\"' '$D/kcatch.json'"
check_step report report 0 "the newest dump: id, state, kernel, host, panic line" \
	"^kcatch: crash dump $ID\$" '^  state +complete$' "^  kernel +$KRE\$" "^  host +$E2E_HOSTNAME\$" \
	'^  panic +Kernel panic - not syncing: sysrq triggered crash'
check_step report report 0 "the crash summary: task that wrote to sysrq-trigger, backtrace through sysrq_handle_crash" \
	'^  task .*Comm: e2e-arm' '^  taint +not tainted' '^  backtrace' '^ +sysrq_handle_crash\+0x'
check "kcatch report: the backtrace is the console's call trace, in order" /usr/bin/python3 - "$C" "$(step report report)" <<'PY'
import re, sys
con = open(sys.argv[1], errors="replace").read().splitlines()
i = next(n for n, l in enumerate(con) if "Kernel panic - not syncing: sysrq" in l)
# arm64: "Call trace:" then one " [ts]  symbol+off/len" line per frame
trace = []
for l in con[i:]:
    m = re.match(r"\[ *[0-9.]+\]  ([A-Za-z0-9_.]+\+0x[0-9a-f]+/0x[0-9a-f]+)", l)
    if m:
        trace.append(m.group(1))
    elif trace:
        break
rep = open(sys.argv[2], errors="replace").read().splitlines()
b = next(n for n, l in enumerate(rep) if l.strip() == "backtrace")
bt = []
for l in rep[b + 1:]:
    m = re.match(r" +([A-Za-z0-9_.]+\+0x[0-9a-f]+/0x[0-9a-f]+)$", l)
    if not m:
        break
    bt.append(m.group(1))
if not trace or trace != bt:
    sys.exit("console call trace %s\nreport backtrace  %s" % (trace, bt))
print("frames:", " ".join(f.split("+")[0] for f in bt))
PY
check "kcatch report ID prints the same as kcatch report" cmp "$(step report report)" "$(step report report-id)"
check_step report journal 0 "--journal reports the new dump (no journald: the summary goes to stderr)" \
	"^reported $ID to the journal\$" 'Kernel panic - not syncing: sysrq triggered crash'
check "the dump is marked: $ID/reported exists on the disk" test -f "$D/reported"
check_step report journal-again 0 "--journal a second time reports nothing" '^no new dumps in /var/crash$'
check_step report list-again 0 "the reported dump is still listed" "$LIST_LINE"
sed 's/^/#   /' "$(step report list)" "$(step report report)"

# --- the dump itself ---
t1=$(now)
check "kdump-verify: the vmcore is a well-formed kdump-compressed file, every page decompresses" \
	"$BUILD/tests/tools/kdump-verify" "$D/vmcore"
env -u MALLOC_PERTURB_ timeout 900 "$SIDPY" "$E2E_DIR/../real/drgn-check.py" "$VMLINUX" "$D/vmcore" </dev/null >"$W/drgn.txt" 2>&1
echo "# kdump-verify and drgn ran $(elapsed "$t1")s"
check "drgn (sid's) reads the dump: release, crashed thread through sysrq_handle_crash, tasks, panic line" \
	bash -c "grep -q '^release $KVER\$' '$W/drgn.txt' && grep -q '^  frame sysrq_handle_crash' '$W/drgn.txt' &&
		grep -q '^tasks [1-9]' '$W/drgn.txt' && grep -q '^  task [0-9]* e2e-arm\$' '$W/drgn.txt' &&
		grep -q '^panic Kernel panic - not syncing: sysrq triggered crash' '$W/drgn.txt' &&
		grep -q '^slab caches [1-9]' '$W/drgn.txt'"
grep -E '^(release|crashed|tasks|log records|panic|slab caches)' "$W/drgn.txt" | sed 's/^/#   /'
# the VA size the kernel ran with (64 - TCR_EL1_T1SZ): 52 under -cpu max (LPA2), 48 with lpa2=off
T1SZ=$(head -c 1M "$D/vmcore" 2>/dev/null | strings -n 8 | sed -n 's/^NUMBER(TCR_EL1_T1SZ)=//p' | head -n 1)
[[ $T1SZ =~ ^(0x[0-9a-f]+|[0-9]+)$ ]] && echo "# the crashed kernel ran with $((64 - T1SZ))-bit VA (VMCOREINFO TCR_EL1_T1SZ=$T1SZ)"
echo "# dump $(stat -c %s "$D/vmcore" 2>/dev/null) bytes; whole test $(elapsed "$T0")s"
e2e_finish
