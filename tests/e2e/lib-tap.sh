# TAP for every shell test (sourced): ok/not_ok DESCRIPTION, skip
# DESCRIPTION WHY, check DESCRIPTION COMMAND... (ok when the command
# succeeds; otherwise its output is shown, then whatever the test's own
# tap_context function prints, e.g. the output of the command under test
# that a quiet grep looked at), and tap_finish last, which prints the
# plan and fails when a check did.
TAP_PASSED=0 TAP_FAILED=0
ok() { TAP_PASSED=$((TAP_PASSED + 1)); echo "ok - $*"; }
not_ok() { TAP_FAILED=$((TAP_FAILED + 1)); echo "not ok - $*"; }
skip() { TAP_PASSED=$((TAP_PASSED + 1)); echo "ok - $1 # SKIP $2"; }
# (its locals have names no test uses: a checked command may read the
# test's own $out or $d, and bash would show it the local instead)
check() {
	local _tap_d=$1 _tap_out
	shift
	if _tap_out=$("$@" 2>&1); then
		ok "$_tap_d"
	else
		not_ok "$_tap_d"
		sed 's/^/#   /' <<<"$_tap_out" | tail -20
		if declare -F tap_context >/dev/null; then tap_context | sed 's/^/#   /' | tail -25; fi
	fi
}
tap_finish() {
	echo "1..$((TAP_PASSED + TAP_FAILED))"
	echo "# $TAP_PASSED passed, $TAP_FAILED failed"
	((TAP_FAILED == 0))
}
