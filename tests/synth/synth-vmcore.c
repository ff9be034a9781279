/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * synth: lay out RAM, build page tables, mem_map, mem_section, struct
 * pages and page contents for a synthetic x86_64 vmcore.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "synth-internal.h"

#define PTE_PRESENT 0x1ull
#define PTE_PSE 0x80ull
#define PTE_NX (1ull << 63)
#define PTE_TABLE 0x067ull           /* P RW US A */
#define PTE_DATA 0x163ull            /* P RW A D G */
#define PTE_KERNEL 0x1e1ull          /* P A D PSE G */
#define PTE_PFN_MASK 0x000ffffffffff000ull
#define MAX_COMPOUND_ORDER 18

/* ---------------------------------------------------------------- eras */

static const struct era eras[2] = {
	{
		/* like Linux 6.1 (include/linux/page-flags.h, x86_64 defconfig-ish) */
		.osrelease = "6.1.0-synth",
		.pg_lru = 4, .pg_private = 13, .pg_swapcache = 10, .pg_swapbacked = 19,
		.pg_slab = 9, .pg_hwpoison = 23, .pg_head = 16, .pg_reserved = 12,
		.pg_uptodate = 2, .pg_referenced = 1, .pg_dirty = 3, .pg_active = 5,
		.pg_workingset = 6,
		.top_byte_types = false,
		.buddy = -129, .offline = -257, .table = -513,
	},
	{
		/* like Linux 6.12 (PGTY_* << 24 in page_type) */
		.osrelease = "6.12.0-synth",
		.pg_lru = 5, .pg_private = 14, .pg_swapcache = 10, .pg_swapbacked = 17,
		.pg_slab = -1, .pg_hwpoison = 20, .pg_head = 6, .pg_reserved = 13,
		.pg_uptodate = 3, .pg_referenced = 2, .pg_dirty = 4, .pg_active = 8,
		.pg_workingset = 9,
		.top_byte_types = true,
		.buddy = (int32_t)0xf0000000u, .offline = (int32_t)0xf1000000u,
		.table = (int32_t)0xf2000000u, .hugetlb = (int32_t)0xf4000000u,
		.slab = (int32_t)0xf5000000u, .unaccepted = (int32_t)0xf7000000u,
	},
};

/* ------------------------------------------------------------- basics */

int synth_fail(struct synth *s, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	return err;
}

const char *synth_error(const struct synth *s)
{
	return s->err;
}

