/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * synth: what goes into pages: placements and the random mix, struct
 * pages as each era (synth-eras.c) lays them out, page contents, and the
 * classes the expectation file records.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "synth-internal.h"

#define MAX_COMPOUND_ORDER 18

/* ----------------------------------------------------------- placements */

static bool order_ok(int kind, int order)
{
	switch (kind) {
	case K_FREE: return order <= MAX_ORDER_FREE;
	case K_UNACCEPTED: return order == MAX_ORDER_FREE;
	case K_HUGETLB: return order >= 1 && order <= MAX_COMPOUND_ORDER;
	case K_PGTABLE: case K_MOVABLE: case K_OFFLINE: case K_HWPOISON:
		return order == 0;
	default: return order <= MAX_COMPOUND_ORDER;
	}
}

void synth_place_block(struct synth *s, uint64_t pfn, int kind, int order)
{
	uint64_t n = 1ull << order;

	for (uint64_t k = 0; k < n; k++) {
		struct pinfo *p = pinfo_of(s, pfn + k);

		p->kind = (uint8_t)kind;
		p->order = (uint8_t)order;
		if (!order)
			p->role = R_SINGLE;
		else if (!k)
			p->role = R_HEAD;
		else
			p->role = kind == K_FREE || kind == K_UNACCEPTED ? R_FREE_TAIL : R_TAIL;
	}
}

int synth_apply_placements(struct synth *s)
{
	for (size_t i = 0; i < s->npl; i++) {
		const struct placement *p = &s->pl[i];
		uint64_t n = p->last - p->first + 1, blk = 1ull << p->order;

		if (!order_ok(p->kind, p->order) || p->order > s->section_bits - PAGE_SHIFT)
			return synth_fail(s, -EINVAL, "line %d: order %d not allowed for %s",
					  p->line, p->order, synth_kind_name(p->kind));
		if (p->kind == K_UNACCEPTED && !s->e->unaccepted)
			return synth_fail(s, -EINVAL, "line %d: era %s has no unaccepted page type "
					  "(6.12 or later)", p->line, s->era_name);
		if (p->kind == K_UNACCEPTED && PAGE_SHIFT != 12)
			return synth_fail(s, -EINVAL, "line %d: unaccepted blocks are generated with 4K "
					  "pages only (16K/64K blocks are MAX_PAGE_ORDER 11/13)", p->line);
		if (p->kind != K_BAD_ORDER && ((p->first & (blk - 1)) || n % blk))
			return synth_fail(s, -EINVAL,
					  "line %d: PFN %#llx is not aligned to order %d",
					  p->line, (unsigned long long)p->first, p->order);
		if (!synth_run_free(s, p->first, n))
			return synth_fail(s, -EINVAL,
					  "line %d: PFNs %#llx-%#llx are not free RAM "
					  "(outside RAM, in the kernel image, or placed twice)",
					  p->line, (unsigned long long)p->first,
					  (unsigned long long)p->last);
		if (p->kind == K_BAD_ORDER) {
			synth_place_block(s, p->first, K_BAD_ORDER, 1);
			pinfo_of(s, p->first)->order = (uint8_t)p->arg;  /* the garbage */
			pinfo_of(s, p->first + 1)->order = (uint8_t)p->arg;
			continue;
		}
		if (p->kind == K_BAD_BUDDY) {
			synth_place_block(s, p->first, K_BAD_BUDDY, 0);
			pinfo_of(s, p->first)->order = (uint8_t)p->arg;  /* the bad order */
			continue;
		}
		for (uint64_t f = p->first; f <= p->last; f += blk)
			synth_place_block(s, f, p->kind, p->order);
	}
	return 0;
}

static int pick_kind(const struct synth *s, uint64_t h)
{
	uint64_t total = 0, x;

	for (int k = 0; k < K_MAX; k++)
		total += s->mix[k];
	if (!total)
		return K_KERNEL;
	x = h % total;
	for (int k = 0; k < K_MAX; k++) {
		if (x < s->mix[k])
			return k;
		x -= s->mix[k];
	}
	return K_KERNEL;
}

