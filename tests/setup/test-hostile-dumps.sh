#!/bin/bash
# kcatch list, report and report --journal on a dump directory that others
# have written into (a world-writable /var/crash, an export many hosts
# share): next to one genuine dump, entries made to hurt a root process.
# Symbolic links to files and directories outside, FIFOs and a device in
# place of vmcore-dmesg.txt and kcatch.json, huge and sparse files,
# broken and truncated JSON, names and values with terminal escape
# sequences and newlines, a directory owned by another user, a planted
# "reported" link. Each command must end in bounded time, read and write
# nothing outside the dump directory, print every planted byte escaped,
# still list and report the genuine dump, and give the journal one field
# per value (a test sink stands for journald in a private mount namespace:
# journal-sink.py). Run by the ASan/UBSan build too (suite unit).
#
#   test-hostile-dumps.sh KCATCH
set -uo pipefail
KCATCH=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/kcatch-test-hostile.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
R=$W/root D=$W/root/var/crash O=$W/outside
. "$(dirname "$0")/../e2e/lib-tap.sh"
ESC=$'\e'

# ---- the dump directory ----
mkdir -p "$R/etc" "$D" "$O/dumpdir"
printf 'path /var/crash\n' >"$R/etc/kcatch.conf"
chmod 1777 "$D"
json() {  # DIR PANIC: a kcatch.json as the agent writes it
	printf '{\n  "version": 1,\n  "status": "complete",\n  "crash_time": "2026-01-02T03:04:05Z",\n  "kernel_release": "6.1.0-18-amd64",\n  "hostname": "good",\n  "panic_message": "%s",\n  "bytes": { "memory": 4294967296 },\n  "dump": { "file": "vmcore", "dump_level": 31, "compressor": "zstd" },\n  "pages": { "in_memory": 1048576 }\n}\n' "$2" >"$1/kcatch.json"
}
GOOD=2026-01-02-03:04:05-good
mkdir "$D/$GOOD"
json "$D/$GOOD" "Kernel panic - not syncing: sysrq triggered crash"
head -c 65536 /dev/zero >"$D/$GOOD/vmcore"
printf '[    1.000000] Linux version 6.1.0-18-amd64\n[    2.000000] Kernel panic - not syncing: sysrq triggered crash\n[    2.000001] Kernel Offset: disabled\n' \
	>"$D/$GOOD/vmcore-dmesg.txt"