uint64_t synth_hash(uint64_t seed, uint64_t a, uint64_t b)
{
	uint64_t z = seed * 0x9e3779b97f4a7c15ull + a * 0xbf58476d1ce4e5b9ull +
		     b * 0x94d049bb133111ebull + 0x632be59bd9b4e019ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static const char *const kind_names[K_MAX] = {
	[K_NONE] = "none", [K_IMAGE_TEXT] = "image_text", [K_IMAGE_DATA] = "image_data",
	[K_IMAGE_BSS] = "image_bss", [K_MEMBLOCK] = "memblock", [K_KERNEL] = "kernel",
	[K_RANDOM] = "random", [K_TEXT] = "text", [K_ZERO] = "zero",
	[K_PGTABLE] = "pgtable", [K_SLAB] = "slab", [K_MOVABLE] = "movable",
	[K_CACHE] = "cache", [K_CACHE_PRIVATE] = "cache_private", [K_SHMEM] = "shmem",
	[K_ANON] = "anon", [K_ANON_SWAPCACHE] = "anon_swapcache", [K_KSM] = "ksm",
	[K_HUGETLB] = "hugetlb", [K_FREE] = "free", [K_OFFLINE] = "offline",
	[K_HWPOISON] = "hwpoison", [K_BAD_BUDDY] = "bad_buddy", [K_BAD_TAIL] = "bad_tail",
	[K_BAD_ORDER] = "bad_order",
};

const char *synth_kind_name(int kind)
{
	return kind >= 0 && kind < K_MAX ? kind_names[kind] : "?";
}

int synth_kind_from_name(const char *name)
{
	for (int k = 0; k < K_MAX; k++)
		if (!strcmp(kind_names[k], name))
			return k;
	return -1;
}

static const char *const class_names[SYNTH_CLASS_MAX] = {
	"kernel", "zero", "cache", "cache_private", "user", "free", "hwpoison",
	"offline", "unsure",
};

const char *synth_class_name(enum synth_class c)
{
	return (unsigned)c < SYNTH_CLASS_MAX ? class_names[c] : "?";
}

int synth_class_from_name(const char *name)
{
	for (int c = 0; c < SYNTH_CLASS_MAX; c++)
		if (!strcmp(class_names[c], name))
			return c;
	return -1;
}

bool synth_class_excluded(enum synth_class c, unsigned l)
{
	switch (c) {
	case SYNTH_ZERO: return l & 1;
	case SYNTH_CACHE: return l & (2 | 4);
	case SYNTH_CACHE_PRIVATE: return l & 4;
	case SYNTH_USER: return l & 8;
	case SYNTH_FREE: return l & 16;
	case SYNTH_HWPOISON:
	case SYNTH_OFFLINE: return true;
	default: return false;
	}
}

int synth_new(struct synth **ret)
{
	struct synth *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->era = 0;
	s->levels = 4;
	s->vmemmap = true;
	s->extreme = true;
	s->section_bits = 27;
	s->cpus = 2;
	s->kaslr = 0x1c600000;
	s->kernel_size = 4ull << 20;
	s->directmap_shift = 21;
	s->vmemmap_map = 1;
	s->crashtime = 1700000000;
	s->seed = 1;
	strcpy(s->hostname, "synth-host");
	s->type_junk = true;
	s->fill_kind = -1;
	s->dmesg_count_bits = 6;
	s->dmesg_size_bits = 14;
	synth_spec_line(s, "mix default");
	*ret = s;
	return 0;
}

void synth_free(struct synth *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nedits; i++) {
		free(s->edits[i].key);
		free(s->edits[i].value);
	}
	free(s->edits);
	free(s->pl);
	free(s->mmcor);
	free(s->secflags);
	if (s->mem)
		munmap(s->mem, s->ram_pages * PAGE_SIZE);
	free(s->pi);
	free(s->sect);
	free(s->bk);
	free(s->vi);
	free(s->notes);
	for (size_t i = 0; i < s->nmsg; i++)
		free(s->msg[i].text);
	free(s->msg);
	free(s->dmesg_text);
	free(s);
}

/* ------------------------------------------------------ RAM addressing */

int64_t synth_pfn_index(const struct synth *s, uint64_t pfn)
{
	for (int i = 0; i < s->nram; i++)
		if (pfn >= s->ram[i].start && pfn < s->ram[i].end)
			return (int64_t)(s->ram[i].index + pfn - s->ram[i].start);
	return -1;
}

/* Pointer to len bytes of RAM at pa, or NULL (not RAM or crosses a page). */
uint8_t *synth_pa_ptr(const struct synth *s, uint64_t pa, uint64_t len)
{
	int64_t i = synth_pfn_index(s, pa >> PAGE_SHIFT);

	if (i < 0 || (pa & (PAGE_SIZE - 1)) + len > PAGE_SIZE)
		return NULL;
	return s->mem + (uint64_t)i * PAGE_SIZE + (pa & (PAGE_SIZE - 1));
}





int synth_write_bytes(struct synth *s, uint64_t pa, const void *buf, size_t len)
{
	const uint8_t *b = buf;

	while (len) {
		size_t n = PAGE_SIZE - (pa & (PAGE_SIZE - 1));
		uint8_t *p;

		if (n > len)
			n = len;
		p = synth_pa_ptr(s, pa, n);
		if (!p)
			return synth_fail(s, -EFAULT, "internal: write to non-RAM %#llx",
					  (unsigned long long)pa);
		memcpy(p, b, n);
		pa += n;
		b += n;
		len -= n;
	}
	return 0;
}

