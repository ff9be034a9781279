#!/bin/bash
# kcatch-filter on a real vmcore of a Debian kernel crashed under QEMU,
# checked by independent readers:
#   - kdump-verify: structure, and every dumped page byte-identical to the vmcore
#   - folio-check.py (sid's drgn walks the vmcore's mem_map, the dump's
#     bitmap is read from the file): the pages of user and page-cache folios,
#     tail pages included, left in the -d 31 dump are under 1% of those kept
#   - makedumpfile 1.7.2: pages kept at -d 31 (5.10, 6.1: within 0.5% and
#     byte-identical -l/-c output; 6.12: kcatch must exclude at least as
#     much, 1.7.2 predates 6.12); sid's 1.7.8: pages kept and dump size,
#     recorded only (it drops pages the kernel needs on 7.x)
#   - crash: sys, bt, ps, log identical on the vmcore and on the dump
#   - drgn: release, backtrace, task list, log, slab caches and the objects
#     allocated in some of them identical (slab pages must not be dropped)
#   - makedumpfile re-reads a kcatch dump (refilter) and the result verifies;
#     kcatch re-reads its own zstd dump the same way
#   - --dump-dmesg and --partial-dmesg identical to makedumpfile's
# 5.10 (bullseye, the first lockless printk ring) runs a short set that
# keeps CI time down: the makedumpfile identities, the kernel log, and
# crash on the -l -d 31 dump against crash on the vmcore at capture time.
# sid and exp (7.x): Debian's crash cannot open their vmcores, so sid's
# drgn is the reader (tasks, log, slab caches, backtrace), and sid's
# makedumpfile 1.7.8 stands in where makedumpfile reads kcatch's output.
# exp skips (TAP "1..0 # SKIP", with the reason) when experimental has no
# cloud kernel or it does not boot, crash and capture under QEMU twice.
#
#   test-filter.sh --kernel 5.10|6.1|6.12|sid|exp --paging 4|5 --build BUILDDIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"

KERNEL='' PAGING='' BUILD=''
while (($#)); do
	case $1 in
	--kernel) KERNEL=$2; shift ;;
	--paging) PAGING=$2; shift ;;
	--build) BUILD=$(cd "$2" && pwd); shift ;;
	*) die "unknown argument $1" ;;
	esac
	shift
done
[[ -n $KERNEL && -n $PAGING && -n $BUILD ]] || die "usage: $0 --kernel 5.10|6.1|6.12|sid|exp --paging 4|5 --build DIR"
need_cmd makedumpfile /usr/bin/python3
KF=$BUILD/filter/kcatch-filter
KV=$BUILD/tests/tools/kdump-verify
[[ -x $KF && -x $KV ]] || die "build $BUILD first (kcatch-filter and kdump-verify)"

skip_all() { echo "1..0 # SKIP $*"; exit 0; }
"$REAL_DIR/fetch-kernels.sh" "$KERNEL" tools sidtools >&2
if [[ $KERNEL == exp && -f $KCATCH_CACHE/kernels/exp.absent ]]; then
	skip_all "no experimental kernel to test: $(cat "$KCATCH_CACHE/kernels/exp.absent")"
fi
rc=0
"$REAL_DIR/capture-vmcore.sh" --kernel "$KERNEL" --paging "$PAGING" >&2 || rc=$?
if ((rc == 3)) && [[ $KERNEL == exp ]]; then
	skip_all "experimental's kernel did not boot, crash and capture under QEMU: $(cat "$KCATCH_CACHE/vmcores/$(kernel_kver exp)-l$PAGING-1G/.boot-failed" 2>/dev/null || echo 'see the capture-vmcore.sh lines above')"
fi
((rc == 0)) || die "capture of $KERNEL l$PAGING failed (status $rc)"
KVER=$(kernel_kver "$KERNEL")
V=$KCATCH_CACHE/vmcores/$KVER-l$PAGING-1G
VMCORE=$V/vmcore
VMLINUX=$(sed -n 's/^vmlinux=//p' "$V/info.txt")
[[ -f $VMCORE && -f $VMLINUX ]] || die "no vmcore or vmlinux for $KVER l$PAGING"
READER=$(kernel_reader "$KVER")
SIDPY=$(sid_python)
SIDMDF=$KCATCH_CACHE/tools/bin/sid-makedumpfile
SIDMDF_VER=$(sed -n 's/^makedumpfile=//p' "$KCATCH_CACHE/tools/sid/.complete")
# makedumpfile where it reads kcatch's output and prints the log: Debian
# 12's 1.7.2 up to 6.x, sid's for 7.x (1.7.2 knows nothing of 7.x)
if [[ $READER == drgn ]]; then
	MDF=$SIDMDF MDF_VER=$SIDMDF_VER
