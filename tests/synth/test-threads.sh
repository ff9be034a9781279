#!/bin/bash
# --num-threads: the same bytes whatever the count, and nothing lost or
# misplaced when the threads write. The pipeline (pipeline.c) compresses
# in N threads and lets any of them write a batch once its place in the
# file is fixed, so this runs every writer mode that goes through it:
# compressors, -d 1 (zero pages), flattened streams, --split (batches
# across a part boundary are written by the caller), and a disk that
# fills while batches are in flight. CI also runs it in a ThreadSanitizer
# build (tests/run), where a data race fails the run. Prints TAP.
#
#   test-threads.sh KCATCH_FILTER KDUMP_VERIFY MKVMCORE SPEC
set -uo pipefail
KF=$1 KV=$2 MK=$3 SPEC=$4
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else failed=$((failed + 1)); echo "not ok $n - $2"; fi; }
W=$(mktemp -d)
trap 'umount "$W/small" 2>/dev/null; rm -rf "$W"' EXIT
"$MK" "$SPEC" "$W/v" "$W/e" >/dev/null || { echo "not ok 1 - mkvmcore"; echo "1..1"; exit 1; }
same() { cmp -s "$1" "$2" && echo 0 || echo 1; }
# kcatch-filter that must succeed: a non-zero exit (a sanitizer's report
# included) fails the next check through bad
bad=0
kf() { "$KF" "$@" || { bad=1; echo "# kcatch-filter $* exited $?"; }; }

# small cycles and many batches: several descriptor flushes and ring turns
for c in "-l -d 31" "-z -d 1" "-c -d 17" "-d 0"; do
	bad=0; kf $c --cycle-pages 4096 --num-threads 0 --message-level 4 "$W/v" "$W/ref" 2>"$W/err"
	"$KV" --quiet --vmcore "$W/v" "$W/ref" >/dev/null 2>&1
	ok $(($? | bad)) "$c, one thread: the dump verifies, every page equals the vmcore's"
	for t in 2 3 4; do
		bad=0; kf $c --cycle-pages 4096 --num-threads $t --message-level 4 "$W/v" "$W/t$t" 2>>"$W/err"
		ok $(($(same "$W/ref" "$W/t$t") | bad)) "$c, --num-threads $t: byte-identical to one thread"
		rm -f "$W/t$t"
	done
	bad=0
	kf $c -F --num-threads 4 --message-level 4 "$W/v" >"$W/flat4" 2>>"$W/err"
	kf $c -F --num-threads 0 --message-level 4 "$W/v" >"$W/flat0" 2>>"$W/err"
	ok $(($(same "$W/flat0" "$W/flat4") | bad)) "$c -F: the stream is the same with 4 threads"
	rm -f "$W/ref" "$W/flat0" "$W/flat4"
	[ -s "$W/err" ] && sed 's/^/# /' "$W/err" | head -5
done

# --split: parts whose boundary falls inside a batch
bad=0
kf -z -d 1 --num-threads 0 --split --message-level 4 "$W/v" "$W/s0a" "$W/s0b" "$W/s0c"
kf -z -d 1 --num-threads 4 --split --message-level 4 "$W/v" "$W/s4a" "$W/s4b" "$W/s4c"
r=$bad
for p in a b c; do cmp -s "$W/s0$p" "$W/s4$p" || r=1; done
ok $r "--split in 3 with 4 threads: every part byte-identical to one thread's"
"$KF" --reassemble --message-level 4 "$W/s4a" "$W/s4b" "$W/s4c" "$W/joined"
"$KV" --quiet --vmcore "$W/v" "$W/joined" >/dev/null 2>&1
ok $? "--split with 4 threads, reassembled: the dump verifies against the vmcore"
rm -f "$W"/s[04]? "$W/joined"

# a disk that fills while the threads write (root: a small tmpfs)
if [ "$(id -u)" = 0 ] && mkdir "$W/small" && mount -t tmpfs -o size=3m tmpfs "$W/small"; then
	"$KF" -d 0 --num-threads 4 --message-level 4 "$W/v" "$W/small/dump" 2>"$W/err"; rc=$?
	grep -q 'Sanitizer' "$W/err" && sed 's/^/# /' "$W/err" | head -30
	ok $([ $rc = 2 ] && grep -q 'file system is full' "$W/err" && ! grep -q 'Sanitizer' "$W/err" && echo 0 || echo 1) \
		"disk full with 4 threads: exit 2 and the error says the file system is full (got $rc)"
	"$KV" --vmcore "$W/v" "$W/small/dump" >"$W/kv" 2>&1; kv=$?
	dumped=$(sed -n 's/.*dumped \([0-9]*\).*/\1/p' "$W/kv"); lost=$(sed -n 's/.*lost \([0-9]*\).*/\1/p' "$W/kv")
	ok $([ $kv = 0 ] && grep -q 'incomplete: yes' "$W/kv" && [ -n "$lost" ] && [ "$lost" -lt "$dumped" ] &&
		echo 0 || echo 1) \
		"disk full with 4 threads: marked incomplete, $((dumped - ${lost:-0})) of $dumped pages readable and equal to the vmcore's"
else
	echo "ok $((n += 1)) # SKIP disk full: needs root for a small tmpfs"
	echo "ok $((n += 1)) # SKIP disk full: needs root for a small tmpfs"
fi
echo "1..$n"
[ $failed = 0 ]
