#!/bin/bash
# kcatch inside distribution initramfs images: the dracut module 99kcatch
# and the initramfs-tools hook + local-bottom script (initramfs/dracut,
# initramfs/initramfs-tools), with Debian's own dracut and mkinitramfs.
#
#   test-distro-hooks.sh --build DIR [--images "dracut initramfs-tools"]
#                        [--capture dracut|initramfs-tools|none]
#                        [--storage lvm|plain] [--by-kcatch] [--keep]
#
# 1. Builds a real image with each tool named by --images for Debian's 6.1
#    kernel from the cache (not the host's), without touching the host:
#    dracut gets a copy of its module directory plus 99kcatch and --kmoddir;
#    mkinitramfs gets a copy of /etc/initramfs-tools plus the hook, and, in
#    a private mount namespace (unshare -m), that kernel's modules on
#    /lib/modules and its config on /boot. Checks that the image holds the
#    agent, the configuration and the hook scripts byte for byte, and the
#    driver named by extra_modules.
#    With --by-kcatch, `kcatch --root ROOT rebuild` builds each image
#    itself (kcatch.conf "builder dracut|initramfs-tools"): ROOT is the
#    module tree above plus etc/kcatch.conf, the kernel release and the
#    hook kcatch looks for; dracut is reached through a wrapper in PATH
#    that only points it at the test's module copy and configuration
#    (what /usr/lib/dracut and /etc/dracut.conf.d are on a real host), and
#    mkinitramfs gets the test's /etc/initramfs-tools bind-mounted, without
#    the conf.d/kcatch switch: KCATCH_INITRAMFS=y must come from kcatch.
# 2. With --capture TOOL: a QEMU guest crashes, the capture kernel boots
#    TOOL's image with root= the dump file system, read-only (the usual
#    setup: the dump goes to the root file system). With --storage lvm (the
#    default) that file system is on a logical volume kcvg/root, which only
#    the distribution's scripts can activate; plain: ext4 on the whole
#    disk. They find and mount the root; the hook runs kcatch-agent --hosted, which
#    remounts it read-write, saves the dump, puts it back read-only and
#    reboots. The disk is read back with debugfs: crash shows the panic
#    and the backtrace, kdump-verify checks the dump's structure.
# Prints TAP; exits non-zero on failure. Work files: $KCATCH_CACHE/e2e/.
set -uo pipefail
. "$(dirname "$0")/lib-e2e.sh"
SRC=$(cd "$E2E_DIR/../.." && pwd)

BUILD='' IMAGES="dracut initramfs-tools" CAPTURE=dracut STORAGE=lvm KEEP=0 MEM=1G CK=256M BY_KCATCH=0
while (($#)); do
	case $1 in
	--build) BUILD=$(cd "${2:?}" && pwd); shift ;;
	--images) IMAGES=${2?}; shift ;;
	--capture) CAPTURE=${2:?}; shift ;;
	--storage) STORAGE=${2:?}; shift ;;
	--keep) KEEP=1 ;;
	--by-kcatch) BY_KCATCH=1 ;;
	*) die "unknown argument $1 (see the header of $0)" ;;
	esac
	shift
done
[[ -n $BUILD ]] || die "--build DIR is required"
case $CAPTURE in dracut | initramfs-tools) [[ " $IMAGES " == *" $CAPTURE "* ]] || IMAGES+=" $CAPTURE" ;;
none) ;; *) die "unknown --capture $CAPTURE" ;; esac
case $STORAGE in
lvm) need_cmd lvm losetup; DRACUT_STORAGE="dm lvm" ;;
plain) DRACUT_STORAGE= ;;
*) die "unknown --storage $STORAGE" ;;
esac
AGENT=$BUILD/capture/kcatch-agent
[[ -x $AGENT && -f $BUILD/initramfs/dracut/99kcatch/module-setup.sh &&
	-f $BUILD/initramfs/initramfs-tools/kcatch-hook ]] || die "build $BUILD first (kcatch-agent and the hooks)"
