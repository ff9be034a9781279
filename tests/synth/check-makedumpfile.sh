#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# check-makedumpfile.sh MKVMCORE SPEC...
#
# Independent check of the generator with makedumpfile (ground truth for
# the eras the installed release knows, see below):
# for every spec, build the vmcore, compare makedumpfile --dump-dmesg with
# the expected log (the classic form from 1.7.4 and older, the caller id
# form from 1.7.5 and later), run makedumpfile at several dump levels
# and compare, page by page, which PFNs it kept (bitmap 2 of its kdump
# output) with the expectation file, and its report's per-class counts
# with the expectation's counts at -d 31.
#
# Known, expected differences are reported but do not fail:
#  - a compound head with a garbage order (corrupt garbage_order): 1.7.2
#    treats it as an order-0 page and excludes it when it looks like cache;
#  - no NUMBER(PG_hwpoison) in VMCOREINFO: 1.7.2 walks the mem_map only for
#    levels that need it, so offline pages are kept at -d 0 and -d 1.
#  - unaccepted memory (6.16+) reads as zeros: with -d 1 makedumpfile drops
#    it as zero pages, the expectation says free.
# Each spec is judged only by a makedumpfile that knows its era (the
# release that first handled it, from makedumpfile's history): 5.10 and 6.1 1.7.2,
# 6.3 1.7.3, 6.6 1.7.4, 6.9/6.10 1.7.6, 6.12/new 1.7.7 (trixie's 1.7.6
# counts no free page there), 6.16 1.7.8, 7.1 only master (1.8.0). Other specs are skipped unless ALL=1, and so are
# specs marked "# check-makedumpfile: skip" (a VMCOREINFO from the future:
# what to keep then is kcatch's policy, not makedumpfile's). For the
# 6.12+ eras 'type_junk no' is appended (makedumpfile compares page types
# exactly, as the kernel leaves their low 24 bits zero for these types).
# E.g. MAKEDUMPFILE=/root/.cache/kcatch/tools/bin/sid-makedumpfile (1.7.8).
# EXTRA is appended to every spec. LEVELS picks the dump levels.
# Exit 77 when makedumpfile or python3 is missing (meson: skipped).
set -eu

mk=$1
shift
mdf=${MAKEDUMPFILE:-makedumpfile}
command -v "$mdf" >/dev/null 2>&1 || { echo "makedumpfile not installed"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "python3 not installed"; exit 77; }
levels=${LEVELS:-"1 2 4 8 16 31"}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/synth-mdf.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0

# "1.7.6" -> 10706, to compare releases
vnum() { echo "$1" | awk -F. '{ printf "%d\n", $1 * 10000 + $2 * 100 + $3 }'; }
have=$(vnum "$("$mdf" -v 2>&1 | sed -n 's/.*version \([0-9][0-9.]*\).*/\1/p' | head -1)")

for spec in "$@"; do
	name=$(basename "$spec" .spec)
	era=$(awk '$1 == "era" { e = $2 } END { print e ? e : "old" }' "$spec")
	case $era in
	old|5.10|6.1) need=1.7.2 ;;
	6.3) need=1.7.3 ;;
	6.6) need=1.7.4 ;;
	6.9|6.10) need=1.7.6 ;;
	6.12|new) need=1.7.7 ;;
	6.16) need=1.7.8 ;;
	*) need=1.8.0 ;;
	esac
	knows=no
	[ "$have" -ge "$(vnum $need)" ] && knows=yes
	if [ "${ALL:-0}" != 1 ] && [ $knows = no ]; then
		echo "# $name: era $era needs makedumpfile >= $need, skipped (set MAKEDUMPFILE, or ALL=1)"
		continue
	fi
	if [ "${ALL:-0}" != 1 ] && grep -q '^# check-makedumpfile: skip' "$spec"; then
		echo "# $name: $(sed -n 's/^# check-makedumpfile: skip *//p' "$spec"), skipped"
		continue
	fi
	cat "$spec" >"$tmp/spec"
	case $era in 6.12|6.16|7.*|new) echo "type_junk no" >>"$tmp/spec" ;; esac
	[ -z "${EXTRA:-}" ] || printf '%s\n' "$EXTRA" >>"$tmp/spec"
	"$mk" "$tmp/spec" "$tmp/$name.vmcore" "$tmp/$name.expect" "$tmp/$name.dmesg" "$tmp/$name.cdmesg" >/dev/null
	known_fail=no
	if grep -qE '^section +[0-9]+ +(nomemmap|unmapped|outside)' "$spec"; then
		known_fail=yes
	fi
	rm -f "$tmp/dmesg"
	rc=0
	"$mdf" --dump-dmesg "$tmp/$name.vmcore" "$tmp/dmesg" >"$tmp/log" 2>&1 || rc=$?
	if [ $rc != 0 ] && [ $known_fail = yes ]; then
		echo "ok - $name --dump-dmesg: makedumpfile gives up (known: it reads the mem_map first): $(grep -m1 -iE "can't|error" "$tmp/log")"
	elif [ $rc = 0 ] && cmp -s "$tmp/dmesg" "$tmp/$name.dmesg"; then
		echo "ok - $name --dump-dmesg: $(wc -l <"$tmp/dmesg") lines, identical (classic form)"
	elif [ $rc = 0 ] && cmp -s "$tmp/dmesg" "$tmp/$name.cdmesg"; then
		echo "ok - $name --dump-dmesg: $(wc -l <"$tmp/dmesg") lines, identical (caller id form, 1.7.5+)"
	else
		echo "not ok - $name --dump-dmesg differs: $(diff "$tmp/dmesg" "$tmp/$name.dmesg" 2>&1 | head -3 | tr '\n' ' ')"
		fail=1
	fi
	args=
	for l in $levels; do
		if ! "$mdf" -d "$l" --message-level 31 "$tmp/$name.vmcore" "$tmp/$l.out" \
			>"$tmp/$l.log" 2>&1; then
			why=$(grep -m1 -iE "can't|error" "$tmp/$l.log" || tail -1 "$tmp/$l.log")
			if [ $known_fail = yes ]; then
				echo "ok - $name -d $l: makedumpfile gives up (known: makedumpfile stops at an unreadable mem_map): $why"
			else
				echo "not ok - $name -d $l: makedumpfile failed: $why"
				fail=1
			fi
			break
		fi
		args="$args $l $tmp/$l.out $tmp/$l.log"
	done
	# one python run per spec: its start-up is slow on small VMs
	[ -z "$args" ] || python3 - "$tmp/$name.expect" "$name" $args <<'EOF' || fail=1