else
	MDF=makedumpfile MDF_VER=$(makedumpfile -v 2>&1 | awk '/^makedumpfile: version/ { print $3; exit }')
fi

W=$(mktemp -d "$KCATCH_CACHE/tmp/test-filter.XXXXXX")
trap 'rm -rf "$W"' EXIT
. "$(dirname "$0")/../e2e/lib-tap.sh"
dumped() { "$KV" "$@" | sed -n 's/.*dumped \([0-9]*\).*/\1/p' | head -1; }

echo "# $KVER, ${PAGING}-level paging, $(stat -c %s "$VMCORE") bytes vmcore; reader: $READER"
# makedumpfile 1.7.2 (bookworm) knows these kernels' page layouts exactly
mdf_exact=0
[[ $KERNEL = 5.10 || $KERNEL = 6.1 ]] && mdf_exact=1

# The kernel log, as makedumpfile prints it (whole, and from clear_seq on).
# Caller ids ("[    T123] ") are kcatch-filter's default, as in makedumpfile
# 1.7.5+; against an older makedumpfile, kcatch's --classic-dmesg is compared.
dmesg_checks() {
	local ring=lockless classic=() form="with caller ids"
	grep -q '^SYMBOL(prb)=' "$V/vmcoreinfo.txt" || ring=log_buf
	if [[ $(printf '%s\n' "$MDF_VER" 1.7.5 | sort -V | head -1) != 1.7.5 ]]; then
		classic=(--classic-dmesg) form="classic form"
	fi
	"$KF" --dump-dmesg "${classic[@]}" --message-level 4 "$VMCORE" "$W/k.dmesg"
	"$MDF" --dump-dmesg "$VMCORE" "$W/m.dmesg" >/dev/null 2>&1
	"$KF" --dump-dmesg --partial-dmesg "${classic[@]}" --message-level 4 "$VMCORE" "$W/k.pdmesg"
	"$MDF" --dump-dmesg --partial-dmesg "$VMCORE" "$W/m.pdmesg" >/dev/null 2>&1
	check "--dump-dmesg ($form) is identical to makedumpfile $MDF_VER's ($ring ring, $(grep -c '' "$W/k.dmesg") lines)" \
		cmp "$W/k.dmesg" "$W/m.dmesg"
	check "the log holds the panic" grep -q 'Kernel panic - not syncing: sysrq triggered crash' "$W/k.dmesg"
	check "--partial-dmesg is identical to makedumpfile $MDF_VER's ($(grep -c '' "$W/k.pdmesg") lines)" \
		cmp "$W/k.pdmesg" "$W/m.pdmesg"
}

finish() { tap_finish; exit; }

# 1. the filter and makedumpfile on the same input (Debian 12's 1.7.2 up to
# 6.x; on 7.x only sid's 1.7.8, below)
t0=$(now); "$KF" -l -d 31 --message-level 4 "$VMCORE" "$W/k.l31"; tk=$(elapsed "$t0")
kd=$(dumped "$W/k.l31")
echo "# pages kept at -d 31 by kcatch: $kd, ${tk}s, -l $(stat -c %s "$W/k.l31") bytes"
check "kdump-verify: -l -d 31 dump is well formed and every page equals the vmcore's" \
	"$KV" --quiet --vmcore "$VMCORE" "$W/k.l31"
if [[ $READER == crash ]]; then
	t0=$(now); makedumpfile -l -d 31 --message-level 0 "$VMCORE" "$W/m.l31" >/dev/null 2>&1; tm=$(elapsed "$t0")
	md=$(dumped "$W/m.l31")
	echo "# pages kept at -d 31 by makedumpfile $MDF_VER: $md, ${tm}s, -l $(stat -c %s "$W/m.l31") bytes"
fi
if [[ $READER == drgn ]]; then
	: # 1.7.2 predates 7.x: no comparison (sid's 1.7.8 is recorded below)
