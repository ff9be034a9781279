#!/bin/bash
# Produce a real ELF vmcore by crashing a Debian kernel under QEMU (TCG).
#
#   capture-vmcore.sh --kernel 5.10|6.1|6.12|sid|exp --paging 4|5 [--mem 1G] [--smp N] [--force]
#   capture-vmcore.sh --kernel 6.1-arm64|6.12-arm64 --va 48|52 [--mem 1G] [--smp N] [--force]
#
# arm64 kernels boot under qemu-system-aarch64 -M virt (TCG): --va 52 is
# -cpu max (FEAT_LPA2: a 52-bit VA kernel runs with 52 bits), --va 48 is
# -cpu max,lpa2=off (the same kernel falls back to 48 bits). Their guests
# use trixie's static busybox and a static kexec (fetch-kernels.sh
# arm64guest) and load the capture kernel with kexec_load: Debian's
# cloud-arm64 kernels have no CONFIG_KEXEC_FILE.
#
# Result in $KCATCH_CACHE/vmcores/<kver>-l<paging>-<mem>/ (arm64: <kver>-va<bits>-<mem>/):
#   vmcore          copy of /proc/vmcore from the capture kernel (sparse file)
#   console.log     serial console of the crashed and the capture kernel
#   info.txt        kernel release, paging, memory, panic line, timings
#   vmcoreinfo.txt  text of the VMCOREINFO ELF note
#   crash.txt       output of crash(8) sys/bt/log on it (verification), or
#   drgn.txt        of drgn-check.py with sid's drgn, for 7.x kernels
# An existing complete result is reused unless --force is given.
# QEMU TCG rarely faults in a guest: a failed boot/crash/capture is tried
# once more, and a second failure is reported with both reasons.
# Exit status: 0 captured, 3 the guest failed twice (the kernel did not
# boot, crash or capture under QEMU), 1 anything else.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<EOF
usage: $0 --kernel 5.10|6.1|6.12|sid|exp --paging 4|5 [--mem SIZE] [--smp N] [--timeout SEC] [--force]
       $0 --kernel 6.1-arm64|6.12-arm64 --va 48|52 [--mem SIZE] [--smp N] [--timeout SEC] [--force]
  --kernel   kernel alias fetched by fetch-kernels.sh
  --paging   4 (-cpu max,la57=off) or 5 (-cpu max, 5-level paging)
  --va       arm64: 52 (-cpu max, LPA2) or 48 (-cpu max,lpa2=off) bits of virtual address
  --mem      guest memory, QEMU syntax (default 1G)
  --smp      guest CPUs of the first kernel (default 2)
  --timeout  limit for the QEMU run in seconds (default \$KCATCH_QEMU_TIMEOUT or 900)
  --force    capture again even when a complete vmcore exists
Cache: \$KCATCH_CACHE (now $KCATCH_CACHE)
EOF
}

ALIAS='' PAGING='' VA='' MEM=1G SMP=2 FORCE=0
QEMU_TIMEOUT=${KCATCH_QEMU_TIMEOUT:-900}
CRASH_TIMEOUT=${KCATCH_CRASH_TIMEOUT:-600}
CRASHKERNEL=${KCATCH_CRASHKERNEL:-256M}
while (($#)); do
	case $1 in
	--kernel) ALIAS=${2:?}; shift ;;
	--paging) PAGING=${2:?}; shift ;;
	--va) VA=${2:?}; shift ;;
	--mem) MEM=${2:?}; shift ;;
	--smp) SMP=${2:?}; shift ;;
	--timeout) QEMU_TIMEOUT=${2:?}; shift ;;
	--force) FORCE=1 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument '$1'" ;;
	esac
	shift
done
case $ALIAS in
5.10 | 6.1 | 6.12 | sid | exp) ARCH=x86_64 ;;
6.1-arm64 | 6.12-arm64) ARCH=arm64 ;;
*) usage >&2; die "--kernel must be 5.10, 6.1, 6.12, sid, exp, 6.1-arm64 or 6.12-arm64" ;;
esac
if [[ $ARCH == arm64 ]]; then
	[[ $VA == 48 || $VA == 52 ]] || { usage >&2; die "--va must be 48 or 52 for an arm64 kernel"; }
	[[ -z $PAGING ]] || die "--paging is for x86_64 kernels; use --va 48|52 for $ALIAS"
