# shellcheck shell=bash
# Helpers for the kcatch end-to-end tests and the README demo: build the
# first kernel's initramfs (busybox + kexec-tools), the capture initramfs
# (kcatch-mkinitramfs), an ext4 dump disk, run QEMU, read the disk back.
# Sourced, never executed. Sources tests/real/lib.sh for the kernel cache.
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../real/lib.sh
. "$E2E_DIR/../real/lib.sh"

E2E_QEMU_TIMEOUT=${KCATCH_QEMU_TIMEOUT:-1200}
E2E_HOSTNAME=kcatch-e2e
CAPTURE_CMDLINE="console=ttyS0,115200 irqpoll nr_cpus=1 reset_devices panic=1 oops=panic"

# e2e_kernel ALIAS: set KVER KDIR VMLINUZ VMLINUX KROOT for a fetched kernel
e2e_kernel() {
	local tools=tools
	[[ $1 == sid || $1 == exp ]] && tools=sidtools   # drgn 0.3+ reads 7.x; crash 9.0.2 cannot
	"$E2E_DIR/../real/fetch-kernels.sh" "$1" "$tools" >&2 || die "fetch-kernels.sh $1 $tools failed"
	KVER=$(kernel_kver "$1")
	KDIR=$(kernel_dir "$KVER")
	[[ -f $KDIR/.complete ]] || die "kernel $KVER incomplete: run tests/real/fetch-kernels.sh"
	KROOT=$KDIR/root
	VMLINUZ=$(kernel_vmlinuz "$KVER")   # /boot, or /usr/lib/modules/KVER (7.x's split packages)
	VMLINUX=$KDIR/vmlinux
	[[ -f $VMLINUZ && -f $VMLINUX ]] || die "no vmlinuz or vmlinux for $KVER"
}

# e2e_conf FILE TARGET KEEP [LINE...]: the kcatch.conf of the end-to-end
# tests (dumps to TARGET at level 31 with zstd, reboot after, both
# timeouts bounded, the virtio modules), with LINEs added
e2e_conf() {
	local f=$1 target=$2 keep=$3
	shift 3
	{
		echo "# kcatch end-to-end test (tests/e2e/lib-e2e.sh e2e_conf)"
		printf '%s\n' "target $target" "path /var/crash" "dump_level 31" "compress zstd" "keep $keep" \
			"failure_action reboot" "final_action reboot" "target_timeout 30" "watchdog 900" \
			"extra_modules virtio_pci virtio_blk" "$@"
	} >"$f"
}

# e2e_disk IMG SIZE UUID: an empty ext4 file system with that UUID
e2e_disk() {
	rm -f "$1"
	truncate -s "$2" "$1"
	mkfs.ext4 -q -F -U "$3" -L kcdump "$1" || die "mkfs.ext4 $1"
}

# e2e_disk_mbr IMG SIZE_MIB SIGNATURE UUID: an MBR disk (signature 8 hex digits,
# so partition 1 has PARTUUID SIGNATURE-01) with one ext4 partition from 1 MiB
e2e_disk_mbr() {
	rm -f "$1"
	truncate -s "${2}M" "$1"
	/usr/bin/python3 - "$1" "$2" "$3" <<'PY' || die "cannot write an MBR to $1"
import struct, sys
path, mib, sig = sys.argv[1], int(sys.argv[2]), int(sys.argv[3], 16)
entry = struct.pack("<B3sB3sII", 0, b"\xfe\xff\xff", 0x83, b"\xfe\xff\xff", 2048, (mib - 1) * 2048)
with open(path, "r+b") as f:
    f.seek(440)
    f.write(struct.pack("<IH", sig, 0) + entry + bytes(48) + b"\x55\xaa")
PY
	mkfs.ext4 -q -F -E offset=1048576 -U "$4" -L kcdump "$1" "$(($2 - 1))M" || die "mkfs.ext4 $1"
}

# e2e_capture_image OUT BUILD CONF [MKINITRAMFS ARGS...]
e2e_capture_image() {
	local out=$1 build=$2 conf=$3
	shift 3
	"$build/initramfs/kcatch-mkinitramfs" --kernel-version "$KVER" --root "$KROOT" \
		--config "$conf" --agent "$build/capture/kcatch-agent" --output "$out" "$@"
}