# outside: what a link points to; none of it may be read, created or changed
echo "Kernel panic - not syncing: SECRET-DMESG" >"$O/secret.txt"
json "$O" "SECRET-JSON"
cp -r "$D/$GOOD/." "$O/dumpdir/" && json "$O/dumpdir" "SECRET-DIR"
echo keep >"$O/victim"
L=2026-01-03-00:00:00-links
mkdir "$D/$L"
ln -s "$O/secret.txt" "$D/$L/vmcore-dmesg.txt"
ln -s "$O/kcatch.json" "$D/$L/kcatch.json"
ln -s "$O/victim" "$D/$L/vmcore"
ln -s "$O/reported-created" "$D/$L/reported"   # dangling: creating through it writes outside
ln -s "$O/dumpdir" "$D/2026-01-04-00:00:00-dirlink"
ln -s "$O/secret.txt" "$D/2026-01-04-00:00:01-filelink"
F=2026-01-05-00:00:00-fifo
mkdir "$D/$F"
mkfifo "$D/$F/vmcore-dmesg.txt" "$D/$F/kcatch.json" "$D/$F/vmcore" "$D/$F/reported"
H=2026-01-06-00:00:00-huge
mkdir "$D/$H"
truncate -s 3G "$D/$H/kcatch.json"
truncate -s 100G "$D/$H/vmcore-dmesg.txt"
B=2026-01-06-00:00:01-bigline   # 8 MiB of one line, under the log's bound
mkdir "$D/$B"
head -c $((8 << 20)) /dev/zero | tr '\0' 'x' >"$D/$B/vmcore-dmesg.txt"
i=0
for t in '{"status":"complete","panic_message":"abc\' '{"hostname":"\u12' '{"a":"\u00' '{"status":"complete"' \
	"$(printf '%.0s[' $(seq 5000))" '{"status":"x\u0000\u001b[2Jhidden"}' '{"status":1e999999999}' '' '[]' \
	'{"status":"complete"} trailing' '{"dump":"notanobject","pages":{"in_memory":{"x":1}}}'; do
	j=$(printf '2026-01-07-00:00:%02d-json%d' $i $i)
	mkdir "$D/$j" && printf '%s' "$t" >"$D/$j/kcatch.json"
	i=$((i + 1))
done
# a name with an OSC title sequence, a colour, a newline and a fake line after it
E="2026-01-08-00:00:00-${ESC}]0;pwned${ESC}\\${ESC}[31mred"$'\n'"2026-01-09-00:00:00 fake-line"
mkdir "$D/$E"
printf '{"status":"complete\\u001b[2J","kernel_release":"6.1\\r\\u009b31m","panic_message":"Kernel panic\\nKCATCH_INJECT=1\\nMESSAGE_ID=00000000000000000000000000000000","hostname":"\\u202eevil"}' \
	>"$D/$E/kcatch.json"
printf 'Kernel panic - not syncing: \e[2Jraw escape\rCR \xff\xfe not utf-8\n' >"$D/$E/vmcore-dmesg.txt"
if [ "$(id -u)" = 0 ]; then
	N=2026-01-09-00:00:00-dev
	mkdir "$D/$N"
	mknod "$D/$N/vmcore-dmesg.txt" c 1 3       # /dev/null's numbers
	mknod "$D/$N/kcatch.json" c 5 0             # /dev/tty: opening it would act
	U=2026-01-10-00:00:00-otheruser
	mkdir "$D/$U" && json "$D/$U" "planted by nobody" && chown -R nobody "$D/$U" && chmod 0777 "$D/$U"
fi
snapshot() { (cd "$O" && find . -printf '%p %y %s %T@ %l\n' | sort) }
snapshot >"$W/outside.before"

# ---- the commands ----
run() {  # OUT_NAME ARGS...: kcatch with a bound on its time; status in $RC
	local n=$1; shift
	RC=0
	timeout 60 env -u NOTIFY_SOCKET "$KCATCH" --root "$R" "$@" >"$W/$n.out" 2>"$W/$n.err" || RC=$?
}
raw_free() {  # FILE...: no ESC, CR or other C0 control byte (but newline) printed raw
	! LC_ALL=C grep -n $'[\x01-\x08\x0b-\x1f\x7f]' "$@"
}
nothing_outside() {
	snapshot | diff "$W/outside.before" - && [ ! -e "$O/reported-created" ] && [ ! -e "$O/dumpdir/reported" ]
}
no_secret() { ! grep -n SECRET "$@"; }

run list list
check "list: ends in bounded time (status $RC)" test "$RC" = 0
check "list: the genuine dump is listed, complete, with its panic line" \
	grep -E "^$GOOD +2026-01-02T03:04:05Z +6\.1\.0-18-amd64 .* complete +([0-9a-f]{16}|-) +Kernel panic - not syncing: sysrq triggered crash$" "$W/list.out"
check "list: nothing read through a symbolic link (no SECRET)" no_secret "$W/list.out" "$W/list.err"
check "list: no control byte printed raw (stdout and stderr)" raw_free "$W/list.out" "$W/list.err"
check "list: the planted name shown escaped, on one line" \
	grep -F '2026-01-08-00:00:00-\x1b]0;pwned\x1b\\\x1b[31mred\n2026-01-09-00:00:00 fake-line' "$W/list.out"
check "list: JSON values escaped (\\x1b, \\r, C1 \\u{009b}, bidi \\u{202e}, \\n)" \
	grep -F 'complete\x1b[2J' "$W/list.out"
check "list: the symbolic links to a directory and a file are not dumps" \
	eval "grep -E '^2026-01-04-00:00:00-dirlink .*not-a-dump' '$W/list.out' && grep -F 'symbolic link (not followed)' '$W/list.err'"
check "list: FIFOs are named, not opened" grep -F "$F: vmcore: a FIFO, socket or device, not a regular file" "$W/list.err"
check "list: the huge kcatch.json is refused by size" grep -F "$H: kcatch.json: larger than kcatch reads" "$W/list.err"
check "list: the huge vmcore-dmesg.txt is refused by size, and says so" \
	grep -F "$H: kcatch.json: larger than kcatch reads (a planted file?); vmcore-dmesg.txt: larger than kcatch reads" "$W/list.err"
check "list: truncated and broken JSON are errors, not crashes" \
	eval "[ \$(grep -c 'kcatch.json: not valid JSON\|kcatch.json: not a JSON object' '$W/list.err') -ge 8 ]"
check "list: one line per entry (before the table by signature)" eval "[ \$(sed '/^\$/,\$d' '$W/list.out' | wc -l) = \$((\$(find '$D' -mindepth 1 -maxdepth 1 -printf x | wc -c) + 1)) ]"
check "list: nothing outside read, created or changed" nothing_outside

for id in "$GOOD" "$L" "$F" "$H" "$B" "$E" 2026-01-07-00:00:00-json0 2026-01-07-00:00:04-json4 ${N:+"$N"} ${U:+"$U"}; do
	run report report "$id"
	name=$(printf '%q' "$id" | cut -c1-40)
	check "report $name: ends in bounded time (status $RC)" test "$RC" = 0
	check "report $name: no control byte raw, nothing read through a link" \
		eval "raw_free '$W/report.out' '$W/report.err' && no_secret '$W/report.out' '$W/report.err'"
done
run report report "$GOOD"
check "report: the genuine dump's summary" \
	eval "grep -qx '  panic        Kernel panic - not syncing: sysrq triggered crash' '$W/report.out' &&
	      grep -qx '    \[    2.000001\] Kernel Offset: disabled' '$W/report.out'"
run report report "$E"
check "report: the planted log line escaped (\\x1b, \\r, \\xff)" \
	grep -F 'Kernel panic - not syncing: \x1b[2Jraw escape\rCR \xff\xfe not utf-8' "$W/report.out"
run report report "$L"
check "report: a linked log and kcatch.json are named, not followed" \
	eval "grep -F 'vmcore-dmesg.txt: a symbolic link (not followed)' '$W/report.out' && grep -q 'no kcatch.json' '$W/report.out'"
run report report
check "report without an ID: the newest dump directory, not a planted link or name" \
	eval "[ $RC = 0 ] && grep -q '^kcatch: crash dump 2026-01-' '$W/report.out' && ! grep -q 'dirlink\|filelink' '$W/report.out'"
check "report: nothing outside read, created or changed" nothing_outside

# ---- report --journal ----
journal() {  # OUT: report --journal, with the journal sink in a private mount namespace
	local ns=(unshare -m --propagation private)
	[ "$(id -u)" = 0 ] || ns=(unshare -r -m --propagation private)
	rm -f "$W/done" "$W/journal.json"
	RC=0
	timeout 90 "${ns[@]}" bash -c '
		mount -t tmpfs kcatch-test /run && mkdir -p /run/systemd/journal || exit 90
		python3 "$1" /run/systemd/journal/socket "$2" "$3" & sink=$!
		for i in $(seq 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.05; done
		env -u NOTIFY_SOCKET "$4" --root "$5" report --journal; rc=$?
		touch "$3"; wait $sink; exit $rc' sh "$HERE/journal-sink.py" "$W/journal.json" "$W/done" "$KCATCH" "$R" \
		>"$W/$1.out" 2>"$W/$1.err" || RC=$?
}
if "${ns[@]:-unshare}" -m true 2>/dev/null || unshare -r -m true 2>/dev/null; then
	journal j1
	check "report --journal: ends in bounded time (status $RC)" test "$RC" = 0
	check "report --journal: the genuine dump reported and marked (a regular file)" \
		eval "grep -qx 'reported $GOOD to the journal' '$W/j1.out' && [ -f '$D/$GOOD/reported' ] && [ ! -L '$D/$GOOD/reported' ]"
	check "report --journal: the entries reached the sink" test -s "$W/journal.json"
	check "report --journal: every entry has exactly the report's fields, once each, MESSAGE_ID kept" python3 - "$W/journal.json" <<'PY'
import json, sys
want = ["MESSAGE", "MESSAGE_ID", "PRIORITY", "SYSLOG_IDENTIFIER", "KCATCH_DUMP_ID", "KCATCH_DUMP_DIR", "KCATCH_KERNEL", "KCATCH_PANIC", "KCATCH_SIGNATURE"]
es = json.load(open(sys.argv[1]))
assert len(es) >= 3, es
for e in es:
    keys = [k for k, v in e]
    assert sorted(keys) == sorted(want), keys
    d = dict(e)
    assert d["MESSAGE_ID"] == "5e1c3a4f9b2d4e7a8c6f0b1d2e3f4a5b" and d["PRIORITY"] == "2", d
    for k in want[1:]:
        assert "\n" not in d[k] and "\x1b" not in d[k] and "\r" not in d[k], (k, d[k])
    assert "\x1b" not in d["MESSAGE"] and "SECRET" not in d["MESSAGE"], d["MESSAGE"]
PY
	check "report --journal: the planted name and panic are escaped values, no injected field" python3 - "$W/journal.json" <<'PY'
import json, sys
es = [dict(e) for e in json.load(open(sys.argv[1]))]
e = [e for e in es if "pwned" in e["KCATCH_DUMP_ID"]]
assert len(e) == 1, es
e = e[0]
assert e["KCATCH_DUMP_ID"].endswith("red\\n2026-01-09-00:00:00 fake-line"), e["KCATCH_DUMP_ID"]
assert e["KCATCH_PANIC"] == "Kernel panic\\nKCATCH_INJECT=1\\nMESSAGE_ID=00000000000000000000000000000000", e["KCATCH_PANIC"]
assert e["KCATCH_KERNEL"] == "6.1\\r\\u{009b}31m", e["KCATCH_KERNEL"]
good = [e for e in es if e["KCATCH_DUMP_ID"] == "2026-01-02-03:04:05-good"]
assert len(good) == 1 and good[0]["KCATCH_PANIC"] == "Kernel panic - not syncing: sysrq triggered crash", good
PY
	check "report --journal: links and FIFOs named 'reported' are left alone, the dump said so" \
		eval "[ -L '$D/$L/reported' ] && [ -p '$D/$F/reported' ] && grep -F 'cannot mark' '$W/j1.err' | grep -qF '$L/reported: something already there'"
	check "report --journal: the linked directory not reported, nothing created outside" \
		eval "! grep -q dirlink '$W/j1.out' && nothing_outside"
	check "report --journal: stdout and stderr have no raw control byte" raw_free "$W/j1.out" "$W/j1.err"
	journal j2
	check "report --journal again: the genuine dump is not reported twice (status $RC)" \
		eval "[ $RC = 0 ] && ! grep -q '$GOOD' '$W/j2.out' && nothing_outside"
else
	skip "report --journal with a journal sink" "no mount namespace (unshare -m) here"
fi
# no journald at all: the summary goes to stderr, still escaped
rm -f "$D/$GOOD/reported"
RC=0
timeout 60 unshare -m --propagation private sh -c 'mount -t tmpfs kcatch-test /run && exec env -u NOTIFY_SOCKET "$0" --root "$1" report --journal' \
	"$KCATCH" "$R" >"$W/j3.out" 2>"$W/j3.err" || RC=$?
if [ "$(id -u)" != 0 ]; then
	skip "report --journal without journald" "needs root for a private /run"
elif ! unshare -m --propagation private true 2>/dev/null; then
	# a chroot whose / is no mount point (a fresh debootstrap root) cannot make one
	skip "report --journal without journald" "no private mount namespace here (unshare -m)"
else
	check "report --journal without journald: the summary on stderr, escaped (status $RC)" \
		eval "[ $RC = 0 ] && grep -q 'kcatch: crash dump $GOOD' '$W/j3.err' && raw_free '$W/j3.out' '$W/j3.err'"
fi
check "everything: nothing outside read, created or changed" nothing_outside

tap_finish
