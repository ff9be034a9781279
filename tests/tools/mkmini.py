#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write a tiny hand-made kdump-compressed dump, its ELF "vmcore" and a
flattened copy, for testing kdump-verify without a real vmcore.

usage: mkmini.py DIR      -> DIR/mini.kd, DIR/mini.vmcore, DIR/mini.flat,
                             DIR/mini.list (expected --list output)
Layout: 4 KiB pages, max_mapnr 72; PT_LOADs cover PFNs 0-39 and 48-71;
dumped: 0-9, 20-24, 48-50; PFNs 1, 2, 48 are zero pages sharing one
extent, PFNs 5, 6 are stored raw, the rest zlib.
"""
import os
import struct
import sys
import zlib

BS = 4096
MAX_MAPNR = 72
LOADS = [(0, 40), (48, 72)]                  # PFN ranges [a, b)
DUMPED = list(range(0, 10)) + list(range(20, 25)) + [48, 49, 50]
ZERO = {1, 2, 48}
RAW = {5, 6}


def page(pfn):
    if pfn in ZERO:
        return bytes(BS)
    if pfn in RAW:
        return bytes((pfn * 7 + i * 13 + (i >> 5)) & 0xff for i in range(BS))
    return (b'pfn %04d' % pfn) * (BS // 8)


def note(name, ntype, desc):
    n = name + b'\0'
    pad = lambda b: b + bytes(-len(b) % 4)
    return struct.pack('<III', len(n), len(desc), ntype) + pad(n) + pad(desc)


def main():
    out = sys.argv[1]
    vmci = b'OSRELEASE=6.1.0-mini\nPAGESIZE=4096\nCRASHTIME=1700000000\nNUMBER(phys_base)=0\n'
    prstatus = note(b'CORE', 1, bytes(336))
    notes = prstatus + note(b'VMCOREINFO', 0, vmci)
    vmci_off_in_notes = len(prstatus) + 12 + 12    # header + "VMCOREINFO\0" padded

    # ---- ELF vmcore: ehdr, PT_NOTE, PT_LOADs, then data
    phnum = 1 + len(LOADS)
    off = 64 + 56 * phnum
    note_off = off
    off += len(notes)
    off = (off + BS - 1) // BS * BS
    ph = [struct.pack('<IIQQQQQQ', 4, 0, note_off, 0, 0, len(notes), len(notes), 0)]
    body = []
    for a, b in LOADS:
        ph.append(struct.pack('<IIQQQQQQ', 1, 7, off, 0xffff888000000000 + a * BS,
                              a * BS, (b - a) * BS, (b - a) * BS, 0))
        body.append((off, b''.join(page(p) for p in range(a, b))))
        off += (b - a) * BS
    ehdr = (b'\x7fELF\x02\x01\x01' + bytes(9) +
            struct.pack('<HHIQQQIHHHHHH', 4, 62, 1, 0, 64, 0, 0, 64, 56, phnum, 0, 0, 0))
    with open(os.path.join(out, 'mini.vmcore'), 'wb') as f:
        f.write(ehdr + b''.join(ph) + notes)
        for o, data in body:
            f.seek(o)
            f.write(data)

    # ---- kdump-compressed file
    in_mem = [p for a, b in LOADS for p in range(a, b)]
    sub_hdr_size = (104 + len(notes) + BS - 1) // BS
    bm_len = (MAX_MAPNR + 8 * BS - 1) // (8 * BS) * BS
    bm1, bm2 = bytearray(bm_len), bytearray(bm_len)
    for p in in_mem:
        bm1[p >> 3] |= 1 << (p & 7)
    for p in DUMPED:
        bm2[p >> 3] |= 1 << (p & 7)
    desc_off = (1 + sub_hdr_size) * BS + 2 * bm_len
    data_off = desc_off + 24 * len(DUMPED)
    uts = b''.join(s.ljust(65, b'\0') for s in
                   [b'Linux', b'mini', b'6.1.0-mini', b'#1', b'x86_64', b'(none)'])
    hdr = (b'KDUMP   ' + struct.pack('<i', 6) + uts + bytes(6) +
           struct.pack('<QQIiiIIIIIIi', 1700000000, 0, 1, BS, sub_hdr_size,
                       2 * bm_len // BS, MAX_MAPNR, 0, 0, 0, 0, 1))
    assert len(hdr) == 464
    note_at = BS + 104
    sub = struct.pack('<QiiQQQQQQQQQQQ', 0, 31, 0, 0, 0, note_at + vmci_off_in_notes,
                      len(vmci), note_at, len(notes), 0, 0, 0, 0, MAX_MAPNR)
    descs, data = [], bytearray(bytes(BS))       # shared zero page first
    for p in DUMPED:
        if p in ZERO:
            descs.append(struct.pack('<QIIQ', data_off, BS, 0, 0))
            continue
        raw = page(p)
        c = zlib.compress(raw, 1)
        if p in RAW or len(c) >= BS:
            c, fl = raw, 0
        else:
            fl = 1
        descs.append(struct.pack('<QIIQ', data_off + len(data), len(c), fl, 0))
        data += c
    blob = bytearray(hdr.ljust(BS, b'\0'))
    blob += (sub + notes).ljust(sub_hdr_size * BS, b'\0')
    blob += bm1 + bm2 + b''.join(descs) + data
    with open(os.path.join(out, 'mini.kd'), 'wb') as f:
        f.write(blob)

    # ---- flattened copy: records in a scrambled order, then the end marker
    fl = bytearray(b'makedumpfile'.ljust(16, b'\0') + struct.pack('>qq', 1, 1)).ljust(4096, b'\0')
    pieces = [(o, blob[o:o + 3000]) for o in range(0, len(blob), 3000)]
    for o, chunk in pieces[1::2] + pieces[0::2]:
        fl += struct.pack('>qq', o, len(chunk)) + chunk
    fl += struct.pack('>qq', -1, -1)
    with open(os.path.join(out, 'mini.flat'), 'wb') as f:
        f.write(fl)

    # ---- expected --list output
    st = {p: 'excluded' for p in in_mem}
    for p in DUMPED:
        st[p] = 'zero' if p in ZERO else 'kept'
    lines, run = [], None
    for p in sorted(st):
        if run and run[1] == p - 1 and run[2] == st[p]:
            run[1] = p
            continue
        if run:
            lines.append(run)
        run = [p, p, st[p]]
    lines.append(run)
    with open(os.path.join(out, 'mini.list'), 'w') as f:
        for a, b, s in lines:
            f.write(('0x%x %s\n' % (a, s)) if a == b else ('0x%x-0x%x %s\n' % (a, b, s)))


if __name__ == '__main__':
    main()
