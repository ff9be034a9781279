/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * synth: the object (names, the class rule), RAM addressing, the
 * spec checks, the kernel image and its data, synth_build() (which calls
 * synth-layout.c for page tables and mem_map, synth-pages.c for struct
 * pages and contents), and the queries.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "synth-internal.h"

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
	[K_HWPOISON] = "hwpoison", [K_UNACCEPTED] = "unaccepted", [K_BAD_BUDDY] = "bad_buddy",
	[K_BAD_TAIL] = "bad_tail", [K_BAD_ORDER] = "bad_order",
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
	synth_era_find("old", &s->era, &s->vi_unaccepted);
	strcpy(s->era_name, "old");
	s->compound_mask = -1;
	s->levels = 4;
	s->vmemmap = true;
	s->extreme = true;
	s->page_shift = 12;
	s->max_order = MAX_ORDER_FREE;
	s->section_bits = 0;   /* 27, or arm64 64K's 29: check_spec() */
	s->cpus = 2;
	s->kaslr = 0x1c600000;
	s->kernel_size = 4ull << 20;
	s->directmap_level = 1;
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
	free(s->dmesg_caller_text);
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

/* ---------------------------------------------------------- kernel data */

static int write_kernel_data(struct synth *s)
{
	static const char version[] = "#1 SMP PREEMPT_DYNAMIC Debian synth (2024-01-01)";
	const char *uts[6] = { "Linux", s->hostname, s->osrelease, version,
			       s->arm64 ? "aarch64" : "x86_64", "(none)" };
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
	put64(p + 0x40, s->text_base + 0x234560);
	return 0;
}

/* -------------------------------------------------------------- layout */

static int check_sections(struct synth *s, uint64_t need)
{
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
	return 0;
}

/*
 * arm64, the 5.4+ layout (arch/arm64/include/asm/memory.h): the linear
 * map from PAGE_OFFSET = -(1 << VA_BITS), va = (pa - PHYS_OFFSET) |
 * PAGE_OFFSET; a 52-bit kernel running with 48 bits lowers memstart_addr
 * (PHYS_OFFSET) by _PAGE_OFFSET(48) - _PAGE_OFFSET(52) instead of moving
 * PAGE_OFFSET; vmemmap = VMEMMAP_START - (PHYS_OFFSET >> PAGE_SHIFT)
 * struct pages; the image above PAGE_END.
 *
 * Page sizes (6.12's arch/arm64/Kconfig, include/asm/sparsemem.h,
 * kernel-pgtable.h, mm/mmu.c): SECTION_SIZE_BITS 27 for 4K and 16K, 29
 * for 64K; ARCH_FORCE_MAX_ORDER (MAX_PAGE_ORDER) 10, 11, 13; memstart_addr
 * aligned to 1 GiB (4K: PUD_SHIFT; 16K: CONT_PMD_SHIFT) or 512 MiB (64K:
 * PMD_SHIFT, as SECTION_SIZE_BITS); vmemmap of 16K/64K kernels is mapped
 * with base pages only (vmemmap_populate()); 52-bit VA with 64K pages is
 * ARMv8.2 LVA (no LPA2), and with 52-bit PAs (ARM64_PA_BITS_52, the only
 * way with 64K and VA_BITS 52) PA[51:48] sits in descriptor bits 15:12.
 */
static int check_arm64(struct synth *s)
{
	uint64_t need, memstart;

	if (!s->va_bits)
		s->va_bits = 48;
	if (!s->va_actual)
		s->va_actual = s->va_bits;
	if (s->va_actual != s->va_bits && !(s->va_bits == 52 && s->va_actual == 48))
		return synth_fail(s, -EINVAL, "va_actual %d: a %d-bit kernel runs with %d bits%s",
				  s->va_actual, s->va_bits, s->va_bits, s->va_bits == 52 ? " or 48" : "");
	if (s->page_offset_set)
		return synth_fail(s, -EINVAL, "page_offset is x86_64's: arm64's follows from va_bits");
	s->levels = (s->va_actual - PAGE_SHIFT + LEVEL_BITS - 1) / LEVEL_BITS;
	s->lpa2 = s->va_actual == 52 && PAGE_SHIFT != 16;
	s->max_order = PAGE_SHIFT == 16 ? 13 : PAGE_SHIFT == 14 ? 11 : 10;
	if (PAGE_SHIFT != 12)
		s->vmemmap_map = 0;
	memstart = (s->ram[0].start << PAGE_SHIFT) &
		   ~((1ull << (PAGE_SHIFT == 16 ? 29 : 30)) - 1);   /* ARM64_MEMSTART_ALIGN */
	s->phys_offset = memstart;
	if (s->va_actual != s->va_bits)
		s->phys_offset -= (1ull << 52) - (1ull << 48);
	s->page_offset = -(1ull << s->va_bits) - s->phys_offset;
	if (!s->vmemmap_base_set)
		s->vmemmap_base = ARM64_VMEMMAP_START(s->va_bits, PAGE_SHIFT) -
				  (uint64_t)((int64_t)s->phys_offset >> PAGE_SHIFT) * STRUCT_PAGE_SIZE;
	s->text_base = ARM64_KIMAGE_VADDR(s->va_bits) + s->kaslr;
	if ((s->max_pfn << PAGE_SHIFT) > (1ull << 48))
		return synth_fail(s, -EINVAL, "arm64 RAM must end below 256 TiB");
	for (need = 20; (1ull << need) < (s->max_pfn << PAGE_SHIFT); need++)
		;
	if (!s->max_physmem_bits)
		s->max_physmem_bits = s->extreme ? (s->va_bits == 52 ? 52 : 48) : (need > 36 ? (int)need : 36);
	s->pa52_64k = PAGE_SHIFT == 16 && s->max_physmem_bits == 52;
	return check_sections(s, need);
}

