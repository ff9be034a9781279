/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Page classification: read each struct page and decide whether the
 * dump level lets us drop it. The policy follows makedumpfile's so that
 * dumps agree, with one rule above all: when a struct page looks wrong,
 * keep the page. Dropping a page the kernel used breaks crash; keeping
 * a free one only costs a few KiB.
 *
 * Markers moved across kernel versions; which one applies is decided by
 * what VMCOREINFO exports, never by the version string:
 *   buddy/offline/slab/hugetlb page types: an exact _mapcount value
 *   before 6.12, the top byte of page_type from 6.12 (low 24 bits zero
 *   in the exported value);
 *   slab: PG_slab before 6.10, a page type after;
 *   hugetlb: compound dtor (< 6.6), PG_hugetlb of the first tail
 *   (6.6 .. 6.8), a page type (6.9+);
 *   compound order: page[1].compound_order (< 6.3), folio._folio_order
 *   (6.3 .. 6.5), the low byte of page[1].flags (6.6+);
 *   unaccepted memory (6.16+, confidential guests): a page type on the
 *   first page of a free MAX_ORDER block, dropped with the free pages;
 *   a tail's link to its head (page.compound_head, page.compound_info
 *   from 7.1): head | 1, or from 7.1, where struct page has a power-of-2
 *   size and the kernel optimises vmemmap, a mask | 1 that turns the
 *   tail's struct page address into the head's.
 * A field the classifier needs and VMCOREINFO lacks (a kernel newer than
 * this code) never makes it drop a page: what it would have dropped is
 * kept and counted in stats->pages_missing (enum kcf_missing).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kcf-internal.h"

#define CHUNK_PAGES 2048  /* 128 KiB of struct pages: one read, still in L2 */
#define MAX_COMPOUND_ORDER 18     /* 1 GiB hugetlb pages */
#define CLASS_NOT_RAM 0xff

struct kcf_classifier {
	struct kcf_vmcore *vm;
	struct kcf_memmap *mm;
	unsigned dump_level;
	uint64_t cycle_pages;
	struct kcf_cycle cycle;
	uint8_t *pages;           /* CHUNK_PAGES struct pages */
	uint8_t *next_page;       /* one struct page, for page[1] lookups */
	uint64_t chunk_pfn;       /* first PFN in pages[] */
	uint64_t chunk_n;         /* struct pages valid in pages[] */
	unsigned missing;         /* 1 << KCF_MISSING_*: needed at this dump level, not exported */
	struct kcf_stats *stats;  /* of the cycle being classified, or NULL */
};

struct page_view {
	uint64_t flags;
	uint64_t head;        /* compound_head word */
	uint64_t mapping;
	uint64_t private;
	uint32_t mapcount;
};

#define DL_FOLIOS (KCF_DL_CACHE | KCF_DL_CACHE_PRIVATE | KCF_DL_USER)

/* Which decisions this dump level needs that the exported layout cannot make. */
static unsigned missing_fields(const struct kcf_layout *l, unsigned dl)
{
	unsigned m = 0;

	if ((dl & KCF_DL_FREE) && l->buddy_value == KCF_UNSET)
		m |= 1u << KCF_MISSING_BUDDY;
	if ((dl & DL_FOLIOS) && l->pg_slab == KCF_UNSET && l->slab_value == KCF_UNSET)
		m |= 1u << KCF_MISSING_SLAB;
	if ((dl & DL_FOLIOS) && (l->off_compound_head == KCF_UNSET || l->pg_head_mask == KCF_UNSET))
		m |= 1u << KCF_MISSING_COMPOUND;
	return m;
}

int kcf_classifier_new(struct kcf_vmcore *vm, unsigned dump_level, uint64_t cycle_pages,
		       struct kcf_classifier **ret)
{
	struct kcf_classifier *cl = calloc(1, sizeof(*cl));
	int r;

	if (!cl)
		return -ENOMEM;
	cl->vm = vm;
	cl->dump_level = dump_level;
	cl->cycle_pages = cycle_pages;
	cl->cycle.cls = malloc(cycle_pages);
	cl->pages = malloc(CHUNK_PAGES * (size_t)vm->lay.size_page);
	cl->next_page = malloc((size_t)vm->lay.size_page);
	if (!cl->cycle.cls || !cl->pages || !cl->next_page) {
		kcf_classifier_free(cl);
		return -ENOMEM;
	}
	r = kcf_memmap_new(vm, &cl->mm);
	if (r < 0) {
		kcf_classifier_free(cl);
		return r;
	}
	cl->missing = missing_fields(&vm->lay, dump_level);
	*ret = cl;
	return 0;
}

