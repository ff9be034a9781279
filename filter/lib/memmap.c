/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SPARSEMEM mem_map access: PFN -> section -> struct page address, with
 * or without vmemmap and SPARSEMEM_EXTREME. The section table and the
 * struct pages are read from the dump and may be garbage: every pointer
 * is translated and checked, and a failure only means "no struct page
 * for these PFNs", never a crash.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kcf-internal.h"

#define SECTION_MARKED_PRESENT 0x1ULL
#define SECTION_HAS_MEM_MAP 0x2ULL
/* Low bits of section_mem_map are flags; 6 of them at most so far. */
#define SECTION_MAP_MASK (~0x3fULL)

struct kcf_memmap {
	struct kcf_vmcore *vm;
	uint64_t nr_sections;
	unsigned pfn_section_shift;
	uint64_t sections_per_root;
	bool extreme;
	/* the last section looked up */
	uint64_t cached_nr;
	uint64_t cached_base;     /* struct page of PFN p is at base + p * SIZE(page) */
	bool cached_valid;
	bool cached_has_map;
};

int kcf_memmap_new(struct kcf_vmcore *vm, struct kcf_memmap **ret)
{
	const struct kcf_layout *l = &vm->lay;
	struct kcf_memmap *mm = calloc(1, sizeof(*mm));

	if (!mm)
		return -ENOMEM;
	mm->vm = vm;
	mm->nr_sections = 1ULL << (l->max_physmem_bits - l->section_size_bits);
	mm->pfn_section_shift = (unsigned)(l->section_size_bits - l->page_shift);
	mm->sections_per_root = (uint64_t)(l->page_size / l->size_mem_section);
	/*
	 * With SPARSEMEM_EXTREME, mem_section is an array of pointers to
	 * pages of sections, and LENGTH(mem_section) counts those roots.
	 */
	mm->extreme = (uint64_t)l->len_mem_section != mm->nr_sections;
	if (mm->extreme && (uint64_t)l->len_mem_section * mm->sections_per_root < mm->nr_sections / 2) {
		free(mm);
		return kcf_err(vm->ctx, EINVAL,
			       "%s: VMCOREINFO: LENGTH(mem_section)=%lld fits neither SPARSEMEM nor SPARSEMEM_EXTREME",
			       vm->path, (long long)l->len_mem_section);
	}
	*ret = mm;
	return 0;
}

void kcf_memmap_free(struct kcf_memmap *mm)
{
	free(mm);
}

/* Decode the section holding PFNs of section number nr. */
static void lookup_section(struct kcf_memmap *mm, uint64_t nr)
{
	const struct kcf_layout *l = &mm->vm->lay;
	uint64_t entry, smm;

	mm->cached_nr = nr;
	mm->cached_valid = true;
	mm->cached_has_map = false;
	if (nr >= mm->nr_sections)
		return;
	if (mm->extreme) {
		uint64_t root_idx = nr / mm->sections_per_root, root;
		if (root_idx >= (uint64_t)l->len_mem_section)
			return;
		if (kcf_read_u64_virt(mm->vm, (uint64_t)l->sym_mem_section + root_idx * 8, &root) < 0 ||
		    !kcf_is_kernel_va(mm->vm, root))
			return;
		entry = root + (nr % mm->sections_per_root) * (uint64_t)l->size_mem_section;
	} else {
		entry = (uint64_t)l->sym_mem_section + nr * (uint64_t)l->size_mem_section;
	}
	if (kcf_read_u64_virt(mm->vm, entry + (uint64_t)l->off_section_mem_map, &smm) < 0)
		return;
	if (!(smm & SECTION_MARKED_PRESENT) || !(smm & SECTION_HAS_MEM_MAP))
		return;
	/* Stored as mem_map - section_start_pfn, in struct page units. */
	mm->cached_base = smm & SECTION_MAP_MASK;
	uint64_t first = mm->cached_base + (nr << mm->pfn_section_shift) * (uint64_t)l->size_page;
	mm->cached_has_map = kcf_is_kernel_va(mm->vm, first);
}

long kcf_memmap_read(struct kcf_memmap *mm, uint64_t pfn, uint64_t n, void *buf, uint64_t *skip)
{
	struct kcf_vmcore *vm = mm->vm;
	uint64_t size_page = (uint64_t)vm->lay.size_page;
	uint64_t nr = pfn >> mm->pfn_section_shift;
	uint64_t section_end = (nr + 1) << mm->pfn_section_shift;

	if (!mm->cached_valid || mm->cached_nr != nr)
		lookup_section(mm, nr);
	if (n > section_end - pfn)
		n = section_end - pfn;
	if (!mm->cached_has_map) {
		*skip = section_end - pfn;
		return 0;
	}
	/* Read as much as is physically contiguous; stop at the first hole. */
	uint64_t va = mm->cached_base + pfn * size_page;
	uint64_t want = n * size_page, got = 0;
	uint8_t *out = buf;
	while (got < want) {
		uint64_t pa, span;
		if (vm->arch->vtop(vm, va + got, &pa, &span) < 0)
			break;
		uint64_t page = (uint64_t)vm->lay.page_size;
		uint64_t chunk = KCF_MIN(want - got, span);
		/* Inputs without a copy op (kdump files) map one page at a time. */
		if (!kcf_phys_copy_is_direct(vm))
			chunk = KCF_MIN(chunk, page - (pa & (page - 1)));
		/* Stay inside one PT_LOAD per map call. */
		const struct kcf_load *ld = kcf_load_find(vm, pa);
		if (!ld)
			break;
		chunk = KCF_MIN(chunk, ld->paddr + ld->memsz - pa);
		if (kcf_phys_copy(vm, pa, out + got, chunk) < 0)
			break;
		got += chunk;
	}
	long whole = (long)(got / size_page);
	if (whole == 0) {
		/* This PFN's struct page is unreadable: skip to the next page of struct pages. */
		uint64_t page = (uint64_t)vm->lay.page_size;
		uint64_t next = ((va & ~(page - 1)) + page - va + size_page - 1) / size_page;
		*skip = KCF_MAX(1, KCF_MIN(next, n));
	}
	return whole;
}

int kcf_memmap_page_va(struct kcf_memmap *mm, uint64_t pfn, uint64_t *va)
{
	uint64_t nr = pfn >> mm->pfn_section_shift;

	if (!mm->cached_valid || mm->cached_nr != nr)
		lookup_section(mm, nr);
	if (!mm->cached_has_map)
		return -ENOENT;
	*va = mm->cached_base + pfn * (uint64_t)mm->vm->lay.size_page;
	return 0;
}