static int check_spec(struct synth *s)
{
	uint64_t need;
	int r;

	if (!s->nram)
		synth_spec_line(s, "ram 1M-64M");
	s->e = synth_era(s->era);
	if (s->compound_mask >= 0 && !s->e->compound_info)
		return synth_fail(s, -EINVAL, "compound_info needs era 7.1 or later, not %s",
				  s->era_name);
	if (s->compound_mask < 0)
		s->compound_mask = s->e->compound_info && s->vmemmap;
	if (s->compound_mask && !s->vmemmap)
		return synth_fail(s, -EINVAL, "compound_info mask needs memmodel vmemmap "
				  "(HUGETLB_PAGE_OPTIMIZE_VMEMMAP depends on SPARSEMEM_VMEMMAP)");
	if (!s->osrelease[0])
		strcpy(s->osrelease, s->e->osrelease);
	if (!s->section_bits)
		s->section_bits = s->arm64 && PAGE_SHIFT == 16 ? 29 : 27;
	if (s->page_shift != 12 && !s->arm64)
		return synth_fail(s, -EINVAL, "page_size %lluk is arm64's (x86_64 pages are 4K)",
				  PAGE_SIZE >> 10);
	if (s->section_bits < 22)
		return synth_fail(s, -EINVAL, "section_bits must be at least 22 "
				  "(a free block of order 10 must fit in a section)");
	s->max_pfn = s->ram[s->nram - 1].end;
	if (s->arm64)
		return check_arm64(s);
	s->text_base = KERNEL_TEXT_BASE + s->kaslr;
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
	if ((r = check_sections(s, need)) < 0)
		return r;
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
	if (!s->arm64)
		s->phys_base = s->kernel_pa - (KERNEL_TEXT_BASE - START_KERNEL_MAP) - s->kaslr;
	synth_claim(s, s->kernel_pa >> PAGE_SHIFT, s->kernel_size / 2 >> PAGE_SHIFT, K_IMAGE_TEXT);
	synth_claim(s, (s->kernel_pa + s->kernel_size / 2) >> PAGE_SHIFT, s->kernel_size / 4 >> PAGE_SHIFT,
	      K_IMAGE_DATA);
	synth_claim(s, (s->kernel_pa + s->kernel_size * 3 / 4) >> PAGE_SHIFT,
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
		s->ram[i].mb_top = s->ram[i].end;
		s->ram_pages += s->ram[i].end - s->ram[i].start;
	}
	if (s->ram_pages > SYNTH_MAX_RAM_PAGES)
		return synth_fail(s, -EINVAL, "more than %llu GiB of RAM (the generator keeps "
				  "the whole mem_map in memory): use fewer or smaller ram ranges",
				  (unsigned long long)(SYNTH_MAX_RAM_PAGES >> 18));
	/*
	 * RAM image: anonymous memory, zero-filled, touched only where
	 * written (tables, mem_map: 1/64 of RAM). Not reserved: a 64 GiB
	 * image on a smaller machine is fine as long as little is written.
	 */
	s->mem = mmap(NULL, s->ram_pages * PAGE_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (s->mem == MAP_FAILED) {
		s->mem = NULL;
		return synth_fail(s, -ENOMEM, "out of memory");
	}
	s->pi = calloc(s->ram_pages, sizeof(*s->pi));
	if (!s->pi)
		return synth_fail(s, -ENOMEM, "out of memory");
	if ((r = place_kernel(s)) < 0 || (r = synth_apply_placements(s)) < 0 ||
	    (r = synth_build_layout(s)) < 0)
		return r;
	/* kernel objects that struct pages point at: four slab pages */
	if ((r = synth_mb_alloc_or_fail(s, 4, 1, "kernel objects", &objs)) < 0)
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

unsigned synth_page_size(const struct synth *s)
{
	return (unsigned)PAGE_SIZE;
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
	/* unaccepted memory is free and reads as zeros: -d 1 drops it as zero */
	if ((dump_level & 1) && !(dump_level & 16))
		n += s->zero_free;
	return n;
}

const char *synth_vmcoreinfo(const struct synth *s, size_t *len)
{
	if (len)
		*len = s->vi_len;
	return s->vi;
}
