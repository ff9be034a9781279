#!/bin/bash
# kcatch-agent in test mode (--vmcore FILE --root DIR) on a synthetic
# vmcore: the whole save path without QEMU, in seconds, so it also runs
# under ASan/UBSan. The dump is checked by kdump-verify (every page equal
# to the vmcore's), the rest by looking at the files.
#
#   test-agent.sh AGENT MKVMCORE KDUMP_VERIFY SPEC EXAMPLE_CONF
set -uo pipefail
AGENT=$1 MKVMCORE=$2 KV=$3 SPEC=$4 EXAMPLE=$5
W=$(mktemp -d "${TMPDIR:-/tmp}/kcatch-test-agent.XXXXXX")
trap 'rm -rf "$W"' EXIT
. "$(dirname "$0")/lib-tap.sh"
# run NAME CONFIG-LINES...: agent on a fresh root; sets RC, LOG, ROOT
run() {
	local name=$1
	shift
	ROOT=$W/$name
	mkdir -p "$ROOT"
	printf '%s\n' "$@" >"$W/$name.conf"
	LOG=$W/$name.log
	RC=0
	"$AGENT" --vmcore "$W/vmcore" --root "$ROOT" --config "$W/$name.conf" >"$LOG" 2>&1 || RC=$?
}
json() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

"$MKVMCORE" "$SPEC" "$W/vmcore" "$W/expect" >/dev/null || { echo "Bail out! mkvmcore $SPEC failed"; exit 1; }
ID=2023-11-14-22:13:20-synth-host   # CRASHTIME 1700000000, nodename synth-host
D=var/crash/$ID

# 1. a complete dump
run ok "target UUID=1234" "path /var/crash" "compress zstd" "progress_interval 1"
check "exit status 0 for a complete dump (status $RC)" test "$RC" = 0
check "dump directory named by crash time and the host name in the dump" test -d "$ROOT/$D"
check "vmcore and kcatch.json, no vmcore.incomplete" \
	bash -c "test -f '$ROOT/$D/vmcore' && test -f '$ROOT/$D/kcatch.json' && ! test -e '$ROOT/$D/vmcore.incomplete'"
check "files 0600, directories 0700" \
	bash -c "[[ \$(stat -c %a '$ROOT/var' '$ROOT/var/crash' '$ROOT/$D' '$ROOT/$D/vmcore' '$ROOT/$D/kcatch.json' | tr '\n' ' ') == '700 700 700 600 600 ' ]]"
check "kdump-verify: the dump is well formed and every page equals the vmcore's" \
	"$KV" --quiet --vmcore "$W/vmcore" "$ROOT/$D/vmcore"
check "kcatch.json: complete, release, host, dump level, compressor, size" \
	test "$(json "$ROOT/$D/kcatch.json" '(j["status"], j["kernel_release"], j["hostname"], j["dump"]["dump_level"], j["dump"]["compressor"], j["bytes"]["dump"], j["crash_time"])')" \
	= "('complete', '6.12.0-synth', 'synth-host', 31, 'zstd', $(stat -c %s "$ROOT/$D/vmcore"), '2023-11-14T22:13:20Z')"
check "kcatch.json: pages per class add up to the pages in memory" \
	test "$(json "$ROOT/$D/kcatch.json" 'sum(v for k, v in j["pages"].items() if k not in ("in_memory", "kept_unsure", "kept_no_memmap", "lost")) == j["pages"]["in_memory"] > 0')" = True
check "console: RESULT complete and the final action" \
	bash -c "grep -q 'RESULT complete' '$LOG' && grep -q 'test mode: not doing reboot' '$LOG'"
# a vmcore without a kernel log: the dump is still saved, kcatch.json says why
if [[ -f $ROOT/$D/vmcore-dmesg.txt ]]; then
	ok "vmcore-dmesg.txt written"
else
	check "no kernel log in this vmcore: kcatch.json records the dmesg error" \
		test "$(json "$ROOT/$D/kcatch.json" 'j["dmesg"]["file"] is None and "vmcore-dmesg.txt" in j["error"]')" = True
