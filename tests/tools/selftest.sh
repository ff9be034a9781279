#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Self-test of kdump-verify.  usage: selftest.sh KDUMP_VERIFY MODE [VMCORE]
#   mini          hand-made dump from mkmini.py: must verify (also with
#                 --vmcore and --flattened), --list must match, every damaged
#                 copy (corrupt.py) must fail.  Needs only python3.
#   makedumpfile  every dump makedumpfile writes from a real vmcore must
#                 verify with --vmcore, damaged copies must fail.  VMCORE
#                 defaults to the first complete $KCATCH_CACHE/vmcores/*/vmcore.
# Exit 77 (skip) when a prerequisite is missing.
set -u
KV=$1
MODE=$2
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${KCATCH_CACHE:-/root/.cache/kcatch}
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/kv-selftest.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail=0
ok()  { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

mdf() {  # name, makedumpfile options
	local n=$1; shift
	makedumpfile "$@" "$VM" "$T/$n.kd" >"$T/$n.log" 2>&1 || { bad "makedumpfile $* ($(tail -1 "$T/$n.log"))"; return 1; }
}

# damaged copies of $1 (a zlib dump), checked against vmcore $2;
# page-raw and desc-share use $3 (a dump with raw pages)
corruptions() {
	local k f rc kinds
	mkdir -p "$T/c" "$T/r"
	kinds=$(python3 "$HERE/corrupt.py" --list)
	# shellcheck disable=SC2086
	python3 "$HERE/corrupt.py" --all "$1" "$T/c" $(grep -v -e page-raw -e desc-share <<<"$kinds") &&
	python3 "$HERE/corrupt.py" --all "$3" "$T/r" page-raw desc-share || { bad "corrupt.py"; return; }
	for k in $kinds; do
		f=$T/c/$k.kd
		[[ $k == page-raw || $k == desc-share ]] && f=$T/r/$k.kd
		"$KV" --quiet --vmcore "$2" "$f" >"$T/x.out" 2>&1
		rc=$?
		if [[ $k == truncate-incomplete ]]; then
			if [[ $rc == 0 ]]; then ok "$k: accepted"; else bad "$k: rc $rc"; sed 's/^/     /' "$T/x.out"; fi
		elif [[ $rc == 1 ]]; then
			ok "$k: $(grep -m1 ERROR "$T/x.out")"
		else
			bad "$k: rc $rc (expected 1)"; sed 's/^/     /' "$T/x.out"
		fi
	done
	rm -rf "$T/c" "$T/r"
}

# --list runs expand to --list-pfns, and the counts match the summary
list_check() {
	local sum want expand
	"$KV" --list "$1" 2>/dev/null >"$T/runs"
	"$KV" --list-pfns "$1" 2>"$T/sum" >"$T/pfns"
	expand=$(python3 -c '
import sys
for line in open(sys.argv[1]):
    r, st = line.split()
    a, _, b = r.partition("-")
    for p in range(int(a, 16), int(b or a, 16) + 1):
        print("0x%x %s" % (p, st))' "$T/runs")
	if [[ $expand == "$(cat "$T/pfns")" ]]; then ok "--list runs == --list-pfns"
	else bad "--list runs differ from --list-pfns"; fi
	sum=$(grep '^pages:' "$T/sum")
	cnt() { grep -c " $1\$" "$T/pfns"; }
	want="in-memory $(($(cnt kept) + $(cnt zero) + $(cnt excluded))), dumped $(($(cnt kept) + $(cnt zero))) (zero $(cnt zero)), excluded $(cnt excluded)"
	if [[ $sum == "pages: $want;"* ]]; then ok "--list counts match the summary"
	else bad "--list counts ($want) vs summary ($sum)"; fi
}

if [[ $MODE == mini ]]; then
	python3 "$HERE/mkmini.py" "$T" || { echo "FAIL mkmini.py"; exit 1; }
	M=$T/mini
	if "$KV" --quiet --vmcore "$M.vmcore" "$M.kd"; then ok "mini.kd --vmcore"; else bad "mini.kd --vmcore"; fi
	if "$KV" --list "$M.kd" 2>/dev/null | diff -u "$M.list" -; then ok "mini.kd --list"; else bad "mini.kd --list"; fi
	if "$KV" --quiet --flattened --vmcore "$M.vmcore" --rebuild "$T/r.kd" "$M.flat" && cmp -s "$T/r.kd" "$M.kd"
	then ok "mini.flat --flattened"; else bad "mini.flat --flattened"; fi
	head -c 20000 "$M.flat" >"$T/t.flat"
	if "$KV" --quiet --flattened "$T/t.flat" >/dev/null 2>&1; then bad "truncated flattened stream accepted"
	else ok "truncated flattened stream rejected"; fi
	list_check "$M.kd"
	corruptions "$M.kd" "$M.vmcore" "$M.kd"
	exit $fail
fi

VM=${3:-}
if [[ -z $VM ]]; then
	for d in "$CACHE"/vmcores/*/; do
		if [[ -e $d/.complete && -s $d/vmcore ]]; then VM=$d/vmcore; break; fi
	done
fi
[[ -n $VM && -r $VM ]] || { echo "SKIP: no vmcore under $CACHE/vmcores"; exit 77; }
command -v makedumpfile >/dev/null || { echo "SKIP: no makedumpfile"; exit 77; }
echo "vmcore: $VM"
for spec in "c31:-c -d 31" "l31:-l -d 31" "raw31:-d 31" "l1:-l -d 1" "l0:-l -d 0"; do
	n=${spec%%:*}
	# shellcheck disable=SC2086
	mdf "$n" ${spec#*:} || continue
	if out=$("$KV" --vmcore "$VM" "$T/$n.kd" 2>&1); then
		ok "makedumpfile ${spec#*:}: $(tail -1 <<<"$out")"
	else
		bad "makedumpfile ${spec#*:}:"; echo "$out" | sed 's/^/     /'
	fi
done

# flattened, through a pipe, rebuilt file identical to makedumpfile -R
if makedumpfile -F -c -d 31 "$VM" 2>/dev/null | "$KV" --quiet --flattened --vmcore "$VM" --rebuild "$T/flat.kd" -; then
	if cmp -s "$T/flat.kd" "$T/c31.kd"; then ok "makedumpfile -F -c -d 31 | --flattened -"
	else bad "flattened rebuild differs from the -c -d 31 dump"; fi
else
	bad "makedumpfile -F -c -d 31 | --flattened -"
fi

list_check "$T/c31.kd"
corruptions "$T/c31.kd" "$VM" "$T/raw31.kd"
# flattened stream damage: truncated (no end marker)
makedumpfile -F -l -d 31 "$VM" 2>/dev/null | head -c 1000000 >"$T/t.flat"
if "$KV" --quiet --flattened "$T/t.flat" >"$T/x.out" 2>&1; then bad "truncated flattened stream accepted"
else ok "flat-truncated: $(head -1 "$T/x.out")"; fi
exit $fail
