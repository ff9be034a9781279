#!/bin/bash
# stall_timeout: an ssh:// collector that stays connected but stops
# reading must not hold the capture until the watchdog. kcatch-agent runs
# in test mode (--vmcore/--root), where it starts "ssh" from PATH: a fake
# one here runs the "remote" command locally, and the collector's
# "cat > vmcore.flat.incomplete" is a stand-in that copies everything,
# stops reading after N bytes (mid-stream, or when only the tail is left),
# exits like a broken connection, or reads N bytes a second. Checked: the
# files on the "collector" and on the local fallback target (kdump-verify,
# every page against the vmcore), kcatch.json, the log's timing, and that
# the stalled ssh process is gone. Also a collector that dies between the
# stream and kcatch.json, before or after its rename. No QEMU, about 25 s;
# also under ASan.
#
#   test-ssh-stall.sh AGENT MKVMCORE KDUMP_VERIFY SPEC
set -uo pipefail
AGENT=$1 MKVMCORE=$2 KV=$3 SPEC=$4
W=$(mktemp -d "${TMPDIR:-/tmp}/kcatch-test-stall.XXXXXX")
PIDS=$W/stream.pids   # pid of each fake ssh that carried the dump stream
cleanup() {
	# a failed check may leave a stalled collector sleeping
	[[ -f $PIDS ]] && while read -r p; do kill -9 "$p" 2>/dev/null; done <"$PIDS"
	rm -rf "$W"
}
trap cleanup EXIT
. "$(dirname "$0")/lib-tap.sh"
json() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
# log_time PATTERN: the [seconds] of the first log line matching PATTERN
log_time() { grep -m1 -F "$1" "$LOG" | sed -n 's/^kcatch: \[ *\([0-9.]*\)\].*/\1/p'; }

mkdir -p "$W/bin" "$W/collector-bin"
cat >"$W/bin/ssh" <<'EOF'
#!/bin/bash
# Stand-in for OpenSSH's client: the "remote" command runs here, under sh.
args=("$@") cmd=
for ((i = 0; i < ${#args[@]}; i++)); do
	case ${args[i]} in
	-N | -O) exit 0 ;;   # the master (-N -f), and -O exit: no connection to make or end
	--) cmd=${args[i + 2]}; break ;;
	esac
done
case $FAKE_SSH_AFTER_STREAM:$cmd in
dead:*kcatch.json*)   # the collector is gone once the stream is in
	echo "Connection closed by 192.0.2.1 port 22" >&2
	exit 255 ;;
nojson:*kcatch.json*)   # it renames, then cannot write kcatch.json (its disk filled up)
	PATH=$FAKE_FAIL_BIN:$PATH exec sh -c "$cmd" ;;
esac
case $cmd in
*"exec cat > "*/vmcore.flat.incomplete)
	echo $$ >>"$FAKE_SSH_STREAM_PIDS"   # the execs keep this pid: the process the agent must kill
	PATH=$FAKE_COLLECTOR_BIN:$PATH exec sh -c "$cmd" ;;
esac
exec sh -c "$cmd"
EOF
cat >"$W/collector-bin/cat" <<'EOF'
#!/usr/bin/python3
# The collector's "cat > vmcore.flat.incomplete", as FAKE_COLLECTOR says:
#   pass      copy everything
#   stall:N   copy N bytes, then stay connected reading nothing (10 minutes)
#   slow:N    copy N bytes, pause a second, again, to the end
#   drop:N    copy N bytes, then exit 255 as ssh does when the connection breaks
import os, sys, time
mode, _, arg = os.environ.get("FAKE_COLLECTOR", "pass").partition(":")
n = int(arg or 0)
def copy(count):
    while count:
        b = os.read(0, min(count, 65536))
        if not b:
            return False
        os.write(1, b)
        count -= len(b)
    return True
if mode == "stall":
    if copy(n):
        time.sleep(600)
elif mode == "slow":
    while copy(n):
        time.sleep(1)