fi

# filter threads (issue 16): the CPU count and MemAvailable come from
# ROOT/sys/devices/system/cpu/online and ROOT/proc/meminfo in test mode.
# run_fake NAME CPULIST AVAIL_KIB CONFIG-LINES...: run with those faked
run_fake() {
	local name=$1 cpus=$2 avail=$3
	shift 3
	ROOT=$W/$name
	mkdir -p "$ROOT/sys/devices/system/cpu" "$ROOT/proc"
	echo "$cpus" >"$ROOT/sys/devices/system/cpu/online"
	printf 'MemTotal:        %s kB\nMemAvailable:    %s kB\n' "$avail" "$avail" >"$ROOT/proc/meminfo"
	printf '%s\n' "$@" >"$W/$name.conf"
	LOG=$W/$name.log
	RC=0
	"$AGENT" --vmcore "$W/vmcore" --root "$ROOT" --config "$W/$name.conf" >"$LOG" 2>&1 || RC=$?
}
run t_none "target /" "compress zstd"
cp "$ROOT/$D/vmcore" "$W/one-thread.vmcore"
got=$(json "$ROOT/$D/kcatch.json" 'j["dump"]["threads"]')
check "no faked CPU file: one thread (kcatch.json: $got), and the console says why" \
	bash -c "[[ $got == 1 ]] && grep -q 'filter threads: 1 (test mode without' '$LOG'"
# name EXPECTED CPULIST AVAIL_KIB CONFIG...
for spec in "t_two 2 0-1 524288" "t_four 4 0-3 1048576" "t_mem 2 0-7 12288" "t_mem1 1 0-7 10240" "t_one 1 0 1048576" \
	    "t_nomem 1 0-3 0" "t_conf 3 0-1 1048576 threads=3" "t_auto 2 0,2 1048576 threads=auto"; do
	set -- $spec
	name=$1 want=$2 cpus=$3 avail=$4 extra=${5:-}
	conf=("target /" "compress zstd")
	[[ -n $extra ]] && conf+=("${extra/=/ }")
	if [[ $avail == 0 ]]; then
		run_fake "$name" "$cpus" 1 "${conf[@]}"
		: >"$ROOT/proc/meminfo"
		"$AGENT" --vmcore "$W/vmcore" --root "$ROOT" --config "$W/$name.conf" >"$LOG" 2>&1 || RC=$?
	else
		run_fake "$name" "$cpus" "$avail" "${conf[@]}"
	fi
	got=$(json "$ROOT/$D/kcatch.json" 'j["dump"]["threads"]' 2>/dev/null)
	check "threads: CPUs $cpus, MemAvailable $avail KiB${extra:+, $extra}: $want threads (got $got: $(grep -o 'filter threads: .*' "$LOG"))" \
		bash -c "[[ $RC == 0 && '$got' == $want ]] && grep -q 'filter threads: $want ' '$LOG'"
	check "... the dump is byte-identical to the one-thread dump" cmp -s "$W/one-thread.vmcore" "$ROOT/$D/vmcore"
done
check "threads 0 / threads many are refused with the range" \
	bash -c "printf 'target /\nthreads 0\n' >'$W/th.conf'; ! '$AGENT' --check-config '$W/th.conf' 2>&1 | grep -q .; '$AGENT' --check-config '$W/th.conf' 2>&1 | grep -q 'threads \"0\" is not a number from 1 to 64' && printf 'target /\nthreads many\n' >'$W/th.conf' && '$AGENT' --check-config '$W/th.conf' 2>&1 | grep -q 'threads \"many\" must be auto or a number'"

# 2. retention: keep 2 leaves the two newest
run keep "target /" "keep 2"
for i in 1 2; do
	"$AGENT" --vmcore "$W/vmcore" --root "$ROOT" --config "$W/keep.conf" >>"$LOG" 2>&1