# e2e_first_image OUT CAPTURE_IMG [WORKLOAD_MB]: busybox, kexec, the kernel and the capture image
e2e_first_image() {
	local out=$1 cap=$2 mb=${3:-64} root lib applet
	root=$(mktemp -d "$KCATCH_CACHE/tmp/e2e-first.XXXXXX")
	mkdir -p "$root"/{bin,sbin,usr/sbin,dev,proc,sys,tmp,boot,etc/e2e}
	cp /bin/busybox "$root/bin/busybox"
	for applet in $(/bin/busybox --list); do
		[[ $applet == busybox ]] || ln -sf busybox "$root/bin/$applet"
	done
	cp -L /usr/sbin/kexec "$root/usr/sbin/kexec"
	for lib in $(ldd /usr/sbin/kexec | awk '/=> \// { print $3 } /^\t\// { print $1 }'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
	mknod -m 600 "$root/dev/console" c 5 1
	install -m 755 "$E2E_DIR/guest/init-first.sh" "$root/init"
	cp "$VMLINUZ" "$root/boot/vmlinuz"
	cp "$cap" "$root/boot/capture.img"
	echo "$CAPTURE_CMDLINE" >"$root/etc/e2e/capture-cmdline"
	echo "$E2E_HOSTNAME" >"$root/etc/e2e/hostname"
	echo "$mb" >"$root/etc/e2e/workload-mb"
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 >"$out"
	rm -rf "$root"
}

# e2e_qemu CONSOLE MEM CRASHKERNEL FIRST_IMG DISK...: boot, crash, capture; sets QEMU_RC QEMU_SECS
e2e_qemu() {
	local console=$1 mem=$2 ck=$3 first=$4
	shift 4
	e2e_qemu_run "$console" "$mem" 2 "console=ttyS0,115200 crashkernel=$ck panic=5 loglevel=7" "$first" "$@"
}

# e2e_qemu_run CONSOLE MEM CPUS APPEND INITRD DISK...: boot $VMLINUZ under TCG
# with that command line, each DISK as a virtio disk, bounded by
# $E2E_QEMU_TIMEOUT (no reboot: a reboot ends QEMU); sets QEMU_RC QEMU_SECS.
e2e_qemu_run() {
	local console=$1 mem=$2 cpus=$3 append=$4 initrd=$5 d i=0 t0
	shift 5
	local args=(qemu-system-x86_64 -accel tcg -machine pc -cpu max -smp "$cpus" -m "$mem"
		-nodefaults -no-user-config -display none -monitor none -no-reboot
		-serial "file:$console" -kernel "$VMLINUZ" -initrd "$initrd" -append "$append")
	for d in "$@"; do
		args+=(-drive "file=$d,format=raw,if=none,id=disk$i" -device "virtio-blk-pci,drive=disk$i")
		i=$((i + 1))
	done
	t0=$(now)
	QEMU_RC=0
	timeout --kill-after=10 "$E2E_QEMU_TIMEOUT" "${args[@]}" </dev/null >"$console.qemu" 2>&1 || QEMU_RC=$?
	QEMU_SECS=$(elapsed "$t0")
}

# e2e_console_clean CONSOLE: the console without carriage returns
e2e_console_clean() { tr -d '\r' <"$1"; }

# e2e_extract DISK DIR: copy /var/crash of the ext4 image into DIR/crash (no mount)
e2e_extract() {
	rm -rf "$2"
	mkdir -p "$2"
	debugfs -R "rdump /var/crash $2" "$1" >/dev/null 2>&1
	[[ -d $2/crash ]]
}

# e2e_agent_line CONSOLE PATTERN: first console line of the agent matching PATTERN
e2e_agent_line() { e2e_console_clean "$1" | grep -a -m1 -E "^kcatch: \[ *[0-9.]+\] .*$2" || true; }
# e2e_agent_time LINE: the agent's seconds-since-start of a console line
e2e_agent_time() { sed -n 's/^kcatch: \[ *\([0-9.]*\)\].*/\1/p' <<<"$1"; }

# TAP: ok, not_ok, check, tap_finish
. "${BASH_SOURCE[0]%/*}/lib-tap.sh"
e2e_finish() { tap_finish; }

# e2e_busybox_tree DIR: busybox and a link per applet in DIR/bin, the
# usual empty top directories and DIR/dev/console
e2e_busybox_tree() {
	local root=$1 applet
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,etc}
	cp /bin/busybox "$root/bin/busybox"
	for applet in $(/bin/busybox --list); do
		[[ $applet == busybox || -e $root/bin/$applet ]] || ln -s busybox "$root/bin/$applet"
	done
	[[ -e $root/dev/console ]] || mknod -m 600 "$root/dev/console" c 5 1
}

# e2e_install_with_libs DIR BINARY DEST: BINARY as DIR/DEST, and the shared
# libraries ldd lists for it at their own paths under DIR
e2e_install_with_libs() {
	local root=$1 bin=$2 dest=$3 lib
	install -D -m 755 "$bin" "$root$dest" || return 1
	for lib in $(ldd "$bin" | awk '/=> \// { print $3 } /^\t\// { print $1 }'); do
		[[ -e $root$lib ]] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib" || return 1
	done
}

# e2e_module_files DIR MODULE...: the modules of $KVER that are not built in,
# dependencies first, uncompressed into DIR (busybox insmod cannot unpack);
# prints their file names in load order
e2e_module_files() {
	local dir=$1 moddir m
	shift
	moddir=$(kernel_moddir "$KVER")
	mkdir -p "$dir"
	local -A seen=()
	_e2e_module() {
		local name=${1//-/_} f dep
		[[ -n ${seen[$name]:-} ]] && return 0
		seen[$name]=1
		grep -q "/${name}.ko\$\|/${name//_/-}.ko\$" "$moddir/modules.builtin" 2>/dev/null && return 0
		f=$(find "$moddir/kernel" \( -name "$name.ko*" -o -name "${name//_/-}.ko*" \) | head -n 1)
		[[ -n $f ]] || die "module $name not found for $KVER under $moddir"
		for dep in $(modinfo -F depends "$f" | tr ',' ' '); do
			_e2e_module "$dep"
		done
		case $f in
		*.xz) xz -dc "$f" >"$dir/$name.ko" ;;
		*.zst) zstd -qdc "$f" >"$dir/$name.ko" ;;
		*.gz) gzip -dc "$f" >"$dir/$name.ko" ;;
		*) cp "$f" "$dir/$name.ko" ;;
		esac || die "cannot unpack $f"
		echo "$name.ko"
	}
	for m in "$@"; do
		_e2e_module "$m"
	done
}

# e2e_qemu_append CONSOLE MEM APPEND INITRD DISK...: boot $VMLINUZ with that
# kernel command line (no reboot: a reboot ends QEMU); sets QEMU_RC QEMU_SECS.
# One CPU: with two, TCG now and then runs a half-patched static branch on
# the other CPU during boot ("Oops: int3" in sched_clock_idle_wakeup_event).
e2e_qemu_append() {
	local console=$1 mem=$2 append=$3 initrd=$4
	shift 4
	e2e_qemu_run "$console" "$mem" 1 "$append" "$initrd" "$@"
}
