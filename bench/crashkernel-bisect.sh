#!/bin/bash
# The smallest crashkernel= that captures, found by bisection (issue 16):
# for each point (kernel, guest memory, capture CPUs), a Debian kernel
# crashes under QEMU (TCG) and the capture kernel must save a complete
# dump that crash or drgn reads (tests/e2e/test-capture.sh, scenario ok,
# or threads --capture-cpus N for N capture CPUs: nr_cpus=N, N filter
# threads). Each probe is one such run; the search stops at 8 MiB.
#
#   bench/crashkernel-bisect.sh --build DIR [--out FILE] [--guess MIB] POINT...
#   POINT = KERNEL:MEM:CPUS, e.g. 6.12:4G:1 6.1:16G:2
#
# One line per point is appended to FILE (default
# bench/crashkernel-results.tsv): kernel, release, guest memory (GiB),
# capture CPUs, the smallest size that captured, the largest that did not
# (MiB), the agent's time at the smallest (s), the probes run, the date.
# tests/setup/test-estimate-measured.sh checks `kcatch estimate` against
# every line. A probe that fails with no sign of the capture kernel running
# out of memory on its console (a TCG fault, a timeout) is run once more
# before it counts. It takes long (about 1-2 minutes a probe, 3-5 probes a
# point): not part of CI.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/e2e/lib-e2e.sh

BUILD= OUT=bench/crashkernel-results.tsv GUESS=80 POINTS=()
while (($#)); do
	case $1 in
	--build) BUILD=$(cd "${2:?}" && pwd); shift ;;
	--out) OUT=${2:?}; shift ;;
	--guess) GUESS=${2:?}; shift ;;
	-h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0"; exit 0 ;;
	*:*:*) POINTS+=("$1") ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
	shift
done
[[ -n $BUILD && ${#POINTS[@]} -gt 0 ]] || die "usage: $0 --build DIR [--out FILE] [--guess MIB] KERNEL:MEM:CPUS..."
# a capture kernel short of memory panics and QEMU ends (-no-reboot);
# one that hangs is cut off well before the e2e default
export KCATCH_QEMU_TIMEOUT=${KCATCH_QEMU_TIMEOUT:-420}
STEP=8
[[ -s $OUT ]] || printf '# kernel\trelease\tmem_gib\tcpus\tmin_ok_mib\tmax_fail_mib\tagent_s\tprobes\tdate\n' >"$OUT"

AGENT_S= PROBES=0
# probe KERNEL MEM CPUS MIB: 0 when the capture is complete and verified
probe() {
	local k=$1 mem=$2 cpus=$3 mib=$4 scen=(--scenario ok) out rc W try why up
	W=$KCATCH_CACHE/e2e/$k-ok-$mem-${mib}M
	((cpus > 1)) && scen=(--scenario threads --capture-cpus "$cpus") W=$KCATCH_CACHE/e2e/$k-threads-$mem-${mib}M-c$cpus
	for try in 1 2; do
		PROBES=$((PROBES + 1))
		out=$(tests/e2e/test-capture.sh --kernel "$k" --build "$BUILD" "${scen[@]}" --mem "$mem" \
			--crashkernel "${mib}M" 2>&1)
		rc=$?
		if ((rc == 0)); then
			AGENT_S=$(grep -a -o 'done in [0-9.]* s' "$W/console.txt" 2>/dev/null | head -n 1 | tr -dc '0-9.')
			echo "  crashkernel=${mib}M: captured (agent ${AGENT_S:-?} s)" >&2
			return 0
		fi
		# the capture kernel (its console after the crash) out of memory: believed at once.
		# Its own log lines only: the agent quotes the crashed kernel's panic line.
		# Fewer filter threads than CPUs for want of memory counts too: the point
		# is the size at which every capture CPU is used.
		why=$(awk '/Linux version/ { n++ } n >= 2' "$W/console.txt" 2>/dev/null | tr -d '\r' |
			grep -aEm1 'Out of memory|oom-kill|^\[ *[0-9.]+\] (Kernel panic - not syncing|Kernel Offset)|Initramfs unpacking failed|kcatch: .*RESULT (failed|incomplete)|kcatch: .* filter threads: .*available, half of it allows' |
			cut -c1-120)
		# Fewer capture CPUs up than wanted: not a sign of memory. When the crash
		# ran on another CPU than 0, the capture kernel boots on that CPU's APIC
		# and leaves CPU 0 down (console: "Boot CPU APIC ID not the first
		# enumerated"); another run may crash on CPU 0.
		up=$(grep -aom1 'kcatch: .* filter threads: [0-9]* ([0-9]* CPUs\? online' "$W/console.txt" 2>/dev/null |
			sed 's/.*(\([0-9]*\) CPU.*/\1/')
		if [[ -z $why && -n $up ]] && ((cpus > 1 && up < cpus)); then
			echo "  crashkernel=${mib}M: $up of $cpus CPUs came up (try $try: the crash ran on the CPU with APIC ID $(grep -aom1 'Boot CPU APIC ID not the first enumerated APIC ID: [0-9]*' "$W/console.txt" | grep -o '[0-9]*$' || echo '?'))" >&2
			continue
		fi
		if [[ -n $why ]]; then
			echo "  crashkernel=${mib}M: failed ($why)" >&2
			return 1
		fi
		echo "  crashkernel=${mib}M: failed without a sign of memory (try $try: $(grep -m1 '^not ok' <<<"$out"))" >&2
	done
	return 1
}

for point in "${POINTS[@]}"; do
	IFS=: read -r k mem cpus <<<"$point"
	[[ $mem =~ ^[0-9]+G$ && $cpus =~ ^[1-9]$ ]] || die "point $point: want KERNEL:NG:CPUS"
	e2e_kernel "$k"
	echo "point $k ($KVER), ${mem}iB, $cpus capture CPU(s): from ${GUESS}M" >&2
	PROBES=0 lo=0 hi=0 agent_hi=
	g=$GUESS
	# gallop from the guess to a bracket [lo fails, hi captures] ...
	if probe "$k" "$mem" "$cpus" "$g"; then
		hi=$g agent_hi=$AGENT_S d=$STEP
		while :; do
			t=$((hi - d)); ((t < 16)) && { lo=0; break; }
			if probe "$k" "$mem" "$cpus" "$t"; then hi=$t agent_hi=$AGENT_S d=$((d * 2)); else lo=$t; break; fi
		done
	else
		lo=$g d=$((2 * STEP))
		while :; do
			t=$((lo + d)); ((t > 1024)) && die "$point: no capture up to 1024 MiB"
			if probe "$k" "$mem" "$cpus" "$t"; then hi=$t agent_hi=$AGENT_S; break; else lo=$t d=$((d * 2)); fi
		done
	fi
	# ... then halve it to the step
	while ((hi - lo > STEP)); do
		t=$(((lo + hi) / 2 / STEP * STEP))
		((t <= lo)) && t=$((lo + STEP))
		if probe "$k" "$mem" "$cpus" "$t"; then hi=$t agent_hi=$AGENT_S; else lo=$t; fi
	done
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$k" "$KVER" "${mem%G}" "$cpus" "$hi" "$lo" "${agent_hi:-?}" \
		"$PROBES" "$(date -u +%Y-%m-%d)" | tee -a "$OUT"
	GUESS=$hi
done
