#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make-vmcore-seeds.sh BUILDDIR
#
# (Re)build the committed fuzz-vmcore seeds from the specs next to this
# script, with mkvmcore and kcatch-filter from BUILDDIR:
#   synth-tiny.vmcore            tiny.spec as an ELF vmcore (lockless printk ring)
#   synth-tiny-d31.kdump-lzo     the same through kcatch-filter -l -d 31
#   synth-tiny-logbuf.vmcore     tiny-logbuf.spec (log_buf ring, 5-level,
#                                plain SPARSEMEM) as an ELF vmcore
# The generator is deterministic, so the files only change when it does.
# (tests/fuzz/crashes/vmcore/crash-9f21d497... is tiny-logbuf.spec through
# kcatch-filter -E -d 31: PT_LOADs at file offsets that are not 8-aligned.)
set -eu
build=${1:?usage: make-vmcore-seeds.sh BUILDDIR}
here=$(cd "$(dirname "$0")" && pwd)
out=$here/../corpus/vmcore
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
mk=$build/tests/synth/mkvmcore
kf=$build/filter/kcatch-filter
"$mk" "$here/tiny.spec" "$tmp/tiny.vmcore" "$tmp/tiny.expect" >/dev/null
"$mk" "$here/tiny-logbuf.spec" "$tmp/logbuf.vmcore" "$tmp/logbuf.expect" >/dev/null
"$kf" --message-level 0 -l -d 31 "$tmp/tiny.vmcore" "$tmp/tiny.kdump"
mkdir -p "$out"
cp "$tmp/tiny.vmcore" "$out/synth-tiny.vmcore"
cp "$tmp/tiny.kdump" "$out/synth-tiny-d31.kdump-lzo"
cp "$tmp/logbuf.vmcore" "$out/synth-tiny-logbuf.vmcore"
chmod 644 "$out"/synth-*
ls -l "$out"/synth-*