int synth_write64(struct synth *s, uint64_t pa, uint64_t v)
{
	uint8_t *p = synth_pa_ptr(s, pa, 8);

	if (!p)
		return synth_fail(s, -EFAULT, "internal: write to non-RAM %#llx",
				  (unsigned long long)pa);
	put64(p, v);
	return 0;
}



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

static void claim(struct synth *s, uint64_t pfn, uint64_t n, int kind)
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
		uint64_t p;

		if (hi - lo < n)
			continue;
		p = (hi - n) & ~(align - 1);
		for (; p >= lo && p + n <= hi; p -= align) {
			if (synth_run_free(s, p, n)) {
				/* still zero: nothing writes RAM before it is allocated */
				claim(s, p, n, K_MEMBLOCK);
				return p << PAGE_SHIFT;
			}
			if (p < align)
				break;
		}
	}
	return 0;
}

static int mb_alloc_or_fail(struct synth *s, uint64_t n, uint64_t align, const char *what,
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
	static const int l4[] = { 39, 30, 21, 12 }, l5[] = { 48, 39, 30, 21, 12 };

	memcpy(shifts, s->levels == 5 ? l5 : l4, sizeof(int) * (size_t)s->levels);
	return s->levels;
}

static int map(struct synth *s, uint64_t va, uint64_t pa, int leaf_shift, uint64_t flags,
	       bool kernel_tables)
{
	int shifts[5], n = level_shifts(s, shifts);
	uint64_t table = s->pgd_pa;

	for (int l = 0; l < n; l++) {
		uint64_t ea = table + ((va >> shifts[l]) & 511) * 8, e, npa;
		uint8_t *ep = synth_pa_ptr(s, ea, 8);
		int r;

		if (!ep)
			return synth_fail(s, -EFAULT, "internal: page table outside RAM");
		e = get64(ep);
		if (shifts[l] == leaf_shift) {
			if (e & PTE_PRESENT)
				return synth_fail(s, -EEXIST, "internal: %#llx mapped twice",
						  (unsigned long long)va);
			put64(ep, pa | flags | (leaf_shift > 12 ? PTE_PSE : 0));
			return 0;
		}
		if (!(e & PTE_PRESENT)) {
			if (kernel_tables)
				r = synth_data_alloc(s, PAGE_SIZE, PAGE_SIZE, &npa);
			else
				r = mb_alloc_or_fail(s, 1, 1, "a page table", &npa);
			if (r < 0)
				return r;
			e = npa | PTE_TABLE;
			put64(ep, e);
		} else if (e & PTE_PSE) {
			return synth_fail(s, -EEXIST, "internal: %#llx under a huge page",
					  (unsigned long long)va);
		}
		table = e & PTE_PFN_MASK;
	}
	return synth_fail(s, -EINVAL, "internal: bad leaf size");
}

