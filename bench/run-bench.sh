#!/bin/bash
# kcatch-filter against makedumpfile on the same vmcore, in the same run.
#
#   bench/run-bench.sh [--runs N] [--build DIR] [--cases "CASE;CASE"] VMCORE [VMCORE...]
#
# For each case, runs kcatch-filter and makedumpfile alternately (N runs
# each, default 5, page cache warm: the vmcore is read once first) and
# prints the median wall time, CPU time (user+sys) and peak RSS (from
# /usr/bin/time), the output size, and the ratio kcatch/makedumpfile.
# Cases are makedumpfile options; "--num-threads N" is passed to both
# (without it kcatch-filter uses one thread per CPU, at most 4; makedumpfile none).
# makedumpfile defaults to Debian's; set MAKEDUMPFILE=path for another.
# Dumps are written to $BENCH_OUT (default /dev/shm, a tmpfs) so that the
# disk's write-back of earlier runs does not pollute later ones: this
# measures the filters, not the disk.
# Output: a Markdown table on stdout, suitable for the README.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=5 BUILD=build
CASES="-d 31 -l;-d 31 -l --num-threads 0;-d 31 -c;-d 31 -z;-d 1 -l;-d 1 -l --num-threads 0;-d 1 -z --num-threads 0;-d 1 -z --num-threads 2"
while (($#)); do
	case $1 in
	--runs) RUNS=$2; shift ;;
	--build) BUILD=$2; shift ;;
	--cases) CASES=$2; shift ;;
	-h | --help) sed -n '2,13p' "$0"; exit 0 ;;
	*) break ;;
	esac
	shift
