#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write the seed inputs of fuzz-dmesg (format: tests/fuzz/fuzz-dmesg.h):
well-formed printk rings, lockless (5.10+) and log_buf (3.5 .. 5.9),
fresh and wrapped, with and without --partial-dmesg, with caller ids
(the 5.10+ info's, 5.1-5.9 CONFIG_PRINTK_CALLER's), so that the fuzzer
starts from rings the walkers read through to the end.

usage: mkdmesg-seeds.py OUTDIR
"""
import os
import struct
import sys

HDR = 96
# mode bits
LOGBUF, PARTIAL, OWN_LAYOUT, CALLER = 1, 2, 4, 8
# Debian 6.1's lockless layout, in fuzz-dmesg.c's order (for OWN_LAYOUT seeds)
LOCKLESS_REAL = [0, 48, 0, 8, 16, 24, 32, 24, 0, 8, 0, 8, 88, 0, 8, 16, 0, 8, 0, 8]
SIZE_DESC, SIZE_INFO = 24, 88
FINALIZED = 2
ID_MASK = (1 << 62) - 1                           # ids are 62 bits, then wrap


def messages(n):
    base = [b'Linux version 6.1.0-fuzz (debian-kernel@lists.debian.org)',
            b'Command line: console=ttyS0 crashkernel=256M',
            b'two\nlines',
            b'tab\tand bell\x07 and high \xc3\xa9 bytes',
            b'',
            b'sysrq: Trigger a crash',
            b'Kernel panic - not syncing: sysrq triggered crash']
    return [base[i % len(base)] + (b' #%d' % i if i >= len(base) else b'') for i in range(n)]


def header(mode, b1=0, b2=0, words=(), layout=None):
    h = bytearray(HDR)
    h[0], h[1], h[2] = mode, b1, b2
    off = 8
    for size, v in words:
        h[off:off + size] = v.to_bytes(size, 'little')
        off += size
    if layout is not None:
        for i, v in enumerate(layout):
            h[32 + 2 * i:34 + 2 * i] = struct.pack('<H', v)
    return bytes(h)


def lockless(count_bits, size_bits, n, mode=0, clear_seq=0, first_id=0):
    """n records written in order into a ring that keeps what fits."""
    count, ring = 1 << count_bits, 1 << size_bits
    descs = bytearray(count * SIZE_DESC)
    infos = bytearray(count * SIZE_INFO)
    text = bytearray(ring)
    lpos = 0
    blocks = []                                   # (id, begin, next)
    for i, msg in enumerate(messages(n)):
        rid = first_id + i
        size = (8 + len(msg) + 7) & ~7
        begin = lpos
        start = begin % ring
        if start + size > ring:                   # the block wraps: it goes to 0
            nxt = begin + (ring - start) + size
            start = 0
        else:
            nxt = begin + size
        text[start:start + 8] = struct.pack('<Q', rid & ID_MASK)
        text[start + 8:start + 8 + len(msg)] = msg
        lpos = nxt
        d = (rid % count) * SIZE_DESC
        descs[d:d + 24] = struct.pack('<QQQ', FINALIZED << 62 | (rid & ID_MASK), begin, nxt)
        f = (rid % count) * SIZE_INFO
        infos[f:f + 18] = struct.pack('<QQH', i, 1000000 * (i + 1) + 7 * i, len(msg))
        if mode & CALLER:
            infos[f + 20:f + 24] = struct.pack('<I', 0x80000000 | i % 4 if i % 3 == 2 else 100 + i)
        blocks.append((rid, begin, nxt))
    head = blocks[-1][0]
    # the oldest record whose descriptor and text both survive
    tail = next(rid for rid, begin, nxt in blocks if rid > head - count and begin >= lpos - ring)
    h = header(mode, count_bits, size_bits, [(8, head & ID_MASK), (8, tail & ID_MASK), (8, clear_seq)],
               LOCKLESS_REAL if mode & OWN_LAYOUT else None)
    return h + bytes(descs) + bytes(infos) + bytes(text)


def logbuf(buf_len, n, mode=0, clear_after=0):
    """log_store() of 5.4: 16-byte headers (20 with CALLER: caller_id last),
    4-byte aligned, len 0 marks the wrap."""
    hs = 20 if mode & CALLER else 16
    buf = bytearray(buf_len)
    recs = []                                     # (idx, size)
    nxt = 0
    clear_idx = 0
    for i, msg in enumerate(messages(n)):
        size = (hs + len(msg) + 3) & ~3
        if nxt + size + hs > buf_len:
            buf[nxt:nxt + hs] = bytes(hs)
            nxt = 0
        # drop the records this one overwrites
        recs = [(x, s) for x, s in recs if not (x < nxt + size and nxt < x + s)]
        buf[nxt:nxt + 16] = struct.pack('<QHHHBB', 1000000 * (i + 1), size, len(msg), 0, 0, 6 << 5)
        if mode & CALLER:
            buf[nxt + 16:nxt + 20] = struct.pack('<I', 0x80000000 | i % 4 if i % 3 == 2 else 100 + i)
        buf[nxt + hs:nxt + hs + len(msg)] = msg
        recs.append((nxt, size))
        if i == clear_after:
            clear_idx = nxt
        nxt += size
    first = recs[0][0]
    h = header(mode | LOGBUF, 0, 0, [(4, buf_len), (4, first), (4, nxt), (4, clear_idx)])
    return h + bytes(buf)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    seeds = {
        'lockless-fresh': lockless(4, 10, 9),
        'lockless-wrapped': lockless(3, 9, 40, first_id=(1 << 62) - 20),
        'lockless-partial': lockless(4, 11, 12, PARTIAL, clear_seq=5),
        'lockless-own-layout': lockless(4, 10, 9, OWN_LAYOUT),
        'logbuf-fresh': logbuf(1024, 9),
        'logbuf-wrapped': logbuf(512, 30),
        'logbuf-partial': logbuf(2048, 12, PARTIAL, clear_after=4),
        'lockless-caller': lockless(3, 9, 40, CALLER, first_id=(1 << 62) - 20),
        'logbuf-caller': logbuf(512, 30, CALLER),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