int synth_vtop(const struct synth *s, uint64_t va, uint64_t *pa)
{
	int shifts[5], n = level_shifts(s, shifts);
	uint64_t table = s->pgd_pa;

	for (int l = 0; l < n; l++) {
		uint8_t *ep = synth_pa_ptr(s, table + ((va >> shifts[l]) & 511) * 8, 8);
		uint64_t e;

		if (!ep)
			return -ENOENT;
		e = get64(ep);
		if (!(e & PTE_PRESENT))
			return -ENOENT;
		if (shifts[l] == 12 || ((shifts[l] == 21 || shifts[l] == 30) && (e & PTE_PSE))) {
			uint64_t m = (1ull << shifts[l]) - 1;

			*pa = ((e & PTE_PFN_MASK) & ~m) | (va & m);
			return 0;
		}
		table = e & PTE_PFN_MASK;
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
	uint64_t va = KERNEL_TEXT_BASE + s->kaslr;

	for (uint64_t off = 0; off < s->kernel_size; off += 2ull << 20) {
		int r = map(s, va + off, s->kernel_pa + off, 21, PTE_KERNEL, true);

		if (r < 0)
			return r;
	}
	return 0;
}

static int map_direct(struct synth *s)
{
	const uint64_t g = 1ull << 30, m2 = 2ull << 20;
	uint64_t last_g = UINT64_MAX;
	int r;

	for (int i = 0; i < s->nram; i++) {
		uint64_t a = s->ram[i].start << PAGE_SHIFT, b = s->ram[i].end << PAGE_SHIFT;

		if (s->directmap_shift == 30) {
			for (uint64_t p = a & ~(g - 1); p < b; p += g) {
				if (p == last_g)
					continue;
				r = map(s, dva(s, p), p, 30, PTE_DATA | PTE_NX, false);
				if (r < 0)
					return r;
				last_g = p;
			}
			continue;
		}
		for (uint64_t p = a; p < b;) {
			if (s->directmap_shift == 21 && !(p & (m2 - 1)) && p + m2 <= b) {
				r = map(s, dva(s, p), p, 21, PTE_DATA | PTE_NX, false);
				p += m2;
			} else {
				r = map(s, dva(s, p), p, 12, PTE_DATA | PTE_NX, false);
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
	return s->page_offset + (1ull << 45) + n * s->pps * STRUCT_PAGE_SIZE;
}

/* A PA that is not RAM (and not in any PT_LOAD). */
static uint64_t outside_pa(const struct synth *s, uint64_t n)
{
	uint64_t top = ((s->max_pfn << PAGE_SHIFT) + (1ull << 30) - 1) & ~((1ull << 30) - 1);

	return top + (1ull << 30) + n * s->pps * STRUCT_PAGE_SIZE;
}

static int map_vmemmap(struct synth *s)
{
	const uint64_t m2 = 2ull << 20;
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
				r = map(s, sc->memmap_va + off, outside_pa(s, n) + off, 12,
					PTE_DATA | PTE_NX, false);
				if (r < 0)
					return r;
			}
		}
	}
	/* the 2 MiB chunks of vmemmap holding good sections */
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
				r = mb_alloc_or_fail(s, 512, 512, "a 2 MiB vmemmap block", &pa);
				if (r < 0)
					return r;
				r = map(s, c, pa, 21, PTE_DATA | PTE_NX, false);
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
				r = mb_alloc_or_fail(s, 1, 1, "a vmemmap page", &pa);
				if (r < 0)
					return r;
				r = map(s, v, pa, 12, PTE_DATA | PTE_NX, false);
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
			r = mb_alloc_or_fail(s, (bytes + PAGE_SIZE - 1) / PAGE_SIZE, 1,
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

		r = mb_alloc_or_fail(s, pages, 1, "the mem_section root array", &root_pa);
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
			r = mb_alloc_or_fail(s, 1, 1, "mem_section_usage", &usage_pa);
			if (r < 0)
				goto out;
		}
		pa = usage_pa + (nusage++ % (PAGE_SIZE / 64)) * 64;
		sc->usage_va = dva(s, pa);
		/* subsection_map: 2 MiB subsections that hold RAM, then pageblock flags */
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
				r = mb_alloc_or_fail(s, 1, 1, "a mem_section page", &root_page[root]);
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

/* ---------------------------------------------------------- kernel data */

static int write_kernel_data(struct synth *s)
{
	static const char version[] = "#1 SMP PREEMPT_DYNAMIC Debian synth (2024-01-01)";
	const char *uts[6] = { "Linux", s->hostname, s->osrelease, version, "x86_64", "(none)" };
	uint64_t pa;
	uint8_t *p;

	/* misc page (first data page): init_uts_ns, node_online_map, vmap_area_list */
	pa = s->data_pa;
	p = synth_pa_ptr(s, pa, PAGE_SIZE);
	s->sym_uts = kva(s, pa + 0x100);
	for (int i = 0; i < 6; i++)
		strncpy((char *)p + 0x100 + s->uts_offset + i * 65, uts[i], 64);
	if (s->uts_offset)
		put32(p + 0x100, 3);  /* kref */
	s->sym_node_online_map = kva(s, pa + 0x400);
	put64(p + 0x400, 1);      /* node 0 online; nodemask_t is 128 bytes */
	s->sym_vmap_area_list = kva(s, pa + 0x500);
	put64(p + 0x500, s->sym_vmap_area_list);
	put64(p + 0x508, s->sym_vmap_area_list);
	/* something for movable pages' mapping to point at */
	put64(p + 0x40, 0xffffffff81234560ull + s->kaslr);
	return 0;
}

/* -------------------------------------------------------------- layout */

static int check_spec(struct synth *s)
{
	uint64_t need;

	if (!s->nram)
		synth_spec_line(s, "ram 1M-64M");
	s->e = &eras[s->era];
	if (!s->osrelease[0])
		strcpy(s->osrelease, s->e->osrelease);
	if (s->section_bits < 22)
		return synth_fail(s, -EINVAL, "section_bits must be at least 22 "
				  "(a free block of order 10 must fit in a section)");
	s->max_pfn = s->ram[s->nram - 1].end;
	if (!s->page_offset_set)
		s->page_offset = s->levels == 5 ? 0xff3a5d0000000000ull : 0xffff9a4b40000000ull;
	if (!s->vmemmap_base_set)
		s->vmemmap_base = s->levels == 5 ? 0xffd9c00000000000ull : 0xffffe31b00000000ull;
	for (need = 20; (1ull << need) < (s->max_pfn << PAGE_SHIFT); need++)
		;
	if (!s->max_physmem_bits) {
		if (s->extreme)
			s->max_physmem_bits = s->levels == 5 ? 52 : 46;
		else
			s->max_physmem_bits = need > 36 ? (int)need : 36;
	}
	if ((uint64_t)s->max_physmem_bits < need || s->max_physmem_bits <= s->section_bits)
		return synth_fail(s, -EINVAL, "max_physmem_bits %d does not cover RAM up to %#llx",
				  s->max_physmem_bits,
				  (unsigned long long)(s->max_pfn << PAGE_SHIFT));
	s->pps = 1ull << (s->section_bits - PAGE_SHIFT);
	s->nr_mem_sections = 1ull << (s->max_physmem_bits - s->section_bits);
	s->nr_roots = (s->nr_mem_sections + SECTIONS_PER_ROOT - 1) / SECTIONS_PER_ROOT;
	if (!s->extreme && s->nr_mem_sections > 65536)
		return synth_fail(s, -EINVAL, "without extreme, NR_MEM_SECTIONS (2^(%d-%d)) must "
				  "stay below 65536: lower max_physmem_bits",
				  s->max_physmem_bits, s->section_bits);
	if (!s->extreme && s->nr_mem_sections <= 1)
		return synth_fail(s, -EINVAL, "need more than one section");
	if (s->levels == 4 && (s->page_offset >> 47) != 0x1ffff)
		return synth_fail(s, -EINVAL, "page_offset is not a 4-level kernel address");
	if (s->levels == 5 && (s->page_offset >> 56) != 0xff)
		return synth_fail(s, -EINVAL, "page_offset is not a 5-level kernel address");
	return 0;
}

static int place_kernel(struct synth *s)
{
	if (!s->kernel_pa) {
		for (int i = 0; i < s->nram && !s->kernel_pa; i++) {
			uint64_t a = s->ram[i].start << PAGE_SHIFT, b = s->ram[i].end << PAGE_SHIFT;
			uint64_t p = (a + 0x1fffff) & ~0x1fffffull;

			if (p < (16ull << 20) && b >= (16ull << 20) + s->kernel_size)
				p = 16ull << 20;
			if (p + s->kernel_size <= b)
				s->kernel_pa = p;
		}
	}
	if (!s->kernel_pa || !synth_run_free(s, s->kernel_pa >> PAGE_SHIFT, s->kernel_size >> PAGE_SHIFT))
		return synth_fail(s, -EINVAL, "the kernel image (%#llx+%#llx) does not fit in one "
				  "RAM range", (unsigned long long)s->kernel_pa,
				  (unsigned long long)s->kernel_size);
	s->phys_base = s->kernel_pa - (KERNEL_TEXT_BASE - START_KERNEL_MAP) - s->kaslr;
	claim(s, s->kernel_pa >> PAGE_SHIFT, s->kernel_size / 2 >> PAGE_SHIFT, K_IMAGE_TEXT);
	claim(s, (s->kernel_pa + s->kernel_size / 2) >> PAGE_SHIFT, s->kernel_size / 4 >> PAGE_SHIFT,
	      K_IMAGE_DATA);
	claim(s, (s->kernel_pa + s->kernel_size * 3 / 4) >> PAGE_SHIFT,
	      s->kernel_size / 4 >> PAGE_SHIFT, K_IMAGE_BSS);
	s->data_pa = s->kernel_pa + s->kernel_size / 2;
	s->data_end = s->kernel_pa + s->kernel_size * 3 / 4;
	s->data_next = s->data_pa + PAGE_SIZE;  /* first data page: misc words */
	return synth_data_alloc(s, PAGE_SIZE, PAGE_SIZE, &s->pgd_pa);
}

int synth_build(struct synth *s)
{
	uint64_t objs;
	int r;

	if (s->built)
		return synth_fail(s, -EBUSY, "already built");
	s->cur_line = 0;
	if ((r = check_spec(s)) < 0)
		return r;
	s->ram_pages = 0;
	for (int i = 0; i < s->nram; i++) {
		s->ram[i].index = s->ram_pages;
		s->ram_pages += s->ram[i].end - s->ram[i].start;
	}
	if (s->ram_pages > (1ull << 20))
		return synth_fail(s, -EINVAL, "more than 4 GiB of RAM: keep synthetic vmcores small");
	/* RAM image: anonymous memory, zero-filled, touched only where written */
	s->mem = mmap(NULL, s->ram_pages * PAGE_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->mem == MAP_FAILED) {
		s->mem = NULL;
		return synth_fail(s, -ENOMEM, "out of memory");
	}
	s->pi = calloc(s->ram_pages, sizeof(*s->pi));
	if (!s->pi)
		return synth_fail(s, -ENOMEM, "out of memory");
	if ((r = place_kernel(s)) < 0 || (r = synth_apply_placements(s)) < 0 ||
	    (r = setup_sections(s)) < 0)
		return r;
	if ((r = map_kernel(s)) < 0 || (r = map_direct(s)) < 0)
		return r;
	r = s->vmemmap ? map_vmemmap(s) : alloc_sparse_memmaps(s);
	if (r < 0 || (r = build_mem_section(s)) < 0)
		return r;
	/* kernel objects that struct pages point at: four slab pages */
	if ((r = mb_alloc_or_fail(s, 4, 1, "kernel objects", &objs)) < 0)
		return r;
	s->objs_va = dva(s, objs);
	for (uint64_t k = 0; k < 4; k++)
		synth_place_block(s, (objs >> PAGE_SHIFT) + k, K_SLAB, 0);
	synth_fill_rest(s);
	if ((r = write_kernel_data(s)) < 0 || (r = synth_build_dmesg(s)) < 0 ||
	    (r = synth_write_struct_pages(s)) < 0)
		return r;
	synth_set_contents(s);
	if ((r = synth_classify(s)) < 0)
		return r;
	s->built = true;
	if ((r = synth_make_vmcoreinfo(s)) < 0 || (r = synth_make_notes(s)) < 0) {
		s->built = false;
		return r;
	}
	return 0;
}

/* ------------------------------------------------------------- queries */

uint64_t synth_max_pfn(const struct synth *s)
{
	return s->built ? s->max_pfn : 0;
}

uint64_t synth_ram_pages(const struct synth *s)
{
	return s->built ? s->ram_pages : 0;
}

int synth_class(const struct synth *s, uint64_t pfn)
{
	const struct pinfo *p = s->built ? pinfo_of(s, pfn) : NULL;

	return p ? p->cls : -1;
}

int synth_page_read(const struct synth *s, uint64_t pfn, void *buf)
{
	const uint8_t *p = s->built ? synth_page_bytes(s, pfn, buf) : NULL;

	if (!p)
		return -ENOENT;
	if (p != buf)
		memcpy(buf, p, PAGE_SIZE);
	return 0;
}

void synth_counts(const struct synth *s, uint64_t counts[SYNTH_CLASS_MAX])
{
	memcpy(counts, s->counts, sizeof(s->counts));
}

uint64_t synth_expected_excluded(const struct synth *s, unsigned dump_level)
{
	uint64_t n = 0;

	for (int c = 0; c < SYNTH_CLASS_MAX; c++)
		if (synth_class_excluded((enum synth_class)c, dump_level))
			n += s->counts[c];
	return n;
}

const char *synth_vmcoreinfo(const struct synth *s, size_t *len)
{
	if (len)
		*len = s->vi_len;
	return s->vi;
}

/* ------------------------------------------------------------ describe */

struct pt_count {
	uint64_t tables, leaves[3][3];   /* [region: direct, vmemmap, kernel][4K, 2M, 1G] */
};

static int va_region(const struct synth *s, uint64_t va)
{
	if (va >= START_KERNEL_MAP)
		return 2;
	if (va >= s->vmemmap_base && s->vmemmap)
		return 1;
	return 0;
}

static void pt_walk(const struct synth *s, uint64_t table, int level, int n, const int *shifts,
		    uint64_t va, struct pt_count *c)
{
	c->tables++;
	for (uint64_t i = 0; i < 512; i++) {
		const uint8_t *ep = synth_pa_ptr(s, table + i * 8, 8);
		uint64_t e = ep ? get64(ep) : 0, v = va | i << shifts[level];

		if (!(e & PTE_PRESENT))
			continue;
		if (level == 0 && (v >> (shifts[0] + 8)) & 1)
			v |= ~0ull << (shifts[0] + 9);   /* sign-extend the top index */
		if (shifts[level] == 12 || (e & PTE_PSE))
			c->leaves[va_region(s, v)][(shifts[level] - 12) / 9]++;
		else if (level + 1 < n)
			pt_walk(s, e & PTE_PFN_MASK, level + 1, n, shifts, v, c);
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
		"MAX_PHYSMEM_BITS %d\n", s->era ? "new" : "old", s->osrelease, s->levels,
		s->vmemmap ? "SPARSEMEM_VMEMMAP" : "SPARSEMEM", s->extreme ? " + EXTREME" : "",
		s->section_bits, s->max_physmem_bits);
	for (int i = 0; i < s->nram; i++)
		fprintf(f, "ram %#llx-%#llx (%llu MiB)\n",
			(unsigned long long)(s->ram[i].start << PAGE_SHIFT),
			(unsigned long long)(s->ram[i].end << PAGE_SHIFT),
			(unsigned long long)((s->ram[i].end - s->ram[i].start) >> 8));
	fprintf(f, "kernel: _stext %#llx at PA %#llx (+%llu MiB), KERNELOFFSET %#llx, "
		"phys_base %lld\n", (unsigned long long)(KERNEL_TEXT_BASE + s->kaslr),
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
		fprintf(f, "  %-10s leaves: %llu x 4K, %llu x 2M, %llu x 1G\n", region[r],
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