elif mode == "drop":
    copy(n)
    sys.exit(255)
else:
    while copy(1 << 20):
        pass
EOF
mkdir -p "$W/fail-bin"
printf '#!/bin/sh\necho "cat: write error: No space left on device" >&2\nexit 1\n' >"$W/fail-bin/cat"
chmod +x "$W/bin/ssh" "$W/collector-bin/cat" "$W/fail-bin/cat"
export PATH=$W/bin:$PATH FAKE_SSH_STREAM_PIDS=$PIDS FAKE_COLLECTOR_BIN=$W/collector-bin FAKE_FAIL_BIN=$W/fail-bin
export FAKE_SSH_AFTER_STREAM=

# run NAME COLLECTOR-MODE CONFIG-LINES...: the agent saving to ssh://kdump@collector$W/NAME/c,
# failure_action fallback to the directory $W/NAME/root/fb; sets RC, LOG, ROOT, C (the
# collector's dump directory), FB (the fallback's), SECS (wall time)
ID=2023-11-14-22:13:20-synth-host   # CRASHTIME 1700000000, nodename synth-host
run() {
	local name=$1 mode=$2 t0
	shift 2
	ROOT=$W/$name/root C=$W/$name/c/$ID FB=$W/$name/root/fb/var/crash/$ID LOG=$W/$name.log RC=0
	mkdir -p "$ROOT/fb" "$W/$name/c"
	printf '%s\n' "target ssh://kdump@collector$W/$name/c" "net auto dhcp" "failure_action fallback" \
		"fallback_target /fb" "$@" >"$W/$name.conf"
	t0=$EPOCHREALTIME
	FAKE_COLLECTOR=$mode "$AGENT" --vmcore "$W/vmcore" --root "$ROOT" --config "$W/$name.conf" >"$LOG" 2>&1 || RC=$?
	SECS=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
}

"$MKVMCORE" "$SPEC" "$W/vmcore" "$W/expect" >/dev/null || { echo "Bail out! mkvmcore $SPEC failed"; exit 1; }

# 1. a collector that reads: the reference stream
run pass pass "stall_timeout 2"
check "reading collector: exit 0, vmcore.flat complete on the collector (status $RC)" \
	bash -c "[[ $RC == 0 ]] && test -s '$C/vmcore.flat' && ! test -e '$C/vmcore.flat.incomplete' && grep -q 'RESULT complete' '$LOG'"
check "reading collector: kdump-verify: every page of vmcore.flat equals the vmcore's" \
	"$KV" --quiet --flattened --vmcore "$W/vmcore" "$C/vmcore.flat"
FULL=$(stat -c %s "$C/vmcore.flat" 2>/dev/null || echo 0)
cp "$C/vmcore.flat" "$W/reference.flat" 2>/dev/null
STALL_AT=200000   # bytes the stalling collector takes; the stream is about 3.4 MB
check "the stream ($FULL bytes) is far longer than what the stalling collector takes ($STALL_AT)" \
	test "$FULL" -gt $((STALL_AT * 4))

# 2. a collector that stops reading: cut off after stall_timeout, fallback saves the dump
run stall "stall:$STALL_AT" "stall_timeout 2"
t_start=$(log_time "streaming the dump to") t_kill=$(log_time "accepted no data for 2 s")
check "stalled collector: the agent gives up 2 to 6 s after the stream began (${t_start:-?} -> ${t_kill:-?} s)" \
	python3 -c "import sys; d = float(sys.argv[2]) - float(sys.argv[1]); sys.exit(not 2.0 <= d <= 6.0)" \
	"${t_start:-0}" "${t_kill:-0}"
check "stalled collector: the whole run ends well before any watchdog (${SECS} s)" \
	python3 -c "import sys; sys.exit(not float(sys.argv[1]) < 20)" "$SECS"
STALL_PID=$(tail -n1 "$PIDS" 2>/dev/null)
check "stalled collector: the stream's ssh ($STALL_PID) was killed, not left sleeping" \
	bash -c "[[ -n '$STALL_PID' ]] && ! kill -0 '$STALL_PID' 2>/dev/null && grep -q 'ssh killed after' '$LOG'"