elif ((mdf_exact)); then
	check "pages kept at -d 31 agree with makedumpfile within 0.5% ($kd vs $md)" \
		awk -v a="$kd" -v b="$md" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(b > 0 && d / b <= 0.005) }'
	check "-l -d 31 output is byte-identical to makedumpfile's" cmp "$W/k.l31" "$W/m.l31"
	"$KF" -c -d 31 --message-level 4 "$VMCORE" "$W/k.c31"
	makedumpfile -c -d 31 --message-level 0 "$VMCORE" "$W/m.c31" >/dev/null 2>&1
	check "-c -d 31 output is byte-identical to makedumpfile's" cmp "$W/k.c31" "$W/m.c31"
	rm -f "$W/k.c31" "$W/m.c31"
else
	check "on $KERNEL kcatch excludes at least what makedumpfile 1.7.2 does ($kd <= $md pages kept)" \
		test "$kd" -le "$md"
fi
# sid's makedumpfile: the newest, and the first that knows 6.12's page types
t0=$(now); "$SIDMDF" -l -d 31 --message-level 0 "$VMCORE" "$W/m.l31.sid" >/dev/null 2>&1 || true; ts=$(elapsed "$t0")
if [[ $READER == drgn ]]; then
	if [[ -s $W/m.l31.sid ]]; then
		echo "# pages kept at -d 31 by sid's makedumpfile $SIDMDF_VER: $(dumped "$W/m.l31.sid"), ${ts}s," \
			"-l $(stat -c %s "$W/m.l31.sid") bytes (known wrong on 7.x: it drops pages the kernel needs)"
		# recorded, not asserted: what drgn makes of that dump (its ELF form
		# where libkdumpfile cannot open a kdump file of this release)
		mdump=$W/m.l31.sid
		if ! [[ $KVER =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]]; then
			mdump=$W/m.e31.sid
			"$SIDMDF" -E -d 31 --message-level 0 "$VMCORE" "$mdump" >/dev/null 2>&1 || true
		fi
		env -u MALLOC_PERTURB_ "$SIDPY" "$REAL_DIR/drgn-check.py" "$VMLINUX" "$VMCORE" >"$W/drgn.vmcore" 2>&1 || true
		env -u MALLOC_PERTURB_ "$SIDPY" "$REAL_DIR/drgn-check.py" "$VMLINUX" "$mdump" >"$W/drgn.mdf" 2>&1 || true
		if cmp -s "$W/drgn.vmcore" "$W/drgn.mdf"; then
			echo "# drgn reads sid's makedumpfile $SIDMDF_VER ${mdump##*/} dump as the vmcore"
		else
			echo "# drgn reads sid's makedumpfile $SIDMDF_VER ${mdump##*/} dump differently: $(grep -c '^  task ' "$W/drgn.mdf") of" \
				"$(grep -c '^  task ' "$W/drgn.vmcore") tasks; $(tail -n1 "$W/drgn.mdf" | cut -c1-160)"
		fi
		rm -f "$W/m.e31.sid"
	else
		echo "# sid's makedumpfile $SIDMDF_VER wrote no -l -d 31 dump of this vmcore"
	fi
else
	echo "# pages kept at -d 31 by sid's makedumpfile $SIDMDF_VER: $(dumped "$W/m.l31.sid" 2>/dev/null), ${ts}s," \
		"-l $(stat -c %s "$W/m.l31.sid" 2>/dev/null) bytes"
	check "-l -d 31 output is byte-identical to sid's makedumpfile $SIDMDF_VER's" cmp "$W/k.l31" "$W/m.l31.sid"
fi
rm -f "$W/m.l31.sid"

# user and page-cache folios, tail pages included, must be out of the dump
"$SIDPY" "$REAL_DIR/folio-check.py" "$VMLINUX" "$VMCORE" "$W/k.l31" >"$W/folio.out" 2>&1 && rc=0 || rc=$?
cat "$W/folio.out"
folio_line=$(sed -n 's/^# user + page-cache folio pages in the dump: \([0-9]*\) = \([0-9.]*%\).*/\1 pages, \2/p' "$W/folio.out")
if ((rc == 0)); then
	ok "folio-check (sid's drgn): user and page-cache folio pages left in the -d 31 dump: ${folio_line} of those kept (< 1%)"
