#!/bin/bash
# How kcatch-filter and makedumpfile scale with the crashed host's RAM, on
# synthetic sparse vmcores of 4, 16 and 64 GiB.
#
#   bench/run-synth-bench.sh [--runs N] [--build DIR] [--sizes "4 16 64"]
#                            [--cases "CASE;CASE"] [--dir DIR]
#
# For each size, generates tests/synth/specs/big-<size>g.spec with mkvmcore
# (identical specs but for RAM: ~95% zero pages left as holes, ~5% data
# incl. the mem_map), then for each case runs kcatch-filter and
# makedumpfile alternately, N runs each (default 3), and prints the median
# wall time, user and system CPU time, peak RSS and output size, and the
# wall and user time per GiB of RAM (user time is the filter's own work;
# system time is mostly the kernel reading holes). Last, per tool and
# case: RSS at the largest size against the smallest (the bar: within 10%)
# and time per GiB (the bar: not growing with RAM). Default cases:
# -d 31 -l, -d 1 -l, -d 31 -z.
# The vmcores and the dumps go to DIR (default /var/tmp), which must be a
# disk filesystem: a filter's mmap of a hole in a tmpfs file allocates
# memory, and 64 GiB of holes would exhaust RAM. Real disk use stays near
# 6% of the largest size (vmcore plus one dump at a time); each vmcore is
# removed after its size is done. A vmcore that fits in half the available
# memory is read once first (page cache warm, as in run-bench.sh); bigger
# ones are read cold by every run (as /proc/vmcore would be): as root, the
# page cache is dropped before each run, so neither tool gets the other's.
# makedumpfile defaults to Debian's; set MAKEDUMPFILE=path for another.
# Output: Markdown tables on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=3 BUILD=build SIZES="4 16 64" DIR=/var/tmp
CASES="-d 31 -l;-d 1 -l;-d 31 -z"
while (($#)); do
	case $1 in
	--runs) RUNS=$2; shift ;;
	--build) BUILD=$2; shift ;;
	--sizes) SIZES=$2; shift ;;
	--cases) CASES=$2; shift ;;
	--dir) DIR=$2; shift ;;
	-h | --help) sed -n '2,26p' "$0"; exit 0 ;;
	*) echo "unknown option $1 (see --help)" >&2; exit 1 ;;
	esac
	shift
done
KF=$BUILD/filter/kcatch-filter
MK=$BUILD/tests/synth/mkvmcore
MDF=${MAKEDUMPFILE:-makedumpfile}
[[ -x $KF && -x $MK ]] || { echo "build first: meson setup $BUILD && ninja -C $BUILD" >&2; exit 1; }
command -v "$MDF" >/dev/null || { echo "no makedumpfile ($MDF)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time is needed (apt-get install time)" >&2; exit 1; }
[[ $(stat -f -c %T "$DIR") != tmpfs ]] ||
	{ echo "$DIR is tmpfs: reading GiBs of holes through mmap would fill RAM; use --dir on a disk" >&2; exit 1; }
largest=0
for s in $SIZES; do
	[[ -f tests/synth/specs/big-${s}g.spec ]] || { echo "no spec tests/synth/specs/big-${s}g.spec" >&2; exit 1; }
	((s > largest)) && largest=$s
done
# vmcore ~6% of RAM, a -d 1 dump as much again, plus margin
need_mb=$((largest * 1024 * 15 / 100 + 1024))
avail_mb=$(($(stat -f -c '%a * %S' "$DIR") / 1048576))
((avail_mb >= need_mb)) || { echo "$DIR has $avail_mb MB free; $largest GiB needs $need_mb MB" >&2; exit 1; }

MDF_ZSTD=$("$MDF" -v 2>&1 | awk '$1 == "zstd" { print $2 }')
W=$(mktemp -d "$DIR/kcatch-synth-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT

# one run: prints "wall user sys rss_kb size"
run_one() {  # tool, options..., vmcore
	local tool=$1; shift
	local out=$W/out bin=$KF
	[[ $tool = kcatch ]] || bin=$MDF
	rm -f "$out"
	if [[ $tool != kcatch && " $* " = *" -z "* && $MDF_ZSTD != enabled ]]; then
		echo "0 0 0 0 0"   # a makedumpfile without zstd writes -z dumps uncompressed: no result
		return 0
	fi
	# cold: nothing of the vmcore cached, for either tool (root only)
	[[ $cache = cold && -w /proc/sys/vm/drop_caches ]] && sync && echo 3 >/proc/sys/vm/drop_caches
	/usr/bin/time -f '%e %U %S %M' -o "$W/time" "$bin" --message-level 0 "$@" "$out" >/dev/null 2>&1 || true
	local size=0
	[[ -f $out ]] && size=$(stat -c %s "$out")
	rm -f "$out"
	awk -v s="$size" '{ printf "%s %s %s %s %s\n", $1, $2, $3, $4, s }' "$W/time"
}

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print 0; else print a[int((NR + 1) / 2)] }'; }

