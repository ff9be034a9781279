/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * arm64 virtual to physical translation, from VMCOREINFO alone: the
 * linear map by the kernel's own arithmetic, everything else (vmemmap,
 * the kernel image, vmalloc) by walking swapper_pg_dir.
 *
 * Facts (arch/arm64/include/asm/memory.h, pgtable-hwdef.h, pgtable.h;
 * arch/arm64/kernel/crash_core.c, vmcore_info.c from 6.10):
 * - NUMBER(VA_BITS) is the configured VA size; 64 - NUMBER(TCR_EL1_T1SZ)
 *   (5.9+) the one the kernel runs with: a 52-bit kernel on hardware
 *   without LVA (or LPA2 for 4K/16K pages) runs with 48.
 * - Since 5.4 the linear map is at the bottom of the kernel half:
 *   PAGE_OFFSET = -(1 << VA_BITS) (the configured size: a 52-bit kernel
 *   on 48-bit hardware lowers memstart_addr instead), PAGE_END =
 *   -(1 << (min(VA_BITS, 48) - 1)), the kernel image above PAGE_END.
 *   Before 5.4 it was the top half, from -(1 << (VA_BITS - 1)), and the
 *   image below. In both, pa = (va & ~PAGE_OFFSET) + PHYS_OFFSET.
 * - Kernel image addresses: pa = va - kimage_voffset (4.6+; KASLR is
 *   in it, so KERNELOFFSET is not needed here).
 * - Descriptors: bit 0 valid; above the last level bit 1 set is a
 *   table, clear a block; at the last level bit 1 must be set. The
 *   output address is bits 47:PAGE_SHIFT, and with 52-bit PAs either
 *   PA[51:48] in bits 15:12 (64K pages) or, with LPA2 (4K/16K pages,
 *   6.9+), bits 49:PAGE_SHIFT plus PA[51:50] in bits 9:8. Without LPA2
 *   active those bits 9:8 are the shareability field, not address.
 * - Levels: enough of PAGE_SHIFT - 3 bits each to cover the runtime VA
 *   size above PAGE_SHIFT (4K and 52 bits: five, the LPA2 level -1).
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kcf-internal.h"

#ifndef EM_AARCH64
#define EM_AARCH64 183
#endif

#define DESC_VALID 0x1ULL
#define DESC_TABLE 0x2ULL       /* table (upper levels) or page (last level) */

/* The address-space parameters, from VMCOREINFO (see the facts above). */
struct arm64_params {
	int page_shift;
	int va_bits;                 /* configured */
	int va_actual;               /* running */
	bool flipped;                /* 5.4+ layout */
	uint64_t page_offset;        /* the kernel's PAGE_OFFSET */
	uint64_t lm_start, lm_end;   /* the linear map, [start, end) */
	uint64_t phys_offset;
	bool has_phys_offset;
	uint64_t kimage_voffset;
	bool has_kimage_voffset;
	int levels;
	bool pa52_64k, lpa2;
};

struct arm64_state {
	struct arm64_params p;
	uint64_t root_pa;
	struct kcf_tlb tlb;
};

static int number(const struct kcf_vmcore *vm, struct kcf_ctx *ctx, const char *key, uint64_t *val,
		  bool *found)
{
	int r = kcf_vmcoreinfo_number(&vm->vi, key, val);
	*found = r == 0;
	if (r == -EINVAL)
		return kcf_err(ctx, EINVAL, "%s: VMCOREINFO line %s has a garbled value",
			       vm->path, key);
	return 0;
}

