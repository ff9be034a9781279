#!/bin/bash
# The full-system test's guest disk: Debian 12 (debootstrap) with systemd,
# bookworm's linux-image-amd64 (6.1), grub-pc on an MBR-partitioned disk,
# kcatch's run-time dependencies (so apt installs the package offline) and
# the test driver unit (guest/). Made once, cached as
#   $KCATCH_CACHE/system/bookworm-KEY.raw
# KEY hashes this script, guest/kcatch-systest.service and
# guest/systest-run: editing them makes a new image (the old one is
# removed). Prints the image's path last.
#
#   mkimage.sh         needs root, debootstrap, mke2fs (-d), python3, qemu
# KCATCH_SYSTEST_ROOT=DIR copies DIR (a finished debootstrap with the same
# packages) instead of running debootstrap: for development only.
#
# No loop device and no mount: the file system is made from the
# debootstrap directory with mke2fs -d, the partition table is written
# here, and GRUB is installed from inside the guest by one set-up boot
# (-kernel, "systest.setup"), as an installer would.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../fresh/lib-fresh.sh"
FRESH_PROG=mkimage.sh
CACHE=${KCATCH_CACHE:-/root/.cache/kcatch}/system
SUITE=bookworm
# kcatch's Depends (debian/control and its shlibs): present before the
# offline apt install. test-system.sh checks the list against the .deb.
KCATCH_DEPS=kmod,libblkid1,libmount1,libkmod2,libzstd1,liblzma5,zlib1g,liblzo2-2,libsnappy1v5,libjson-c5,libsystemd0
INCLUDE=systemd-sysv,udev,linux-image-amd64,grub-pc,initramfs-tools,e2fsprogs,zstd,$KCATCH_DEPS
DISK_MB=3072

die() { echo "mkimage.sh: $*" >&2; exit 1; }
log() { echo "mkimage.sh: $*" >&2; }

key=$( { cat "$0" "$HERE/guest/kcatch-systest.service" "$HERE/guest/systest-run"; } | sha256sum | cut -c1-16)
IMG=$CACHE/$SUITE-$key.raw
if [[ -s $IMG ]]; then echo "$IMG"; exit 0; fi

[[ $(id -u) == 0 ]] || die "needs root (debootstrap)"
for c in debootstrap mke2fs python3 qemu-system-x86_64; do
	command -v "$c" >/dev/null || die "$c not found: apt-get install debootstrap e2fsprogs python3 qemu-system-x86 (as .ci/run does)"
done
mirror=$(fresh_mirror "$SUITE") ||
	die "no apt source of this machine serves '$SUITE' (/etc/apt/sources.list*): add one, or set KCATCH_DEBIAN_MIRROR=URI"

mkdir -p "$CACHE"
W=$(mktemp -d "$CACHE/mkimage.XXXXXX")
trap 'rm -rf --one-file-system "$W"' EXIT
R=$W/root
t0=$SECONDS
if [[ -n ${KCATCH_SYSTEST_ROOT:-} ]]; then
	# development: a finished debootstrap of $INCLUDE, copied
	log "copying the debootstrap root $KCATCH_SYSTEST_ROOT"
	cp -a "$KCATCH_SYSTEST_ROOT" "$R"
else
	log "debootstrap $SUITE from $mirror with $INCLUDE (once; a few minutes)"
	# the downloaded packages are kept: a new image (a changed key) downloads
	# nothing again
	mkdir -p "$CACHE/debs"
	if ! debootstrap --variant=minbase --cache-dir="$CACHE/debs" --include="$INCLUDE" "$SUITE" "$R" "$mirror" >"$W/debootstrap.log" 2>&1; then
		tail -n 20 "$W/debootstrap.log" >&2
		[[ -f $R/debootstrap/debootstrap.log ]] && tail -n 20 "$R/debootstrap/debootstrap.log" >&2
		die "debootstrap failed (log above)"
	fi
	log "debootstrap: $((SECONDS - t0)) s"
fi

