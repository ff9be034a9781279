# Fake roots for the kcatch tests (sourced): a crafted kernel image, a
# host's /proc, /sys and mounts, and reading files back from an image.
# Needs $W (a scratch directory).

# mkkernel OUT INIT_SIZE_MIB SIGNED: an EFI-stub bzImage header (MZ, PE32+
# with NumberOfRvaAndSizes 16, HdrS protocol 2.15) with init_size, and a
# certificate table when SIGNED is 1. Enough for the checks and estimate.
mkkernel() {
	python3 - "$@" <<'PY'
import struct, sys
out, mib, signed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
d = bytearray(8192)
d[0:2] = b"MZ"
struct.pack_into("<I", d, 0x3c, 0x400)
d[0x202:0x206] = b"HdrS"
struct.pack_into("<H", d, 0x206, 0x20f)
struct.pack_into("<I", d, 0x260, mib << 20)
d[0x400:0x404] = b"PE\0\0"
opt = 0x400 + 24
struct.pack_into("<H", d, opt, 0x20b)
struct.pack_into("<I", d, opt + 108, 16)
if signed:
    struct.pack_into("<II", d, opt + 112 + 4 * 8, 0x1800, 0x200)
open(out, "wb").write(d)
PY
}

# unpack_image IMG DIR: a zstd, gzip or uncompressed cpio image into DIR (emptied first)
unpack_image() {
	local magic
	magic=$(head -c 4 "$1" | od -An -tx1 | tr -d ' ')
	rm -rf "$2" && mkdir -p "$2" || return 1
	case $magic in
	28b52ffd) zstd -qdc "$1" ;;
	1f8b*) gzip -dc "$1" ;;
	*) cat "$1" ;;
	esac | (cd "$2" && cpio -id --quiet 2>/dev/null)
}

# image_file IMG PATH: one file of an image on stdout (unpacked in $W/x)
image_file() {
	unpack_image "$1" "$W/x" && cat "$W/x/$2" 2>/dev/null
}

# fake_host ROOT RELEASE: /proc, /sys and /etc of a host with 3.8 GiB of RAM
# and nothing reserved, whose / is an ext4 image file standing for /dev/vda1
# (libblkid probes files), UUID $U1, label rootfs; a second one, /dev/vdb,
# UUID $U2, is not mounted. $MOUNTS_ROOT: the mountinfo written.
U1=0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9 U2=11111111-2222-3333-4444-555555555555
MOUNTS_ROOT="22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
23 22 0:22 / /proc rw,nosuid - proc proc rw
24 22 0:23 / /run rw,nosuid - tmpfs tmpfs rw,mode=755"
fake_host() {
	local r=$1 rel=$2
	mkdir -p "$r/etc" "$r/sys/kernel/security" "$r/proc/sys/kernel" "$r/proc/self" "$r/dev/disk/by-uuid" \
		"$r/var/lib" || return 1
	printf 'path /var/crash\ncompress zstd\n' >"$r/etc/kcatch.conf"
	echo 0 >"$r/sys/kernel/kexec_crash_loaded"
	echo 0 >"$r/sys/kernel/kexec_crash_size"
	echo 0 >"$r/proc/sys/kernel/panic_on_oops"
	echo "$rel" >"$r/proc/sys/kernel/osrelease"
	echo "BOOT_IMAGE=/boot/vmlinuz-$rel root=UUID=abcd ro crashkernel=256M console=ttyS0 quiet nr_cpus=8 resume=/dev/sda2" >"$r/proc/cmdline"
	printf 'MemTotal:        3939104 kB\nMemFree:         3200000 kB\nBuffers:            2000 kB\nCached:           300000 kB\nShmem:             20000 kB\nAnonPages:        150000 kB\n' >"$r/proc/meminfo"
	truncate -s 4M "$r/dev/vda1" "$r/dev/vdb"
	mkfs.ext4 -q -F -U "$U1" -L rootfs "$r/dev/vda1" && mkfs.ext4 -q -F -U "$U2" "$r/dev/vdb" || return 1
	echo "$MOUNTS_ROOT" >"$r/proc/self/mountinfo"
}