need_cmd dracut lsinitrd mkinitramfs lsinitramfs unmkinitramfs unshare depmod cpio mkfs.ext4 debugfs \
	qemu-system-x86_64 timeout
[[ -x /bin/busybox && -x /usr/sbin/kexec ]] || die "needs busybox-static and kexec-tools"

e2e_kernel 6.1
W=$KCATCH_CACHE/e2e/distro-hooks-$CAPTURE-$STORAGE
rm -rf "$W"
mkdir -p "$W"
cleanup() { ((KEEP)) || rm -rf "$W"/*.img "$W"/out "$W"/unpacked "$W"/modroot "$W"/dracut-base "$W"/ov; }
trap cleanup EXIT

UUID=$(cat /proc/sys/kernel/random/uuid)
cat >"$W/kcatch.conf" <<EOF
# kcatch distro-hooks test: the root file system is the target
target UUID=$UUID
path /var/crash
dump_level 31
compress zstd
failure_action reboot
final_action reboot
target_timeout 60
watchdog 900
extra_modules virtio_pci virtio_blk
EOF
# The kernel's modules with the depmod files the tools need, hard links
# into the cache (no copy), generated here rather than in the shared tree.
MODROOT=$W/modroot
mkdir -p "$MODROOT/lib/modules"
if ! cp -al "$(kernel_moddir "$KVER")" "$MODROOT/lib/modules/" || ! depmod -b "$MODROOT" "$KVER"; then
	die "cannot prepare the modules of $KVER in $MODROOT"
fi
export KCATCH_AGENT=$AGENT KCATCH_CONF=$W/kcatch.conf
# What the images must embed as /etc/kcatch.conf.
CONF_EXPECT=$W/kcatch.conf
KCATCH=$BUILD/systemd/kcatch
if ((BY_KCATCH)); then
	[[ -x $KCATCH ]] || die "build $BUILD first (kcatch)"
	# kcatch --root $MODROOT: the target's device stands in as an empty
	# file (the dump disk is attached only in the guest); the explicit
	# target is embedded as written, plus the builder line.
	mkdir -p "$MODROOT/etc" "$MODROOT/proc/sys/kernel" "$MODROOT/dev/disk/by-uuid"
	echo "$KVER" >"$MODROOT/proc/sys/kernel/osrelease"
	: >"$MODROOT/dev/disk/by-uuid/$UUID"
	install -D -m 755 "$BUILD/initramfs/dracut/99kcatch/module-setup.sh" \
		"$MODROOT/usr/lib/dracut/modules.d/99kcatch/module-setup.sh"
	install -D -m 755 "$BUILD/initramfs/initramfs-tools/kcatch-hook" "$MODROOT/usr/share/initramfs-tools/hooks/kcatch"
	CONF_EXPECT=$W/kcatch-rebuild.conf
fi
# kcatch_rebuild BUILDER LOG [COMMAND...]: kcatch --root $MODROOT rebuild
# with "builder BUILDER" (through COMMAND, e.g. a namespace); the image
# is then moved to $W/BUILDER.img. Status of kcatch.
kcatch_rebuild() {
	local builder=$1 log=$2 rc
	shift 2
	{ cat "$W/kcatch.conf" && echo "builder $builder"; } >"$MODROOT/etc/kcatch.conf"
	cp "$MODROOT/etc/kcatch.conf" "$CONF_EXPECT"
	"$@" "$KCATCH" --root "$MODROOT" rebuild >"$log" 2>&1
	rc=$?
	grep -E '^(rebuilding|building with|built) ' "$log" | sed 's/^/# kcatch: /'
	mv "$MODROOT/var/lib/kcatch/initrd-$KVER.img" "$W/$builder.img" 2>/dev/null
	return $rc
}

# lvm_disk IMG MIB UUID: a disk that is one LVM physical volume of volume
# group kcvg with one linear logical volume, root, over all of it, holding
# an ext4 file system with that UUID; sets FS_OFFSET (bytes to the LV).
# The LVM tools want a block device: a loop device, detached at once. A
# container often has no device mapper, which lvcreate insists on, so the
# LV goes into the metadata through vgcfgbackup, an edit and vgcfgrestore.
lvm_disk() {
	local img=$1 mib=$2 uuid=$3 loop cfg lv_bytes rc=0
	rm -f "$img"
	truncate -s "${mib}M" "$img"
	loop=$(losetup --show -f "$img") || { echo "no loop device (losetup -f $img)"; return 1; }
	# Only this device; no lvmetad/udev/devices file; nothing in /etc/lvm.
	cfg="devices{use_devicesfile=0 filter=[\"a|^$loop\$|\",\"r|.*|\"]}"
	cfg+=" activation{udev_sync=0 udev_rules=0} global{use_lvmpolld=0} backup{backup=0 archive=0}"
	export LVM_SUPPRESS_FD_WARNINGS=1
	{
		lvm pvcreate -y --config "$cfg" "$loop" && lvm vgcreate --config "$cfg" kcvg "$loop" &&
			lvm vgcfgbackup --config "$cfg" -f "$W/kcvg.vg" kcvg &&
			/usr/bin/python3 - "$W/kcvg.vg" <<'PY' &&
import random, re, string, sys
path = sys.argv[1]
text = open(path).read()
extents = int(re.search(r"pe_count = (\d+)", text).group(1))
chars = string.ascii_letters + string.digits
lv_id = "-".join("".join(random.choice(chars) for _ in range(n)) for n in (6, 4, 4, 4, 4, 4, 6))
lv = """
	logical_volumes {
		root {
			id = "%s"
			status = ["READ", "WRITE", "VISIBLE"]
			flags = []
			segment_count = 1
			segment1 {
				start_extent = 0
				extent_count = %d
				type = "striped"
				stripe_count = 1
				stripes = [
					"pv0", 0
				]
			}
		}
	}
""" % (lv_id, extents)
end = text.rstrip().rfind("}")  # the volume group's closing brace
open(path, "w").write(text[:end] + lv + text[end:])
PY
			lvm vgcfgrestore --config "$cfg" -f "$W/kcvg.vg" kcvg &&
			lv_bytes=$(lvm lvs --config "$cfg" --noheadings --units b --nosuffix -o lv_size kcvg/root | tr -d ' ') &&
			FS_OFFSET=$(lvm pvs --config "$cfg" --noheadings --units b --nosuffix -o pe_start "$loop" | tr -d ' ')
	} >"$W/lvm.log" 2>&1 || rc=1
	losetup -d "$loop"
	((rc == 0)) || { cat "$W/lvm.log"; return 1; }
	echo "logical volume kcvg/root: $lv_bytes bytes from byte $FS_OFFSET"
	mkfs.ext4 -q -F -E offset="$FS_OFFSET" -U "$uuid" -L kcroot "$img" "$((lv_bytes >> 10))k"
}

# same FILE1 FILE2: byte-identical
same() { cmp "$1" "$2"; }

# ---- dracut ----
build_dracut() {
	local base=$W/dracut-base t0 rc
	cp -a /usr/lib/dracut "$base"
	mkdir -p "$base/modules.d/99kcatch" "$W/dracut-conf.d"
	install -m 755 "$BUILD/initramfs/dracut/99kcatch/module-setup.sh" \
		"$SRC/initramfs/dracut/99kcatch/kcatch-capture.sh" "$base/modules.d/99kcatch/"
	# A systemd-based image as Debian and Fedora build them; the module
	# list is cut down from --no-hostonly's for speed (udev still loads
	# the virtio drivers, which extra_modules puts in).
	t0=$(now)
	local modules="systemd systemd-initrd dracut-systemd udev-rules base fs-lib rootfs-block shutdown $DRACUT_STORAGE"
	if ((BY_KCATCH)); then
		# kcatch's own arguments pass through; the site's settings come first
		mkdir -p "$W/bin"
		cat >"$W/bin/dracut" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >"$W/dracut.args"
dracutbasedir=$base exec $(command -v dracut) --conf /dev/null --confdir "$W/dracut-conf.d" --no-hostonly \\
	--no-early-microcode --modules "$modules" "\$@"
EOF
		chmod 755 "$W/bin/dracut"
		PATH=$W/bin:$PATH kcatch_rebuild dracut "$W/dracut.log"
		rc=$?
		check "kcatch rebuild ran dracut with its own arguments (log $W/dracut.log)" bash -c "
			grep -Eqx -- '--no-hostonly-cmdline --add kcatch --kmoddir $MODROOT/lib/modules/$KVER --kver $KVER $MODROOT/var/lib/kcatch/\.build-$KVER\.[A-Za-z0-9]{6}/initrd\.img' '$W/dracut.args' &&
			grep -q '^built $MODROOT/var/lib/kcatch/initrd-$KVER.img' '$W/dracut.log' && grep -qx 'builder dracut' '$MODROOT/var/lib/kcatch/initrd-$KVER.img.stamp'"
	else
		dracutbasedir=$base dracut --conf /dev/null --confdir "$W/dracut-conf.d" --no-hostonly \
			--no-hostonly-cmdline --no-early-microcode --force --kver "$KVER" \
			--kmoddir "$MODROOT/lib/modules/$KVER" \
			--modules "$modules" \
			--add kcatch "$W/dracut.img" >"$W/dracut.log" 2>&1
		rc=$?
	fi
	echo "# dracut: $(elapsed "$t0") s, status $rc, image $(stat -c %s "$W/dracut.img" 2>/dev/null) bytes"
	check "dracut builds an image with 99kcatch for $KVER (log $W/dracut.log)" \
		bash -c "(($rc == 0)) && grep -q 'Including module: kcatch' '$W/dracut.log' && [[ -s '$W/dracut.img' ]]"
	lsinitrd "$W/dracut.img" >"$W/dracut.list" 2>&1
	mkdir -p "$W/unpacked/dracut"
	(cd "$W/unpacked/dracut" && lsinitrd --unpack "$W/dracut.img" >/dev/null 2>&1)
	local u=$W/unpacked/dracut
	check "dracut image: the agent, byte-identical" same "$AGENT" "$u/usr/libexec/kcatch/kcatch-agent"
	check "dracut image: /etc/kcatch.conf, byte-identical" same "$CONF_EXPECT" "$u/etc/kcatch.conf"
	check "dracut image: the pre-pivot and emergency hooks" bash -c "
		cmp '$SRC/initramfs/dracut/99kcatch/kcatch-capture.sh' '$u/usr/lib/dracut/hooks/pre-pivot/99-kcatch-capture.sh' &&
		cmp '$SRC/initramfs/dracut/99kcatch/kcatch-capture.sh' '$u/usr/lib/dracut/hooks/emergency/01-kcatch-capture.sh'"
	check "dracut image: virtio_blk (extra_modules) and modprobe" bash -c "
		grep -q 'lib/modules/$KVER/.*/virtio_blk.ko' '$W/dracut.list' && grep -Eq ' (usr/)?s?bin/modprobe( |\$)' '$W/dracut.list'"
	check "dracut image: systemd-based (the pre-pivot hook runs from dracut-pre-pivot.service)" \
		grep -q 'dracut-pre-pivot.service' "$W/dracut.list"
	if [[ $STORAGE == lvm ]]; then
		check "dracut image: LVM (lvm, dm-mod)" bash -c "
			grep -Eq ' (usr/)?s?bin/lvm( |\$)' '$W/dracut.list' && grep -q '/dm-mod.ko' '$W/dracut.list'"
	fi
}

