/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * synth: the memory layout of the synthetic kernel: the memblock allocator
 * (top-down, as early boot allocates), the page tables (kernel image,
 * direct map, vmemmap) in x86_64's or arm64's descriptor format,
 * SPARSEMEM sections with their mem_map and the mem_section array, and
 * the description mkvmcore -v prints.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth-internal.h"

#define PTE_PRESENT 0x1ull
#define PTE_PSE 0x80ull
#define PTE_NX (1ull << 63)
#define PTE_TABLE 0x067ull           /* P RW US A */
#define PTE_DATA 0x163ull            /* P RW A D G */
#define PTE_KERNEL 0x1e1ull          /* P A D PSE G */
#define PTE_PFN_MASK 0x000ffffffffff000ull

/*
 * arm64 descriptors (arch/arm64/include/asm/pgtable-hwdef.h, pgtable.h):
 * bit 0 valid; bit 1 table (upper levels) or page (last level), clear
 * for a block; AF bit 10; SH bits 9:8 (inner shareable, 3) unless LPA2
 * puts PA[51:50] there; PXN/UXN 53/54; bit 55 the software dirty bit.
 * The address is bits 47:PAGE_SHIFT; a 64K kernel with 52-bit PAs puts
 * PA[51:48] in bits 15:12 (and keeps SH in 9:8).
 */
#define A64_VALID 0x1ull
#define A64_TABLE 0x2ull
#define A64_AF (1ull << 10)
#define A64_SH_INNER (3ull << 8)
#define A64_XN (3ull << 53)
#define A64_SW_DIRTY (1ull << 55)

/* ------------------------------------------------------- allocators */

bool synth_run_free(const struct synth *s, uint64_t pfn, uint64_t n)
{
	int64_t i = synth_pfn_index(s, pfn);

	if (i < 0 || synth_pfn_index(s, pfn + n - 1) != i + (int64_t)n - 1)
		return false;
	for (uint64_t k = 0; k < n; k++)
		if (s->pi[i + (int64_t)k].kind != K_NONE)
			return false;
	return true;
}

void synth_claim(struct synth *s, uint64_t pfn, uint64_t n, int kind)
{
	for (uint64_t k = 0; k < n; k++) {
		struct pinfo *p = pinfo_of(s, pfn + k);

		p->kind = (uint8_t)kind;
		p->role = R_SINGLE;
		p->order = 0;
	}
}

/* memblock: top-down, n pages aligned to align pages. Returns PA or 0. */
static uint64_t mb_alloc(struct synth *s, uint64_t n, uint64_t align)
{
	for (int r = s->nram - 1; r >= 0; r--) {
		uint64_t lo = s->ram[r].start, hi = s->ram[r].end;
		uint64_t p, top = s->ram[r].mb_top;

		/*
		 * Start below the claimed top of the range: every run reaching
		 * into it fails anyway, and skipping them keeps thousands of
		 * allocations (vmemmap of tens of GiB) linear.
		 */
		while (top > lo && pinfo_of(s, top - 1)->kind != K_NONE)
			top--;
		s->ram[r].mb_top = top;
		if (top - lo < n)
			continue;
		p = (top - n) & ~(align - 1);
		for (; p >= lo && p + n <= hi; p -= align) {
			if (synth_run_free(s, p, n)) {
				/* still zero: nothing writes RAM before it is allocated */
				synth_claim(s, p, n, K_MEMBLOCK);
				return p << PAGE_SHIFT;
			}
			if (p < align)
				break;
		}
	}
	return 0;
}

int synth_mb_alloc_or_fail(struct synth *s, uint64_t n, uint64_t align, const char *what,
			   uint64_t *pa)
{
	*pa = mb_alloc(s, n, align);
	if (!*pa)
		return synth_fail(s, -ENOSPC,
				  "no room in RAM for %s (%llu pages aligned to %llu): "
				  "give more RAM or fewer explicit placements",
				  what, (unsigned long long)n, (unsigned long long)align);
	return 0;
}