/* hugetlb: 2 MiB pages (4K: a PMD; 16K/64K: contiguous PTEs, orders 7 and 5) */
static int pick_order(const struct synth *s, int kind, uint64_t h)
{
	static const unsigned free_cdf[] = { 30, 42, 52, 60, 66, 72, 77, 82, 87, 92, 100 };
	unsigned r = (unsigned)(h % 100);
	unsigned x = (unsigned)(h >> 20);

	switch (kind) {
	case K_FREE:
		for (int o = 0; o <= MAX_ORDER_FREE; o++)
			if (r < free_cdf[o])
				return o;
		return MAX_ORDER_FREE;
	case K_HUGETLB: return 21 - PAGE_SHIFT;
	case K_UNACCEPTED: return MAX_ORDER_FREE;
	case K_ANON: return r < 85 ? 0 : r < 93 ? 21 - PAGE_SHIFT : 2 + (int)(x % 3);
	case K_CACHE: case K_SHMEM: case K_CACHE_PRIVATE:
		return r < 80 ? 0 : 1 + (int)(x % 4);
	case K_SLAB: return r < 60 ? 0 : 1 + (int)(x % 3);
	case K_KERNEL: return r < 92 ? 0 : 1 + (int)(x % 3);
	default: return 0;
	}
}

/* Pages [pfn, pfn+n) all lie where "mixed" puts the mix despite "fill KIND". */
static bool in_mixed(const struct synth *s, uint64_t pfn, uint64_t n)
{
	return s->mixed_stride && pfn % s->mixed_stride + n <= s->mixed_len;
}

void synth_fill_rest(struct synth *s)
{
	int maxo = s->section_bits - PAGE_SHIFT;

	for (int i = 0; i < s->nram; i++) {
		for (uint64_t pfn = s->ram[i].start; pfn < s->ram[i].end;) {
			uint64_t h = synth_hash(s->seed, pfn, 1);
			bool mix = s->fill_kind < 0 || in_mixed(s, pfn, 1);
			int kind, order;

			if (pinfo_of(s, pfn)->kind != K_NONE) {
				pfn++;
				continue;
			}
			kind = !mix ? s->fill_kind : pick_kind(s, h);
			order = !mix ? 0 : pick_order(s, kind, synth_hash(s->seed, pfn, 2));
			if (order > maxo)
				order = maxo;
			while (order > 0 &&
			       ((pfn & ((1ull << order) - 1)) || !synth_run_free(s, pfn, 1ull << order) ||
				(s->fill_kind >= 0 && !in_mixed(s, pfn, 1ull << order))))
				order--;
			if (kind == K_HUGETLB && order != 21 - PAGE_SHIFT) {
				kind = K_CACHE;
				order = 0;
			}
			/* 16K/64K: the block would be MAX_PAGE_ORDER (11, 13), not generated */
			if (kind == K_UNACCEPTED && (order != MAX_ORDER_FREE || !s->e->unaccepted ||
						     PAGE_SHIFT != 12))
				kind = K_FREE;
			synth_place_block(s, pfn, kind, order);
			pfn += 1ull << order;
		}
	}
}

/* ---------------------------------------------------------- struct page */

static uint64_t struct_page_va(const struct synth *s, uint64_t pfn)
{
	const struct section *sc = &s->sect[pfn / s->pps];

	return sc->memmap_va + (pfn % s->pps) * STRUCT_PAGE_SIZE;
}

bool synth_has_struct_page(const struct synth *s, uint64_t pfn)
{
	uint64_t n = pfn / s->pps;

	return n < s->nsect && s->sect[n].present && s->sect[n].memmap == MM_OK;
}

int synth_struct_page(const struct synth *s, uint64_t pfn, uint64_t *va, uint64_t *pa)
{
	uint64_t v;

	if (!s->built || !synth_has_struct_page(s, pfn))
		return -ENOENT;
	v = struct_page_va(s, pfn);
	for (size_t i = 0; i < s->nbk; i++)
		if (v >= s->bk[i].va && v < s->bk[i].va + s->bk[i].len) {
			*va = v;
			*pa = s->bk[i].pa + (v - s->bk[i].va);
			return 0;
		}
	return -ENOENT;
}

