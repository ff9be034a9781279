#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make-vmcore-seeds.sh BUILDDIR
#
# (Re)build the committed fuzz seeds, with mkvmcore, dmesg-seed-vmcore and
# kcatch-filter from BUILDDIR: the big fuzz-vmcore seeds from the specs
# next to this script (slow to execute, replayed by every build)
#   synth-tiny.vmcore            tiny.spec as an ELF vmcore (lockless printk ring)
#   synth-tiny-d31.kdump-lzo     the same through kcatch-filter -l -d 31
#   synth-tiny-logbuf.vmcore     tiny-logbuf.spec (log_buf ring, 5-level,
#                                plain SPARSEMEM) as an ELF vmcore
# and the small seeds (< 64 KiB, fast to execute) of every target that
# reads dumps:
#   corpus/dmesg/*               mkdmesg-seeds.py: fuzz-dmesg inputs (the
#                                files named by hashes are fuzz-dmesg's own
#                                finds, merged with -merge=1: not made here)
#   corpus/vmcore/tiny-*.vmcore  two of them as vmcores (dmesg-seed-vmcore)
#   corpus/{vmcore,kdump}/tiny-*.kdump-*  those through kcatch-filter, every
#                                compression, -d 0 and -d 1 (no mem_map)
#   corpus/kdump/mini.kd         tests/tools/mkmini.py's hand-made dump
# The generators are deterministic, so the files only change when they do.
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

# small seeds
corpus=$here/../corpus
mkdir -p "$corpus/dmesg" "$corpus/kdump"
python3 "$here/mkdmesg-seeds.py" "$corpus/dmesg"
for ring in lockless-fresh logbuf-wrapped; do
	"$build/tests/fuzz/dmesg-seed-vmcore" "$corpus/dmesg/$ring" "$tmp/$ring.vmcore"
	cp "$tmp/$ring.vmcore" "$out/tiny-$ring.vmcore"
	for c in none:0 zlib:1 lzo:0 zstd:1 snappy:0; do
		method=${c%:*} level=${c#*:}
		case $method in
		none) opt= ;; zlib) opt=-c ;; lzo) opt=-l ;; zstd) opt=-z ;; snappy) opt=-p ;;
		esac
		# no mem_map behind these vmcores: only -d 0 and -d 1 can be written
		# shellcheck disable=SC2086 # $opt is empty for no compression
		"$kf" --message-level 0 $opt -d "$level" "$tmp/$ring.vmcore" "$tmp/$ring-$method.kdump"
		cp "$tmp/$ring-$method.kdump" "$corpus/kdump/tiny-$ring.kdump-$method"
	done
	cp "$tmp/$ring-zstd.kdump" "$out/tiny-$ring.kdump-zstd"
done
python3 "$here/../../tools/mkmini.py" "$tmp"
cp "$tmp/mini.kd" "$corpus/kdump/mini.kd"
chmod 644 "$corpus"/dmesg/* "$corpus"/kdump/* "$out"/tiny-*
ls -l "$corpus/dmesg" "$corpus/kdump" "$out"/tiny-*
