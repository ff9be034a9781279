#!/bin/bash
# End to end for the setup command (issue 6, "Proof"): `kcatch load` arms a
# Debian kernel under QEMU (TCG) through kexec_file_load(2), no kexec-tools;
# the kernel crashes, the capture kernel saves the dump to the same disk,
# and the first kernel boots again on that disk to run `kcatch list` and
# `kcatch report`.
#
#   test-arm.sh --kernel 6.1|6.12 --build DIR [--mem 1G] [--crashkernel 256M] [--keep]
#
# The disk is an ext4 root file system built on the host: busybox; kcatch,
# kcatch-mkinitramfs (with the libraries ldd lists for them) and
# kcatch-agent where meson installs them; /etc/kcatch.conf (target UUID= of
# this disk); the kernel's /boot files and modules (depmod run); and a
# capture image /var/lib/kcatch/initrd-RELEASE.img built on the host. A
# small initramfs (guest/init-arm.sh) loads virtio_blk, mounts the disk
# and switches to guest/arm-root.sh on it.
#   boot 1 (kcatch_e2e=arm): status (3), test, show, load --dry-run, load
#          (no rebuild), status (0), unload, status (3); keep 3 -> keep 2
#          in the config: test (1, image stale), load (rebuilds the image
#          in the guest, loads it), test (0); then sysrq c: the capture
#          kernel runs the image built in the guest, the agent writes
#          /var/crash/<id>/ and reboots, which ends QEMU
#   boot 2 (kcatch_e2e=report): status, list, report, report ID,
#          report --journal twice (no journald in the guest), list
# Every kcatch run leaves its output and exit status in /var/log/e2e/ on the
# disk; the host reads them and the dump back with debugfs, and opens the
# dump with crash. Prints TAP; exits non-zero on failure.
# Work files: $KCATCH_CACHE/e2e/arm-<kernel>-<mem>-<crashkernel>/.
set -uo pipefail
. "$(dirname "$0")/lib-e2e.sh"

KERNEL= BUILD= MEM=1G CK=256M KEEP=0
while (($#)); do
	case $1 in
	--kernel) KERNEL=${2:?}; shift ;;
	--build) BUILD=$(cd "${2:?}" && pwd); shift ;;
	--mem) MEM=${2:?}; shift ;;
	--crashkernel) CK=${2:?}; shift ;;
	--keep) KEEP=1 ;;
	*) die "unknown argument $1 (see the header of $0)" ;;
	esac
	shift
done
[[ $KERNEL == 6.1 || $KERNEL == 6.12 ]] || die "--kernel must be 6.1 or 6.12"
[[ $CK =~ ^[0-9]+M$ ]] || die "--crashkernel takes a size in MiB such as 256M"
CKRE="${CK%M}(\\.0)? MiB"  # as kcatch status prints it
[[ -n $BUILD ]] || die "--build DIR is required"
need_cmd qemu-system-x86_64 timeout mkfs.ext4 debugfs cpio gzip xz zstd modinfo depmod ldd meson /usr/bin/python3
for b in systemd/kcatch capture/kcatch-agent initramfs/kcatch-mkinitramfs; do
	[[ -x $BUILD/$b ]] || die "build $BUILD first ($b is missing)"
done
[[ -x /bin/busybox ]] || die "needs busybox-static"

