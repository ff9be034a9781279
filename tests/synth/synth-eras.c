/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * synth: the kernel eras the generator can imitate. Each row says how one
 * range of x86_64 Linux releases encodes a struct page (flag numbers, page
 * types, where a folio keeps its order, what the first tail page holds)
 * and what its VMCOREINFO exports. A row changes only where the kernel
 * changed something a dump filter must follow (docs/anchors.md, "Kernel
 * changes that move mem_map classification").
 *
 * Where each fact comes from (x86_64, Debian's configs: MEMORY_FAILURE,
 * HUGETLB_PAGE, HUGETLB_PAGE_OPTIMIZE_VMEMMAP, UNACCEPTED_MEMORY, X86_PAT on):
 *  5.10  as 6.1 for a filter (same flags, types and VMCOREINFO keys, as
 *        makedumpfile's history shows no change between them) but for
 *        page[1]: compound_nr right after compound_mapcount, where 6.1 put
 *        compound_pincount (5.10's include/linux/mm_types.h).
 *  6.1   Debian bookworm linux-headers-6.1.0-55-common: enum pageflags
 *        (PG_uncached present, PG_hwpoison 23), PG_buddy 0x80 / offline
 *        0x100 / table 0x200 cleared in _mapcount; kernel/crash_core.c
 *        exports OFFSET(page.compound_dtor/compound_order), HUGETLB_PAGE_DTOR.
 *  6.3   kernel 1c5509be58f6 (makedumpfile 446c4f6): OFFSET(folio._folio_dtor)
 *        = 80 and OFFSET(folio._folio_order) = 81 (pahole of 6.3's struct
 *        folio: page[1] words _flags_1, _head_1, then dtor, order,
 *        _entire_mapcount 84, _nr_pages_mapped 88, _pincount 92,
 *        _folio_nr_pages 96); page flags as 6.1; struct slab already has
 *        slab_cache right after the flags (6.2, kernel 130d4df57390,
 *        makedumpfile 5f17bdd), so slab.slabs overlays page.mapping.
 *  6.6   linux-6.6.14 include/linux/page-flags.h and kernel/crash_core.c
 *        (read in a public mirror): flags reordered (PG_writeback 1, PG_head
 *        6, PG_slab 11, PG_hwpoison 23), PG_hugetlb = PG_active of page[1],
 *        NUMBER(PG_hugetlb) exported, no dtor, no folio offsets; the order
 *        is the low byte of page[1].flags (kernel ebc1baf5c9b4, makedumpfile
 *        9661c1d); page[1]: _folio_avail 16, _entire_mapcount 24,
 *        _nr_pages_mapped 28, _pincount 32, _folio_nr_pages 36.
 *  6.9   kernel d99e3140a4d3 (makedumpfile 985e575): hugetlb is a page type,
 *        NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE) = ~PG_hugetlb = ~0x800 = -2049;
 *        vmap_area_list gone, NUMBER(VMALLOC_START) instead (vmcore_info.c
 *        as of 6.9/6.10); page flags assumed as 6.6.
 *  6.10  kernel 46df8e73a4a3 (makedumpfile bad2a7c): PG_slab leaves
 *        page.flags (every later flag moves down one), slab is a page type
 *        in struct slab's __page_type (overlaying _mapcount),
 *        NUMBER(PAGE_SLAB_MAPCOUNT_VALUE) = ~0x1000 = -4097, exported after
 *        PG_swapbacked (vmcore_info.c of 6.10); SYMBOL(vmemmap) exported
 *        with SPARSEMEM_VMEMMAP (kernel patch of 2024, assumed 6.10).
 *  6.12  Debian trixie linux-headers-6.12.117+deb13-common: enum pagetype
 *        (PGTY_buddy 0xf0 .. PGTY_unaccepted 0xf7), values PGTY << 24 with
 *        the low 24 bits free for the owner; makedumpfile 72c3414. 6.12
 *        does not export PAGE_UNACCEPTED_MAPCOUNT_VALUE.
 *  6.16  kernel vmcore_info.c patch (makedumpfile c1a9301): with
 *        CONFIG_UNACCEPTED_MEMORY, NUMBER(PAGE_UNACCEPTED_MAPCOUNT_VALUE) =
 *        PGTY_unaccepted << 24; the first page of each MAX_PAGE_ORDER block
 *        on zone.unaccepted_pages carries the type. PG_dropbehind (6.14)
 *        moves PG_mlocked/PG_hwpoison up (7.2's enum, sid headers);
 *        page[1] as 7.2's struct folio (_large_mapcount 16,
 *        _nr_pages_mapped 20, _entire_mapcount 24, _pincount 28,
 *        _mm_id_mapcount 32, _mm_ids 40, _mapcount_1 48, _nr_pages 56).
 *  7.1   kernel d50569612c29 (makedumpfile f50c015): page.compound_head
 *        renamed compound_info, also in VMCOREINFO; sid's 7.2 headers
 *        (page-flags.h: compound_info_has_mask(), set_compound_head()):
 *        with HUGETLB_PAGE_OPTIMIZE_VMEMMAP and a power-of-two struct page,
 *        a tail holds GENMASK(63, order + 6) | 1, the head is the tail's
 *        struct page address & that mask; otherwise head | 1.
 */
#include <stdio.h>
#include <string.h>

#include "synth-internal.h"

/* enum pageflags of 5.10 .. 6.5 (bookworm's 6.1 headers) */
#define FLAGS_61 .pg_lru = 4, .pg_private = 13, .pg_swapcache = 10, .pg_swapbacked = 19, \
	.pg_slab = 9, .pg_hwpoison = 23, .pg_head = 16, .pg_reserved = 12, .pg_uptodate = 2, \
	.pg_referenced = 1, .pg_dirty = 3, .pg_active = 5, .pg_workingset = 6
/* 6.6 .. 6.9 (6.6.14's page-flags.h) */
#define FLAGS_66 .pg_lru = 5, .pg_private = 15, .pg_swapcache = 12, .pg_swapbacked = 19, \
	.pg_slab = 11, .pg_hwpoison = 23, .pg_head = 6, .pg_reserved = 14, .pg_uptodate = 3, \
	.pg_referenced = 2, .pg_dirty = 4, .pg_active = 8, .pg_workingset = 9
/* 6.10: 6.6 without PG_slab */
#define FLAGS_610 .pg_lru = 5, .pg_private = 14, .pg_swapcache = 11, .pg_swapbacked = 18, \
	.pg_slab = -1, .pg_hwpoison = 22, .pg_head = 6, .pg_reserved = 13, .pg_uptodate = 3, \
	.pg_referenced = 2, .pg_dirty = 4, .pg_active = 8, .pg_workingset = 9
/* 6.12 (trixie's headers) */
#define FLAGS_612 .pg_lru = 5, .pg_private = 14, .pg_swapcache = 10, .pg_swapbacked = 17, \
	.pg_slab = -1, .pg_hwpoison = 20, .pg_head = 6, .pg_reserved = 13, .pg_uptodate = 3, \
	.pg_referenced = 2, .pg_dirty = 4, .pg_active = 8, .pg_workingset = 9
/* 6.14+: PG_dropbehind before PG_mlocked (sid's 7.2 headers) */
#define FLAGS_614 .pg_lru = 5, .pg_private = 14, .pg_swapcache = 10, .pg_swapbacked = 17, \
	.pg_slab = -1, .pg_hwpoison = 21, .pg_head = 6, .pg_reserved = 13, .pg_uptodate = 3, \
	.pg_referenced = 2, .pg_dirty = 4, .pg_active = 8, .pg_workingset = 9

/* page types before 6.12: the bit cleared in an all-ones _mapcount */
#define OLD_TYPES .buddy = ~0x80, .offline = ~0x100, .table = ~0x200
/* 6.12+: PGTY_* << 24 */
#define PGTY(t) ((int32_t)((uint32_t)(t) << 24))
#define NEW_TYPES .top_byte_types = true, .buddy = PGTY(0xf0), .offline = PGTY(0xf1), \
	.table = PGTY(0xf2), .hugetlb = PGTY(0xf4), .slab = PGTY(0xf5), .unaccepted = PGTY(0xf7)

static const struct era eras[] = {
	{ .name = "5.10", .osrelease = "5.10.0-synth", FLAGS_61, OLD_TYPES, .pg_hugetlb = -1,
	  .order_in = ORD_PAGE, .tail1 = T1_510, .vi_vmap_area_list = true,
	  .size_pglist_data = 174208, .off_zone_spanned = 144 },
	{ .name = "6.1", .osrelease = "6.1.0-synth", FLAGS_61, OLD_TYPES, .pg_hugetlb = -1,
	  .order_in = ORD_PAGE, .tail1 = T1_61, .vi_vmap_area_list = true,
	  .size_pglist_data = 174208, .off_zone_spanned = 144 },
	{ .name = "6.3", .osrelease = "6.3.0-synth", FLAGS_61, OLD_TYPES, .pg_hugetlb = -1,
	  .order_in = ORD_FOLIO, .tail1 = T1_63, .slab_cache_first = true,
	  .vi_vmap_area_list = true, .size_pglist_data = 174208, .off_zone_spanned = 144 },
	{ .name = "6.6", .osrelease = "6.6.0-synth", FLAGS_66, OLD_TYPES, .pg_hugetlb = 8,
	  .order_in = ORD_FLAGS, .tail1 = T1_66, .slab_cache_first = true,
	  .vi_vmap_area_list = true, .size_pglist_data = 174208, .off_zone_spanned = 144 },
	{ .name = "6.9", .osrelease = "6.9.0-synth", FLAGS_66, OLD_TYPES, .hugetlb = ~0x800,
	  .pg_hugetlb = -1, .order_in = ORD_FLAGS, .tail1 = T1_66, .slab_cache_first = true,
	  .size_pglist_data = 174464, .off_zone_spanned = 160 },
	{ .name = "6.10", .osrelease = "6.10.0-synth", FLAGS_610, OLD_TYPES, .hugetlb = ~0x800,
	  .slab = ~0x1000, .pg_hugetlb = -1, .order_in = ORD_FLAGS, .tail1 = T1_66,
	  .slab_cache_first = true, .vi_vmemmap = true,
	  .size_pglist_data = 174464, .off_zone_spanned = 160 },
	{ .name = "6.12", .osrelease = "6.12.0-synth", FLAGS_612, NEW_TYPES, .pg_hugetlb = -1,
	  .order_in = ORD_FLAGS, .tail1 = T1_612, .slab_cache_first = true, .vi_vmemmap = true,
	  .size_pglist_data = 174464, .off_zone_spanned = 160 },
	{ .name = "6.16", .osrelease = "6.16.0-synth", FLAGS_614, NEW_TYPES, .pg_hugetlb = -1,
	  .order_in = ORD_FLAGS, .tail1 = T1_615, .slab_cache_first = true, .vi_vmemmap = true,
	  .vi_unaccepted = true, .size_pglist_data = 174464, .off_zone_spanned = 160 },
	{ .name = "7.1", .osrelease = "7.1.0-synth", FLAGS_614, NEW_TYPES, .pg_hugetlb = -1,
	  .order_in = ORD_FLAGS, .tail1 = T1_615, .slab_cache_first = true, .vi_vmemmap = true,
	  .vi_unaccepted = true, .compound_info = true,
	  .size_pglist_data = 174464, .off_zone_spanned = 160 },
};

/*
 * The names the first specs used. "new" is 6.12 plus the
 * PAGE_UNACCEPTED_MAPCOUNT_VALUE key, which 6.12 itself does not export
 * (the generator wrote it before it knew better; kept so that every
 * existing spec, vmcore and expectation stays byte-identical).
 */
static const struct { const char *alias, *row; bool unaccepted_key; } aliases[] = {
	{ "old", "6.1", false },
	{ "new", "6.12", true },
};

int synth_era_find(const char *name, int *row, bool *unaccepted_key)
{
	const char *want = name;

	*unaccepted_key = false;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcmp(aliases[i].alias, name)) {
			want = aliases[i].row;
			*unaccepted_key = aliases[i].unaccepted_key;
		}
	for (size_t i = 0; i < sizeof(eras) / sizeof(eras[0]); i++)
		if (!strcmp(eras[i].name, want)) {
			*row = (int)i;
			*unaccepted_key = *unaccepted_key || eras[i].vi_unaccepted;
			return 0;
		}
	return -1;
}

const struct era *synth_era(int row)
{
	return &eras[row];
}

/* "5.10, 6.1 (old), ...": the names a spec may use, for messages. */
void synth_era_names(char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(eras) / sizeof(eras[0]) && n < len; i++) {
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", eras[i].name);
		for (size_t j = 0; j < sizeof(aliases) / sizeof(aliases[0]) && n < len; j++)
			if (!strcmp(aliases[j].row, eras[i].name))
				n += (size_t)snprintf(buf + n, len - n, " (%s)", aliases[j].alias);
	}
}