# ---- initramfs-tools ----
build_itools() {
	local conf=$W/initramfs-tools t0 rc
	cp -a /etc/initramfs-tools "$conf"
	install -m 755 "$BUILD/initramfs/initramfs-tools/kcatch-hook" "$conf/hooks/kcatch"
	# a capture image; with --by-kcatch, kcatch says so (KCATCH_INITRAMFS=y)
	((BY_KCATCH)) || { mkdir -p "$conf/conf.d" && echo KCATCH_INITRAMFS=y >"$conf/conf.d/kcatch"; }
	install -D -m 755 "$SRC/initramfs/initramfs-tools/scripts/local-bottom/kcatch" \
		"$conf/scripts/local-bottom/kcatch"
	# MODULES=list: the drivers of /etc/initramfs-tools/modules and the
	# hooks' (ours adds extra_modules), instead of "most" (faster).
	sed -i 's/^MODULES=.*/MODULES=list/' "$conf/initramfs.conf"
	mkdir -p "$W/boot" "$W/ov/up" "$W/ov/wk"
	cp "$KROOT/boot/config-$KVER" "$W/boot/"
	# mkinitramfs reads /lib/modules/KVER and /boot/config-KVER: give it the
	# cached kernel's in a private mount namespace. Without /lib/modules on
	# the host, an overlay on /usr/lib makes room for the mount point.
	cat >"$W/mkinitramfs-ns.sh" <<'EOF'
set -e
W=$1 KVER=$2
mount --bind "$W/boot" /boot
if [ ! -d /lib/modules ]; then
	mount -t overlay overlay -o "lowerdir=/usr/lib,upperdir=$W/ov/up,workdir=$W/ov/wk" /usr/lib
	mkdir /lib/modules
fi
mount --bind "$W/modroot/lib/modules" /lib/modules
if [ $# -gt 2 ]; then  # kcatch rebuild: this configuration as the host's
	mount --bind "$W/initramfs-tools" /etc/initramfs-tools
	shift 2
	exec "$@"
fi
exec mkinitramfs -d "$W/initramfs-tools" -o "$W/initramfs-tools.img" "$KVER"
EOF
	t0=$(now)
	if ((BY_KCATCH)); then
		kcatch_rebuild initramfs-tools "$W/mkinitramfs.log" unshare -m sh "$W/mkinitramfs-ns.sh" "$W" "$KVER"
		rc=$?
		check "kcatch rebuild ran mkinitramfs with KCATCH_INITRAMFS=y (log $W/mkinitramfs.log)" bash -c "
			grep -q '^building with .*/mkinitramfs (initramfs-tools.s hook /usr/share/initramfs-tools/hooks/kcatch)' '$W/mkinitramfs.log' &&
			grep -q '^built $MODROOT/var/lib/kcatch/initrd-$KVER.img' '$W/mkinitramfs.log' &&
			grep -qx 'builder initramfs-tools' '$MODROOT/var/lib/kcatch/initrd-$KVER.img.stamp' &&
			[[ ! -e '$W/initramfs-tools/conf.d/kcatch' ]]"
	else
		unshare -m sh "$W/mkinitramfs-ns.sh" "$W" "$KVER" >"$W/mkinitramfs.log" 2>&1
		rc=$?
	fi
	echo "# mkinitramfs: $(elapsed "$t0") s, status $rc, image $(stat -c %s "$W/initramfs-tools.img" 2>/dev/null) bytes"
	check "mkinitramfs builds an image with the kcatch hook for $KVER (log $W/mkinitramfs.log)" \
		bash -c "(($rc == 0)) && [[ -s '$W/initramfs-tools.img' ]]"
	check "the host's /lib/modules and /boot are untouched" \
		bash -c "[[ ! -e /boot/config-$KVER && ! -e /lib/modules/$KVER ]]"
	lsinitramfs "$W/initramfs-tools.img" >"$W/initramfs-tools.list" 2>&1
	unmkinitramfs "$W/initramfs-tools.img" "$W/unpacked/itools" >/dev/null 2>&1
	local u=$W/unpacked/itools
	[[ -d $u/main ]] && u=$u/main  # an early (microcode) archive comes first
	check "initramfs-tools image: the agent, byte-identical" same "$AGENT" "$u/usr/libexec/kcatch/kcatch-agent"
	check "initramfs-tools image: /etc/kcatch.conf, byte-identical" same "$CONF_EXPECT" "$u/etc/kcatch.conf"
	check "initramfs-tools image: scripts/local-bottom/kcatch, in ORDER" bash -c "
		cmp '$SRC/initramfs/initramfs-tools/scripts/local-bottom/kcatch' '$u/scripts/local-bottom/kcatch' &&
		grep -q '/scripts/local-bottom/kcatch' '$u/scripts/local-bottom/ORDER'"
	check "initramfs-tools image: virtio_blk (extra_modules)" \
		grep -q "lib/modules/$KVER/.*/virtio_blk.ko" "$W/initramfs-tools.list"
}

# A normal boot: no /proc/vmcore, the hook scripts do nothing and say nothing.
if [[ ! -e /proc/vmcore ]]; then
	check "on a normal boot the dracut hook does nothing" \
		test "$(sh -c ". '$SRC/initramfs/dracut/99kcatch/kcatch-capture.sh'; echo rc=\$?" 2>&1)" = rc=0
	check "on a normal boot the initramfs-tools script does nothing" \
		test "$(sh "$SRC/initramfs/initramfs-tools/scripts/local-bottom/kcatch" 2>&1; echo rc=$?)" = rc=0
fi
out=$("$AGENT" --hosted 2>&1)
rc=$?
check "kcatch-agent --hosted refuses to run without /proc/vmcore (status $rc: $out)" \
	bash -c "[[ -e /proc/vmcore || ($rc == 1 && '$out' == *'not a capture kernel'*) ]]"
for tool in $IMAGES; do
	case $tool in
	dracut) build_dracut ;;
	initramfs-tools) build_itools ;;
	*) die "unknown image tool $tool" ;;
	esac
