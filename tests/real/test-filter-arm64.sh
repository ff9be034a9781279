#!/bin/bash
# kcatch-filter on a real arm64 vmcore (a Debian cloud-arm64 kernel crashed
# under qemu-system-aarch64 -M virt, TCG), checked like the x86_64 ones in
# test-filter.sh, by readers that run on this x86_64 host:
#   - kdump-verify: structure, and every dumped page byte-identical to the vmcore
#   - makedumpfile: sid's 1.7.8 (the newest, the first that knows 6.12's
#     page types), the :arm64 build under qemu-user: pages kept at -d 31
#     within 0.5% of it; it reads kcatch's dump (refilter -d 1 -> -d 31)
#     and kcatch's flattened stream (-R); its --dump-dmesg and
#     --partial-dmesg are identical to kcatch's
#   - crash: trixie's 8.0.6 for arm64 under qemu-user: sys, bt, ps, log and
#     kmem -s identical on the vmcore and the -z -d 31 dump; --split parts
#     read together as the vmcore
#   - drgn (sid's, native: drgn reads foreign-architecture vmcores): release,
#     backtrace, tasks, log, slab caches and allocated objects identical on
#     the vmcore and the -z and -E dumps
#   - folio-check.py: user and page-cache folio pages left under 1%
#   - kcatch re-reads its own zstd dump; --reassemble; -F | -R
# KCATCH_ARM64_CRASH=0 leaves out the crash rows (each crash session under
# qemu-user costs minutes of CPU), saying so.
# Until the filter has an arm64 arch module, kcatch-filter refuses the
# vmcore ("... is not supported"): the test then skips with its message.
#
#   test-filter-arm64.sh --kernel 6.1-arm64|6.12-arm64 --va 48|52 --build BUILDDIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"

KERNEL='' VA='' BUILD=''
while (($#)); do
	case $1 in
	--kernel) KERNEL=$2; shift ;;
	--va) VA=$2; shift ;;
	--build) BUILD=$(cd "$2" && pwd); shift ;;
	*) die "unknown argument $1" ;;
	esac
	shift
done
[[ $KERNEL == *-arm64 && -n $VA && -n $BUILD ]] ||
	die "usage: $0 --kernel 6.1-arm64|6.12-arm64 --va 48|52 --build DIR"
need_cmd /usr/bin/python3 qemu-aarch64-static
KF=$BUILD/filter/kcatch-filter
KV=$BUILD/tests/tools/kdump-verify
[[ -x $KF && -x $KV ]] || die "build $BUILD first (kcatch-filter and kdump-verify)"

skip_all() { echo "1..0 # SKIP $*"; exit 0; }
"$REAL_DIR/fetch-kernels.sh" "$KERNEL" arm64tools arm64guest sidtools >&2
"$REAL_DIR/capture-vmcore.sh" --kernel "$KERNEL" --va "$VA" >&2 ||
	die "capture of $KERNEL va$VA failed (status $?)"
KVER=$(kernel_kver "$KERNEL")
V=$KCATCH_CACHE/vmcores/$KVER-va$VA-1G
VMCORE=$V/vmcore
VMLINUX=$(sed -n 's/^vmlinux=//p' "$V/info.txt")
[[ -f $VMCORE && -f $VMLINUX ]] || die "no vmcore or vmlinux for $KVER va$VA"
SIDPY=$(sid_python)
MDF=$KCATCH_CACHE/tools/bin/arm64-sid-makedumpfile
MDF_VER=$(sed -n 's/^makedumpfile=//p' "$KCATCH_CACHE/tools/arm64-sid/.complete")
# crash-compare.sh and crash_bin take crash from KCATCH_CRASH
KCATCH_CRASH=$(crash_bin arm64)
# a crash session under qemu-user takes minutes (gdb reads the vmlinux's
# DWARF emulated)
KCATCH_CRASH_TIMEOUT=${KCATCH_CRASH_TIMEOUT:-2400}
export KCATCH_CRASH KCATCH_CRASH_TIMEOUT
USE_CRASH=${KCATCH_ARM64_CRASH:-1}
CRASH_VER=$(sed -n 's/^crash=//p' "$KCATCH_CACHE/tools/arm64-trixie/.complete")