void kcf_classifier_free(struct kcf_classifier *cl)
{
	if (!cl)
		return;
	kcf_memmap_free(cl->mm);
	free(cl->cycle.cls);
	free(cl->pages);
	free(cl->next_page);
	free(cl);
}

static uint64_t rd64(const uint8_t *p, int64_t off)
{
	uint64_t v;
	memcpy(&v, p + off, 8);
	return v;
}

static uint32_t rd32(const uint8_t *p, int64_t off)
{
	uint32_t v;
	memcpy(&v, p + off, 4);
	return v;
}

static void view(const struct kcf_layout *l, const uint8_t *p, struct page_view *v)
{
	v->flags = rd64(p, l->off_flags);
	v->head = l->off_tail_word != KCF_UNSET ? rd64(p, l->off_tail_word) : 0;
	v->mapping = rd64(p, l->off_mapping);
	v->private = rd64(p, l->off_private);
	v->mapcount = rd32(p, l->off_mapcount);
}

static bool flag(uint64_t flags, int64_t bit)
{
	return bit != KCF_UNSET && (flags >> bit) & 1;
}

/*
 * Does _mapcount hold a page type at all (any of them, exported or not)?
 * Types live in the top nibble's range in both encodings: before 6.12 as
 * 0xf0000000-based values with a type bit cleared, from 6.12 as a value in
 * the top byte. A mapcount of pages in use is never that negative.
 */
static bool page_has_type(uint32_t mapcount)
{
	return (mapcount >> 28) == 0xf && mapcount != UINT32_MAX;
}

/* Is this page of the type the kernel exported as value? */
static bool page_type_is(uint32_t mapcount, int64_t value)
{
	if (value == KCF_UNSET)
		return false;
	uint32_t v = (uint32_t)value;
	if ((v & 0xffffff) == 0)              /* 6.12+: type in the top byte */
		return (mapcount >> 24) == (v >> 24);
	return mapcount == v;
}

/* struct page of pfn+1, from the chunk buffer or read on its own. */
static const uint8_t *first_tail(struct kcf_classifier *cl, uint64_t pfn)
{
	uint64_t size = (uint64_t)cl->vm->lay.size_page, skip;
	uint64_t t = pfn + 1;
	if (t >= cl->chunk_pfn && t < cl->chunk_pfn + cl->chunk_n)
		return cl->pages + (t - cl->chunk_pfn) * size;
	if (kcf_memmap_read(cl->mm, t, 1, cl->next_page, &skip) == 1)
		return cl->next_page;
	return NULL;
}

/* The order the first tail t records for its folio, or -1 when implausible. */
static int recorded_order(const struct kcf_layout *l, const uint8_t *t)
{
	int order;

	if (l->off_compound_order != KCF_UNSET)
		order = t[l->off_compound_order];
	else if (l->off_folio_order != KCF_UNSET && l->off_folio_order >= l->size_page &&
		 l->off_folio_order < 2 * l->size_page)
		order = t[l->off_folio_order - l->size_page];
	else
		order = (int)(rd64(t, l->off_flags) & 0xff);
	return order >= 1 && order <= MAX_COMPOUND_ORDER ? order : -1;
}

/*
 * Does the first tail's link lead back to the head at head_va? Either
 * head | 1, or (7.1+) the mask | 1 that clears the low order + log2(SIZE(page))
 * bits of the tail's own address: then it also confirms the order.
 */
static bool tail_links_head(const struct kcf_layout *l, uint64_t info, uint64_t head_va, int order)
{
	uint64_t size = (uint64_t)l->size_page, mask;
	int shift;

	if (info == (head_va | 1))
		return true;
	if (!(info & 1) || (size & (size - 1)))
		return false;
	shift = order + __builtin_ctzll(size);
	mask = ~((1ULL << shift) - 1);
	return (info & ~1ULL) == mask && ((head_va + size) & mask) == head_va;
}

/*
 * Order of the compound page headed at pfn, or -1 when the first tail
 * does not link back to the head (then we do not trust the head).
 * *guess is the order the tail records, checked or not (-1: none), for
 * counting what a missing field made us keep.
 */