done
if [[ $CAPTURE == none ]]; then
	e2e_finish
	exit
fi

# ---- capture under QEMU ----
IMG=$W/$CAPTURE.img
[[ -s $IMG ]] || { not_ok "no $CAPTURE image to capture with"; e2e_finish; exit 1; }
# What kcatch load would pass: the host's root (here the dump file system), read-only.
if [[ $STORAGE == lvm ]]; then
	if ! lvm_disk "$W/dump.img" 512 "$UUID" >"$W/lvm-disk.log" 2>&1; then
		not_ok "an LVM disk for the guest (log $W/lvm-disk.log)"
		sed 's/^/#   /' "$W/lvm-disk.log" | tail -20
		e2e_finish
		exit 1
	fi
	FS="$W/dump.img?offset=$FS_OFFSET" DEV=/dev/dm-0
	CAPTURE_CMDLINE="$CAPTURE_CMDLINE root=/dev/mapper/kcvg-root rd.lvm.lv=kcvg/root ro"
	echo "# dump disk: LVM volume group kcvg, ext4 on logical volume root from byte $FS_OFFSET"
else
	e2e_disk "$W/dump.img" 512M "$UUID"
	FS=$W/dump.img DEV=/dev/vda
	CAPTURE_CMDLINE="$CAPTURE_CMDLINE root=UUID=$UUID ro"