W=$(mktemp -d "$KCATCH_CACHE/tmp/test-filter-arm64.XXXXXX")
trap 'rm -rf "$W"' EXIT
. "$(dirname "$0")/../e2e/lib-tap.sh"
dumped() { "$KV" "$@" | sed -n 's/.*dumped \([0-9]*\).*/\1/p' | head -1; }
finish() { tap_finish; exit; }

echo "# $KVER, ${VA}-bit VA ($(sed -n 's/^cpu=//p' "$V/info.txt")), $(stat -c %s "$VMCORE") bytes vmcore;" \
	"crash $CRASH_VER and makedumpfile $MDF_VER (arm64, qemu-user), drgn $(sed -n 's/^drgn=//p' "$KCATCH_CACHE/tools/sid/.complete")"

# 1. the filter, or the skip while it has no arm64 arch module
t0=$(now)
if ! "$KF" -l -d 31 --message-level 4 "$VMCORE" "$W/k.l31" 2>"$W/kf.err"; then
	if grep -q 'is not supported' "$W/kf.err"; then
		skip_all "kcatch-filter does not support this vmcore's architecture yet: $(head -n1 "$W/kf.err")"
	fi
	cat "$W/kf.err" >&2
	die "kcatch-filter -l -d 31 failed on $VMCORE"
fi
tk=$(elapsed "$t0")
kd=$(dumped "$W/k.l31")
echo "# pages kept at -d 31 by kcatch: $kd, ${tk}s, -l $(stat -c %s "$W/k.l31") bytes"
check "kdump-verify: -l -d 31 dump is well formed and every page equals the vmcore's" \
	"$KV" --quiet --vmcore "$VMCORE" "$W/k.l31"

t0=$(now)
# (its default message level: the reason it refuses a vmcore is in the log)
"$MDF" -l -d 31 "$VMCORE" "$W/m.l31" >"$W/mdf.log" 2>&1 || true
tm=$(elapsed "$t0")
# makedumpfile 1.7.8 knows no 52-bit VA with 4K pages (LPA2, 6.9+), and
# goes by VA_BITS, so it refuses trixie's 6.12 even when it runs with 48
# bits: it says so ("VA Bits 52 not supported"), and its checks are skipped
MDF_OK=1 MDF_WHY=''
if [[ ! -s $W/m.l31 ]] && grep -q 'not supported' "$W/mdf.log"; then
	MDF_OK=0 MDF_WHY="makedumpfile $MDF_VER cannot read this vmcore: $(grep -m1 'not supported' "$W/mdf.log")"
	echo "# $MDF_WHY"
	skip "pages kept at -d 31 agree with makedumpfile $MDF_VER within 0.5%" "$MDF_WHY"
elif [[ -s $W/m.l31 ]]; then
	md=$(dumped "$W/m.l31")
	echo "# pages kept at -d 31 by makedumpfile $MDF_VER (arm64): $md, ${tm}s, -l $(stat -c %s "$W/m.l31") bytes"
	check "pages kept at -d 31 agree with makedumpfile $MDF_VER within 0.5% ($kd vs $md)" \
		awk -v a="$kd" -v b="$md" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(b > 0 && d / b <= 0.005) }'
	if cmp -s "$W/k.l31" "$W/m.l31"; then
		echo "# -l -d 31 output is byte-identical to makedumpfile $MDF_VER's"
	else
		echo "# -l -d 31 output differs from makedumpfile $MDF_VER's (recorded, not asserted)"
	fi
else
	not_ok "makedumpfile $MDF_VER (arm64) wrote no -l -d 31 dump: $(tail -n1 "$W/mdf.log")"
fi