else
	[[ $PAGING == 4 || $PAGING == 5 ]] || { usage >&2; die "--paging must be 4 or 5"; }
	[[ -z $VA ]] || die "--va is for arm64 kernels; use --paging 4|5 for $ALIAS"
fi
[[ $MEM =~ ^[0-9]+[MG]$ ]] || die "--mem must look like 1G or 1536M"
[[ $SMP =~ ^[1-9][0-9]*$ ]] || die "--smp must be a positive number"

need_cmd timeout cpio gzip xz strings mkfs.ext4 truncate fallocate flock
if [[ $ARCH == arm64 ]]; then
	need_cmd qemu-system-aarch64 qemu-aarch64-static aarch64-linux-gnu-gcc
	GUEST_TOOLS=$KCATCH_CACHE/tools/arm64-guest
	[[ -f $GUEST_TOOLS/.complete ]] || die "no arm64 busybox and kexec: run tests/real/fetch-kernels.sh arm64guest"
	BUSYBOX=$GUEST_TOOLS/busybox KEXEC=$GUEST_TOOLS/kexec GUEST_CC=aarch64-linux-gnu-gcc
	busybox_list() { qemu-aarch64-static "$BUSYBOX" --list; }
else
	need_cmd qemu-system-x86_64 gcc
	[[ -x /bin/busybox ]] || die "/bin/busybox missing (apt-get install busybox-static)"
	[[ -x /usr/sbin/kexec ]] || die "/usr/sbin/kexec missing (apt-get install kexec-tools)"
	BUSYBOX=/bin/busybox KEXEC=/usr/sbin/kexec GUEST_CC=gcc
	busybox_list() { "$BUSYBOX" --list; }
fi

KVER=$(kernel_kver "$ALIAS")
KDIR=$(kernel_dir "$KVER")
[[ -f $KDIR/.complete ]] || die "kernel $KVER incomplete: run tests/real/fetch-kernels.sh"
VMLINUZ=$(kernel_vmlinuz "$KVER")
VMLINUX="$KDIR/vmlinux"
MODDIR=$(kernel_moddir "$KVER")
READER=$(kernel_reader "$KVER")
if [[ $READER == crash ]]; then CRASH=$(crash_bin "$ARCH"); else SIDPY=$(sid_python); fi

if [[ $ARCH == arm64 ]]; then NAME="$KVER-va$VA-$MEM"; else NAME="$KVER-l$PAGING-$MEM"; fi
OUT="$KCATCH_CACHE/vmcores/$NAME"
mkdir -p "$OUT"
exec 9>"$OUT/.lock"
flock -w 1800 9 || die "another capture of $NAME is running (lock $OUT/.lock)"