static int compound_order(struct kcf_classifier *cl, uint64_t pfn, uint64_t head_va,
			  const uint8_t **tail, int *guess)
{
	const struct kcf_layout *l = &cl->vm->lay;
	const uint8_t *t = first_tail(cl, pfn);
	int order;

	*tail = t;
	*guess = -1;
	if (!t)
		return -1;
	order = *guess = recorded_order(l, t);
	if (order < 0 || l->off_compound_head == KCF_UNSET ||
	    !tail_links_head(l, rd64(t, l->off_compound_head), head_va, order))
		return -1;
	return order;
}

static bool is_hugetlb(const struct kcf_layout *l, const struct page_view *v, const uint8_t *tail)
{
	if (page_type_is(v->mapcount, l->hugetlb_value))
		return true;
	if (!tail)
		return false;
	if (l->pg_hugetlb != KCF_UNSET && l->hugetlb_value == KCF_UNSET)
		return flag(rd64(tail, l->off_flags), l->pg_hugetlb);
	if (l->hugetlb_dtor != KCF_UNSET) {
		if (l->off_compound_dtor != KCF_UNSET)
			return tail[l->off_compound_dtor] == l->hugetlb_dtor;
		if (l->off_folio_dtor != KCF_UNSET && l->off_folio_dtor >= l->size_page &&
		    l->off_folio_dtor < 2 * l->size_page)
			return tail[l->off_folio_dtor - l->size_page] == l->hugetlb_dtor;
	}
	return false;
}

/*
 * Keep n pages from here on that a missing VMCOREINFO field stopped us
 * from classifying, and count them against that field.
 */
static int keep_missing(struct kcf_classifier *cl, enum kcf_missing m, uint64_t n,
			uint64_t *npages)
{
	if (cl->stats)
		cl->stats->pages_missing[m] += n;
	*npages = n;
	return KCF_CLASS_KEPT;
}

/* A free buddy block (or what looks like one) of 2^order pages at pfn. */
static bool buddy_order_ok(const struct kcf_layout *l, uint64_t pfn, uint64_t order)
{
	return order < (uint64_t)l->len_free_area && !(pfn & ((1ULL << order) - 1));
}

/*
 * Classify one head or ordinary page. Returns the class and sets *npages
 * to how many PFNs from pfn on share it (a free block or compound page).
 */