# user and page-cache folios, tail pages included, must be out of the dump
rc=0
"$SIDPY" "$REAL_DIR/folio-check.py" "$VMLINUX" "$VMCORE" "$W/k.l31" >"$W/folio.out" 2>&1 || rc=$?
cat "$W/folio.out"
folio_line=$(sed -n 's/^# user + page-cache folio pages in the dump: \([0-9]*\) = \([0-9.]*%\).*/\1 pages, \2/p' "$W/folio.out")
if ((rc == 0)); then
	ok "folio-check (sid's drgn): user and page-cache folio pages left in the -d 31 dump: ${folio_line} of those kept (< 1%)"
else
	not_ok "folio-check (sid's drgn): user and page-cache folio pages left in the -d 31 dump: ${folio_line:-unknown (status $rc)} of those kept, want < 1%"
fi

# 2. zstd and ELF: crash and drgn read them as the vmcore
"$KF" -z -d 31 --message-level 4 "$VMCORE" "$W/k.z31"
echo "# -z -d 31: kcatch $(stat -c %s "$W/k.z31") bytes"
check "kdump-verify: -z -d 31" "$KV" --quiet --vmcore "$VMCORE" "$W/k.z31"
if ((USE_CRASH)); then
	check "crash $CRASH_VER (arm64) prints the same sys, bt, ps, log, kmem -s for the -z -d 31 dump as for the vmcore" \
		"$REAL_DIR/crash-compare.sh" --commands "sys,bt,ps,log,kmem -s" "$VMLINUX" "$VMCORE" "$W/k.z31"
else
	skip "crash $CRASH_VER (arm64) reads the -z -d 31 dump as the vmcore" "KCATCH_ARM64_CRASH=0"
fi
env -u MALLOC_PERTURB_ "$SIDPY" "$REAL_DIR/drgn-check.py" "$VMLINUX" "$VMCORE" >"$W/drgn.vmcore" 2>&1 || true
drgn_reads_same() {  # LABEL DUMP
	env -u MALLOC_PERTURB_ "$SIDPY" "$REAL_DIR/drgn-check.py" "$VMLINUX" "$2" >"$W/drgn.dump" 2>&1 || true
	check "drgn reads the $1 dump as the vmcore ($(grep -c '^  task ' "$W/drgn.vmcore") tasks, $(grep -c '^  log ' "$W/drgn.vmcore") last log records, $(sed -n 's/^slab caches //p' "$W/drgn.vmcore") slab caches, allocated objects, backtrace)" \
		bash -c "grep -q '^tasks [1-9]' '$W/drgn.vmcore' && grep -q '^slab caches [1-9]' '$W/drgn.vmcore' &&
			grep -q '^panic Kernel panic' '$W/drgn.vmcore' && diff '$W/drgn.vmcore' '$W/drgn.dump'"
}
drgn_reads_same "-z -d 31" "$W/k.z31"
check "drgn unwinds the crashed thread through sysrq_handle_crash" grep -q '^  frame sysrq_handle_crash' "$W/drgn.vmcore"
"$KF" -E -d 31 --message-level 4 "$VMCORE" "$W/k.e31"
drgn_reads_same "ELF -E -d 31" "$W/k.e31"
rm -f "$W/k.e31"

# 3. makedumpfile reads kcatch's dump: refilter a -d 1 dump to -d 31
"$KF" -l -d 1 --message-level 4 "$VMCORE" "$W/k.l1"
if ((MDF_OK)); then
	check "makedumpfile $MDF_VER (arm64) refilters a kcatch dump (-d 1 -> -d 31)" \
		"$MDF" -l -d 31 --message-level 0 "$W/k.l1" "$W/r.l31"
	check "kdump-verify: makedumpfile's refiltered dump of kcatch's dump" \
		"$KV" --quiet --vmcore "$VMCORE" "$W/r.l31"
else
	skip "makedumpfile $MDF_VER (arm64) refilters a kcatch dump (-d 1 -> -d 31)" "$MDF_WHY"
fi

# 4. kcatch reads kdump-compressed input too: refilter its own zstd -d 1 dump
"$KF" -z -d 1 --message-level 4 "$VMCORE" "$W/k.z1"
check "kcatch refilters a kcatch dump (-z -d 1 -> -l -d 31) to its direct -d 31 dump" \
	bash -c "'$KF' -l -d 31 --message-level 4 '$W/k.z1' '$W/kr.l31' && cmp '$W/kr.l31' '$W/k.l31'"