e2e_kernel "$KERNEL"
KRE=$(sed 's/[.+]/\\&/g' <<<"$KVER")  # the release in a grep -E pattern
CRASH=$(crash_bin)
W=$KCATCH_CACHE/e2e/arm-$KERNEL-$MEM-$CK
rm -rf "$W"
mkdir -p "$W"
cleanup() { ((KEEP)) || rm -rf "$W"/*.img "$W/rootfs" "$W/initramfs" "$W/out"; }  # logs stay
trap cleanup EXIT
T0=$(now)

UUID=$(cat /proc/sys/kernel/random/uuid)
ROOT=$W/rootfs
echo "# $KVER, guest memory $MEM, crashkernel=$CK, root disk UUID $UUID"

# --- the root disk, as a distribution would install kcatch on it ---
e2e_busybox_tree "$ROOT"
install -m 755 "$E2E_DIR/guest/arm-root.sh" "$ROOT/sbin/e2e-arm"
# Where this build's kcatch looks for the agent (KC_AGENT_PATH), and sbindir.
read -r PREFIX LIBEXECDIR SBINDIR < <(meson introspect --buildoptions "$BUILD" | /usr/bin/python3 -c '
import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
print(o["prefix"], o["libexecdir"], o["sbindir"])')
[[ $LIBEXECDIR == /* ]] || LIBEXECDIR=$PREFIX/$LIBEXECDIR
[[ $SBINDIR == /* ]] || SBINDIR=$PREFIX/$SBINDIR
e2e_install_with_libs "$ROOT" "$BUILD/systemd/kcatch" "$SBINDIR/kcatch" &&
	e2e_install_with_libs "$ROOT" "$BUILD/initramfs/kcatch-mkinitramfs" "$SBINDIR/kcatch-mkinitramfs" &&
	install -D -m 755 "$BUILD/capture/kcatch-agent" "$ROOT$LIBEXECDIR/kcatch/kcatch-agent" ||
	die "cannot copy kcatch, kcatch-mkinitramfs and kcatch-agent"
mkdir -p "$ROOT/boot" "$ROOT/lib/modules" "$ROOT/var/lib/kcatch" "$ROOT/var/log"
# In lib/modules (not usr/lib): the disk has no merged /usr, and depmod -b looks there.
cp -a "$(kernel_moddir "$KVER")" "$ROOT/lib/modules/$KVER"
cp "$KROOT/boot/config-$KVER" "$ROOT/boot/"
depmod -b "$ROOT" "$KVER" || die "depmod -b $ROOT $KVER"
echo "$E2E_HOSTNAME" >"$ROOT/etc/hostname"
install -d -m 700 "$ROOT/var/crash"
e2e_conf "$ROOT/etc/kcatch.conf" "UUID=$UUID" 3
cp "$VMLINUZ" "$ROOT/boot/vmlinuz-$KVER"
# Built last: an image older than the kernel or the config is stale, and the
# first kcatch load must use this one as it is (no stamp: judged by mtimes).
e2e_capture_image "$ROOT/var/lib/kcatch/initrd-$KVER.img" "$BUILD" "$ROOT/etc/kcatch.conf" 2>"$W/mkinitramfs.log" ||
	{ sed 's/^/# /' "$W/mkinitramfs.log"; die "kcatch-mkinitramfs failed"; }
truncate -s 512M "$W/disk.img"
mkfs.ext4 -q -F -U "$UUID" -L kcroot -d "$ROOT" "$W/disk.img" || die "mkfs.ext4 -d $ROOT"
echo "# root disk: $(du -sm "$ROOT" | cut -f1) MiB; kcatch $(stat -c %s "$BUILD/systemd/kcatch") bytes + $(ldd "$BUILD/systemd/kcatch" | grep -c '/') libraries," \
	"capture image $(stat -c %s "$ROOT/var/lib/kcatch/initrd-$KVER.img") bytes"
HOST_IMAGE_SUM=$(sha256sum <"$ROOT/var/lib/kcatch/initrd-$KVER.img")

# --- the first kernel's initramfs: the disk driver, mount, switch_root ---
I=$W/initramfs
e2e_busybox_tree "$I"
install -m 755 "$E2E_DIR/guest/init-arm.sh" "$I/init"
mkdir -p "$I/etc/e2e"
e2e_module_files "$I/lib/e2e-modules" virtio_pci virtio_blk >"$I/etc/e2e/modules"
echo "$UUID" >"$I/etc/e2e/root-uuid"
(cd "$I" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 >"$W/first.img"
echo "# first initramfs $(stat -c %s "$W/first.img") bytes, modules: $(tr '\n' ' ' <"$I/etc/e2e/modules")"
echo "# disk and images built in $(elapsed "$T0")s"

APPEND="console=ttyS0,115200 crashkernel=$CK panic=5 loglevel=7"
# boot BOOT: run the first kernel with kcatch_e2e=BOOT; stops the test when QEMU hangs
boot() {
	e2e_qemu_append "$W/console-$1.log" "$MEM" "$APPEND kcatch_e2e=$1" "$W/first.img" "$W/disk.img"
	e2e_console_clean "$W/console-$1.log" >"$W/console-$1.txt"
	echo "# boot $1: QEMU ran ${QEMU_SECS}s (status $QEMU_RC); console in $W/console-$1.txt"
	if ((QEMU_RC != 0)); then
		not_ok "boot $1: QEMU exits by itself (status $QEMU_RC after ${QEMU_SECS}s; 124 = timeout)"
		tail -n 30 "$W/console-$1.txt" | sed 's/^/#   /'
		e2e_finish
		exit 1
	fi
	ok "boot $1: QEMU exits by itself (${QEMU_SECS}s)"
}
. "$E2E_DIR/lib-arm.sh"  # extract, step, rc, check_step, loaded

# --- boot 1: arm with kcatch load, crash, capture ---
boot arm
C=$W/console-arm.txt
extract
check "boot arm: the first kernel came up on the root disk and ran kcatch" \
	grep -q "^E2E: arm boot on /dev/vda (UUID $UUID)" "$C"
check_step arm status-before 3 "not armed before load, memory reserved" \
	"^not armed: no capture kernel is loaded \\($CKRE reserved\\)"
check_step arm test 0 "every check passes on the guest" '^ready: ' "target: .*UUID=$UUID.* /dev/vda"
check_step arm load-dry-run 0 "dry run names kernel, image and the capture command line" \
	"^kernel +/boot/vmlinuz-$KRE\$" "^initrd +/var/lib/kcatch/initrd-$KRE\.img\$" \
	'^cmdline .*console=ttyS0,115200 .*reset_devices nr_cpus=1 irqpoll panic=10$'
check "the capture command line drops crashkernel= and the first kernel's panic=5" \
	bash -c "grep -q '^cmdline ' '$(step arm load-dry-run)' && ! grep -E '^cmdline .*(crashkernel|panic=5)' '$(step arm load-dry-run)'"
check_step arm load 0 "loads through kexec_file_load" "^loaded /boot/vmlinuz-$KRE with /var/lib/kcatch/initrd-$KRE\.img\$"
check "kexec_crash_loaded is 1 after kcatch load ($(loaded after-load))" test "$(loaded after-load)" = 1
check_step arm status-armed 0 "armed after load" "^armed: a capture kernel is loaded \\($CKRE reserved\\)"
check_step arm unload 0 "unloads" '^unloaded$'
check "kexec_crash_loaded is 0 after kcatch unload ($(loaded after-unload))" test "$(loaded after-unload)" = 0
check_step arm status-unloaded 3 "not armed after unload" '^not armed: no capture kernel is loaded'
check "kcatch load used the image built on the host (no rebuild)" bash -c "! grep -q '^rebuilding' '$(step arm load)'"
check_step arm test-stale 1 "after the config change: the image is stale, load would rebuild it" \
	'^FAIL +capture image: rebuild needed: .*/etc/kcatch\.conf' '^not ready: 1 check'
check_step arm load-again 0 "rebuilds the image in the guest with kcatch-mkinitramfs, then loads it" \
	"^rebuilding /var/lib/kcatch/initrd-$KRE\.img: .*/etc/kcatch\.conf" \
	"^built /var/lib/kcatch/initrd-$KRE\.img \(" '^loaded '
check "kexec_crash_loaded is 1 before the crash ($(loaded after-load-again))" test "$(loaded after-load-again)" = 1
check_step arm test-rebuilt 0 "the rebuilt image is up to date" '^ready: ' "capture image: .* is up to date"
debugfs -R "dump /var/lib/kcatch/initrd-$KVER.img $W/guest-image.img" "$W/disk.img" >/dev/null 2>&1
debugfs -R "cat /var/lib/kcatch/initrd-$KVER.img.stamp" "$W/disk.img" >"$W/guest-image.stamp" 2>/dev/null
check "the image on the disk is the guest's: new bytes, a stamp, the changed config (keep 2) inside" bash -c "
	[[ \$(sha256sum <'$W/guest-image.img') != '$HOST_IMAGE_SUM' ]] && grep -Eq '^release $KRE\$' '$W/guest-image.stamp' &&
	zstd -qdc '$W/guest-image.img' | cpio -i --quiet --to-stdout etc/kcatch.conf 2>/dev/null | grep -q '^keep 2\$'"
check "the kernel crashed through sysrq after kcatch armed it" \
	bash -c "grep -q '^E2E: armed by kcatch load; crashing' '$C' && grep -q 'Kernel panic - not syncing: sysrq triggered crash' '$C'"
check "the capture kernel booted with kcatch's command line" \
	grep -Eq 'Command line: .*kcatch_e2e=arm reset_devices nr_cpus=1 irqpoll panic=10$' "$C"
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
check "one dump directory, named by crash time and host (${DUMPS[*]})" \
	bash -c "[[ ${#DUMPS[@]} == 1 && $ID =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}:[0-9]{2}:[0-9]{2}-$E2E_HOSTNAME\$ ]]"
check "the report boot ran to its end" grep -q '^E2E: report boot done' "$C2"
check_step report status 3 "not armed on the next boot (nothing loaded it)" '^not armed: no capture kernel is loaded'
LIST_LINE="^$ID +[^ ]+ +$KRE +[0-9.]+ [KMG]i?B +complete +[0-9a-f]{16} +Kernel panic - not syncing: sysrq triggered crash"
check_step report list 0 "one line: id, kernel, size, complete, crash signature, panic line" '^ID +CRASH TIME +KERNEL +SIZE +STATE +SIGNATURE +PANIC' "$LIST_LINE"
check "kcatch list shows exactly one dump" test "$(grep -c . "$(step report list)")" = 2
check_step report report 0 "the newest dump: id, state, kernel, host, panic line" \
	"^kcatch: crash dump $ID\$" '^  state +complete$' "^  kernel +$KRE\$" "^  host +$E2E_HOSTNAME\$" \
	'^  panic +Kernel panic - not syncing: sysrq triggered crash'
check_step report report 0 "the crash summary: task that wrote to sysrq-trigger, taint, backtrace" \
	'^  task .*Comm: e2e-arm' '^  taint +not tainted' '^  backtrace' '^ +sysrq_handle_crash\+0x'
check "kcatch report: the backtrace is the console's call trace, in order" /usr/bin/python3 - "$C" "$(step report report)" <<'PY'
import re, sys
con = open(sys.argv[1], errors="replace").read().splitlines()
i = next(n for n, l in enumerate(con) if "Kernel panic - not syncing: sysrq" in l)
trace = []
for l in con[i:]:
    if "</TASK>" in l or " RIP: " in l:
        break
    m = re.match(r"\[ *[0-9.]+\]  ([A-Za-z0-9_.]+\+0x[0-9a-f]+/0x[0-9a-f]+)", l)
    if m:
        trace.append(m.group(1))
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
check "the dump is marked: $ID/reported exists on the disk" test -f "$W/out/crash/$ID/reported"
check_step report journal-again 0 "--journal a second time reports nothing" '^no new dumps in /var/crash$'
check_step report list-again 0 "the reported dump is still listed" "$LIST_LINE"
sed 's/^/#   /' "$(step report list)" "$(step report report)"

D=$W/out/crash/$ID
printf '%s\n' bt exit >"$W/crash.cmd"
t1=$(now)
timeout 600 "$CRASH" -s "$VMLINUX" "$D/vmcore" -i "$W/crash.cmd" </dev/null >"$W/crash.txt" 2>&1
echo "# crash ran $(elapsed "$t1")s"
check "crash opens the dump; bt shows sysrq_handle_crash and panic" \
	bash -c "grep -q 'sysrq_handle_crash' '$W/crash.txt' && grep -Eq '#[0-9]+ .* panic at' '$W/crash.txt'"
echo "# dump $(stat -c %s "$D/vmcore" 2>/dev/null) bytes; whole test $(elapsed "$T0")s"
e2e_finish
