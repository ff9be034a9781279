#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Copy a kdump-compressed file and damage it in one named way.

usage: corrupt.py SRC DST KIND      one damaged copy
       corrupt.py --all SRC DIR [KIND...]   DIR/KIND.kd for every (given) kind
       corrupt.py --list            print the kinds
Used by selftest.sh to check that kdump-verify notices each kind of damage.
Every kind except 'truncate-incomplete' must make kdump-verify fail; the
'page-raw' kind is only detectable with --vmcore.
"""
import shutil
import struct
import sys
import zlib

KINDS = ['page-comp', 'page-raw', 'desc-size', 'desc-size-big', 'desc-flags',
         'desc-offset0', 'desc-overlap', 'desc-share', 'desc-into-array',
         'truncate', 'truncate-incomplete', 'sig', 'version', 'block_size',
         'bitmap_blocks', 'max_mapnr64', 'nr_cpus', 'vmcoreinfo-off',
         'note-size', 'bitmap2-not-1', 'bitmap1-clear', 'bitmap1-hole',
         'status']


def changes(blob, i):
    """True if flipping blob[i] makes zlib fail or decode differently."""
    bad = blob[:i] + bytes([blob[i] ^ 0x55]) + blob[i + 1:]
    try:
        return zlib.decompress(bad) != zlib.decompress(blob)
    except zlib.error:
        return True


def main():
    if sys.argv[1:] == ['--list']:
        print('\n'.join(KINDS))
    elif sys.argv[1] == '--all':
        for kind in sys.argv[4:] or KINDS:
            corrupt(sys.argv[2], '%s/%s.kd' % (sys.argv[3], kind), kind)
    else:
        corrupt(*sys.argv[1:4])


def corrupt(src, dst, kind):
    shutil.copyfile(src, dst)
    with open(dst, 'r+b') as f:
        d = f.read()

        def put(off, b):
            f.seek(off)
            f.write(b)

        bs, shs, bmb = struct.unpack_from('<iiI', d, 428)
        bm1 = (1 + shs) * bs
        bm2 = bm1 + bmb // 2 * bs
        desc0 = (1 + shs + bmb) * bs
        ndesc = sum(bin(x).count('1') for x in d[bm2:bm2 + bmb // 2 * bs])
        descs = [struct.unpack_from('<QIIQ', d, desc0 + 24 * i) for i in range(ndesc)]
        refs = {}
        for o, _, _, _ in descs:
            refs[o] = refs.get(o, 0) + 1
        comp = next((i for i, x in enumerate(descs) if x[2]), None)
        raws = [i for i, x in enumerate(descs)
                if x[2] == 0 and refs[x[0]] == 1 and any(d[x[0]:x[0] + x[1]])]
        if comp is None and kind.startswith('desc') and kind != 'desc-share':
            comp = raws[0]
        dpos = lambda i: desc0 + 24 * i

        if kind == 'page-comp':       # flip a byte inside compressed data
            o, s, fl = descs[comp][:3]
            pos = o + s - 1           # non-zlib: the end of the stream
            if fl == 1:               # zlib: a flip that changes the result
                for o, s, fl, _ in descs[comp:]:
                    pos = o + s // 2
                    if fl == 1 and changes(d[o:o + s], s // 2):
                        break
            put(pos, bytes([d[pos] ^ 0x55]))
        elif kind == 'page-raw':      # flip one bit of a stored page
            o = descs[raws[0]][0]
            put(o + 100, bytes([d[o + 100] ^ 1]))
        elif kind == 'desc-size':
            put(dpos(comp) + 8, struct.pack('<I', descs[comp][1] - 1))
        elif kind == 'desc-size-big':
            put(dpos(comp) + 8, struct.pack('<I', bs + 1))
        elif kind == 'desc-flags':
            put(dpos(comp) + 12, struct.pack('<I', 3))
        elif kind == 'desc-offset0':
            put(dpos(comp), struct.pack('<Q', 0))
        elif kind == 'desc-overlap':  # start inside the next page's data
            o, s = descs[comp][:2]
            put(dpos(comp), struct.pack('<Q', o + s + 1))
        elif kind == 'desc-share':    # second reference to a non-zero page
            put(dpos(raws[1]), struct.pack('<Q', descs[raws[0]][0]))
        elif kind == 'desc-into-array':
            put(dpos(comp), struct.pack('<Q', desc0 + 8))
        elif kind == 'truncate':
            f.truncate(len(d) - 1000)
        elif kind == 'truncate-incomplete':   # valid: flagged incomplete
            f.truncate(len(d) // 2)
            st = struct.unpack_from('<I', d, 424)[0]
            put(424, struct.pack('<I', st | 8))
        elif kind == 'sig':
            put(0, b'KDUMP  X')
        elif kind == 'version':
            put(8, struct.pack('<i', 7))
        elif kind == 'block_size':
            put(428, struct.pack('<i', 8192))
        elif kind == 'bitmap_blocks':
            put(436, struct.pack('<I', bmb + 2))
        elif kind == 'max_mapnr64':
            m = struct.unpack_from('<Q', d, bs + 96)[0]
            put(bs + 96, struct.pack('<Q', m + 8 * bs))
        elif kind == 'nr_cpus':
            put(460, struct.pack('<i', struct.unpack_from('<i', d, 460)[0] + 1))
        elif kind == 'vmcoreinfo-off':
            o = struct.unpack_from('<Q', d, bs + 32)[0]
            put(bs + 32, struct.pack('<Q', o + 4))
        elif kind == 'note-size':
            n = struct.unpack_from('<Q', d, bs + 56)[0]
            put(bs + 56, struct.pack('<Q', n - 5))
        elif kind == 'bitmap2-not-1':   # dumped but not in memory
            i = next(i for i in range(bmb // 2 * bs) if ~d[bm1 + i] & 0xff)
            x = ~d[bm1 + i] & 0xff
            put(bm2 + i, bytes([d[bm2 + i] | (x & -x)]))
        elif kind == 'bitmap1-clear':   # in-memory excluded PFN dropped
            i = next(i for i in range(bmb // 2 * bs) if d[bm1 + i] & ~d[bm2 + i])
            x = d[bm1 + i] & ~d[bm2 + i]
            put(bm1 + i, bytes([d[bm1 + i] & ~(x & -x)]))
        elif kind == 'bitmap1-hole':    # first hole PFN marked in memory
            i = next(i for i in range(bmb // 2 * bs) if ~d[bm1 + i] & 0xff)
            x = ~d[bm1 + i] & 0xff
            put(bm1 + i, bytes([d[bm1 + i] | (x & -x)]))
        elif kind == 'status':
            put(424, struct.pack('<I', 3))
        else:
            raise SystemExit('unknown kind ' + kind)


if __name__ == '__main__':
    main()
