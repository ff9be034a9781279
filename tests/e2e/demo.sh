#!/bin/bash
# The kcatch demo, one command on a fresh Debian 12 machine (as root):
#
#   tests/e2e/demo.sh
#
# installs what it needs with apt-get, builds kcatch into build-demo/,
# downloads a Debian kernel (and its debug symbols) into
# /root/.cache/kcatch, boots it under QEMU with 4 GiB of RAM and
# crashkernel=, loads the capture kernel with an initramfs from
# kcatch-mkinitramfs, crashes it (sysrq c), lets kcatch-agent save the
# dump to the VM's ext4 disk, then reads the disk back and shows where the
# dump is, its size against the RAM, the panic message and the backtrace.
#
# Environment: KCATCH_DEMO_KERNEL (6.1 or 6.12, default 6.1),
# KCATCH_DEMO_MEM (default 4G), KCATCH_DEMO_CRASHKERNEL (default 256M).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
KERNEL=${KCATCH_DEMO_KERNEL:-6.1}
MEM=${KCATCH_DEMO_MEM:-4G}
CK=${KCATCH_DEMO_CRASHKERNEL:-256M}
BUILD=$REPO/build-demo
say() { if [[ -t 1 ]]; then printf '\n\033[1m==> %s\033[0m\n' "$*"; else printf '\n==> %s\n' "$*"; fi; }

[[ $(id -u) == 0 ]] || { echo "demo.sh: run as root (apt-get, QEMU disks, debugfs)" >&2; exit 1; }

say "1/5 packages"
# The build's libraries are debian/control's lib*-dev Build-Depends
# (tests/setup/test-deb.sh checks that this list holds them all); g++
# brings libstdc++.a, which the static agent links after snappy (C++).
PKGS=(meson ninja-build pkg-config gcc g++ libc6-dev libzstd-dev zlib1g-dev liblzo2-dev libsnappy-dev
	libblkid-dev libmount-dev libkmod-dev liblzma-dev libjson-c-dev libsystemd-dev kmod qemu-system-x86 busybox-static kexec-tools
	e2fsprogs cpio gzip zstd xz-utils crash python3 python3-drgn binutils ca-certificates)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "installing: ${missing[*]}"
	timeout 1800 apt-get -q update
	DEBIAN_FRONTEND=noninteractive timeout 1800 apt-get -q install -y --no-install-recommends "${missing[@]}"
else
	echo "all present"
fi

say "2/5 build kcatch into build-demo/"
if [[ ! -f $BUILD/build.ninja ]]; then
	rm -rf "$BUILD"   # a set-up that failed half way: start again
	if ! out=$(meson setup "$BUILD" "$REPO" -Dreal_tests=false 2>&1); then
		echo "demo.sh: meson setup $BUILD failed; its last lines:" >&2
		tail -n 20 <<<"$out" >&2
		echo "demo.sh: a missing library is a package to add to PKGS in $0; full log: $BUILD/meson-logs/meson-log.txt" >&2
		exit 1
	fi
fi
ninja -C "$BUILD" capture/kcatch-agent initramfs/kcatch-mkinitramfs
echo "kcatch-agent $(stat -c %s "$BUILD/capture/kcatch-agent") bytes, static"

. "$REPO/tests/e2e/lib-e2e.sh"
say "3/5 Debian kernel $KERNEL (cached in $KCATCH_CACHE)"
e2e_kernel "$KERNEL"
echo "kernel $KVER"

say "4/5 images, then boot, crash and capture under QEMU ($MEM RAM, crashkernel=$CK; TCG, a minute or two)"
W=$BUILD/demo
rm -rf "$W"
mkdir -p "$W"
UUID=$(cat /proc/sys/kernel/random/uuid)
e2e_disk "$W/disk.img" 2G "$UUID"
cat >"$W/kcatch.conf" <<EOF
target UUID=$UUID
path /var/crash
dump_level 31
compress zstd
failure_action reboot
final_action reboot
extra_modules virtio_pci virtio_blk
EOF
e2e_capture_image "$W/capture.img" "$BUILD" "$W/kcatch.conf"
e2e_first_image "$W/first.img" "$W/capture.img" 128
e2e_qemu "$W/console.log" "$MEM" "$CK" "$W/first.img" "$W/disk.img"
e2e_console_clean "$W/console.log" >"$W/console.txt"
echo "QEMU ran ${QEMU_SECS}s; the agent said:"
grep -a '^kcatch: ' "$W/console.txt" | sed 's/^/  /'
if ((QEMU_RC != 0)) || ! grep -q 'RESULT complete' "$W/console.txt"; then
	echo "demo.sh: the capture did not complete (QEMU status $QEMU_RC); console: $W/console.txt" >&2
	tail -n 30 "$W/console.txt" >&2
	exit 1
fi

say "5/5 what the agent wrote (read from the VM's disk with debugfs, no mount)"
e2e_extract "$W/disk.img" "$W/out" || { echo "demo.sh: cannot read /var/crash from $W/disk.img" >&2; exit 1; }
ID=$(cd "$W/out/crash" && ls | head -n1)
D=$W/out/crash/$ID
j() { /usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$D/kcatch.json" "$1"; }
printf '%s\n' bt exit >"$W/crash.cmd"
timeout 600 "$(crash_bin)" -s "$VMLINUX" "$D/vmcore" -i "$W/crash.cmd" </dev/null >"$W/crash.txt" 2>&1 || true

cat <<EOF

  dump        /var/crash/$ID/vmcore on the VM's disk (ext4 UUID=$UUID)
              copied to $D/
  files       $(cd "$D" && ls -l | awk 'NR > 1 { printf "%s %s %s  ", $1, $5, $9 }')
  size        $(j '"%.1f MiB for %.1f GiB of RAM in the dump (%.2f%%): %d of %d pages kept, dump level %d, %s" % (
	j["bytes"]["dump"] / 1048576, j["bytes"]["memory"] / 1073741824, 100.0 * j["bytes"]["dump"] / j["bytes"]["memory"],
	j["pages"]["kept"], j["pages"]["in_memory"], j["dump"]["dump_level"], j["dump"]["compressor"])')
              (the guest has $MEM; crashkernel=$CK is not part of the dump)
  took        $(j '"%.1f s in the agent (dump %.1f s), capture image %d KiB" % (j["durations"]["since_start"], j["durations"]["dump"], '"$(stat -c %s "$W/capture.img")"' // 1024)')
  kernel      $(j 'j["kernel_release"]') on $(j 'j["hostname"]'), crashed $(j 'j["crash_time"]')
  panic       $(j 'j["panic_message"]')

  backtrace (crash -s vmlinux vmcore, "bt"):
EOF
sed -n '/^PID:/,/^ *RIP:/p' "$W/crash.txt" | sed 's/^/    /'
cat <<EOF

  Look further:  $(crash_bin) $VMLINUX $D/vmcore
                 less $D/vmcore-dmesg.txt
EOF
