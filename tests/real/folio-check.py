#!/usr/bin/python3
# Count the pages of user and page-cache folios that a filtered dump still
# holds, independently of the filter library:
#   - drgn walks the vmcore's mem_map (every valid PFN). A folio is "user"
#     when it is anonymous (folio->mapping & 1, as folio_test_anon) and not
#     slab, "page cache" when it is on an LRU list with a non-NULL,
#     non-anonymous mapping. A large folio counts with all its tail pages:
#     the head is found with drgn's PageHead, its size with compound_order,
#     and every tail in that span must say it is a tail (bit 0 of
#     compound_head / compound_info).
#   - the dump's second bitmap (pages present in a kdump-compressed file) is
#     read straight from the file (docs: formats.md), with no filter code.
# Prints the counts; exits 1 when user + page-cache pages are --max-percent
# (default 1) or more of the pages the dump keeps, 2 on a usage or read
# error. drgn's helpers need drgn 0.3+ for 7.1's compound_info.
#
#   folio-check.py [--max-percent P] VMLINUX VMCORE DUMPFILE
import argparse
import struct
import sys

import drgn
from drgn import Object, offsetof, sizeof
from drgn.helpers.linux.mm import PageHead, PageSlab, compound_order, for_each_valid_page_range


def dump_bitmap(path):
    """The kdump file's second bitmap (bit n set: PFN n is in the dump)."""
    with open(path, "rb") as f:
        hdr = f.read(464)
        if len(hdr) < 464 or hdr[:8] != b"KDUMP   ":
            raise SystemExit("folio-check: %s is not a kdump-compressed file" % path)
        block_size, sub_hdr_size, bitmap_blocks = struct.unpack_from("<iiI", hdr, 428)
        half = bitmap_blocks * block_size // 2
        f.seek(block_size * (1 + sub_hdr_size) + half)
        bm = f.read(half)
        if len(bm) != half:
            raise SystemExit("folio-check: %s: bitmap cut short" % path)
    return bm


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-percent", type=float, default=1.0)
    ap.add_argument("vmlinux")
    ap.add_argument("vmcore")
    ap.add_argument("dump")
    a = ap.parse_args()

    prog = drgn.Program()
    prog.set_core_dump(a.vmcore)
    prog.load_debug_info([a.vmlinux])
    bm = dump_bitmap(a.dump)
    kept = int.from_bytes(bm, "little").bit_count()

    page_t = prog.type("struct page")
    psize = sizeof(page_t)
    if psize % 8:
        raise SystemExit("folio-check: sizeof(struct page) = %d" % psize)
    words = psize // 8
    member = "compound_info" if page_t.has_member("compound_info") else "compound_head"
    w_flags = offsetof(page_t, "flags") // 8
    w_comp = offsetof(page_t, member) // 8
    w_map = offsetof(page_t, "mapping") // 8
    pg_lru = 1 << prog["PG_lru"].value_()
    pg_head = 1 << prog["PG_head"].value_()

    def present(pfn):
        i = pfn >> 3
        return i < len(bm) and (bm[i] >> (pfn & 7)) & 1

    # kind -> [folios, pages, pages in dump, tails in dump]
    stats = {"user": [0, 0, 0, 0], "cache": [0, 0, 0, 0]}
    walked = heads = bad_tails = unreadable = 0
    for start, end, mem_map in for_each_valid_page_range(prog):
        base = mem_map.value_()
        try:
            raw = prog.read(base + start * psize, (end - start) * psize)
        except drgn.FaultError:
            unreadable += end - start
            continue
        w = memoryview(raw).cast("Q")
        walked += end - start
        pfn = start
        while pfn < end:
            i = (pfn - start) * words
            flags, comp, mapping = w[i + w_flags], w[i + w_comp], w[i + w_map]
            if comp & 1:  # a tail not covered by a head before it
                pfn += 1
                continue
            page = None
            nr = 1
            if flags & pg_head:
                page = Object(prog, "struct page *", base + pfn * psize)
                if PageHead(page):
                    heads += 1
                    nr = 1 << compound_order(page).value_()
            if mapping & 1:
                if page is None:
                    page = Object(prog, "struct page *", base + pfn * psize)
                kind = None if PageSlab(page) else "user"
            elif mapping and flags & pg_lru:
                kind = "cache"
            else:
                kind = None
            last = min(pfn + nr, end)
            for t in range(pfn + 1, last):
                if not w[(t - start) * words + w_comp] & 1:
                    bad_tails += 1
            if kind:
                s = stats[kind]
                s[0] += 1
                s[1] += last - pfn
                for p in range(pfn, last):
                    if present(p):
                        s[2] += 1
                        s[3] += p != pfn
            pfn = last

    drgn_ver = getattr(drgn, "__version__", "?")
    print("# folio-check: drgn %s walked %d PFNs of %s (struct page %d bytes, %s), %d large folios;"
          " dump bitmap read from the file: %d pages kept"
          % (drgn_ver, walked, a.vmcore, psize, member, heads, kept))
    if unreadable or bad_tails:
        print("# folio-check: %d PFNs with unreadable struct pages, %d pages inside a large folio"
              " that do not say they are tails" % (unreadable, bad_tails))
    for kind, label in (("user", "user (anonymous) folios"), ("cache", "page-cache folios (LRU, mapped)")):
        f, n, d, t = stats[kind]
        print("# %s: %d folios, %d pages; in the dump: %d pages (%d of them tail pages)" % (label, f, n, d, t))
    left = stats["user"][2] + stats["cache"][2]
    pct = 100.0 * left / kept if kept else 0.0
    verdict = "under" if pct < a.max_percent else "NOT under"
    print("# user + page-cache folio pages in the dump: %d = %.2f%% of the %d kept, %s %.2g%%"
          % (left, pct, kept, verdict, a.max_percent))
    if walked == 0 or stats["user"][1] == 0 or stats["cache"][1] == 0:
        print("# folio-check: no user or no page-cache folio found in the vmcore: the walk is wrong")
        return 2
    return 0 if pct < a.max_percent else 1


if __name__ == "__main__":
    sys.exit(main())