static int classify_page(struct kcf_classifier *cl, uint64_t pfn, const uint8_t *p,
			 uint64_t *npages, bool *unsure)
{
	const struct kcf_layout *l = &cl->vm->lay;
	unsigned dl = cl->dump_level;
	struct page_view v;

	*npages = 1;
	*unsure = false;
	view(l, p, &v);

	if (v.head & 1)
		return KCF_CLASS_KEPT;      /* a tail: its head decided */

	bool slab = flag(v.flags, l->pg_slab) || page_type_is(v.mapcount, l->slab_value);
	if (!slab && page_type_is(v.mapcount, l->buddy_value)) {
		if (!buddy_order_ok(l, pfn, v.private)) {
			*unsure = true;
			return KCF_CLASS_KEPT;
		}
		if (!(dl & KCF_DL_FREE))
			return KCF_CLASS_KEPT;
		*npages = 1ULL << v.private;
		return KCF_CLASS_FREE;
	}
	/* Never accepted, so never used: a free block of the largest order. */
	if (!slab && page_type_is(v.mapcount, l->unaccepted_value)) {
		if (!buddy_order_ok(l, pfn, (uint64_t)l->len_free_area - 1)) {
			*unsure = true;
			return KCF_CLASS_KEPT;
		}
		if (!(dl & KCF_DL_FREE))
			return KCF_CLASS_KEPT;
		*npages = 1ULL << (l->len_free_area - 1);
		return KCF_CLASS_FREE;
	}
	if (!slab && page_type_is(v.mapcount, l->offline_value))
		return KCF_CLASS_OFFLINE;
	if (flag(v.flags, l->pg_hwpoison))
		return KCF_CLASS_HWPOISON;
	/*
	 * Any other page type (page tables, guard pages, zsmalloc...) marks
	 * kernel memory; hugetlb folios are the one typed kind of user memory.
	 * Without the buddy value, free blocks are among these.
	 */
	if (!slab && page_has_type(v.mapcount) && !page_type_is(v.mapcount, l->hugetlb_value)) {
		if (!(cl->missing & (1u << KCF_MISSING_BUDDY)))
			return KCF_CLASS_KEPT;
		return keep_missing(cl, KCF_MISSING_BUDDY,
				    buddy_order_ok(l, pfn, v.private) ? 1ULL << v.private : 1, npages);
	}
	if (slab || !(dl & DL_FOLIOS))
		return KCF_CLASS_KEPT;

	const uint8_t *tail = NULL;
	int order = 0;
	if (l->pg_head_mask != KCF_UNSET && (v.flags & (uint64_t)l->pg_head_mask)) {
		uint64_t head_va = 0;   /* for the tail's link */
		int guess = -1;
		order = -1;
		if (kcf_memmap_page_va(cl->mm, pfn, &head_va) == 0)
			order = compound_order(cl, pfn, head_va, &tail, &guess);
		/* unlinked for want of the field: the order still says what is kept */
		if (order < 0 && (cl->missing & (1u << KCF_MISSING_COMPOUND)) && guess > 0)
			order = guess;
		if (order < 0 || (pfn & ((1ULL << order) - 1))) {
			*unsure = true;
			return KCF_CLASS_KEPT;
		}
	}

	unsigned anon_bits = v.mapping & 3;
	bool anon = anon_bits == 1 || anon_bits == 3;     /* anon or KSM */
	bool lru = flag(v.flags, l->pg_lru);
	bool swapcache = flag(v.flags, l->pg_swapcache) && flag(v.flags, l->pg_swapbacked);
	bool cache = (lru || swapcache) && !anon;
	bool hugetlb = order > 0 && is_hugetlb(l, &v, tail);
	int cls = KCF_CLASS_KEPT;

	/* -d 4 alone also drops cache without private data: count it as such */
	if (cache && !flag(v.flags, l->pg_private) && (dl & (KCF_DL_CACHE | KCF_DL_CACHE_PRIVATE)))
		cls = KCF_CLASS_CACHE;
	else if (cache && (dl & KCF_DL_CACHE_PRIVATE))
		cls = KCF_CLASS_CACHE_PRIVATE;
	else if ((anon || hugetlb) && (dl & KCF_DL_USER))
		cls = KCF_CLASS_USER;
	if (cls == KCF_CLASS_KEPT)
		return cls;
	/* A page cache or anon page always points at a kernel object. */
	if (!hugetlb && !kcf_is_kernel_va(cl->vm, v.mapping & ~3ULL)) {
		*unsure = true;
		return KCF_CLASS_KEPT;
	}
	/* Could be slab, or a folio whose extent we cannot check: keep it whole. */
	if (cl->missing & (1u << KCF_MISSING_SLAB))
		return keep_missing(cl, KCF_MISSING_SLAB, 1ULL << order, npages);
	if (cl->missing & (1u << KCF_MISSING_COMPOUND))
		return keep_missing(cl, KCF_MISSING_COMPOUND, 1ULL << order, npages);
	*npages = 1ULL << order;
	return cls;
}

static void count(struct kcf_stats *stats, int cls, uint64_t n)
{
	if (stats && cls != CLASS_NOT_RAM)
		stats->pages[cls] += n;
}

int kcf_classify_cycle(struct kcf_classifier *cl, uint64_t start, uint64_t end,
		       struct kcf_stats *stats, const struct kcf_cycle **ret)
{
	struct kcf_vmcore *vm = cl->vm;
	struct kcf_cycle *c = &cl->cycle;
	uint64_t size = (uint64_t)vm->lay.size_page;
	uint64_t page = (uint64_t)vm->lay.page_size;

	if (end - start > cl->cycle_pages)
		return kcf_err(vm->ctx, EINVAL, "internal: cycle larger than its buffer");
	cl->stats = stats;
	if (stats)
		stats->missing |= cl->missing;
	/* A carried free block or folio only continues into the next PFNs. */
	if (start != c->end_pfn || start == 0)
		c->carry_end = 0;
	c->start_pfn = start;
	c->end_pfn = end;
	cl->chunk_n = 0;