done
check "keep 2: three captures leave two dump directories" \
	test "$(find "$ROOT/var/crash" -mindepth 1 -maxdepth 1 -type d | wc -l)" = 2
check "keep 2: the oldest was removed" grep -q 'keep: removed the old dump' "$LOG"

# 3. min_free larger than the disk: nothing but the log and kcatch.json
run minfree "target /" "min_free 1000T"
check "min_free 1000T: exit status 1 (status $RC)" test "$RC" = 1
check "min_free 1000T: no vmcore, no vmcore.incomplete" \
	bash -c "! test -e '$ROOT/$D/vmcore' && ! test -e '$ROOT/$D/vmcore.incomplete'"
check "min_free 1000T: kcatch.json says failed, not enough space" \
	test "$(json "$ROOT/$D/kcatch.json" 'j["status"] == "failed" and "not enough space" in j["error"]')" = True

# 4. a file size limit (a full disk, as the agent sees it): vmcore.incomplete
FULL=$(stat -c %s "$W/ok/$D/vmcore")
LIMIT=$((FULL * 3 / 4 / 1024))   # KiB, for ulimit -f: the headers fit, the pages do not
ROOT=$W/small LOG=$W/small.log RC=0
mkdir -p "$ROOT"
printf 'target /\n' >"$W/small.conf"
(ulimit -f $LIMIT && exec "$AGENT" --vmcore "$W/vmcore" --root "$ROOT" --config "$W/small.conf") >"$LOG" 2>&1 || RC=$?
check "file size limit ${LIMIT} KiB: exit status 2, incomplete (status $RC)" test "$RC" = 2
check "file size limit ${LIMIT} KiB: vmcore.incomplete kept, no vmcore" \
	bash -c "test -f '$ROOT/$D/vmcore.incomplete' && ! test -e '$ROOT/$D/vmcore'"
check "file size limit ${LIMIT} KiB: kcatch.json says incomplete" \
	test "$(json "$ROOT/$D/kcatch.json" '(j["status"], j["dump"]["file"], j["dump"]["incomplete_flag"])')" \
	= "('incomplete', 'vmcore.incomplete', True)"

# 5. a target that never appears: bounded wait, then failure
t0=$(date +%s)
run missing "target /nowhere" "target_timeout 2"
t=$(($(date +%s) - t0))
check "missing target: exit status 1 after the 2 s target_timeout (status $RC, ${t}s)" \
	bash -c "[[ $RC == 1 && $t -ge 2 && $t -le 6 ]]"
check "missing target: failure_action reboot is reported" grep -q 'the dump failed; failure_action: reboot' "$LOG"

# 6. fallback: the first target is missing, the second gets the dump
run fallback "target /nowhere" "target_timeout 1" "failure_action fallback" "fallback_target /fb"
mkdir -p "$ROOT/fb"
"$AGENT" --vmcore "$W/vmcore" --root "$ROOT" --config "$W/fallback.conf" >"$LOG" 2>&1 || RC=$?
check "failure_action fallback: the dump lands on fallback_target" \
	bash -c "test -f '$ROOT/fb/var/crash/$ID/vmcore' && grep -q 'RESULT fallback complete' '$LOG'"
check "failure_action fallback: kcatch.json names the fallback target" \
	test "$(json "$ROOT/fb/var/crash/$ID/kcatch.json" 'j["target"]["role"]')" = fallback

# 7. the watchdog ends a run that waits too long
t0=$(date +%s)
run watchdog "target /nowhere" "target_timeout 60" "watchdog 2"
t=$(($(date +%s) - t0))
check "watchdog 2: the run ends with status 124 after about 2 s (status $RC, ${t}s)" \
	bash -c "[[ $RC == 124 && $t -le 6 ]] && grep -q WATCHDOG '$LOG'"

