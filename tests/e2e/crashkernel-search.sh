#!/bin/bash
# How small may crashkernel= be? Runs the end-to-end capture (scenario ok)
# for each size and reports which ones still produce a complete dump.
#
#   crashkernel-search.sh --kernel 6.1|6.12 --build DIR [--mem 4G] SIZE...
#   e.g. crashkernel-search.sh --kernel 6.12 --build build --mem 4G 256M 128M 96M 80M 64M
set -uo pipefail
. "$(dirname "$0")/lib-e2e.sh"
KERNEL= BUILD= MEM=4G SIZES=()
while (($#)); do
	case $1 in
	--kernel) KERNEL=$2; shift ;;
	--build) BUILD=$2; shift ;;
	--mem) MEM=$2; shift ;;
	*) SIZES+=("$1") ;;
	esac
	shift
done
[[ -n $KERNEL && -n $BUILD && ${#SIZES[@]} -gt 0 ]] || die "usage: $0 --kernel K --build DIR [--mem M] SIZE..."
for ck in "${SIZES[@]}"; do
	out=$("$E2E_DIR/test-capture.sh" --kernel "$KERNEL" --build "$BUILD" --mem "$MEM" --crashkernel "$ck" 2>&1)
	rc=$?
	W=$KCATCH_CACHE/e2e/$KERNEL-ok-$MEM-$ck
	why=$(grep -m1 '^not ok' <<<"$out" || true)
	oom=$(grep -a -m1 -E 'Out of memory|oom-kill|Kernel panic - not syncing: (Out of memory|System is deadlocked|VFS)|E2E: FAIL' "$W/console.txt" 2>/dev/null | tr -d '\r' || true)
	agent=$(grep -a -m1 'done in' "$W/console.txt" 2>/dev/null | tr -d '\r' || true)
	if ((rc == 0)); then
		echo "crashkernel=$ck mem=$MEM kernel=$KERNEL: OK ($agent)"
	else
		echo "crashkernel=$ck mem=$MEM kernel=$KERNEL: FAILED ${why:+($why)} ${oom:+[$oom]}"
	fi
done