else
	not_ok "folio-check (sid's drgn): user and page-cache folio pages left in the -d 31 dump: ${folio_line:-unknown (status $rc)} of those kept, want < 1%"
fi

if [[ $KERNEL = 5.10 ]]; then
	# crash on the dump against what the same crash printed for the vmcore
	# when it was captured (capture-vmcore.sh: sys, bt, log); a session on
	# the vmcore costs half a minute, so it runs only if crash changed since
	crash_sys_bt_log() {
		printf 'sys\nbt\nlog\nexit\n' >"$W/sbl.cmd"
		timeout 600 "$(crash_bin)" -s "$VMLINUX" "$1" -i "$W/sbl.cmd" </dev/null 2>&1
	}
	crash_now="$(crash_bin) $("$(crash_bin)" --version | awk 'NF { print $2; exit }')"
	if [[ $(sed -n 's/^crash=//p' "$V/info.txt") == "$crash_now" ]]; then
		cp "$V/crash.txt" "$W/crash.vmcore"
	else
		crash_sys_bt_log "$VMCORE" >"$W/crash.vmcore"
	fi
	crash_sys_bt_log "$W/k.l31" >"$W/crash.dump"
	check "crash ($crash_now) prints the same sys, bt, log for the -l -d 31 dump as for the vmcore ($(grep -c '' "$W/crash.dump") lines)" \
		bash -c "grep -q sysrq_handle_crash '$W/crash.dump' &&
			diff <(grep -v -e '^ *KERNEL: ' -e '^ *DUMPFILE: ' '$W/crash.vmcore') \
			     <(grep -v -e '^ *KERNEL: ' -e '^ *DUMPFILE: ' '$W/crash.dump')"
	dmesg_checks
	finish
fi

# 2. zstd, then crash and drgn on it (7.x: sid's drgn only)
"$KF" -z -d 31 --message-level 4 "$VMCORE" "$W/k.z31"
echo "# -z -d 31: kcatch $(stat -c %s "$W/k.z31") bytes"
check "kdump-verify: -z -d 31" "$KV" --quiet --vmcore "$VMCORE" "$W/k.z31"
drgn_reads_same() {  # PYTHON LABEL DUMP (drgn.vmcore, if there, is from the same PYTHON)
	[[ -s $W/drgn.vmcore ]] ||
		env -u MALLOC_PERTURB_ "$1" "$REAL_DIR/drgn-check.py" "$VMLINUX" "$VMCORE" >"$W/drgn.vmcore" 2>&1 || true
	env -u MALLOC_PERTURB_ "$1" "$REAL_DIR/drgn-check.py" "$VMLINUX" "$3" >"$W/drgn.dump" 2>&1 || true
	check "$2 reads the ${3##*/} dump as the vmcore ($(grep -c '^  task ' "$W/drgn.vmcore") tasks, $(grep -c '^  log ' "$W/drgn.vmcore") last log records, $(sed -n 's/^slab caches //p' "$W/drgn.vmcore") slab caches, allocated objects of 5, backtrace)" \
		bash -c "grep -q '^tasks [1-9]' '$W/drgn.vmcore' && grep -q '^slab caches [1-9]' '$W/drgn.vmcore' &&
			grep -q '^panic Kernel panic' '$W/drgn.vmcore' && diff '$W/drgn.vmcore' '$W/drgn.dump'"
}
if [[ $READER == drgn ]]; then
	drgn_dump=$W/k.z31
	if ! [[ $KVER =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]]; then
		# libkdumpfile 0.5 (drgn's kdump reader) parses the release in the
		# kernel's memory as a.b.c: makedumpfile's dumps fail the same way.
		# In the ELF form a dropped page reads as zeros instead of failing.
		echo "# libkdumpfile cannot open a kdump file of release $KVER (\"Invalid kernel version\"): drgn reads the -E -d 31 ELF dump (weaker: a dropped page reads as zeros)"
		"$KF" -E -d 31 --message-level 4 "$VMCORE" "$W/k.e31"
		drgn_dump=$W/k.e31
	fi
	drgn_reads_same "$SIDPY" "drgn $(sed -n 's/^drgn=//p' "$KCATCH_CACHE/tools/sid/.complete") (sid; crash cannot open 7.x)" "$drgn_dump"
	rm -f "$W/k.e31"
	check "drgn unwinds the crashed thread through sysrq_handle_crash" grep -q '^  frame sysrq_handle_crash' "$W/drgn.vmcore"
