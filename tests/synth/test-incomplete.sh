#!/bin/bash
# A dump cut short must never look complete: on a full file system the
# filter exits 2 and the file carries the kdump incomplete flag (readers
# see which pages were lost); killed midway, the file it leaves carries
# the flag too, because the header is rewritten without it only at the
# very end. Needs root for a small tmpfs. Prints TAP.
#
#   test-incomplete.sh KCATCH_FILTER KDUMP_VERIFY MKVMCORE SPEC
set -uo pipefail
KF=$1 KV=$2 MK=$3 SPEC=$4
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else failed=$((failed + 1)); echo "not ok $n - $2"; fi; }
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root to mount a small tmpfs"; exit 77; }
W=$(mktemp -d)
trap 'umount "$W/small" 2>/dev/null; rm -rf "$W"' EXIT
"$MK" "$SPEC" "$W/v" "$W/e" >/dev/null || { echo "not ok 1 - mkvmcore"; exit 1; }
mkdir "$W/small"
mount -t tmpfs -o size=12m tmpfs "$W/small" || { echo "not ok 1 - mount tmpfs"; exit 1; }

# -d 0 without compression: far more than 12 MiB
"$KF" -d 0 --message-level 4 "$W/v" "$W/small/dump" 2>"$W/err"; rc=$?
ok $([ $rc = 2 ] && echo 0 || echo 1) "disk full: exit status 2 (got $rc: $(head -c 200 "$W/err" | tr '\n' ' '))"
ok $(grep -q 'file system is full' "$W/err" && echo 0 || echo 1) "disk full: the error says the file system is full"
ok $(grep -q 'INCOMPLETE' "$W/err" && echo 0 || echo 1) "disk full: it says the file is kept, marked incomplete"
"$KV" --vmcore "$W/v" "$W/small/dump" >"$W/kv" 2>&1; kv=$?
ok $([ $kv = 0 ] && grep -q 'incomplete: yes' "$W/kv" && echo 0 || echo 1) \
	"disk full: kdump-verify reads it as incomplete, and the pages it has equal the vmcore's ($(tail -1 "$W/kv"))"
dumped=$(sed -n 's/.*dumped \([0-9]*\).*/\1/p' "$W/kv"); lost=$(sed -n 's/.*lost \([0-9]*\).*/\1/p' "$W/kv")
ok $([ -n "$lost" ] && [ "$lost" -lt "$dumped" ] && echo 0 || echo 1) \
	"disk full: the pages written before the disk filled are readable ($((dumped - ${lost:-0})) of $dumped; descriptors were reserved up front)"
rm -f "$W/small/dump"

# killed midway: a slow enough run, stopped by SIGKILL after its header is out
"$KF" -c -d 0 --message-level 0 "$W/v" "$W/dump" & pid=$!
for _ in $(seq 100); do [ -s "$W/dump" ] && break; sleep 0.01; done
kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null
if [ -s "$W/dump" ]; then
	status=$(od -An -tu4 -j424 -N4 "$W/dump" | tr -d ' ')
	ok $(( (status & 8) ? 0 : 1 )) "killed midway: the header status ($status) carries the incomplete flag"
else
	ok 0 "killed midway: no file was written yet (nothing looks complete)"
fi
# a flattened stream cut short (ssh dropped): -R exits 2, nothing looks complete
"$KF" -F -l -d 0 --message-level 0 "$W/v" >"$W/flat"
head -c $(( $(stat -c %s "$W/flat") / 2 )) "$W/flat" >"$W/cut"
"$KF" -R "$W/rebuilt" --message-level 0 <"$W/cut"; rc=$?
"$KV" --quiet "$W/rebuilt" >"$W/kv2" 2>&1; kv=$?
ok $([ $rc = 2 ] && { [ $kv != 0 ] || grep -q 'incomplete: yes' "$W/kv2"; } && echo 0 || echo 1) \
	"cut stream: -R exits 2 (got $rc) and the result does not pass as a complete dump"
echo "1..$n"
[ $failed = 0 ]