/* Kernel data bump allocator (inside the kernel image). */
int synth_data_alloc(struct synth *s, uint64_t size, uint64_t align, uint64_t *pa)
{
	uint64_t p = (s->data_next + align - 1) & ~(align - 1);

	if (p + size > s->data_end)
		return synth_fail(s, -ENOSPC,
				  "kernel data area too small for %llu bytes: raise the kernel size",
				  (unsigned long long)size);
	s->data_next = p + size;
	*pa = p;
	return 0;
}

/* -------------------------------------------------------- page tables */

static int level_shifts(const struct synth *s, int shifts[5])
{
	for (int l = 0; l < s->levels; l++)
		shifts[l] = PAGE_SHIFT + LEVEL_BITS * (s->levels - 1 - l);
	return s->levels;
}

/* Index into a table of level l (arm64's top table covers what is left of va_actual). */
static uint64_t pt_index(const struct synth *s, int l, int shift, uint64_t va)
{
	if (s->arm64 && l == 0)
		return (va >> shift) & ((1ull << (s->va_actual - shift)) - 1);
	return (va >> shift) & ((1ull << LEVEL_BITS) - 1);
}

/* The address a descriptor points at. */
static uint64_t pt_addr(const struct synth *s, uint64_t e)
{
	if (!s->arm64)
		return e & PTE_PFN_MASK;
	uint64_t low = ~(PAGE_SIZE - 1);
	if (s->lpa2)
		return (e & 0x0003ffffffffffffull & low) | ((e >> 8) & 3) << 50;
	if (s->pa52_64k)
		return (e & 0x0000ffffffffffffull & low) | ((e >> 12) & 0xf) << 48;
	return e & 0x0000ffffffffffffull & low;
}

static uint64_t a64_addr_bits(const struct synth *s, uint64_t pa)
{
	if (s->lpa2)
		return (pa & 0x0003ffffffffffffull) | ((pa >> 50) & 3) << 8;
	if (s->pa52_64k)
		return (pa & 0x0000ffffffffffffull) | ((pa >> 48) & 0xf) << 12;
	return pa;
}

static uint64_t pt_table_entry(const struct synth *s, uint64_t pa)
{
	return s->arm64 ? a64_addr_bits(s, pa) | A64_VALID | A64_TABLE : pa | PTE_TABLE;
}

/* A leaf: x86 flags say data (PTE_DATA | PTE_NX) or kernel text (PTE_KERNEL). */
static uint64_t pt_leaf_entry(const struct synth *s, uint64_t pa, int shift, uint64_t flags)
{
	if (!s->arm64)
		return pa | flags | (shift > PAGE_SHIFT ? PTE_PSE : 0);
	uint64_t e = a64_addr_bits(s, pa) | A64_VALID | A64_AF | (shift == PAGE_SHIFT ? A64_TABLE : 0);
	if (!s->lpa2)
		e |= A64_SH_INNER;
	if (flags != PTE_KERNEL)
		e |= A64_XN | A64_SW_DIRTY;
	return e;
}

static bool pt_is_leaf(const struct synth *s, uint64_t e, int shift)
{
	if (shift == PAGE_SHIFT)
		return true;
	return s->arm64 ? !(e & A64_TABLE) : (shift == PMD_SHIFT || shift == PUD_SHIFT) && (e & PTE_PSE);
}

static int map(struct synth *s, uint64_t va, uint64_t pa, int leaf_shift, uint64_t flags,
	       bool kernel_tables)
{
	int shifts[5], n = level_shifts(s, shifts);
	uint64_t table = s->pgd_pa;

	for (int l = 0; l < n; l++) {
		uint64_t ea = table + pt_index(s, l, shifts[l], va) * 8, e, npa;
		uint8_t *ep = synth_pa_ptr(s, ea, 8);
		int r;

		if (!ep)
			return synth_fail(s, -EFAULT, "internal: page table outside RAM");
		e = get64(ep);
		if (shifts[l] == leaf_shift) {
			if (e & PTE_PRESENT)
				return synth_fail(s, -EEXIST, "internal: %#llx mapped twice",
						  (unsigned long long)va);
			put64(ep, pt_leaf_entry(s, pa, leaf_shift, flags));
			return 0;
		}
		if (!(e & PTE_PRESENT)) {
			if (kernel_tables)
				r = synth_data_alloc(s, PAGE_SIZE, PAGE_SIZE, &npa);
			else
				r = synth_mb_alloc_or_fail(s, 1, 1, "a page table", &npa);
			if (r < 0)
				return r;
			e = pt_table_entry(s, npa);
			put64(ep, e);
		} else if (pt_is_leaf(s, e, shifts[l])) {
			return synth_fail(s, -EEXIST, "internal: %#llx under a huge page",
					  (unsigned long long)va);
		}
		table = pt_addr(s, e);
	}
	return synth_fail(s, -EINVAL, "internal: bad leaf size");
}