fi
e2e_first_image "$W/first.img" "$IMG"
echo "# $KVER, $CAPTURE image $(stat -c %s "$IMG") bytes, guest memory $MEM, crashkernel=$CK"
e2e_qemu "$W/console.log" "$MEM" "$CK" "$W/first.img" "$W/dump.img"
C=$W/console.txt
e2e_console_clean "$W/console.log" >"$C"
echo "# QEMU ran ${QEMU_SECS}s (status $QEMU_RC); console in $C"
if ((QEMU_RC != 0)); then
	not_ok "QEMU exits by itself (status $QEMU_RC after ${QEMU_SECS}s; 124 = timeout)"
	tail -n 40 "$C" | sed 's/^/#   /'
	e2e_finish
	exit 1
fi
ok "QEMU exits by itself after the capture kernel's final action (${QEMU_SECS}s)"
grep -a '^kcatch: ' "$C" | sed 's/^/#   /'
check "the first kernel loaded the capture kernel and crashed" \
	bash -c "grep -q '^E2E: capture kernel loaded' '$C' && grep -q 'sysrq: Trigger a crash' '$C'"
check "the $CAPTURE image's hook started the agent" grep -q "kcatch: capture kernel: starting kcatch-agent from the $CAPTURE image" "$C"
check "the agent ran hosted, not as PID 1" grep -Eq 'kcatch: .* hosted: running under the distribution.s initramfs as PID [0-9]{2,}' "$C"
check "the agent read the panic message from /proc/vmcore" \
	grep -q 'kcatch: .* panic: Kernel panic - not syncing: sysrq triggered crash' "$C"