done
(($#)) || { echo "usage: $0 [--runs N] [--build DIR] VMCORE..." >&2; exit 1; }
KF=$BUILD/filter/kcatch-filter
MDF=${MAKEDUMPFILE:-makedumpfile}
[[ -x $KF ]] || { echo "build first: meson setup $BUILD && ninja -C $BUILD" >&2; exit 1; }
command -v "$MDF" >/dev/null || { echo "no makedumpfile ($MDF)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time is needed (apt-get install time)" >&2; exit 1; }

MDF_ZSTD=$("$MDF" -v 2>&1 | awk '$1 == "zstd" { print $2 }')
W=$(mktemp -d "${BENCH_OUT:-/dev/shm}/kcatch-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT

# one run: prints "wall cpu rss_kb size"
run_one() {  # tool, options..., vmcore
	local tool=$1; shift
	local out=$W/out
	rm -f "$out"
	if [[ $tool = kcatch ]]; then
		/usr/bin/time -f '%e %U %S %M' -o "$W/time" "$KF" --message-level 0 "$@" "$out" >/dev/null 2>&1 || true
	elif [[ " $* " = *" -z "* && $MDF_ZSTD != enabled ]]; then
		# a makedumpfile without zstd warns and writes an uncompressed
		# dump: that is not a -z result, so none is reported
		echo "0 0 0 0" >"$W/time"
		return 0
	else
		/usr/bin/time -f '%e %U %S %M' -o "$W/time" "$MDF" --message-level 0 "$@" "$out" >/dev/null 2>&1 || true
	fi
	local size=0
	[[ -f $out ]] && size=$(stat -c %s "$out")
	awk -v s="$size" '{ printf "%s %.3f %s %s\n", $1, $2 + $3, $4, s }' "$W/time"
}

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print 0; else print a[int((NR + 1) / 2)] }'; }

echo "| vmcore | case | kcatch wall | mdf wall | ratio | kcatch CPU | mdf CPU | kcatch RSS | mdf RSS | kcatch size | mdf size |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
# The issue's bars, from this run's medians, when their cases were run.
bar() {  # description, measured, awk condition on a and b, a, b
	local met
	met=$(awk -v a="$4" -v b="$5" "BEGIN { print (($3) ? \"met\" : \"NOT met\") }")
	BARS+=$(printf '| %s | %s | %s | %s |\n' "$vname" "$1" "$2" "$met")$'\n'
}
bars() {
	local t0='-d 1 -z --num-threads 0' t2='-d 1 -z --num-threads 2'
	[[ ${KW['-d 31 -l']:-} ]] && bar "\`-d 31 -l\` wall <= 0.5 x makedumpfile" \
		"${KW['-d 31 -l']} s / ${MW['-d 31 -l']} s" "a <= 0.5 * b" "${KW['-d 31 -l']}" "${MW['-d 31 -l']}"
	local l1='-d 1 -l --num-threads 0'
	[[ ${KW[$l1]:-} ]] && bar "\`$l1\` wall <= 0.7 x makedumpfile" \
		"${KW[$l1]} s / ${MW[$l1]} s" "a <= 0.7 * b" "${KW[$l1]}" "${MW[$l1]}"
	if [[ ${KW[$t0]:-} && ${KW[$t2]:-} ]]; then
		bar "\`$t2\` <= 0.6 x kcatch's one thread" "${KW[$t2]} s / ${KW[$t0]} s" \
			"a <= 0.6 * b" "${KW[$t2]}" "${KW[$t0]}"
		local ml=${MW['-d 1 -l']:-${MW[$l1]:-}}
		[[ $ml ]] && bar "\`$t2\` faster than makedumpfile \`-d 1 -l\`" "${KW[$t2]} s / $ml s" \
			"a < b" "${KW[$t2]}" "$ml"
	fi
	[[ ${KS['-d 31 -z']:-} && ${MS['-d 31 -c']:-} ]] && bar "\`-d 31 -z\` smaller than makedumpfile \`-d 31 -c\`" \
		"$(awk -v a="${KS['-d 31 -z']}" -v b="${MS['-d 31 -c']}" 'BEGIN { printf "%.1f MB / %.1f MB", a / 1e6, b / 1e6 }')" \
		"a < b" "${KS['-d 31 -z']}" "${MS['-d 31 -c']}"
	local max=0
	for k in "${KR[@]}"; do ((k > max)) && max=$k; done
	bar "kcatch peak RSS <= 16 MB, any case" "$(awk -v a="$max" 'BEGIN { printf "%.1f MB", a / 1024 }')" \
		"a <= 16 * 1024" "$max" 0
	return 0
}

declare -A KW MW KS MS KR
BARS=""
for V in "$@"; do
	KW=() MW=() KS=() MS=() KR=()
	cat "$V" >/dev/null        # page cache warm, as the bars say
	vname=$(basename "$(dirname "$V")")
	IFS=';' read -ra cases <<<"$CASES"
	for c in "${cases[@]}"; do
		read -ra opts <<<"$c"
		: >"$W/k"; : >"$W/m"
		for ((i = 0; i < RUNS; i++)); do
			run_one kcatch "${opts[@]}" "$V" >>"$W/k"
			run_one mdf "${opts[@]}" "$V" >>"$W/m"
		done
		kw=$(cut -d' ' -f1 "$W/k" | median); mw=$(cut -d' ' -f1 "$W/m" | median)
		kc=$(cut -d' ' -f2 "$W/k" | median); mc=$(cut -d' ' -f2 "$W/m" | median)
		kr=$(cut -d' ' -f3 "$W/k" | median); mr=$(cut -d' ' -f3 "$W/m" | median)
		ks=$(cut -d' ' -f4 "$W/k" | median); ms=$(cut -d' ' -f4 "$W/m" | median)
		KW[$c]=$kw MW[$c]=$mw KS[$c]=$ks MS[$c]=$ms KR[$c]=$kr
		awk -v v="$vname" -v c="$c" -v kw="$kw" -v mw="$mw" -v kc="$kc" -v mc="$mc" \
			-v kr="$kr" -v mr="$mr" -v ks="$ks" -v ms="$ms" 'BEGIN {
			ratio = (mw > 0 && ms > 0) ? sprintf("%.2f", kw / mw) : "n/a";
			mws = ms > 0 ? sprintf("%.2f s", mw) : "unsupported";
			printf "| %s | `%s` | %.2f s | %s | %s | %.2f s | %.2f s | %.1f MB | %.1f MB | %.1f MB | %s |\n",
				v, c, kw, mws, ratio, kc, mc, kr / 1024, mr / 1024, ks / 1e6,
				(ms > 0 ? sprintf("%.1f MB", ms / 1e6) : "-") }'
	done
	bars
done
echo
echo "| vmcore | bar (issue 4) | kcatch / reference | |"
echo "|---|---|---|---|"
printf '%s' "$BARS"