int synth_vtop(const struct synth *s, uint64_t va, uint64_t *pa)
{
	int shifts[5], n = level_shifts(s, shifts);
	uint64_t table = s->pgd_pa;

	for (int l = 0; l < n; l++) {
		uint8_t *ep = synth_pa_ptr(s, table + pt_index(s, l, shifts[l], va) * 8, 8);
		uint64_t e;

		if (!ep)
			return -ENOENT;
		e = get64(ep);
		if (!(e & PTE_PRESENT))
			return -ENOENT;
		if (pt_is_leaf(s, e, shifts[l])) {
			uint64_t m = (1ull << shifts[l]) - 1;

			*pa = (pt_addr(s, e) & ~m) | (va & m);
			return 0;
		}
		table = pt_addr(s, e);
	}
	return -ENOENT;
}

static int add_backing(struct synth *s, uint64_t va, uint64_t pa, uint64_t len)
{
	if (s->nbk && s->bk[s->nbk - 1].va + s->bk[s->nbk - 1].len == va &&
	    s->bk[s->nbk - 1].pa + s->bk[s->nbk - 1].len == pa) {
		s->bk[s->nbk - 1].len += len;
		return 0;
	}
	if (s->nbk == s->abk) {
		size_t na = s->abk ? s->abk * 2 : 64;
		struct backing *b = realloc(s->bk, na * sizeof(*b));

		if (!b)
			return synth_fail(s, -ENOMEM, "out of memory");
		s->bk = b;
		s->abk = na;
	}
	s->bk[s->nbk++] = (struct backing){ va, pa, len };
	return 0;
}

static int map_kernel(struct synth *s)
{
	uint64_t va = s->text_base;
	/* 4K: 2 MiB blocks; 16K/64K: pages (a PMD block, 32M or 512M, is bigger than the image) */
	int shift = PAGE_SHIFT == 12 ? PMD_SHIFT : PAGE_SHIFT;

	for (uint64_t off = 0; off < s->kernel_size; off += 1ull << shift) {
		int r = map(s, va + off, s->kernel_pa + off, shift, PTE_KERNEL, true);

		if (r < 0)
			return r;
	}
	return 0;
}

