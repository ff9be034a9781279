#!/bin/bash
# `kcatch estimate` against the measured minimum crashkernel= (issue 16):
# for every line of bench/crashkernel-results.tsv (the smallest size that
# captured, found by bench/crashkernel-bisect.sh under QEMU), a fake host
# like the measured guest: that Debian kernel's real vmlinuz, the capture
# image kcatch-mkinitramfs builds for it with the configuration the
# measurement used (tests/e2e/test-capture.sh), its memory and capture
# CPUs. The recommendation must be at or above the measured minimum, and
# the total before its margin above the largest size that failed. The
# kernels come from the cache tests/real/fetch-kernels.sh fills (tests/run
# fetches them first); a kernel not cached is skipped, saying so.
#
#   test-estimate-measured.sh KCATCH KCATCH_MKINITRAMFS KCATCH_AGENT RESULTS_TSV
set -uo pipefail
KCATCH=${1:?} MKINITRAMFS=${2:?} AGENT=${3:?} RESULTS=${4:?}
# the measured images held the static agent: a sanitizer build's is dynamic
if readelf -lW "$AGENT" 2>/dev/null | grep -q 'program interpreter'; then
	echo "Bail out! $AGENT is dynamically linked (a sanitizer build?): the measured images held the static agent; run this test in a normal build"
	exit 1
fi
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/kcatch-test-estimate.XXXXXX")
trap 'rm -rf "$W"' EXIT
. "$HERE/../e2e/lib-tap.sh"
. "$HERE/../real/lib.sh"  # KCATCH_CACHE
. "$HERE/lib-setup.sh"
OUT=
tap_context() { printf '%s\n' "$OUT"; }

[[ -r $RESULTS ]] || { echo "Bail out! cannot read $RESULTS"; exit 1; }
n=0
while IFS=$'\t' read -r alias kver gib cpus min_ok max_fail _; do
	[[ $alias == \#* || -z $alias ]] && continue
	n=$((n + 1))
	what="$alias ($kver), $gib GiB, $cpus capture CPU(s): measured ${min_ok}M captures, ${max_fail}M does not"
	kroot=$KCATCH_CACHE/kernels/$kver/root
	vmlinuz=$kroot/boot/vmlinuz-$kver
	[[ -f $vmlinuz ]] || vmlinuz=$kroot/usr/lib/modules/$kver/vmlinuz
	if [[ ! -f $KCATCH_CACHE/kernels/$kver/.complete || ! -f $vmlinuz ]]; then
		skip "$what" "$kver is not cached (tests/real/fetch-kernels.sh $alias)"
		continue
	fi
	R=$W/root-$n
	fake_host "$R" "$kver" >/dev/null || { not_ok "$what: a fake host"; continue; }
	mkdir -p "$R/boot" "$R/var/lib/kcatch" "$R/sys/devices/system/cpu"
	cp "$vmlinuz" "$R/boot/vmlinuz-$kver"
	# the measured guest's configuration (tests/e2e/test-capture.sh), capture CPUs as measured
	printf '%s\n' "target UUID=$U1" "path /var/crash" "dump_level 31" "compress zstd" "keep 3" \
		"failure_action reboot" "final_action reboot" "target_timeout 30" "watchdog 900" \
		"extra_modules virtio_pci virtio_blk" "capture_cpus $cpus" >"$R/etc/kcatch.conf"
	# one image per kernel and CPU count (the points differ in memory only)
	img=$W/initrd-$kver-$cpus.img
	if [[ ! -f $img ]] && ! OUT=$("$MKINITRAMFS" --kernel-version "$kver" --root "$kroot" \
		--config "$R/etc/kcatch.conf" --agent "$AGENT" --output "$img" 2>&1); then
		not_ok "$what: kcatch-mkinitramfs builds the image"
		tap_context | sed 's/^/#   /' | tail -n 20
		continue
	fi
	cp "$img" "$R/var/lib/kcatch/initrd-$kver.img"
	# the guest as it ran: its RAM (MemTotal leaves out the reservation and
	# the kernel's own memory, about 64 MiB) and the measured reservation
	echo $((min_ok << 20)) >"$R/sys/kernel/kexec_crash_size"
	printf 'MemTotal:       %d kB\nMemFree:        %d kB\n' $(((gib << 20) - (min_ok << 10) - 65536)) $((gib << 19)) \
		>"$R/proc/meminfo"
	echo "0-$((cpus - 1))" >"$R/sys/devices/system/cpu/online"
	OUT=$("$KCATCH" --root "$R" estimate 2>&1)
	[[ -n ${SHOW:-} ]] && echo "$OUT"
	rec=$(sed -n 's/^recommended: crashkernel=\([0-9]*\)M.*/\1/p' <<<"$OUT")
	total=$(sed -n 's/^  total *\([0-9.]*\) MiB.*/\1/p' <<<"$OUT")
	echo "# $what: estimate total ${total:-?} MiB, recommended ${rec:-?}M"
	check "$what: kcatch estimate recommends ${rec:-?}M, at or above it" \
		eval '[[ -n $rec ]] && ((rec >= min_ok))'
	# the fit: the total, before its margin, is not below a size that failed
	check "$what: the estimate's total ${total:-?} MiB is above ${max_fail}M, which failed" \
		eval '[[ -n $total ]] && awk -v t="$total" -v f="$max_fail" "BEGIN { exit !(t > f) }"'
	check "$what: the estimate counts $cpus capture CPU(s)" \
		grep -qE "extra capture CPUs .* $cpus capture CPUs? \\(capture_cpus $cpus in the configuration\\)" <<<"$OUT"
done <"$RESULTS"
((n > 0)) || not_ok "$RESULTS has measured points"
tap_finish