# 8. configuration errors name the line
printf 'target UUID=1\npath /var/crash\ncompres zstd\n' >"$W/bad.conf"
check "unknown key: error names file and line" \
	bash -c "! '$AGENT' --check-config '$W/bad.conf' >/dev/null 2>&1 && '$AGENT' --check-config '$W/bad.conf' 2>&1 | grep -q 'bad.conf:3: unknown key \"compres\"'"
printf 'target UUID=1\ndump_level 40\n' >"$W/bad2.conf"
check "bad value: error names file and line" \
	bash -c "'$AGENT' --check-config '$W/bad2.conf' 2>&1 | grep -q 'bad2.conf:2: dump_level \"40\" is not a number from 0 to 31'"
# numbers out of range: file, line and the allowed range (nothing the agent adds up can overflow)
range_case() {  # KEY VALUE EXPECTED-MESSAGE
	printf 'target UUID=1\n%s %s\n' "$1" "$2" >"$W/range.conf"
	check "$1 $2 refused: $3" \
		bash -c "! '$AGENT' --check-config '$W/range.conf' >/dev/null 2>&1 &&
			'$AGENT' --check-config '$W/range.conf' 2>&1 | grep -qF 'range.conf:2: $1 \"$2\" $3'"
}
range_case min_free 1025T "is out of range: from 0 to 1024T (1 PiB)"
range_case min_free 18446744073709551615 "is out of range: from 0 to 1024T (1 PiB)"
range_case min_free 99999999999999999999 "is not a size from 0 to 1024T"
range_case keep 100001 "is not a number from 0 to 100000"
range_case keep -1 "is not a number from 0 to 100000"
range_case watchdog 604801 "is not a number from 0 to 604800"
range_case target_timeout 4294967297 "is not a number from 0 to 3600"
range_case progress_interval 0 "is not a number from 1 to 3600"
printf 'target UUID=1\nmin_free 1024T\n' >"$W/range.conf"
check "min_free 1024T, the largest, is accepted" \
	bash -c "'$AGENT' --check-config '$W/range.conf' | grep -qx 'min_free 1.0 PiB'"
run badconf "target /" "keep many" "dump_level 1"
check "a bad line in the capture environment is reported, the valid lines still save the dump" \
	bash -c "[[ $RC == 0 ]] && grep -q 'badconf.conf:2: keep \"many\" is not a number' '$LOG' && test -f '$ROOT/$D/vmcore'"
check "... with the settings of the valid lines (dump_level 1)" \
	test "$(json "$ROOT/$D/kcatch.json" 'j["dump"]["dump_level"]')" = 1
run badconf2 "target UUID=1" "path /x/../y" "compres zstd"
check "two bad lines: the first is named, the count of the others given" \
	bash -c "grep -q 'badconf2.conf:2: path \"/x/../y\" must not contain' '$LOG' && grep -qF '(and 1 more error)' '$LOG'"
check "the documented example configuration is valid" "$AGENT" --check-config "$EXAMPLE"

# a kernel newer than kcatch: its VMCOREINFO lacks the buddy value, so free
# pages are kept; the dump is complete, kcatch.json and the console say what
# was missing and how many pages it kept
FUTURE=$(dirname "$SPEC")/future-6.12-buddy-renamed.spec
if "$MKVMCORE" "$FUTURE" "$W/vmcore" "$W/expect" >/dev/null; then
	run future "target /" "path /var/crash"
	check "future VMCOREINFO: exit 0, kcatch.json complete" \
		test "$RC/$(json "$ROOT/$D/kcatch.json" 'j["status"]')" = 0/complete
	check "kcatch.json names the missing line and the pages kept because of it ($(json "$ROOT/$D/kcatch.json" 'j["pages"].get("kept_missing_vmcoreinfo")'))" \
		test "$(json "$ROOT/$D/kcatch.json" 'j["pages"]["kept_missing_vmcoreinfo"]["NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)"] > 0 and j["pages"]["free"] == 0')" = True
	check "the console names it once" \
		test "$(grep -c 'VMCOREINFO lacks NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)' "$LOG")" = 1
else
	not_ok "mkvmcore $FUTURE"
fi

tap_finish