static int map_direct(struct synth *s)
{
	const uint64_t g = 1ull << PUD_SHIFT, m2 = 1ull << PMD_SHIFT;
	uint64_t last_g = UINT64_MAX;
	int r;

	for (int i = 0; i < s->nram; i++) {
		uint64_t a = s->ram[i].start << PAGE_SHIFT, b = s->ram[i].end << PAGE_SHIFT;

		if (s->directmap_level == 2) {
			for (uint64_t p = a & ~(g - 1); p < b; p += g) {
				if (p == last_g)
					continue;
				r = map(s, dva(s, p), p, PUD_SHIFT, PTE_DATA | PTE_NX, false);
				if (r < 0)
					return r;
				last_g = p;
			}
			continue;
		}
		for (uint64_t p = a; p < b;) {
			if (s->directmap_level == 1 && !(p & (m2 - 1)) && p + m2 <= b) {
				r = map(s, dva(s, p), p, PMD_SHIFT, PTE_DATA | PTE_NX, false);
				p += m2;
			} else {
				r = map(s, dva(s, p), p, PAGE_SHIFT, PTE_DATA | PTE_NX, false);
				p += PAGE_SIZE;
			}
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ sections */

static int setup_sections(struct synth *s)
{
	s->nsect = (s->max_pfn + s->pps - 1) / s->pps;
	s->sect = calloc(s->nsect, sizeof(*s->sect));
	if (!s->sect)
		return synth_fail(s, -ENOMEM, "out of memory");
	for (int i = 0; i < s->nram; i++)
		for (uint64_t n = s->ram[i].start / s->pps; n * s->pps < s->ram[i].end; n++)
			s->sect[n].present = true;
	for (uint64_t n = 0; n < s->nsect; n++)
		s->sect[n].flags = 0xf;  /* PRESENT | HAS_MEM_MAP | ONLINE | EARLY */
	for (size_t i = 0; i < s->nmmcor; i++) {
		uint64_t n = s->mmcor[i].nr;

		if (n >= s->nsect || !s->sect[n].present)
			return synth_fail(s, -EINVAL, "section %llu has no RAM",
					  (unsigned long long)n);
		s->sect[n].memmap = (uint8_t)s->mmcor[i].state;
		if (s->mmcor[i].state == MM_NONE)
			s->sect[n].flags = 0x1;  /* present, no mem_map */
	}
	for (size_t i = 0; i < s->nsecflags; i++) {
		uint64_t n = s->secflags[i].nr;

		if (n >= s->nsect || !s->sect[n].present)
			return synth_fail(s, -EINVAL, "section %llu has no RAM",
					  (unsigned long long)n);
		s->sect[n].flags = s->secflags[i].flags;
		s->sect[n].flags_set = true;
	}
	return 0;
}

/* A VA where nothing is mapped, for mem_maps that must not be readable. */
static uint64_t unmapped_va(const struct synth *s, uint64_t n)
{
	/* arm64: in the vmalloc area, above the image, below vmemmap */
	uint64_t base = s->arm64 ? ARM64_PAGE_END(s->va_bits) + (1ull << (SYNTH_MIN(s->va_bits, 48) - 3))
				 : s->page_offset + (1ull << 45);

	return base + n * s->pps * STRUCT_PAGE_SIZE;
}

/* A PA that is not RAM (and not in any PT_LOAD). */
static uint64_t outside_pa(const struct synth *s, uint64_t n)
{
	uint64_t top = ((s->max_pfn << PAGE_SHIFT) + (1ull << 30) - 1) & ~((1ull << 30) - 1);

	return top + (1ull << 30) + n * s->pps * STRUCT_PAGE_SIZE;
}

static int map_vmemmap(struct synth *s)
{
	const uint64_t m2 = 1ull << PMD_SHIFT;
	const uint64_t bytes = s->pps * STRUCT_PAGE_SIZE;
	uint64_t done_chunk = UINT64_MAX, nchunk = 0, pa;
	int r;

	for (uint64_t n = 0; n < s->nsect; n++) {
		struct section *sc = &s->sect[n];

		if (!sc->present)
			continue;
		sc->memmap_va = s->vmemmap_base + n * bytes;
		if (sc->memmap == MM_NONE)
			sc->memmap_va = 0;
		if (sc->memmap == MM_OUTSIDE) {
			for (uint64_t off = 0; off < bytes; off += PAGE_SIZE) {
				r = map(s, sc->memmap_va + off, outside_pa(s, n) + off, PAGE_SHIFT,
					PTE_DATA | PTE_NX, false);
				if (r < 0)
					return r;
			}
		}
	}
	/* the PMD-sized chunks (4K: 2 MiB) of vmemmap holding good sections */
	for (uint64_t n = 0; n < s->nsect; n++) {
		struct section *sc = &s->sect[n];

		if (!sc->present || sc->memmap != MM_OK)
			continue;
		for (uint64_t c = sc->memmap_va & ~(m2 - 1); c < sc->memmap_va + bytes; c += m2) {
			bool big, clean = true;
			uint64_t first = (c - s->vmemmap_base) / bytes;
			uint64_t last = (c + m2 - 1 - s->vmemmap_base) / bytes;

			if (done_chunk != UINT64_MAX && c <= done_chunk)
				continue;
			done_chunk = c;
			for (uint64_t k = first; k <= last && k < s->nsect; k++)
				if (s->sect[k].present && s->sect[k].memmap != MM_OK)
					clean = false;
			big = clean && (s->vmemmap_map == 1 || (s->vmemmap_map == 2 && !(nchunk & 1)));
			nchunk++;
			if (big) {
				uint64_t np = 1ull << LEVEL_BITS;
				r = synth_mb_alloc_or_fail(s, np, np, "a PMD-sized vmemmap block", &pa);
				if (r < 0)
					return r;
				r = map(s, c, pa, PMD_SHIFT, PTE_DATA | PTE_NX, false);
				if (r < 0)
					return r;
				if ((r = add_backing(s, c, pa, m2)) < 0)
					return r;
				continue;
			}
			for (uint64_t v = c; v < c + m2; v += PAGE_SIZE) {
				uint64_t k = (v - s->vmemmap_base) / bytes;

				if (k >= s->nsect || !s->sect[k].present || s->sect[k].memmap != MM_OK)
					continue;
				r = synth_mb_alloc_or_fail(s, 1, 1, "a vmemmap page", &pa);
				if (r < 0)
					return r;
				r = map(s, v, pa, PAGE_SHIFT, PTE_DATA | PTE_NX, false);
				if (r < 0)
					return r;
				if ((r = add_backing(s, v, pa, PAGE_SIZE)) < 0)
					return r;
			}
		}
	}
	return 0;
}

static int alloc_sparse_memmaps(struct synth *s)
{
	const uint64_t bytes = s->pps * STRUCT_PAGE_SIZE;
	uint64_t pa;
	int r;

	for (uint64_t n = 0; n < s->nsect; n++) {
		struct section *sc = &s->sect[n];

		if (!sc->present)
			continue;
		switch (sc->memmap) {
		case MM_OK:
			r = synth_mb_alloc_or_fail(s, (bytes + PAGE_SIZE - 1) / PAGE_SIZE, 1,
					     "a section's mem_map", &pa);
			if (r < 0)
				return r;
			sc->memmap_pa = pa;
			sc->memmap_va = dva(s, pa);
			if ((r = add_backing(s, sc->memmap_va, pa, bytes)) < 0)
				return r;
			break;
		case MM_NONE:
			sc->memmap_va = 0;
			break;
		default:
			sc->memmap_va = unmapped_va(s, n);
			break;
		}
	}
	return 0;
}

static int build_mem_section(struct synth *s)
{
	uint64_t usage_pa = 0, nusage = 0, root_pa = 0, *root_page = NULL, pa;
	int r;

	if (s->extreme) {
		uint64_t pages = (s->nr_roots * 8 + PAGE_SIZE - 1) / PAGE_SIZE;

		r = synth_mb_alloc_or_fail(s, pages, 1, "the mem_section root array", &root_pa);
		if (r < 0)
			return r;
		s->mem_section_sym = dva(s, root_pa);
		root_page = calloc(s->nr_roots, sizeof(*root_page));
		if (!root_page)
			return synth_fail(s, -ENOMEM, "out of memory");
	} else {
		r = synth_data_alloc(s, s->nr_mem_sections * MEM_SECTION_SIZE, PAGE_SIZE, &root_pa);
		if (r < 0)
			return r;
		s->mem_section_sym = kva(s, root_pa);
	}
	for (uint64_t n = 0; n < s->nsect; n++) {
		struct section *sc = &s->sect[n];
		uint64_t ms_pa, coded = 0;

		if (!sc->present)
			continue;
		if (nusage % (PAGE_SIZE / 64) == 0) {
			r = synth_mb_alloc_or_fail(s, 1, 1, "mem_section_usage", &usage_pa);
			if (r < 0)
				goto out;
		}
		pa = usage_pa + (nusage++ % (PAGE_SIZE / 64)) * 64;
		sc->usage_va = dva(s, pa);
		/*
		 * subsection_map: 2 MiB subsections that hold RAM, then pageblock
		 * flags; only the first 64 subsections (a 64K kernel's 512 MiB
		 * section has 256: nothing here reads the rest)
		 */
		{
			uint64_t map = 0, sub = (2ull << 20) >> PAGE_SHIFT;

			for (uint64_t k = 0; k < 64 && k * sub < s->pps; k++)
				for (int i = 0; i < s->nram; i++) {
					uint64_t a = n * s->pps + k * sub, b = a + sub;

					if (a < s->ram[i].end && b > s->ram[i].start)
						map |= 1ull << k;
				}
			if ((r = synth_write64(s, pa, map)) < 0)
				goto out;
			memset(synth_pa_ptr(s, pa + 8, 56), 0x11, 56);
		}
		if (sc->memmap != MM_NONE)
			coded = sc->memmap_va - n * s->pps * STRUCT_PAGE_SIZE;
		if (s->extreme) {
			uint64_t root = n / SECTIONS_PER_ROOT;

			if (!root_page[root]) {
				r = synth_mb_alloc_or_fail(s, 1, 1, "a mem_section page", &root_page[root]);
				if (r < 0)
					goto out;
				if ((r = synth_write64(s, root_pa + root * 8, dva(s, root_page[root]))) < 0)
					goto out;
			}
			ms_pa = root_page[root] + (n % SECTIONS_PER_ROOT) * MEM_SECTION_SIZE;
		} else {
			ms_pa = root_pa + n * MEM_SECTION_SIZE;
		}
		if ((r = synth_write64(s, ms_pa, coded | sc->flags)) < 0 ||
		    (r = synth_write64(s, ms_pa + 8, sc->usage_va)) < 0)
			goto out;
	}
	r = 0;
out:
	free(root_page);
	return r;
}

/*
 * Everything that follows from the spec's memory model, once the kernel
 * image and the explicit placements hold their pages: sections, page
 * tables, mem_map (vmemmap or per-section) and mem_section.
 */
int synth_build_layout(struct synth *s)
{
	int r;

	if ((r = setup_sections(s)) < 0 || (r = map_kernel(s)) < 0 || (r = map_direct(s)) < 0)
		return r;
	r = s->vmemmap ? map_vmemmap(s) : alloc_sparse_memmaps(s);
	if (r < 0)
		return r;
	return build_mem_section(s);
}

/* ------------------------------------------------------------ describe */

struct pt_count {
	uint64_t tables, leaves[3][3];   /* [region: direct, vmemmap, kernel][4K, 2M, 1G] */
};

static int va_region(const struct synth *s, uint64_t va)
{
	if (s->arm64) {
		if (s->vmemmap && va >= s->vmemmap_base)
			return 1;
		return va >= ARM64_KIMAGE_VADDR(s->va_bits) ? 2 : 0;
	}
	if (va >= START_KERNEL_MAP)
		return 2;
	if (va >= s->vmemmap_base && s->vmemmap)
		return 1;
	return 0;
}

static void pt_walk(const struct synth *s, uint64_t table, int level, int n, const int *shifts,
		    uint64_t va, struct pt_count *c)
{
	if (level >= 5 || level >= n)  /* shifts[] has 5 entries; says so to gcc -O3 too */
		return;
	uint64_t entries = s->arm64 && level == 0 ? 1ull << (s->va_actual - shifts[0]) : 1ull << LEVEL_BITS;

	c->tables++;
	for (uint64_t i = 0; i < entries; i++) {
		const uint8_t *ep = synth_pa_ptr(s, table + i * 8, 8);
		uint64_t e = ep ? get64(ep) : 0, v = va | i << shifts[level];

		if (!(e & PTE_PRESENT))
			continue;
		if (level == 0 && s->arm64)
			v |= ~0ull << s->va_actual;      /* every table here is TTBR1's */
		else if (level == 0 && (v >> (shifts[0] + 8)) & 1)   /* x86_64: 4K pages */
			v |= ~0ull << (shifts[0] + 9);   /* sign-extend the top index */
		if (pt_is_leaf(s, e, shifts[level]))
			c->leaves[va_region(s, v)][SYNTH_MIN((shifts[level] - PAGE_SHIFT) / LEVEL_BITS, 2)]++;
		else if (level + 1 < n)
			pt_walk(s, pt_addr(s, e), level + 1, n, shifts, v, c);
	}
}

void synth_describe(const struct synth *s, FILE *f)
{
	static const char *const region[] = { "direct map", "vmemmap", "kernel" };
	struct pt_count c = { 0 };
	int shifts[5], n;

	if (!s->built) {
		fprintf(f, "not built\n");
		return;
	}
	n = level_shifts(s, shifts);
	pt_walk(s, s->pgd_pa, 0, n, shifts, 0, &c);
	fprintf(f, "era %s (%s), %d-level paging, %s%s, SECTION_SIZE_BITS %d, "
		"MAX_PHYSMEM_BITS %d\n", s->era_name, s->osrelease, s->levels,
		s->vmemmap ? "SPARSEMEM_VMEMMAP" : "SPARSEMEM", s->extreme ? " + EXTREME" : "",
		s->section_bits, s->max_physmem_bits);
	if (s->arm64)
		fprintf(f, "arm64: %lluK pages, VA_BITS %d, running with %d%s, PHYS_OFFSET %#llx, kimage_voffset %#llx\n",
			PAGE_SIZE >> 10, s->va_bits, s->va_actual,
			s->lpa2 ? " (LPA2)" : s->pa52_64k ? " (PA[51:48] in bits 15:12)" : "",
			(unsigned long long)s->phys_offset, (unsigned long long)(s->text_base - s->kernel_pa));
	for (int i = 0; i < s->nram; i++)
		fprintf(f, "ram %#llx-%#llx (%llu MiB)\n",
			(unsigned long long)(s->ram[i].start << PAGE_SHIFT),
			(unsigned long long)(s->ram[i].end << PAGE_SHIFT),
			(unsigned long long)((s->ram[i].end - s->ram[i].start) >> (20 - PAGE_SHIFT)));
	fprintf(f, "kernel: _stext %#llx at PA %#llx (+%llu MiB), KERNELOFFSET %#llx, "
		"phys_base %lld\n", (unsigned long long)s->text_base,
		(unsigned long long)s->kernel_pa, (unsigned long long)(s->kernel_size >> 20),
		(unsigned long long)s->kaslr, (long long)s->phys_base);
	fprintf(f, "page_offset %#llx, vmemmap_base %#llx, init_top_pgt at PA %#llx, "
		"mem_section %#llx (%llu %s)\n", (unsigned long long)s->page_offset,
		(unsigned long long)s->vmemmap_base, (unsigned long long)s->pgd_pa,
		(unsigned long long)s->mem_section_sym,
		(unsigned long long)(s->extreme ? s->nr_roots : s->nr_mem_sections),
		s->extreme ? "roots" : "sections");
	if (s->dmesg_format == 1)
		fprintf(f, "dmesg: log_buf of %u bytes, log_first_idx %u%s, log_next_idx %u, %zu records, "
			"%u wrap markers written\n", s->logbuf_len, s->logbuf_first,
			s->logbuf_first_marker ? " (a wrap marker)" : "", s->logbuf_next,
			s->dmesg_records, s->logbuf_wraps);
	else
		fprintf(f, "dmesg: lockless ring, %zu records\n", s->dmesg_records);
	fprintf(f, "page tables: %llu pages\n", (unsigned long long)c.tables);
	for (int r = 0; r < 3; r++)
		fprintf(f, "  %-10s leaves: %llu x page, %llu x PMD, %llu x PUD\n", region[r],
			(unsigned long long)c.leaves[r][0], (unsigned long long)c.leaves[r][1],
			(unsigned long long)c.leaves[r][2]);
	for (uint64_t i = 0; i < s->nsect; i++) {
		static const char *const st[] = { "mem_map", "NO mem_map", "mem_map NOT MAPPED",
						  "mem_map NOT IN DUMP" };
		const struct section *sc = &s->sect[i];

		if (sc->present)
			fprintf(f, "section %llu: flags %#llx, %s at %#llx\n", (unsigned long long)i,
				(unsigned long long)sc->flags, st[sc->memmap],
				(unsigned long long)sc->memmap_va);
	}
}