/* ctx NULL: quiet (init reports the same failure). */
static int get_params(const struct kcf_vmcore *vm, struct kcf_ctx *ctx, struct arm64_params *p)
{
	const struct kcf_layout *l = &vm->lay;
	uint64_t v;
	bool found;
	int r;

	memset(p, 0, sizeof(*p));
	p->page_shift = l->page_shift;
	if (p->page_shift != 12 && p->page_shift != 14 && p->page_shift != 16)
		return kcf_err(ctx, EINVAL, "%s: PAGESIZE=%lld is not an arm64 page size (4K, 16K, 64K)",
			       vm->path, (long long)l->page_size);
	if ((r = number(vm, ctx, "NUMBER(VA_BITS)", &v, &found)) < 0)
		return r;
	if (!found)
		return kcf_err(ctx, ENODATA, "%s: VMCOREINFO lacks NUMBER(VA_BITS): cannot lay out the arm64 address space (kernels since 4.12 export it)",
			       vm->path);
	if (v < 36 || v > 52)
		return kcf_err(ctx, EINVAL, "%s: VMCOREINFO: NUMBER(VA_BITS)=%llu is not an arm64 VA size",
			       vm->path, (unsigned long long)v);
	p->va_bits = (int)v;
	p->va_actual = p->va_bits;
	if ((r = number(vm, ctx, "NUMBER(TCR_EL1_T1SZ)", &v, &found)) < 0)
		return r;
	if (found) {
		if (v < 12 || v > 28 || 64 - (int)v > p->va_bits)
			return kcf_err(ctx, EINVAL, "%s: VMCOREINFO: NUMBER(TCR_EL1_T1SZ)=%llu does not fit VA_BITS=%d",
				       vm->path, (unsigned long long)v, p->va_bits);
		p->va_actual = 64 - (int)v;
	} else if (p->va_bits == 52 && l->sym_mem_section != KCF_UNSET) {
		/*
		 * 5.4 .. 5.8: no TCR_EL1_T1SZ. mem_section (SPARSEMEM_EXTREME)
		 * is a linear-map address, whose bit 51 is set only when the
		 * linear map starts at the 48-bit PAGE_OFFSET.
		 */
		p->va_actual = ((uint64_t)l->sym_mem_section >> 51) & 1 ? 48 : 52;
	}
	if ((r = number(vm, ctx, "NUMBER(kimage_voffset)", &p->kimage_voffset, &p->has_kimage_voffset)) < 0 ||
	    (r = number(vm, ctx, "NUMBER(PHYS_OFFSET)", &p->phys_offset, &p->has_phys_offset)) < 0)
		return r;

	int va_min = KCF_MIN(p->va_bits, 48);
	uint64_t page_end = -(1ULL << (va_min - 1));
	int64_t image = l->sym_swapper_pg_dir != KCF_UNSET ? l->sym_swapper_pg_dir : l->sym_init_uts_ns;
	if (image == KCF_UNSET)
		return kcf_err(ctx, ENODATA, "%s: VMCOREINFO has no SYMBOL(swapper_pg_dir): cannot translate addresses",
			       vm->path);
	p->flipped = (uint64_t)image >= page_end;
	if (p->flipped) {
		p->page_offset = -(1ULL << p->va_bits);
		/* A 52-bit kernel on 48-bit hardware: the map starts higher. */
		p->lm_start = -(1ULL << p->va_actual);
		p->lm_end = page_end;
	} else {
		p->page_offset = -(1ULL << (p->va_bits - 1));
		p->lm_start = p->page_offset;
		p->lm_end = 0;    /* to the top */
	}
	int per_level = p->page_shift - 3;
	p->levels = (p->va_actual - p->page_shift + per_level - 1) / per_level;
	if (p->levels < 2 || p->levels > 5)
		return kcf_err(ctx, EINVAL, "%s: VMCOREINFO: %d-bit VA with %lld-byte pages is not an arm64 configuration",
			       vm->path, p->va_actual, (long long)l->page_size);
	if (l->max_physmem_bits == 52) {
		p->pa52_64k = p->page_shift == 16;
		p->lpa2 = p->page_shift != 16 && p->va_actual == 52;
	}
	return 0;
}

static bool in_linear_map(const struct arm64_params *p, uint64_t va)
{
	return va >= p->lm_start && (p->lm_end == 0 || va < p->lm_end);
}

static uint64_t lm_to_phys(const struct arm64_params *p, uint64_t va)
{
	return (va & ~p->page_offset) + p->phys_offset;
}

static int arm64_init(struct kcf_vmcore *vm)
{
	struct arm64_state *st = calloc(1, sizeof(*st));
	const struct kcf_layout *l = &vm->lay;
	int r;

	if (!st)
		return -ENOMEM;
	vm->arch_state = st;
	if ((r = get_params(vm, vm->ctx, &st->p)) < 0)
		return r;
	struct arm64_params *p = &st->p;
	if (!p->has_phys_offset) {
		/* Before 5.x's export: from a RAM PT_LOAD's virtual address. */
		for (size_t i = 0; i < vm->nr_loads && !p->has_phys_offset; i++) {
			const struct kcf_load *ld = &vm->loads[i];
			if (ld->vaddr && in_linear_map(p, ld->vaddr)) {
				p->phys_offset = ld->paddr - (ld->vaddr & ~p->page_offset);
				p->has_phys_offset = true;
			}
		}
		if (!p->has_phys_offset)
			return kcf_err(vm->ctx, ENODATA, "%s: VMCOREINFO lacks NUMBER(PHYS_OFFSET) and no segment says where the linear map is",
				       vm->path);
	}
	vm->kdump_phys_base = p->phys_offset;
	if (l->sym_swapper_pg_dir == KCF_UNSET)
		return kcf_err(vm->ctx, ENODATA, "%s: VMCOREINFO has no SYMBOL(swapper_pg_dir): cannot translate addresses",
			       vm->path);
	uint64_t root = (uint64_t)l->sym_swapper_pg_dir;
	if (p->has_kimage_voffset && !in_linear_map(p, root))
		st->root_pa = root - p->kimage_voffset;
	else if (in_linear_map(p, root))
		st->root_pa = lm_to_phys(p, root);
	else
		return kcf_err(vm->ctx, ENODATA, "%s: VMCOREINFO lacks NUMBER(kimage_voffset): cannot find swapper_pg_dir (%#llx)",
			       vm->path, (unsigned long long)root);
	if (!kcf_load_find(vm, st->root_pa))
		return kcf_err(vm->ctx, EFAULT, "%s: the page table root (physical %#llx) is not in the dump",
			       vm->path, (unsigned long long)st->root_pa);
	return 0;
}

