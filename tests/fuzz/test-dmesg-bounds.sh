#!/bin/bash
# What a corrupt printk ring can make kcatch-filter --dump-dmesg (and the
# agent, PID 1 of a small capture kernel) allocate: rings whose header or
# VMCOREINFO asks for more than any kernel's log are refused with one
# clear error, before anything is allocated. The vmcores are built from
# fuzz-dmesg inputs (dmesg-seed-vmcore); a sane one still reads.
#
#   test-dmesg-bounds.sh DMESG_SEED_VMCORE KCATCH_FILTER
set -uo pipefail
SEED=$1 FILTER=$2
W=$(mktemp -d "${TMPDIR:-/tmp}/kcatch-test-dmesg-bounds.XXXXXX")
trap 'rm -rf "$W"' EXIT
. "$(dirname "$0")/../e2e/lib-tap.sh"

# input NAME COUNT_BYTE SIZE_BYTE [SIZE_DESC SIZE_INFO]: a fuzz-dmesg input (header of
# 96 bytes: flags, count_bits, size_bits; the layout at 32 when given) and its vmcore
input() {
	python3 - "$W/$1.in" "$2" "$3" "${4:-}" "${5:-}" <<'PY'
import struct, sys
out, cb, sb, sd, si = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
real = [0, 48, 0, 8, 16, 24, 32, 24, 0, 8, 0, 8, 88, 0, 8, 16, 0, 8, 0, 8]  # fuzz-dmesg.c's lockless_layout
h = bytearray(96)
h[1], h[2] = cb, sb
if sd:
    h[0] = 4  # its own layout
    real[7], real[12] = int(sd), int(si)
    for i, v in enumerate(real):
        struct.pack_into("<H", h, 32 + 2 * i, v)
    struct.pack_into("<H", h, 32 + 2 * len(real), 20)  # caller_id
open(out, "wb").write(bytes(h) + b"\0" * 4096)
PY
	"$SEED" "$W/$1.in" "$W/$1.vmcore" >/dev/null 2>&1
}
# dmesg NAME: --dump-dmesg of its vmcore; status in RC, stderr in ERR
dmesg() {
	RC=0
	ERR=$(timeout 60 "$FILTER" --dump-dmesg "$W/$1.vmcore" "$W/$1.txt" 2>&1 >/dev/null) || RC=$?
}

input sane 6 12 && dmesg sane
check "a sane ring (2^6 records, 2^12 bytes) reads (status $RC)" test "$RC" = 0
input huge 249 249 && dmesg huge
check "2^22 records and a 2^26-byte ring (512 MiB) are refused by size (status $RC)" \
	bash -c "[[ $RC != 0 ]] && grep -q 'would take 512 MiB .*more than any kernel.s log needs (160 MiB)' <<<\"\$1\"" _ "$ERR"
input bigdesc 6 12 4000 88 && dmesg bigdesc
check "SIZE(prb_desc)=4000 is refused as implausible (status $RC)" \
	bash -c "[[ $RC != 0 ]] && grep -q 'records of 4000 + 88 bytes .* is implausible (at most 64 + 512 bytes' <<<\"\$1\"" _ "$ERR"
input biginfo 6 12 24 1000 && dmesg biginfo
check "SIZE(printk_info)=1000 is refused as implausible (status $RC)" \
	bash -c "[[ $RC != 0 ]] && grep -q 'records of 24 + 1000 bytes' <<<\"\$1\"" _ "$ERR"
input morerecords 12 10 && dmesg morerecords
check "more records (2^12) than text bytes (2^10) is refused (status $RC)" \
	bash -c "[[ $RC != 0 ]] && grep -q 'no more records than bytes' <<<\"\$1\"" _ "$ERR"
check "the error is one line that names the vmcore" \
	bash -c "[[ \$(grep -c implausible <<<\"\$1\") == 1 ]] && grep -qF '$W/morerecords.vmcore: printk ring of' <<<\"\$1\"" _ "$ERR"
tap_finish