check "modprobe of extra_modules worked" grep -q 'kcatch: .* hosted: modprobe of 2 module(s) from extra_modules/fstype: ok' "$C"
check "the agent found the read-only root as the target and remounted it read-write" bash -c "
	grep -q 'kcatch: .* target UUID=$UUID is $DEV (ext4)' '$C' &&
	grep -Eq 'kcatch: .* hosted: $DEV is mounted on /(sysroot|root), read-only; remounting it read-write' '$C'"
check "the agent reports a complete dump" grep -q 'kcatch: .* RESULT complete ' "$C"
check "the root file system is read-only again before the reboot" \
	grep -Eq 'kcatch: .* hosted: /(sysroot|root) is read-only again' "$C"
check "final_action reboot ran" bash -c "grep -q 'kcatch: .* final_action: reboot' '$C' && grep -q 'reboot: Restarting system' '$C'"
check "the hook's fallback reboot was not needed" bash -c "! grep -q 'kcatch-agent ended with status' '$C'"
line=$(e2e_agent_line "$C" 'kcatch-agent .*capture kernel, up')
done_line=$(e2e_agent_line "$C" 'done in ')
echo "# capture kernel: agent started at uptime $(sed -n 's/.* up \([0-9.]*\) s.*/\1/p' <<<"$line") s; $(sed 's/^kcatch: \[ *[0-9.]*\] //' <<<"$done_line")"