# ---- configure the root ----------------------------------------------------
uuid=$(cat /proc/sys/kernel/random/uuid)
echo "UUID=$uuid / ext4 errors=remount-ro 0 1" >"$R/etc/fstab"
echo systest >"$R/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 systest\n' >"$R/etc/hosts"
# the guest has no network: apt must never need an archive
echo "deb $mirror $SUITE main" >"$R/etc/apt/sources.list"
rm -f "$R/var/cache/apt/archives/"*.deb
# a persistent journal: the boot before the crash stays readable
mkdir -p "$R/var/log/journal"
# GRUB on the serial console, no menu wait; the kernel's console on ttyS0
cat >"$R/etc/default/grub" <<'GRUB'
GRUB_DEFAULT=0
GRUB_TIMEOUT=0
GRUB_DISTRIBUTOR=Debian
GRUB_CMDLINE_LINUX_DEFAULT=""
GRUB_CMDLINE_LINUX="console=ttyS0,115200"
GRUB_TERMINAL=serial
GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
GRUB_DISABLE_OS_PROBER=true
GRUB
# The guest rebuilds its initrd when kcatch is installed (the package's
# initramfs-tools hook triggers update-initramfs): with MODULES=most that
# took over 8 minutes under TCG; MODULES=dep (this machine's drivers only,
# a common Debian setting) keeps it short. The initrd made by debootstrap
# (on the build host) stays MODULES=most.
echo "MODULES=dep" >"$R/etc/initramfs-tools/conf.d/systest-modules"
# no "A start job is running" animation on the console
mkdir -p "$R/etc/systemd/system.conf.d"
printf '[Manager]\nShowStatus=no\n' >"$R/etc/systemd/system.conf.d/systest.conf"
# grub-pc's debconf: install to the guest's disk on upgrades too
echo "grub-pc grub-pc/install_devices multiselect /dev/vda" | chroot "$R" debconf-set-selections
install -m 0644 "$HERE/guest/kcatch-systest.service" "$R/etc/systemd/system/"
install -m 0755 "$HERE/guest/systest-run" "$R/usr/local/sbin/"
chroot "$R" systemctl enable kcatch-systest.service >/dev/null 2>&1
# ttyS0 is the console, ttyS1 the results: no login prompt on either
ln -sf /dev/null "$R/etc/systemd/system/serial-getty@ttyS0.service"
ln -sf /dev/null "$R/etc/systemd/system/serial-getty@ttyS1.service"
ln -sf /dev/null "$R/etc/systemd/system/getty@tty1.service"
passwd -R "$R" -d root >/dev/null

kver=$(cd "$R/boot" && ls vmlinuz-* | sed 's/^vmlinuz-//' | sort -V | tail -n1)
[[ -n $kver && -f $R/boot/initrd.img-$kver ]] || die "no kernel and initrd in $R/boot: $(ls "$R/boot")"
cp "$R/boot/vmlinuz-$kver" "$R/boot/initrd.img-$kver" "$W/"

# ---- the disk: MBR, one Linux partition at 1 MiB, ext4 from the root ----------
log "disk: ${DISK_MB} MB, ext4 $uuid from the root (mke2fs -d)"
truncate -s "${DISK_MB}M" "$W/disk.raw"
part_sectors=$(( (DISK_MB - 1) * 2048 ))
mke2fs -q -F -t ext4 -U "$uuid" -L systest-root -E offset=1048576 -d "$R" "$W/disk.raw" "$((part_sectors / 2))k" ||
	die "mke2fs -d $R failed"
python3 - "$W/disk.raw" "$part_sectors" <<'PY'
import struct, sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    mbr = bytearray(f.read(512))
    mbr[440:444] = struct.pack("<I", 0x6b636174)      # disk identifier
    # bootable, CHS "beyond" (LBA only), type 0x83, start 2048, n sectors
    mbr[446:462] = struct.pack("<B3sB3sII", 0x80, b"\xfe\xff\xff", 0x83, b"\xfe\xff\xff", 2048, n)
    mbr[462:510] = bytes(48)
    mbr[510:512] = b"\x55\xaa"
    f.seek(0)
    f.write(mbr)
PY

# ---- one set-up boot: grub-install /dev/vda and update-grub from inside ------
log "set-up boot under QEMU (TCG): grub-install, update-grub"
t1=$SECONDS
timeout 900 qemu-system-x86_64 -accel tcg -machine pc -cpu max -smp 2 -m 1024 \
	-display none -no-reboot -nic none \
	-drive file="$W/disk.raw",format=raw,if=virtio \
	-kernel "$W/vmlinuz-$kver" -initrd "$W/initrd.img-$kver" \
	-append "root=UUID=$uuid ro console=ttyS0,115200 systest.setup" \
	-serial file:"$W/console.log" -serial file:"$W/results.log" </dev/null >"$W/qemu.log" 2>&1 || true
if ! grep -q '^SYSTEST setup-ok' "$W/results.log" 2>/dev/null; then
	tail -n 40 "$W/console.log" >&2 || true
	cat "$W/results.log" "$W/qemu.log" >&2 2>/dev/null || true
	die "the set-up boot did not install GRUB (console above; 900 s bound)"
fi
log "set-up boot: $((SECONDS - t1)) s"
rm -f "$CACHE/$SUITE-"*.raw
mv "$W/disk.raw" "$IMG"
log "made $IMG in $((SECONDS - t0)) s"
echo "$IMG"