check "stalled collector: vmcore.flat.incomplete holds the $STALL_AT bytes taken, the stream's first bytes" \
	bash -c "[[ \$(stat -c %s '$C/vmcore.flat.incomplete') == $STALL_AT ]] && ! test -e '$C/vmcore.flat' &&
		cmp -n $STALL_AT '$C/vmcore.flat.incomplete' '$W/reference.flat'"
check "stalled collector: its kcatch.json says incomplete, vmcore.flat.incomplete, stall_timeout" \
	test "$(json "$C/kcatch.json" '(j["status"], j["dump"]["file"], j["dump"]["incomplete_flag"], "stall_timeout" in j["error"])')" \
	= "('incomplete', 'vmcore.flat.incomplete', True, True)"
check "stalled collector: RESULT incomplete, then the fallback target gets the dump" \
	bash -c "grep -q 'RESULT incomplete .*stall_timeout' '$LOG' && grep -q 'RESULT fallback complete' '$LOG' && [[ $RC == 0 ]]"
check "stalled collector: kdump-verify: the fallback's vmcore is complete, every page equals the vmcore's" \
	"$KV" --quiet --vmcore "$W/vmcore" "$FB/vmcore"
check "stalled collector: the fallback's kcatch.json says complete, role fallback" \
	test "$(json "$FB/kcatch.json" '(j["status"], j["target"]["role"])')" = "('complete', 'fallback')"

# 2b. the same at the very end: kcf_dump has written everything (the last 100000 bytes
# fit into the two 64 KiB pipes, not into ssh's input alone), the tail still waits
END_AT=$((FULL - 100000))
run stall-end "stall:$END_AT" "stall_timeout 2"
check "stalled at the end: the stream reached 100% before the collector was given up" \
	awk '/stream 100.0%/ && !s { s = NR } /accepted no data/ && !k { k = NR } END { exit !(s && k && s < k) }' "$LOG"
check "stalled at the end: cut off, vmcore.flat.incomplete holds the $END_AT bytes taken, fallback complete" \
	bash -c "grep -q 'accepted no data for 2 s' '$LOG' && [[ \$(stat -c %s '$C/vmcore.flat.incomplete') == $END_AT ]] &&
		! test -e '$C/vmcore.flat' && test -s '$FB/vmcore' && grep -q 'RESULT fallback complete' '$LOG'"
check "stalled at the end: its kcatch.json says incomplete" \
	test "$(json "$C/kcatch.json" '(j["status"], j["dump"]["file"])')" = "('incomplete', 'vmcore.flat.incomplete')"

# 2c. a connection that breaks is no stall: reported at once as before
run drop "drop:$STALL_AT" "stall_timeout 2"
t_start=$(log_time "streaming the dump to") t_lost=$(log_time "connection lost")
check "broken connection: reported as lost before stall_timeout (2 s) could fire, not as a stall (${t_start:-?} -> ${t_lost:-?} s)" \
	bash -c "python3 -c 'import sys; sys.exit(not float(sys.argv[2]) - float(sys.argv[1]) < 1.9)' '${t_start:-0}' '${t_lost:-99}' &&
		! grep -q 'accepted no data' '$LOG' && grep -q 'RESULT fallback complete' '$LOG' &&
		[[ \$(stat -c %s '$C/vmcore.flat.incomplete') == $STALL_AT ]]"

# 3. a slow collector that keeps reading (a sixth of the stream a second) outlives stall_timeout
run slow "slow:$((FULL / 6 + 1))" "stall_timeout 3"
check "slow collector: the stream took longer than stall_timeout (${SECS} s) and was not cut" \
	bash -c "python3 -c 'import sys; sys.exit(not float(sys.argv[1]) > 4)' '$SECS' && ! grep -q 'accepted no data' '$LOG'"