check "the ext4 file system is clean (journal written back)" \
	bash -c "dumpe2fs -h '$FS' 2>/dev/null | grep -q '^Filesystem UUID: *$UUID' &&
		! dumpe2fs -h '$FS' 2>/dev/null | grep -q 'needs_recovery'"
if e2e_extract "$FS" "$W/out"; then
	mapfile -t dirs < <(cd "$W/out/crash" && ls)
	d=$W/out/crash/${dirs[0]:-none}
	check "one dump directory with vmcore, vmcore-dmesg.txt and kcatch.json (${dirs[*]})" \
		bash -c "[[ ${#dirs[@]} == 1 && \$(cd '$d' && ls | tr '\n' ' ') == 'kcatch.json vmcore vmcore-dmesg.txt ' ]]"
	check "vmcore-dmesg.txt holds the panic line" \
		grep -q 'Kernel panic - not syncing: sysrq triggered crash' "$d/vmcore-dmesg.txt"
	check "kdump-verify: the dump is a valid kdump-compressed file" \
		"$BUILD/tests/tools/kdump-verify" "$d/vmcore"
	printf '%s\n' bt log exit >"$W/crash.cmd"
	timeout 600 "$(crash_bin)" -s "$VMLINUX" "$d/vmcore" -i "$W/crash.cmd" </dev/null >"$W/crash.txt" 2>&1
	check "crash opens the dump; bt shows sysrq_handle_crash and panic" \
		bash -c "grep -q 'sysrq_handle_crash' '$W/crash.txt' && grep -Eq '#[0-9]+ .* panic at' '$W/crash.txt'"
	check "crash log has the panic line" grep -q 'Kernel panic - not syncing: sysrq triggered crash' "$W/crash.txt"
	echo "# dump $(stat -c %s "$d/vmcore") bytes for $MEM of RAM"
else
	not_ok "debugfs reads /var/crash from the dump disk"
fi
e2e_finish