static uint64_t zone_bits(const struct synth *s, uint64_t pfn)
{
	uint64_t pa = pfn << PAGE_SHIFT;
	uint64_t zone = pa < (16ull << 20) ? 0 : pa < (4ull << 30) ? 1 : 2;

	/* node 0 | zone | last_cpupid all ones, like a real x86_64 kernel */
	return zone << 52 | 0x1fffffull << 30;
}

/* Fake kernel objects a page can point at (address_space, anon_vma...). */
static uint64_t obj(const struct synth *s, unsigned which, uint64_t h)
{
	return s->objs_va + which * 0x1000 + (h % 60) * 64;
}

#define OBJ_MAPPING 0
#define OBJ_ANON 1
#define OBJ_CACHE 2
#define OBJ_MISC 3

struct spage {
	uint64_t flags, w8, w16, mapping, index, priv;
	int32_t mapcount, refcount;
	uint64_t w56;
};

static void spage_store(uint8_t *p, const struct spage *sp)
{
	put64(p + 0, sp->flags);
	put64(p + 8, sp->w8);
	put64(p + 16, sp->w16);
	put64(p + 24, sp->mapping);
	put64(p + 32, sp->index);
	put64(p + 40, sp->priv);
	put32(p + 48, (uint32_t)sp->mapcount);
	put32(p + 52, (uint32_t)sp->refcount);
	put64(p + 56, sp->w56);
}

static uint64_t bit(int nr)
{
	return nr < 0 ? 0 : 1ull << nr;
}

/* A page type (top byte in the new era), with junk in the low bits sometimes. */
static int32_t ptype(const struct synth *s, int32_t t, uint64_t h)
{
	if (s->e->top_byte_types && s->type_junk && (h % 3) == 0)
		return (int32_t)((uint32_t)t | (uint32_t)((h >> 8) & 0xffffff));
	return t;
}

/* A plausible list_head pointer: some struct page's lru, even. */
static uint64_t list_ptr(const struct synth *s, uint64_t h)
{
	uint64_t pfn = s->ram[0].start + h % (s->ram[0].end - s->ram[0].start);

	if (!synth_has_struct_page(s, pfn))
		return s->objs_va + 0x3800;
	return struct_page_va(s, pfn) + 8;
}