check "slow collector: exit 0, vmcore.flat complete, identical to the reference stream" \
	bash -c "[[ $RC == 0 ]] && grep -q 'RESULT complete' '$LOG' && ! grep -q 'RESULT fallback' '$LOG' &&
		cmp '$C/vmcore.flat' '$W/reference.flat' && ! test -e '$C/vmcore.flat.incomplete'"
check "slow collector: kcatch.json on the collector says complete" \
	test "$(json "$C/kcatch.json" '(j["status"], j["dump"]["file"])')" = "('complete', 'vmcore.flat')"

# 4. stall_timeout 0 turns it off: only the watchdog ends the same stall
run off "stall:$STALL_AT" "stall_timeout 0" "watchdog 3"
check "stall_timeout 0: nothing cuts the stall but the watchdog (status $RC, ${SECS} s)" \
	bash -c "[[ $RC == 124 ]] && grep -q 'WATCHDOG: 3 s are over, still busy streaming the dump' '$LOG' &&
		grep -q 'no stall_timeout' '$LOG' && ! grep -q 'accepted no data' '$LOG'"

# 4b. the collector dies between the stream and kcatch.json: the stream stays whole
FAKE_SSH_AFTER_STREAM=dead
run dead-after pass "stall_timeout 2"
FAKE_SSH_AFTER_STREAM=
check "collector gone after the stream: vmcore.flat.incomplete is the whole stream, no vmcore.flat, no kcatch.json" \
	bash -c "cmp '$C/vmcore.flat.incomplete' '$W/reference.flat' && ! test -e '$C/vmcore.flat' && ! test -e '$C/kcatch.json'"
check "collector gone after the stream: kdump-verify: every page of vmcore.flat.incomplete equals the vmcore's" \
	"$KV" --quiet --flattened --vmcore "$W/vmcore" "$C/vmcore.flat.incomplete"
check "collector gone after the stream: the console says the rename failed, why, and that no kcatch.json exists" \
	bash -c "grep -q 'renaming vmcore.flat.incomplete to vmcore.flat (the whole stream is in vmcore.flat.incomplete): ssh failed: Connection closed' '$LOG' &&
		grep -q 'no kcatch.json on the collector' '$LOG' && grep -q 'RESULT incomplete' '$LOG' &&
		grep -q 'RESULT fallback complete' '$LOG'"
FAKE_SSH_AFTER_STREAM=nojson
run nojson pass "stall_timeout 2"
FAKE_SSH_AFTER_STREAM=
check "collector renames, then cannot write kcatch.json: vmcore.flat is the whole stream, no kcatch.json" \
	bash -c "cmp '$C/vmcore.flat' '$W/reference.flat' && ! test -e '$C/vmcore.flat.incomplete' && ! test -e '$C/kcatch.json'"
check "... the console says kcatch.json failed twice, and that vmcore.flat is complete; the fallback runs" \
	bash -c "grep -q 'kcatch.json not written on the collector (attempt 2, ssh status 1: cat: write error' '$LOG' &&
		grep -q 'RESULT incomplete .*kcatch.json could not be written on the collector; vmcore.flat is complete' '$LOG' &&
		grep -q 'RESULT fallback complete' '$LOG'"

# 5. the key itself
printf 'target ssh://kdump@collector/srv/crash\nnet auto dhcp\n' >"$W/default.conf"
check "--check-config: stall_timeout defaults to 60" \
	bash -c "'$AGENT' --check-config '$W/default.conf' | grep -qx 'stall_timeout 60'"
printf 'target ssh://kdump@collector/srv/crash\nnet auto dhcp\nstall_timeout 3601\n' >"$W/bad.conf"
check "--check-config: stall_timeout 3601 refused, the line named" \
	bash -c "! '$AGENT' --check-config '$W/bad.conf' >/dev/null 2>&1 &&
		'$AGENT' --check-config '$W/bad.conf' 2>&1 | grep -q 'bad.conf:3: stall_timeout \"3601\" is not a number from 0 to 3600'"

tap_finish