: >"$W/results"   # size case tool wall user sys rss size
echo "| RAM | vmcore data | case | tool | wall | user | sys | peak RSS | output | wall/GiB | user/GiB |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for s in $SIZES; do
	V=$W/big-${s}g.vmcore
	gen=$( { /usr/bin/time -f '%e' "$MK" "tests/synth/specs/big-${s}g.spec" "$V" "$W/expect" >/dev/null; } 2>&1)
	data=$(($(stat -c '%b * %B' "$V") / 1000000))
	# page cache warm (as run-bench.sh) when the file, holes included, fits
	# in half the available memory; else every run reads it cold, both tools alike
	# read once either way: the first read of a file just written costs
	# more (2-5x here, whichever tool comes first), which is no filter's doing
	cat "$V" >/dev/null
	cache=cold
	if (($(stat -c %s "$V") / 1024 < $(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo) / 2)); then
		cache=warm
	fi
	echo "<!-- big-${s}g: generated in ${gen} s, ${data} MB of data in a $(($(stat -c %s "$V") / 1000000)) MB sparse file; page cache $cache -->"
	IFS=';' read -ra cases <<<"$CASES"
	for c in "${cases[@]}"; do
		read -ra opts <<<"$c"
		: >"$W/kcatch"; : >"$W/makedumpfile"
		for ((i = 0; i < RUNS; i++)); do
			run_one kcatch "${opts[@]}" "$V" >>"$W/kcatch"
			run_one mdf "${opts[@]}" "$V" >>"$W/makedumpfile"
		done
		for t in kcatch makedumpfile; do
			w=$(cut -d' ' -f1 "$W/$t" | median); us=$(cut -d' ' -f2 "$W/$t" | median)
			sy=$(cut -d' ' -f3 "$W/$t" | median); rss=$(cut -d' ' -f4 "$W/$t" | median)
			sz=$(cut -d' ' -f5 "$W/$t" | median)
			echo "$s|$c|$t|$w|$us|$sy|$rss|$sz" >>"$W/results"
			awk -v s="$s" -v d="$data" -v c="$c" -v t="$t" -v w="$w" -v us="$us" -v sy="$sy" \
				-v rss="$rss" -v sz="$sz" 'BEGIN {
				if (sz == 0) { printf "| %d GiB | %d MB | `%s` | %s | unsupported | | | | | | |\n", s, d, c, t; exit }
				printf "| %d GiB | %d MB | `%s` | %s | %.2f s | %.2f s | %.2f s | %.1f MB | %.1f MB | %.3f s | %.3f s |\n",
					s, d, c, t, w, us, sy, rss / 1024, sz / 1e6, w / s, us / s }'
		done
	done
	rm -f "$V"
done

echo
echo "| case | tool | peak RSS by RAM size | RSS growth smallest -> largest | wall/GiB by RAM size | user/GiB by RAM size |"
echo "|---|---|---|---|---|---|"
awk -F'|' '
	{ k = $2 "|" $3; if (!(k in seen)) { seen[k] = 1; order[++n] = k }
	  if ($8 == 0) next
	  rss[k] = rss[k] (rss[k] == "" ? "" : ", ") sprintf("%d GiB %.1f MB", $1, $7 / 1024)
	  tpg[k] = tpg[k] (tpg[k] == "" ? "" : ", ") sprintf("%d GiB %.3f s", $1, $4 / $1)
	  upg[k] = upg[k] (upg[k] == "" ? "" : ", ") sprintf("%d GiB %.3f s", $1, $5 / $1)
	  if (!(k in first)) first[k] = $7; last[k] = $7 }
	END { for (i = 1; i <= n; i++) { k = order[i]; split(k, p, "|")
		if (!(k in first)) { printf "| `%s` | %s | unsupported | | | |\n", p[1], p[2]; continue }
		printf "| `%s` | %s | %s | %+.1f%% | %s | %s |\n", p[1], p[2], rss[k],
			(last[k] - first[k]) * 100 / first[k], tpg[k], upg[k] } }' "$W/results"