static void make_head(struct synth *s, uint64_t pfn, const struct pinfo *p, struct spage *sp)
{
	const struct era *e = s->e;
	uint64_t h = synth_hash(s->seed, pfn, 3);
	int mc = (int)((h >> 12) % 4) - 1;
	bool head = p->role == R_HEAD;

	memset(sp, 0, sizeof(*sp));
	sp->flags = zone_bits(s, pfn);
	sp->mapcount = -1;
	sp->refcount = 1;
	if (head && p->kind != K_FREE && p->kind != K_UNACCEPTED)
		sp->flags |= bit(e->pg_head);
	switch (p->kind) {
	case K_IMAGE_TEXT: case K_IMAGE_DATA: case K_IMAGE_BSS: case K_MEMBLOCK:
		sp->flags |= bit(e->pg_reserved);
		break;
	case K_KERNEL: case K_RANDOM: case K_TEXT: case K_ZERO:
		sp->refcount = 1 + (int32_t)(h % 3);
		break;
	case K_PGTABLE:
		sp->mapcount = ptype(s, e->table, h);
		sp->priv = 0;
		sp->index = obj(s, OBJ_MISC, h);   /* pt_mm */
		break;
	case K_SLAB:
		if (!e->slab_cache_first) {
			/* 6.1: slab_list, then slab_cache where page.mapping is */
			sp->w8 = list_ptr(s, h);
			sp->w16 = list_ptr(s, h >> 7);
			sp->mapping = obj(s, OBJ_CACHE, h);       /* slab_cache */
		} else {
			/* 6.2+: slab_cache, then slab_list or a partial list's next/slabs */
			sp->w8 = obj(s, OBJ_CACHE, h);            /* slab_cache */
			sp->w16 = list_ptr(s, h);
			/* slab_list.prev or the "slabs" count of a partial list: maybe odd */
			sp->mapping = (h & 0x100) ? 1 + 2 * ((h >> 9) % 7) : list_ptr(s, h >> 7);
		}
		if (e->slab)
			sp->mapcount = ptype(s, e->slab, h);  /* 6.10+: __page_type */
		else
			sp->flags |= bit(e->pg_slab);
		sp->index = s->page_offset + (pfn << PAGE_SHIFT) + 64 * (h % 64); /* freelist */
		sp->priv = 0x80000020u;                   /* counters */
		break;
	case K_MOVABLE:
		sp->mapping = kva(s, s->data_pa + 0x40) | 2;
		sp->priv = h & 0xffff;
		break;
	case K_CACHE: case K_CACHE_PRIVATE: case K_SHMEM: case K_BAD_ORDER:
		sp->flags |= bit(e->pg_lru) | bit(e->pg_uptodate) |
			     ((h & 1) ? bit(e->pg_referenced) : 0) | ((h & 2) ? bit(e->pg_active) : 0);
		if (p->kind == K_SHMEM)
			sp->flags |= bit(e->pg_swapbacked);
		if (p->kind == K_CACHE_PRIVATE) {
			sp->flags |= bit(e->pg_private) | ((h & 4) ? bit(e->pg_dirty) : 0);
			sp->priv = obj(s, OBJ_MISC, h >> 5);  /* buffer_heads */
		}
		sp->w8 = list_ptr(s, h);
		sp->w16 = list_ptr(s, h >> 9);
		sp->mapping = obj(s, OBJ_MAPPING, h);
		sp->index = (h >> 20) % 100000;
		sp->mapcount = mc;
		sp->refcount = 2 + (mc >= 0 ? mc + 1 : 0);
		break;
	case K_ANON: case K_ANON_SWAPCACHE: case K_KSM:
		sp->flags |= bit(e->pg_swapbacked) | bit(e->pg_uptodate);
		if (p->kind != K_ANON_SWAPCACHE || (h & 1))
			sp->flags |= bit(e->pg_lru);
		if (p->kind == K_ANON_SWAPCACHE) {
			sp->flags |= bit(e->pg_swapcache);
			sp->priv = (h >> 16) & 0xffffff;      /* swap entry */
		}
		sp->w8 = list_ptr(s, h);
		sp->w16 = list_ptr(s, h >> 9);
		sp->mapping = obj(s, p->kind == K_KSM ? OBJ_MISC : OBJ_ANON, h) |
			      (p->kind == K_KSM ? 3 : 1);
		sp->index = 0x7f0000000ull + ((h >> 24) & 0xfffff);
		sp->mapcount = 0;
		sp->refcount = 2;
		break;
	case K_HUGETLB:
		sp->mapping = obj(s, OBJ_MAPPING, h);
		sp->index = (h >> 20) % 1000 * 512;
		if (e->hugetlb)
			sp->mapcount = ptype(s, e->hugetlb, h);  /* 6.9+ */
		break;
	case K_UNACCEPTED:
		/* first page of a MAX_ORDER block on zone.unaccepted_pages */
		sp->w8 = list_ptr(s, h);
		sp->w16 = list_ptr(s, h >> 9);
		sp->mapcount = ptype(s, e->unaccepted, h);
		sp->refcount = 0;
		break;
	case K_FREE: case K_BAD_BUDDY:
		sp->w8 = list_ptr(s, h);
		sp->w16 = list_ptr(s, h >> 9);
		sp->priv = p->order;  /* bad_buddy: the bad order */
		sp->mapcount = ptype(s, e->buddy, h);
		sp->refcount = 0;
		break;
	case K_OFFLINE:
		sp->mapcount = ptype(s, e->offline, h);
		break;
	case K_HWPOISON:
		sp->flags |= bit(e->pg_hwpoison);
		break;
	case K_BAD_TAIL:
		sp->w8 = (s->vmemmap ? s->vmemmap_base - 0x1000 : s->page_offset - 0x1000) | 1;
		sp->mapping = TAIL_MAPPING;
		sp->refcount = 0;
		break;
	default:
		break;
	}
}

