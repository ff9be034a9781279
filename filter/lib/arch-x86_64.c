/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * x86_64 virtual to physical translation: the direct map by arithmetic,
 * everything else (vmemmap, kernel image, vmalloc) by walking the
 * kernel's own page tables, 4 or 5 levels as the dump says.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kcf-internal.h"

/* __START_KERNEL_map: the kernel image mapping, up to the top */
#define START_KERNEL_MAP 0xffffffff80000000ULL
/*
 * Lowest kernel virtual address with 5-level paging; with 4 levels the
 * kernel half starts higher and the gap is non-canonical, so this one
 * bound serves both for "looks like a kernel pointer".
 */
#define KERNEL_VA_MIN 0xff00000000000000ULL
/* page_offset_base is PUD aligned, KASLR or not */
#define DIRECT_MAP_ALIGN (1ULL << 30)
#define PTE_PRESENT 0x1ULL
#define PTE_PSE 0x80ULL
#define PTE_PFN_MASK 0x000ffffffffff000ULL

struct x86_state {
	uint64_t root_pa;
	int levels;
	uint64_t pfn_mask;
	struct kcf_tlb tlb;
};

static int x86_init(struct kcf_vmcore *vm)
{
	const struct kcf_layout *l = &vm->lay;
	struct x86_state *st = calloc(1, sizeof(*st));
	int64_t root_sym = l->sym_init_top_pgt != KCF_UNSET ? l->sym_init_top_pgt : l->sym_swapper_pg_dir;

	if (!st)
		return -ENOMEM;
	vm->arch_state = st;
	if (root_sym == KCF_UNSET)
		return kcf_err(vm->ctx, ENODATA,
			       "%s: VMCOREINFO has neither SYMBOL(init_top_pgt) nor SYMBOL(swapper_pg_dir): cannot translate addresses",
			       vm->path);
	if ((uint64_t)root_sym < START_KERNEL_MAP)
		return kcf_err(vm->ctx, EINVAL, "%s: page table root %#llx is not a kernel image address",
			       vm->path, (unsigned long long)root_sym);
	/* __pa_symbol(): VMCOREINFO symbols are already relocated by KASLR. */
	st->root_pa = (uint64_t)root_sym - START_KERNEL_MAP + (uint64_t)l->phys_base;
	vm->kdump_phys_base = (uint64_t)l->phys_base;
	st->levels = l->pgtable_l5 ? 5 : 4;
	st->pfn_mask = PTE_PFN_MASK & ~(uint64_t)l->sme_mask;
	if (!kcf_load_find(vm, st->root_pa))
		return kcf_err(vm->ctx, EFAULT, "%s: the page table root (physical %#llx) is not in the dump",
			       vm->path, (unsigned long long)st->root_pa);
	return 0;
}

static void x86_fini(struct kcf_vmcore *vm)
{
	free(vm->arch_state);
	vm->arch_state = NULL;
}

static int walk(struct kcf_vmcore *vm, uint64_t va, uint64_t *pa_base, uint64_t *size)
{
	struct x86_state *st = vm->arch_state;
	static const int shift5[] = { 48, 39, 30, 21, 12 };
	const int *shift = st->levels == 5 ? shift5 : shift5 + 1;
	uint64_t table = st->root_pa;

	for (int lvl = 0; lvl < st->levels; lvl++) {
		int sh = shift[lvl];
		uint64_t idx = (va >> sh) & 511, entry;
		int r = kcf_phys_read(vm, table + idx * 8, &entry, 8);
		if (r < 0)
			return kcf_err(vm->ctx, EFAULT, "%s: page table page %#llx for %#llx is not in the dump",
				       vm->path, (unsigned long long)table, (unsigned long long)va);
		if (!(entry & PTE_PRESENT))
			return kcf_err(vm->ctx, EFAULT, "%s: virtual address %#llx is not mapped",
				       vm->path, (unsigned long long)va);
		bool leaf = sh == 12 || ((sh == 21 || sh == 30) && (entry & PTE_PSE));
		if (leaf) {
			*size = 1ULL << sh;
			*pa_base = entry & st->pfn_mask & ~(*size - 1);
			return 0;
		}
		table = entry & st->pfn_mask;
	}
	return kcf_err(vm->ctx, EFAULT, "%s: page table walk for %#llx did not end", vm->path,
		       (unsigned long long)va);
}

static int x86_vtop(struct kcf_vmcore *vm, uint64_t va, uint64_t *pa, uint64_t *span)
{
	struct x86_state *st = vm->arch_state;

	if (vm->page_offset && va >= vm->page_offset &&
	    va - vm->page_offset < vm->max_pfn * (uint64_t)vm->lay.page_size) {
		uint64_t page = (uint64_t)vm->lay.page_size;
		*pa = va - vm->page_offset;
		*span = page - (va & (page - 1));
		return 0;
	}
	return kcf_tlb_vtop(vm, &st->tlb, va, pa, span, walk);
}

static bool x86_is_kernel_va(const struct kcf_vmcore *vm, uint64_t va)
{
	return va >= KERNEL_VA_MIN;
}

static bool x86_is_kernel_text(const struct kcf_vmcore *vm, const struct kcf_load *ld)
{
	return ld->vaddr >= START_KERNEL_MAP;
}

/*
 * From a direct-map pointer VMCOREINFO gives (mem_section with
 * SPARSEMEM_EXTREME), translated through the page tables.
 */
static uint64_t x86_direct_map_base(struct kcf_vmcore *vm)
{
	uint64_t va = (uint64_t)vm->lay.sym_mem_section, pa, span;
	if (va >= KERNEL_VA_MIN && va < START_KERNEL_MAP && x86_vtop(vm, va, &pa, &span) == 0 &&
	    ((va - pa) & (DIRECT_MAP_ALIGN - 1)) == 0)
		return va - pa;
	return 0;
}

const struct kcf_arch_ops kcf_arch_x86_64 = {
	.name = "x86_64", .elf_machine = EM_X86_64,
	.init = x86_init, .fini = x86_fini, .vtop = x86_vtop,
	.is_kernel_va = x86_is_kernel_va,
	.is_kernel_text = x86_is_kernel_text,
	.direct_map_base = x86_direct_map_base,
};