rm -f "$W/k.z1" "$W/kr.l31" "$W/k.l1" "$W/r.l31"

# 5. flattened: kcatch's and makedumpfile's -R rebuild the direct dump
"$KF" -F -l -d 31 --message-level 4 "$VMCORE" >"$W/k.flat"
check "kcatch-filter -R of its -F -l -d 31 stream is the direct dump" \
	bash -c "'$KF' -R '$W/kf.l31' <'$W/k.flat' && cmp '$W/kf.l31' '$W/k.l31'"
check "makedumpfile $MDF_VER -R of kcatch's -F stream is the direct dump" \
	bash -c "'$MDF' -R '$W/mf.l31' <'$W/k.flat' >/dev/null 2>&1 && cmp '$W/mf.l31' '$W/k.l31'"
rm -f "$W/k.flat" "$W/kf.l31" "$W/mf.l31"

# 6. --split: crash opens the parts together; --reassemble gives the direct file
"$KF" --split -l -d 31 --message-level 4 "$VMCORE" "$W/s1" "$W/s2" "$W/s3"
if ((USE_CRASH)); then
	printf 'bt\nlog\nexit\n' >"$W/split.cmd"
	timeout --kill-after=10 "$KCATCH_CRASH_TIMEOUT" "$KCATCH_CRASH" -s "$VMLINUX" "$W/s1" "$W/s2" "$W/s3" -i "$W/split.cmd" </dev/null 2>&1 |
		grep -v DUMPFILE >"$W/split.parts" || true
	timeout --kill-after=10 "$KCATCH_CRASH_TIMEOUT" "$KCATCH_CRASH" -s "$VMLINUX" "$VMCORE" -i "$W/split.cmd" </dev/null 2>&1 |
		grep -v DUMPFILE >"$W/split.vmcore" || true
	check "crash reads 3 --split parts together as the vmcore (bt, log: $(grep -c '' "$W/split.vmcore") lines)" \
		bash -c "grep -q sysrq '$W/split.vmcore' && diff '$W/split.vmcore' '$W/split.parts'"
else
	skip "crash reads 3 --split parts together as the vmcore" "KCATCH_ARM64_CRASH=0"
fi
check "--reassemble of the parts is identical to the direct -l -d 31 dump" \
	bash -c "'$KF' --reassemble --message-level 4 '$W/s3' '$W/s1' '$W/s2' '$W/ra' && cmp '$W/ra' '$W/k.l31'"
rm -f "$W"/s[123] "$W/ra"

# 7. the kernel log, as makedumpfile prints it (whole, and from clear_seq on)
"$KF" --dump-dmesg --message-level 4 "$VMCORE" "$W/k.dmesg"
"$KF" --dump-dmesg --partial-dmesg --message-level 4 "$VMCORE" "$W/k.pdmesg"
check "the log holds the panic" grep -q 'Kernel panic - not syncing: sysrq triggered crash' "$W/k.dmesg"
if ((MDF_OK)); then
	"$MDF" --dump-dmesg "$VMCORE" "$W/m.dmesg" >/dev/null 2>&1 || true
	"$MDF" --dump-dmesg --partial-dmesg "$VMCORE" "$W/m.pdmesg" >/dev/null 2>&1 || true
	check "--dump-dmesg is identical to makedumpfile $MDF_VER's ($(grep -c '' "$W/k.dmesg") lines)" cmp "$W/k.dmesg" "$W/m.dmesg"
	check "--partial-dmesg is identical to makedumpfile $MDF_VER's ($(grep -c '' "$W/k.pdmesg") lines)" cmp "$W/k.pdmesg" "$W/m.pdmesg"
else
	# drgn's log of the vmcore ends like kcatch's (drgn-check.py prints the tail)
	skip "--dump-dmesg and --partial-dmesg identical to makedumpfile $MDF_VER's" "$MDF_WHY"
fi
finish