/* The first tail page of a large folio: where the era keeps the order and the rest. */
static void first_tail(const struct synth *s, const struct pinfo *p, uint64_t nr, bool rmap,
		       struct spage *sp)
{
	const struct era *e = s->e;
	uint8_t dtor = p->kind == K_HUGETLB ? 2 : (p->kind == K_ANON && p->order == 9) ? 3 : 1;
	bool huge = p->kind == K_HUGETLB;

	if (e->order_in == ORD_FLAGS)
		sp->flags |= p->order | (rmap ? bit(e->pg_workingset) : 0) |
			     (huge && e->pg_hugetlb >= 0 ? bit(e->pg_hugetlb) : 0);
	switch (e->tail1) {
	case T1_510:
		/* compound_dtor, compound_order, compound_mapcount -1; compound_nr */
		sp->w16 = (uint64_t)dtor | (uint64_t)p->order << 8 | (uint64_t)0xffffffffu << 32;
		sp->mapping = nr;
		break;
	case T1_61:
		/* compound_dtor, compound_order, compound_mapcount -1; pincount 0, compound_nr */
		sp->w16 = (uint64_t)dtor | (uint64_t)p->order << 8 | (uint64_t)0xffffffffu << 32;
		sp->mapping = nr << 32;
		break;
	case T1_63:
		/* _folio_dtor, _folio_order, _entire_mapcount -1; _nr_pages_mapped, _pincount 0 */
		sp->w16 = (uint64_t)dtor | (uint64_t)p->order << 8 | (uint64_t)0xffffffffu << 32;
		sp->mapping = 0;
		sp->index = nr;                              /* _folio_nr_pages */
		break;
	case T1_66:
		/* _folio_avail; _entire_mapcount -1, _nr_pages_mapped; _pincount, _folio_nr_pages */
		sp->w16 = 0;
		sp->mapping = 0xffffffffu;
		sp->index = nr << 32;
		break;
	case T1_612:
		sp->w16 = 0xffffffffffffffffull;             /* _large/_entire_mapcount -1 */
		sp->mapping = 0;                             /* nr_pages_mapped, pincount */
		sp->index = nr;                              /* _folio_nr_pages */
		break;
	case T1_615:
		sp->w16 = 0xffffffffu;                       /* _large_mapcount -1, _nr_pages_mapped */
		sp->mapping = 0xffffffffu;                   /* _entire_mapcount -1, _pincount */
		sp->index = 0xffffffffffffffffull;           /* _mm_id_mapcount[2] -1 */
		sp->priv = 0;                                /* _mm_ids */
		sp->w56 = nr;                                /* _nr_pages */
		break;
	}
}

static int make_struct_page(struct synth *s, uint64_t pfn, uint8_t out[64])
{
	const struct era *e = s->e;
	const struct pinfo *p = pinfo_of(s, pfn);
	struct spage sp;

	memset(&sp, 0, sizeof(sp));
	sp.flags = zone_bits(s, pfn);
	sp.mapcount = -1;
	if (!p) {
		/* a hole inside a present section: reserved */
		sp.flags |= bit(e->pg_reserved);
		sp.refcount = 1;
	} else if (p->role == R_FREE_TAIL) {
		sp.refcount = 0;
	} else if (p->role == R_TAIL) {
		uint64_t order = p->kind == K_BAD_ORDER ? 1 : p->order;
		uint64_t hpfn = pfn & ~((1ull << order) - 1);
		const struct pinfo *hp = pinfo_of(s, hpfn);
		bool rmap = hp->kind >= K_CACHE && hp->kind <= K_KSM;

		if (p->kind == K_BAD_ORDER)
			hpfn = pfn - 1;
		/*
		 * 7.1 with HVO: the mask that turns this struct page's address into
		 * its head's (set_compound_head()); else the head's address | 1.
		 */
		if (s->compound_mask && p->kind != K_BAD_ORDER)
			sp.w8 = ~0ull << (order + 6) | 1;
		else
			sp.w8 = struct_page_va(s, hpfn) | 1;
		sp.mapping = TAIL_MAPPING;
		if (pfn == hpfn + 1)
			first_tail(s, p, p->kind == K_BAD_ORDER ? 0 : 1ull << p->order, rmap, &sp);
	} else {
		make_head(s, pfn, p, &sp);
	}
	spage_store(out, &sp);
	return 0;
}