import re, struct, sys
import mmap

def check(expect, name, level, out, log):
    f = open(out, 'rb')
    d = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    assert d[:8] == b'KDUMP   ', 'not a kdump file'
    bs, sub, bmblocks, maxmapnr = struct.unpack_from('<iiII', d, 428)
    bm2 = d[(1 + sub + bmblocks // 2) * bs:(1 + sub + bmblocks) * bs]
    descbase = (1 + sub + bmblocks) * bs
    # rank of a PFN among the set bits of bitmap 2 = index of its page descriptor
    prefix = [0]
    for byte in bm2:
        prefix.append(prefix[-1] + bin(byte).count('1'))
    zero_page = bytes(bs)
    zero_off = {}
    dropped_zero = set()
    def kept(pfn):
        if pfn >> 3 >= len(bm2) or not bm2[pfn >> 3] >> (pfn & 7) & 1:
            return False
        if not level & 1:
            return True
        # with -d 1, every zero page's descriptor points at one shared zero page
        idx = prefix[pfn >> 3] + bin(bm2[pfn >> 3] & ((1 << (pfn & 7)) - 1)).count('1')
        off, size, flags = struct.unpack_from('<QII', d, descbase + 24 * idx)
        if off not in zero_off:
            zero_off[off] = size == bs and flags == 0 and d[off:off + bs] == zero_page
        if zero_off[off]:
            dropped_zero.add(pfn)
        return not zero_off[off]
    excl = {'zero': 1, 'cache': 6, 'cache_private': 4, 'user': 8, 'free': 16}
    counts = {}
    diff = {}
    for line in open(expect):
        if line.startswith('#') or not line.strip():
            continue
        rng, cls = line.split()
        a, _, b = rng.partition('-')
        a = int(a, 16); b = int(b, 16) if b else a
        counts[cls] = counts.get(cls, 0) + b - a + 1
        out_expected = cls in ('hwpoison', 'offline') or bool(excl.get(cls, 0) & level)
        for pfn in range(a, b + 1):
            if kept(pfn) == out_expected and not (cls == 'free' and pfn in dropped_zero):
                diff.setdefault(cls, []).append(pfn)
    ndiff = sum(len(v) for v in diff.values())
    msg = ', '.join('%s: %d (%s%s)' % (c, len(v), ' '.join(hex(p) for p in v[:4]), '...' if len(v) > 4 else '')
                    for c, v in sorted(diff.items()))
    known = ''
    if ndiff:
        # the expected differences described in the header of this script
        text = open(log).read()
        kinds = set(diff)
        if kinds <= {'unsure'} and all(len(v) == 1 for v in diff.values()):
            known = ' (known: makedumpfile excludes a garbage-order head as an order-0 page)'
        elif kinds <= {'offline'} and level in (0, 1):
            known = ' (known: makedumpfile skips the mem_map walk at this level)'
    ok = not ndiff or known
    report = ''
    if level == 31:
        t = open(log).read()
        def num(label):
            m = re.search(label + r'\s*:\s*0x([0-9a-f]+)', t)
            return int(m.group(1), 16) if m else -1
        pairs = [('zero', 'Pages filled with zero'), ('cache', 'Non-private cache pages'),
                 ('cache_private', 'Private cache pages'), ('user', 'User process data pages'),
                 ('free', 'Free pages'), ('hwpoison', 'Hwpoison pages'), ('offline', 'Offline pages')]
        bad = [(c, counts.get(c, 0), num(l)) for c, l in pairs if counts.get(c, 0) != num(l)]
        report = '; report counts ' + ('match' if not bad else 'differ: ' + ', '.join(
            '%s expected %d makedumpfile %d' % b for b in bad))
        if bad and not known:
            ok = False
    print('%s - %s -d %d: %d pages differ from the expectation%s%s%s' % (
        'ok' if ok else 'not ok', name, level, ndiff, (': ' + msg) if ndiff else '', known, report))
    return ok

expect, name, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
good = True
for i in range(0, len(rest), 3):
    good = check(expect, name, int(rest[i]), rest[i + 1], rest[i + 2]) and good
sys.exit(0 if good else 1)
EOF
	rm -f "$tmp"/*.out "$tmp"/*.log
done
exit $fail
