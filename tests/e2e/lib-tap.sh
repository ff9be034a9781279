# TAP for the shell tests (sourced): ok/not_ok DESCRIPTION, check
# DESCRIPTION COMMAND... (ok when the command succeeds, its output shown
# otherwise), and tap_finish last, which prints the plan and fails when a
# check did.
TAP_PASSED=0 TAP_FAILED=0
ok() { TAP_PASSED=$((TAP_PASSED + 1)); echo "ok - $*"; }
not_ok() { TAP_FAILED=$((TAP_FAILED + 1)); echo "not ok - $*"; }
check() {
	local d=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$d"; else not_ok "$d"; sed 's/^/#   /' <<<"$out" | tail -20; fi
}
tap_finish() {
	echo "1..$((TAP_PASSED + TAP_FAILED))"
	echo "# $TAP_PASSED passed, $TAP_FAILED failed"
	((TAP_FAILED == 0))
}