static void arm64_fini(struct kcf_vmcore *vm)
{
	free(vm->arch_state);
	vm->arch_state = NULL;
}

/* The output address of a descriptor, at page granularity. */
static uint64_t desc_addr(const struct arm64_params *p, uint64_t e)
{
	uint64_t low_top = p->lpa2 ? 50 : 48;
	uint64_t a = e & ((1ULL << low_top) - 1) & ~((1ULL << p->page_shift) - 1);
	if (p->pa52_64k)
		a |= ((e >> 12) & 0xf) << 48;
	else if (p->lpa2)
		a |= ((e >> 8) & 0x3) << 50;
	return a;
}

static int walk(struct kcf_vmcore *vm, uint64_t va, uint64_t *pa_base, uint64_t *size)
{
	struct arm64_state *st = vm->arch_state;
	const struct arm64_params *p = &st->p;
	int per_level = p->page_shift - 3;
	uint64_t table = st->root_pa;

	for (int lvl = 0; lvl < p->levels; lvl++) {
		int sh = p->page_shift + per_level * (p->levels - 1 - lvl);
		int width = lvl == 0 ? p->va_actual - sh : per_level;
		uint64_t idx = (va >> sh) & ((1ULL << width) - 1), entry;
		bool last = lvl == p->levels - 1;
		if (kcf_phys_read(vm, table + idx * 8, &entry, 8) < 0)
			return kcf_err(vm->ctx, EFAULT, "%s: page table page %#llx for %#llx is not in the dump",
				       vm->path, (unsigned long long)table, (unsigned long long)va);
		if (!(entry & DESC_VALID) || (last && !(entry & DESC_TABLE)))
			return kcf_err(vm->ctx, EFAULT, "%s: virtual address %#llx is not mapped",
				       vm->path, (unsigned long long)va);
		if (last || !(entry & DESC_TABLE)) {
			*size = 1ULL << sh;
			*pa_base = desc_addr(p, entry) & ~(*size - 1);
			return 0;
		}
		table = desc_addr(p, entry);
	}
	return kcf_err(vm->ctx, EFAULT, "%s: page table walk for %#llx did not end", vm->path,
		       (unsigned long long)va);
}

static int arm64_vtop(struct kcf_vmcore *vm, uint64_t va, uint64_t *pa, uint64_t *span)
{
	struct arm64_state *st = vm->arch_state;
	uint64_t page = (uint64_t)vm->lay.page_size;

	if (in_linear_map(&st->p, va)) {
		*pa = lm_to_phys(&st->p, va);
		*span = page - (va & (page - 1));
		return 0;
	}
	return kcf_tlb_vtop(vm, &st->tlb, va, pa, span, walk);
}

static bool arm64_is_kernel_va(const struct kcf_vmcore *vm, uint64_t va)
{
	const struct arm64_state *st = vm->arch_state;
	return va >= -(1ULL << st->p.va_bits);
}

/*
 * The kernel image: above the linear map (5.4+) or below it, in the
 * kernel half either way. Before init: the parameters are computed
 * here again (failures are init's to report).
 */
static bool arm64_is_kernel_text(const struct kcf_vmcore *vm, const struct kcf_load *ld)
{
	struct arm64_params p;

	if (get_params(vm, NULL, &p) < 0)
		return false;
	return ld->vaddr >= -(1ULL << p.va_bits) && !in_linear_map(&p, ld->vaddr);
}

/* va - pa of the linear map, for inputs without virtual addresses. */
static uint64_t arm64_direct_map_base(struct kcf_vmcore *vm)
{
	const struct arm64_state *st = vm->arch_state;
	return st->p.page_offset - st->p.phys_offset;
}

const struct kcf_arch_ops kcf_arch_arm64 = {
	.name = "aarch64", .elf_machine = EM_AARCH64,
	.init = arm64_init, .fini = arm64_fini, .vtop = arm64_vtop,
	.is_kernel_va = arm64_is_kernel_va,
	.is_kernel_text = arm64_is_kernel_text,
	.direct_map_base = arm64_direct_map_base,
};