else
	check "crash prints the same sys, bt, ps, log for the dump as for the vmcore" \
		"$REAL_DIR/crash-compare.sh" --commands "sys bt ps log" "$VMLINUX" "$VMCORE" "$W/k.z31"
	# kmem -s walks every slab cache's slabs: the slab pages must all be there
	kmem_s() {
		printf 'kmem -s\nexit\n' >"$W/kmem.cmd"
		timeout 600 "$(crash_bin)" -s "$VMLINUX" "$1" -i "$W/kmem.cmd" 2>&1 | grep -v -e '^WARNING' -e DUMPFILE
	}
	kmem_s "$VMCORE" >"$W/kmem.vmcore"
	kmem_s "$W/k.z31" >"$W/kmem.dump"
	check "crash kmem -s: every slab cache reads the same from the dump ($(grep -c '' "$W/kmem.vmcore") lines)" \
		bash -c "grep -q task_struct '$W/kmem.vmcore' && diff '$W/kmem.vmcore' '$W/kmem.dump'"
	drgn_reads_same /usr/bin/python3 "drgn $(/usr/bin/python3 -c 'import drgn; print(drgn.__version__)') (host)" "$W/k.z31"
fi

# 3. makedumpfile reads kcatch's dump: refilter a -d 1 dump to -d 31
"$KF" -l -d 1 --message-level 4 "$VMCORE" "$W/k.l1"
check "makedumpfile $MDF_VER refilters a kcatch dump (-d 1 -> -d 31)" \
	"$MDF" -l -d 31 --message-level 0 "$W/k.l1" "$W/r.l31"
check "kdump-verify: makedumpfile's refiltered dump of kcatch's dump" \
	"$KV" --quiet --vmcore "$VMCORE" "$W/r.l31"
if ((mdf_exact)); then
	check "refiltered dump is identical to makedumpfile's direct -d 31" cmp "$W/r.l31" "$W/m.l31"
fi

# 4. kcatch reads kdump-compressed input too: refilter its own zstd -d 1 dump
"$KF" -z -d 1 --message-level 4 "$VMCORE" "$W/k.z1"
check "kcatch refilters a kcatch dump (-z -d 1 -> -l -d 31)" \
	"$KF" -l -d 31 --message-level 4 "$W/k.z1" "$W/kr.l31"
check "kdump-verify: kcatch's refiltered dump" "$KV" --quiet --vmcore "$VMCORE" "$W/kr.l31"
if ((mdf_exact)); then
	check "kcatch's refiltered dump is identical to makedumpfile's direct -d 31" cmp "$W/kr.l31" "$W/m.l31"
else
	check "kcatch's refiltered dump is identical to its direct -d 31" cmp "$W/kr.l31" "$W/k.l31"
fi
rm -f "$W/k.z1" "$W/kr.l31" "$W/k.l1"

# 5. --split: crash opens the parts together (not on 7.x: crash cannot);
# --reassemble gives the direct file
"$KF" --split -l -d 31 --message-level 4 "$VMCORE" "$W/s1" "$W/s2" "$W/s3"
if [[ $READER == crash ]]; then
	printf 'bt\nlog\nexit\n' >"$W/split.cmd"
	timeout 600 "$(crash_bin)" -s "$VMLINUX" "$W/s1" "$W/s2" "$W/s3" -i "$W/split.cmd" 2>&1 | grep -v DUMPFILE >"$W/split.parts"
	timeout 600 "$(crash_bin)" -s "$VMLINUX" "$VMCORE" -i "$W/split.cmd" 2>&1 | grep -v DUMPFILE >"$W/split.vmcore"
	check "crash reads 3 --split parts together as the vmcore (bt, log: $(grep -c '' "$W/split.vmcore") lines)" \
		bash -c "grep -q sysrq '$W/split.vmcore' && diff '$W/split.vmcore' '$W/split.parts'"
fi
check "--reassemble of the parts is identical to the direct -l -d 31 dump" \
	bash -c "'$KF' --reassemble --message-level 4 '$W/s3' '$W/s1' '$W/s2' '$W/ra' && cmp '$W/ra' '$W/k.l31'"
rm -f "$W"/s[123] "$W/ra"

# 6. the kernel log
dmesg_checks
finish