int synth_write_struct_pages(struct synth *s)
{
	/* one page-table walk per page of mem_map, not per struct page */
	uint64_t walked_va = 1, walked_pa = 0;

	for (uint64_t n = 0; n < s->nsect; n++) {
		if (!s->sect[n].present || s->sect[n].memmap != MM_OK)
			continue;
		for (uint64_t pfn = n * s->pps; pfn < (n + 1) * s->pps; pfn++) {
			uint64_t va = struct_page_va(s, pfn), pa;
			uint8_t buf[64], *dst;

			if ((va & ~(PAGE_SIZE - 1)) != walked_va) {
				if (synth_vtop(s, va & ~(PAGE_SIZE - 1), &walked_pa) < 0)
					walked_pa = UINT64_MAX;
				walked_va = va & ~(PAGE_SIZE - 1);
			}
			pa = walked_pa + (va & (PAGE_SIZE - 1));
			if (walked_pa == UINT64_MAX || !(dst = synth_pa_ptr(s, pa, 64)))
				return synth_fail(s, -EFAULT,
						  "internal: struct page of PFN %#llx not mapped",
						  (unsigned long long)pfn);
			make_struct_page(s, pfn, buf);
			memcpy(dst, buf, 64);
		}
	}
	return 0;
}

/* ------------------------------------------------------------- content */

static void gen_page(const struct synth *s, uint64_t pfn, int how, uint8_t *dst)
{
	if (how == C_PATTERN) {
		for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
			put64(dst + i * 8, synth_pattern_word(pfn, i));
	} else if (how == C_RANDOM) {
		for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
			put64(dst + i * 8, synth_hash(s->seed ^ 0x5eed, pfn, i));
	} else {
		char line[64];
		int n = snprintf(line, sizeof(line), "kcatch synthetic page %#llx: aaaaaaaa\n",
				 (unsigned long long)pfn);

		for (unsigned off = 0; off < PAGE_SIZE; off += (unsigned)n)
			memcpy(dst + off, line,
			       off + (unsigned)n <= PAGE_SIZE ? (size_t)n : PAGE_SIZE - off);
	}
}

const uint8_t *synth_page_bytes(const struct synth *s, uint64_t pfn, uint8_t *scratch)
{
	int64_t i = synth_pfn_index(s, pfn);

	if (i < 0)
		return NULL;
	if (s->pi[i].content == C_MEM)
		return s->mem + (uint64_t)i * PAGE_SIZE;
	gen_page(s, pfn, s->pi[i].content, scratch);
	return scratch;
}

/*
 * Decide where every page's bytes come from. Structures live in the RAM
 * image; pattern, random and text pages are generated when read, so the
 * image only costs memory for what the generator wrote.
 */
void synth_set_contents(struct synth *s)
{
	for (int i = 0; i < s->nram; i++)
		for (uint64_t pfn = s->ram[i].start; pfn < s->ram[i].end; pfn++) {
			struct pinfo *p = pinfo_of(s, pfn);
			uint64_t pa = pfn << PAGE_SHIFT, k;

			switch (p->kind) {
			case K_IMAGE_DATA:
				if (pa >= ((s->data_next + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)))
					p->content = C_PATTERN;
				break;
			case K_MEMBLOCK: case K_ZERO: case K_IMAGE_BSS:
			case K_UNACCEPTED:   /* the capture kernel reads it as zeros */
				break;
			case K_IMAGE_TEXT:
				k = (pa - s->kernel_pa) >> PAGE_SHIFT;
				p->content = k % 37 == 5 ? C_RANDOM : k % 11 == 3 ? C_TEXT : C_PATTERN;
				break;
			case K_RANDOM:
				p->content = C_RANDOM;
				break;
			case K_TEXT:
				p->content = C_TEXT;
				break;
			default:
				p->content = C_PATTERN;
				break;
			}
		}
}