# A cached vmcore is reused only if the guest ran the same workload: a
# change to guest/ makes every vmcore stale.
WORKLOAD=$(cat "$REAL_DIR"/guest/* | sha256sum | cut -c1-16)
if ((FORCE == 0)) && [[ -f $OUT/.complete && -f $OUT/vmcore ]]; then
	if [[ $(cat "$OUT/.complete") == "workload=$WORKLOAD" ]]; then
		log "$NAME: cached vmcore $(du -h --apparent-size "$OUT/vmcore" | cut -f1) in $OUT (use --force to capture again)"
		cat "$OUT/info.txt"
		exit 0
	fi
	log "$NAME: the cached vmcore ran another guest workload (tests/real/guest changed): capturing again"
fi
# experimental's kernel that failed twice is not booted again until --force
# or a newer one: its tests skip with this reason
if ((FORCE == 0)) && [[ $ALIAS == exp && -f $OUT/.boot-failed ]]; then
	DIE_STATUS=3 die "$(cat "$OUT/.boot-failed") (use --force to try again)"
fi
rm -f "$OUT/.complete" "$OUT/vmcore" "$OUT/vmcoreinfo.txt" "$OUT/crash.txt" "$OUT/drgn.txt" "$OUT/info.txt" \
	"$OUT/console.try1.log" "$OUT/.boot-failed"

WORK="$KCATCH_CACHE/build/$NAME"
rm -rf "$WORK"
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT

mem_mib() {
	local n=${1%[MG]}
	[[ $1 == *G ]] && n=$((n * 1024))
	printf '%s\n' "$n"
}
MEM_MIB=$(mem_mib "$MEM")

# --- module closure -------------------------------------------------------------

declare -A MODPATH=() MODSEEN=()
MODORDER=()
index_modules() {
	local f name
	while IFS= read -r f; do
		name=${f##*/}
		name=${name%%.ko*}
		MODPATH[${name//-/_}]=$f
	done < <(cd "$MODDIR" && find kernel -name '*.ko*')
}
mod_depends() {
	local f="$MODDIR/$1"
	case $f in
	*.ko.xz) xz -dc "$f" | strings -a ;;
	*.ko.zst) zstd -dc "$f" | strings -a ;;
	*.ko.gz) gzip -dc "$f" | strings -a ;;
	*) strings -a "$f" ;;
	esac | sed -n 's/^depends=//p' | head -n1 | tr ',' ' '
}
mod_add() {
	local name=${1//-/_} p d
	[[ -n ${MODSEEN[$name]:-} ]] && return 0
	MODSEEN[$name]=1
	p=${MODPATH[$name]:-}
	if [[ -z $p ]]; then
		grep -qE "/${name//_/[-_]}\.ko" "$MODDIR/modules.builtin" && return 0
		die "module $name neither built in nor found in $MODDIR"
	fi
	for d in $(mod_depends "$p"); do mod_add "$d"; done
	MODORDER+=("$p")
}

# install_modules ROOT: copy the closure, decompressed, and write the load order
install_modules() {
	local root=$1 p dst
	mkdir -p "$root/lib/modules" "$root/etc/kcatch"
	: >"$root/etc/kcatch/modules"
	for p in "${MODORDER[@]}"; do
		dst=${p##*/}
		dst=${dst%.xz}
		dst=${dst%.zst}
		dst=${dst%.gz}
		case $p in
		*.xz) xz -dc "$MODDIR/$p" >"$root/lib/modules/$dst" ;;
		*.zst) zstd -qdc "$MODDIR/$p" >"$root/lib/modules/$dst" ;;
		*.gz) gzip -dc "$MODDIR/$p" >"$root/lib/modules/$dst" ;;
		*) cp "$MODDIR/$p" "$root/lib/modules/$dst" ;;
		esac
		echo "$dst" >>"$root/etc/kcatch/modules"
	done
}

# --- initramfs ------------------------------------------------------------------

base_root() {
	local root=$1 applet
	mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,mnt,boot,etc/kcatch,lib/modules}
	cp "$BUSYBOX" "$root/bin/busybox"
	for applet in $(busybox_list); do
		[[ $applet == busybox ]] || ln -sf busybox "$root/bin/$applet"
	done
	mknod -m 600 "$root/dev/console" c 5 1
	mknod -m 666 "$root/dev/null" c 1 3
	install_modules "$root"
}