	/* Which PFNs are RAM at all (bitmap 1 of the dump). */
	memset(c->cls, CLASS_NOT_RAM, end - start);
	for (size_t i = 0; i < vm->nr_loads; i++) {
		const struct kcf_load *ld = &vm->loads[i];
		uint64_t a = ld->paddr / page, b = (ld->paddr + ld->memsz + page - 1) / page;
		a = KCF_MAX(a, start);
		b = KCF_MIN(b, end);
		if (a < b)
			memset(c->cls + (a - start), KCF_CLASS_KEPT, b - a);
	}

	for (uint64_t pfn = start; pfn < end;) {
		uint8_t *slot = &c->cls[pfn - start];
		if (pfn < c->carry_end) {
			uint64_t n = KCF_MIN(c->carry_end, end) - pfn;
			for (uint64_t i = 0; i < n; i++) {
				if (slot[i] != CLASS_NOT_RAM) {
					slot[i] = c->carry_cls;
					count(stats, c->carry_cls, 1);
				}
			}
			pfn += n;
			continue;
		}
		if (*slot == CLASS_NOT_RAM) {
			pfn++;
			continue;
		}
		if (!kcf_phys_present(vm, pfn)) {
			*slot = KCF_CLASS_ABSENT;
			count(stats, KCF_CLASS_ABSENT, 1);
			pfn++;
			continue;
		}
		if (pfn < cl->chunk_pfn || pfn >= cl->chunk_pfn + cl->chunk_n) {
			uint64_t skip = 0;
			long n = kcf_memmap_read(cl->mm, pfn, KCF_MIN(CHUNK_PAGES, end - pfn + 1),
						 cl->pages, &skip);
			if (n < 0)
				return (int)n;
			if (n == 0) {
				/* No struct page: nothing to judge by, keep. */
				uint64_t m = KCF_MIN(skip, end - pfn);
				for (uint64_t i = 0; i < m; i++) {
					if (slot[i] != CLASS_NOT_RAM) {
						if (stats)
							stats->pages_no_memmap++;
						count(stats, KCF_CLASS_KEPT, 1);
					}
				}
				cl->chunk_n = 0;
				pfn += m;
				continue;
			}
			cl->chunk_pfn = pfn;
			cl->chunk_n = (uint64_t)n;
		}
		uint64_t npages;
		bool unsure;
		int cls = classify_page(cl, pfn, cl->pages + (pfn - cl->chunk_pfn) * size,
					&npages, &unsure);
		if (unsure && stats)
			stats->pages_unsure++;
		*slot = (uint8_t)cls;
		count(stats, cls, 1);
		if (npages > 1) {
			c->carry_end = pfn + npages;
			c->carry_cls = (uint8_t)cls;
		}
		pfn++;
	}
	*ret = c;
	return 0;
}

KCF_EXPORT const char *kcf_vmcore_missing(const struct kcf_vmcore *vm, enum kcf_missing m)
{
	const struct kcf_layout *l = &vm->lay;
	bool link = l->off_compound_head == KCF_UNSET, head = l->pg_head_mask == KCF_UNSET;

	switch (m) {
	case KCF_MISSING_BUDDY:
		return "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)";
	case KCF_MISSING_SLAB:
		return "NUMBER(PG_slab) and NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)";
	case KCF_MISSING_COMPOUND:
		return link && head ? "OFFSET(page.compound_info) and NUMBER(PG_head_mask)" :
		       head ? "NUMBER(PG_head_mask)" : "OFFSET(page.compound_info)";
	default:
		return "unknown";
	}
}

void kcf_classify_report(struct kcf_vmcore *vm, const struct kcf_stats *st)
{
	static const char *const what[KCF_MISSING_MAX] = {
		[KCF_MISSING_BUDDY] = "free pages cannot be told from other typed pages",
		[KCF_MISSING_SLAB] = "slab pages cannot be told from page cache and user pages",
		[KCF_MISSING_COMPOUND] = "large folios cannot be checked head to tail",
	};

	for (int m = 0; m < KCF_MISSING_MAX; m++) {
		if (!(st->missing & (1u << m)))
			continue;
		kcf_log(vm->ctx, 4,
			"%s: VMCOREINFO lacks %s, so %s (a kernel newer than kcatch?); %llu pages kept that would have been dropped",
			vm->path, kcf_vmcore_missing(vm, (enum kcf_missing)m), what[m],
			(unsigned long long)st->pages_missing[m]);
	}
}