# copy_elf ROOT BINARY: the binary plus its shared-library closure and loader
copy_elf() {
	local root=$1 bin=$2 lib
	mkdir -p "$root$(dirname "$bin")"
	cp -L "$bin" "$root$bin"
	for lib in $(ldd "$bin" | awk '/=> \// { print $3 } /^\t\// { print $1 }'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

mkcpio() { (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -6 >"$2"; }

log "$NAME: building initramfs images for $KVER (modules from $MODDIR)"
index_modules
mod_add virtio_pci
mod_add virtio_blk
log "module load order: ${MODORDER[*]:-(all built in)}"

"$GUEST_CC" -static -O2 -Wall -Wextra -o "$WORK/kcwork" "$REAL_DIR/guest/kcwork.c"

if [[ $ARCH == arm64 ]]; then CONSOLE=ttyAMA0; else CONSOLE=ttyS0,115200; fi
CAPTURE_CMDLINE="console=$CONSOLE irqpoll nr_cpus=1 reset_devices panic=1 oops=panic"
CAP="$WORK/capture-root"
base_root "$CAP"
install -m 755 "$REAL_DIR/guest/init-capture.sh" "$CAP/init"
mkcpio "$CAP" "$WORK/capture.img"

FIRST="$WORK/first-root"
base_root "$FIRST"
install -m 755 "$REAL_DIR/guest/init-first.sh" "$FIRST/init"
install -m 755 "$WORK/kcwork" "$FIRST/bin/kcwork"
if [[ $ARCH == arm64 ]]; then
	# The cloud-arm64 kernels have no kexec_file_load (CONFIG_KEXEC_FILE is
	# off): the shared init's "kexec -s -p" becomes kexec_load, which the
	# static kexec-tools does in user space.
	install -D -m 755 "$KEXEC" "$FIRST/usr/sbin/kexec.bin"
	cat >"$FIRST/sbin/kexec" <<-'EOF'
		#!/bin/sh
		# kexec_load instead of kexec_file_load (written by capture-vmcore.sh)
		for a; do shift; [ "$a" = -s ] || set -- "$@" "$a"; done
		# kexec-tools 2.0.29 finds the linear map from _text in /proc/kallsyms,
		# which 6.1 does not list: _text is _stext (64 KiB above it) rounded
		# down to the 2 MiB the image is aligned to
		if ! grep -q ' _text$' /proc/kallsyms; then
			s=$(grep -m1 ' _stext$' /proc/kallsyms | cut -d' ' -f1)
			printf '%s%06x T _text\n' "${s%??????}" $((0x${s#??????????} & 0xe00000)) >/tmp/kallsyms
			cat /proc/kallsyms >>/tmp/kallsyms
			mount --bind /tmp/kallsyms /proc/kallsyms
			echo "KCATCH: /proc/kallsyms has no _text: $(head -n1 /tmp/kallsyms) from _stext $s for kexec"
		fi
		exec /usr/sbin/kexec.bin "$@"
	EOF
	chmod 755 "$FIRST/sbin/kexec"
else
	copy_elf "$FIRST" /usr/sbin/kexec
	ln -sf ../usr/sbin/kexec "$FIRST/sbin/kexec"
fi
cp "$VMLINUZ" "$FIRST/boot/vmlinuz"
cp "$WORK/capture.img" "$FIRST/boot/capture.img"
echo "$CAPTURE_CMDLINE" >"$FIRST/etc/kcatch/capture-cmdline"
mkcpio "$FIRST" "$WORK/first.img"
log "initramfs: first $(du -h "$WORK/first.img" | cut -f1), capture $(du -h "$WORK/capture.img" | cut -f1)"

# --- run ------------------------------------------------------------------------

FIRST_CMDLINE="console=$CONSOLE crashkernel=$CRASHKERNEL panic=5 loglevel=7"
DUMPIMG="$OUT/vmcore.partial"
# shellcheck disable=SC2054 # commas are QEMU option syntax
if [[ $ARCH == arm64 ]]; then
	# pauth-impdef: QEMU's own pointer-authentication hash, much faster under
	# TCG than the architected QARMA5; the kernel cannot tell
	if [[ $VA == 52 ]]; then CPU=max,pauth-impdef=on; else CPU=max,pauth-impdef=on,lpa2=off; fi
	QEMU_SYSTEM=qemu-system-aarch64
	QEMU=(qemu-system-aarch64 -accel tcg -machine virt,gic-version=3 -cpu "$CPU" -smp "$SMP" -m "$MEM")
else
	if [[ $PAGING == 5 ]]; then CPU=max; else CPU=max,la57=off; fi
	QEMU_SYSTEM=qemu-system-x86_64
	QEMU=(qemu-system-x86_64 -accel tcg -machine pc -cpu "$CPU" -smp "$SMP" -m "$MEM")
fi
# shellcheck disable=SC2054 # commas are QEMU option syntax
QEMU+=(-nodefaults -no-user-config -display none -monitor none -no-reboot
	-serial "file:$OUT/console.log"
	-kernel "$VMLINUZ" -initrd "$WORK/first.img" -append "$FIRST_CMDLINE"
	-drive "file=$WORK/scratch.img,format=raw,if=none,id=scratch"
	-device virtio-blk-pci,drive=scratch,serial=kcscratch
	-drive "file=$DUMPIMG,format=raw,if=none,id=dump"
	-device virtio-blk-pci,drive=dump,serial=kcdump)

# attempt: fresh disks, boot, crash, capture, cut the image to the vmcore;
# on failure show the console and set FAIL_REASON
FAIL_REASON=''
attempt_fail() {
	echo "---- last 40 lines of $OUT/console.log ----" >&2
	tail -n 40 "$OUT/console.log" >&2 || true
	echo "---- qemu output ----" >&2
	cat "$WORK/qemu.out" >&2 || true
	rm -f "$DUMPIMG"
	FAIL_REASON=$*
	return 1
}
attempt() {
	local rc=0 t0
	truncate -s 0 "$WORK/scratch.img"
	truncate -s $((MEM_MIB / 4 + 128))M "$WORK/scratch.img"
	mkfs.ext4 -q -F -L kcscratch "$WORK/scratch.img"
	rm -f "$DUMPIMG"
	truncate -s $((MEM_MIB + 64))M "$DUMPIMG"
	log "$NAME: booting under QEMU TCG (cpu $CPU, smp $SMP, mem $MEM, timeout ${QEMU_TIMEOUT}s)"
	t0=$(now)
	timeout --kill-after=10 "$QEMU_TIMEOUT" "${QEMU[@]}" </dev/null >"$WORK/qemu.out" 2>&1 || rc=$?
	QEMU_SECS=$(elapsed "$t0")
	((rc != 124 && rc != 137)) || { attempt_fail "QEMU timed out after ${QEMU_TIMEOUT}s"; return; }
	((rc == 0)) || { attempt_fail "QEMU exited with status $rc"; return; }
	if grep -q 'KCATCH: FAIL' "$OUT/console.log"; then
		attempt_fail "guest reported: $(grep -m1 'KCATCH: FAIL' "$OUT/console.log" | tr -d '\r')"
		return
	fi
	grep -q 'KCATCH: CAPTURE-DONE' "$OUT/console.log" || { attempt_fail "capture kernel did not finish"; return; }
	log "$NAME: QEMU done in ${QEMU_SECS}s"
	GUEST_SIZE=$(sed -n 's/.*KCATCH: CAPTURE-DONE vmcore_size=\([0-9]*\).*/\1/p' "$OUT/console.log" | head -n1)
	LEN=$(/usr/bin/python3 "$REAL_DIR/elfcore.py" length "$DUMPIMG") ||
		{ attempt_fail "dump disk does not hold an ELF vmcore"; return; }
	[[ $LEN == "$GUEST_SIZE" ]] || { attempt_fail "ELF length $LEN differs from /proc/vmcore size $GUEST_SIZE"; return; }
}

QEMU_SECS=0 LEN=0 GUEST_SIZE=0
if ! attempt; then
	first=$FAIL_REASON
	cp "$OUT/console.log" "$OUT/console.try1.log"
	warn "$NAME: $first; QEMU TCG rarely faults in a guest: trying once more (console in $OUT/console.try1.log)"
	if ! attempt; then
		echo "$NAME: failed twice on $(date -u +%F): first: $first; second: $FAIL_REASON" >"$OUT/.boot-failed"
		DIE_STATUS=3 die "$(cat "$OUT/.boot-failed")"
	fi
	warn "$NAME: the second try worked; the first failed with: $first"
fi

# --- extract and verify -----------------------------------------------------------

console_fail() {
	echo "---- last 40 lines of $OUT/console.log ----" >&2
	tail -n 40 "$OUT/console.log" >&2 || true
	rm -f "$DUMPIMG"
	die "$NAME: $*"
}
# the workload must have made the large folios the filter tests are about
anon_huge=$(tr -d '\r' <"$OUT/console.log" | sed -n 's/.*KCATCH: meminfo AnonHugePages: *\([0-9]*\) kB.*/\1/p' | head -n1)
[[ ${anon_huge:-0} -gt 0 ]] || console_fail "the workload made no anonymous transparent huge page (AnonHugePages ${anon_huge:-missing})"
truncate -s "$LEN" "$DUMPIMG"
fallocate --dig-holes "$DUMPIMG" 2>/dev/null || true
/usr/bin/python3 "$REAL_DIR/elfcore.py" vmcoreinfo "$DUMPIMG" >"$OUT/vmcoreinfo.txt"
SUMMARY=$(/usr/bin/python3 "$REAL_DIR/elfcore.py" summary "$DUMPIMG")
if [[ $ARCH == arm64 ]]; then
	# the VA size the kernel runs with: 64 - TCR_EL1_T1SZ (5.14+ export it),
	# else the configured VA_BITS
	t1sz=$(sed -n 's/^NUMBER(TCR_EL1_T1SZ)=//p' <<<"$SUMMARY")
	va_bits=$(sed -n 's/^NUMBER(VA_BITS)=//p' <<<"$SUMMARY")
	[[ -n $t1sz ]] && va_bits=$((64 - t1sz))
	[[ $va_bits == "$VA" ]] ||
		console_fail "VMCOREINFO says the kernel ran with ${va_bits:-unknown}-bit VA (TCR_EL1_T1SZ=${t1sz:-none}), wanted $VA"
else
	l5=$(sed -n 's/^NUMBER(pgtable_l5_enabled)=//p' <<<"$SUMMARY")
	case $PAGING:$l5 in
	4:0 | 5:1) ;;
	*) console_fail "VMCOREINFO says pgtable_l5_enabled=$l5, wanted $PAGING-level paging" ;;
	esac
fi

T1=$(now)
rc=0
if [[ $READER == crash ]]; then
	READER_ID="crash $CRASH $("$CRASH" --version | awk 'NF { print $2; exit }')"
	log "$NAME: checking with $READER_ID and $VMLINUX"
	printf '%s\n' sys bt log exit >"$WORK/crash.cmd"
	timeout --kill-after=10 "$CRASH_TIMEOUT" "$CRASH" -s "$VMLINUX" "$DUMPIMG" -i "$WORK/crash.cmd" \
		</dev/null >"$OUT/crash.txt" 2>&1 || rc=$?
	reader_ok=1
	((rc == 0)) || reader_ok=0
	grep -qE 'PANIC: .*sysrq' "$OUT/crash.txt" || reader_ok=0
	grep -q 'sysrq_handle_crash' "$OUT/crash.txt" || reader_ok=0
	READER_OUT=$OUT/crash.txt
else
	READER_ID="drgn $SIDPY ($(tr '\n' ' ' <"$KCATCH_CACHE/tools/sid/.complete" | sed 's/ $//'))"
	log "$NAME: checking with $READER_ID and $VMLINUX"
	timeout --kill-after=10 "$CRASH_TIMEOUT" "$SIDPY" "$REAL_DIR/drgn-check.py" "$VMLINUX" "$DUMPIMG" \
		</dev/null >"$OUT/drgn.txt" 2>&1 || rc=$?
	reader_ok=1
	((rc == 0)) || reader_ok=0
	grep -q '^  frame sysrq_handle_crash' "$OUT/drgn.txt" || reader_ok=0
	grep -q '^panic Kernel panic - not syncing: sysrq triggered crash' "$OUT/drgn.txt" || reader_ok=0
	grep -q '^tasks [1-9]' "$OUT/drgn.txt" || reader_ok=0
	READER_OUT=$OUT/drgn.txt
fi
CRASH_SECS=$(elapsed "$T1")
if ((reader_ok == 0)); then
	tail -n 40 "$READER_OUT" >&2
	die "$NAME: $READER could not read the vmcore (status $rc, output in $READER_OUT)"
fi

mv "$DUMPIMG" "$OUT/vmcore"
PANIC_LINE=$(grep -a -m1 'Kernel panic - not syncing' "$OUT/console.log" | tr -d '\r' || true)
{
	echo "name=$NAME"
	echo "kernel_alias=$ALIAS"
	echo "kernel_release=$KVER"
	echo "kernel_package=$(sed -n 's/^package=//p' "$KDIR/.complete") $(sed -n 's/^version=//p' "$KDIR/.complete")"
	echo "vmlinux=$(readlink -f "$VMLINUX")"
	echo "arch=$ARCH"
	if [[ $ARCH == arm64 ]]; then echo "va=$VA"; else echo "paging=$PAGING"; fi
	echo "cpu=$CPU"
	echo "mem=$MEM"
	echo "smp=$SMP"
	echo "crashkernel=$CRASHKERNEL"
	echo "first_cmdline=$FIRST_CMDLINE"
	echo "capture_cmdline=$CAPTURE_CMDLINE"
	echo "panic_line=$PANIC_LINE"
	echo "vmcore=$OUT/vmcore"
	echo "vmcore_bytes=$LEN"
	echo "vmcore_disk_usage=$(du -h "$OUT/vmcore" | cut -f1)"
	echo "$SUMMARY"
	echo "qemu_seconds=$QEMU_SECS"
	echo "reader_check_seconds=$CRASH_SECS"
	if [[ $READER == crash ]]; then echo "crash=${READER_ID#crash }"; fi
	echo "reader=$READER_ID"
	echo "anon_huge_kb=$anon_huge"
	echo "workload=$WORKLOAD"
	echo "captured_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "qemu_version=$("$QEMU_SYSTEM" --version | head -n1)"
} >"$OUT/info.txt"
echo "workload=$WORKLOAD" >"$OUT/.complete"
log "$NAME: OK: $OUT/vmcore ($LEN bytes), QEMU ${QEMU_SECS}s, $READER check ${CRASH_SECS}s"
cat "$OUT/info.txt"
