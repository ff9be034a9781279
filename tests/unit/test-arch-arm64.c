/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * arch-arm64.c against hand-built page tables in a sparse physical
 * space, for what tests/synth's generator cannot make (its RAM stays
 * below 2^48 to keep kdump bitmaps small): two-level tables, tables and
 * pages above 2^48 and 2^50 (PA[51:48] in bits 15:12 with 64K pages, PA[51:50]
 * in bits 9:8 with LPA2), the pre-5.4 layout, and the same VMCOREINFO
 * without TCR_EL1_T1SZ. Descriptors follow arch/arm64/include/asm/
 * pgtable-hwdef.h; every expected address is worked out here by hand.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcf-internal.h"
#include "tap.h"

#define MAXPAGES 32

/* Physical memory: a few pages anywhere in the 52-bit space. */
struct space {
	uint64_t page;
	uint64_t pa[MAXPAGES];
	uint8_t *data[MAXPAGES];
	int n;
};

static uint8_t *page_at(struct space *sp, uint64_t pa, bool create)
{
	uint64_t base = pa & ~(sp->page - 1);
	for (int i = 0; i < sp->n; i++)
		if (sp->pa[i] == base)
			return sp->data[i] + (pa - base);
	if (!create || sp->n == MAXPAGES)
		return NULL;
	sp->pa[sp->n] = base;
	sp->data[sp->n] = calloc(1, sp->page);
	return sp->data[sp->n++] + (pa - base);
}

static void put(struct space *sp, uint64_t pa, uint64_t v)
{
	memcpy(page_at(sp, pa, true), &v, 8);
}

static const void *space_map(struct kcf_vmcore *vm, int win, uint64_t paddr, size_t len)
{
	(void)win;
	(void)len;
	return page_at(vm->in_state, paddr, false);
}

static const struct kcf_input_ops space_input = { .name = "test", .map = space_map };

struct setup {
	const char *name;
	unsigned page_size;
	int va_bits;
	int t1sz;                    /* 0: not exported */
	int physmem_bits;
	uint64_t phys_offset, kimage_voffset, swapper;
};

/* A vmcore around the space: VMCOREINFO parsed, one load per page, arch init. */
static int open_vm(struct kcf_vmcore *vm, struct kcf_ctx *ctx, struct space *sp, const struct setup *su)
{
	char vi[2048];
	int len = snprintf(vi, sizeof(vi),
		"OSRELEASE=6.12.0-test\nPAGESIZE=%u\nSYMBOL(swapper_pg_dir)=%llx\n"
		"SYMBOL(mem_section)=%llx\nLENGTH(mem_section)=64\nSIZE(mem_section)=16\n"
		"NUMBER(SECTION_SIZE_BITS)=29\nNUMBER(MAX_PHYSMEM_BITS)=%d\nSIZE(page)=64\n"
		"OFFSET(page.flags)=0\nOFFSET(page.mapping)=24\nOFFSET(page._mapcount)=48\n"
		"OFFSET(page.private)=40\nNUMBER(PG_lru)=5\nNUMBER(VA_BITS)=%d\n"
		"NUMBER(kimage_voffset)=0x%llx\nNUMBER(PHYS_OFFSET)=0x%llx\n",
		su->page_size, (unsigned long long)su->swapper,
		(unsigned long long)(-(1ull << su->va_bits) + 0x1000), su->physmem_bits, su->va_bits,
		(unsigned long long)su->kimage_voffset, (unsigned long long)su->phys_offset);
	if (su->t1sz)
		len += snprintf(vi + len, sizeof(vi) - (size_t)len, "NUMBER(TCR_EL1_T1SZ)=0x%x\n", su->t1sz);
	memset(vm, 0, sizeof(*vm));
	vm->ctx = ctx;
	vm->path = (char *)su->name;
	vm->in = &space_input;
	vm->in_state = sp;
	vm->arch = kcf_arch_by_elf_machine(183);
	if (!vm->arch || kcf_vmcoreinfo_parse(ctx, vi, (size_t)len, &vm->vi, &vm->lay) < 0)
		return -EINVAL;
	vm->loads = calloc((size_t)sp->n, sizeof(*vm->loads));
	for (int i = 0; i < sp->n; i++)
		vm->loads[i] = (struct kcf_load){ .paddr = sp->pa[i], .memsz = sp->page };
	vm->nr_loads = (size_t)sp->n;
	for (size_t i = 1; i < vm->nr_loads; i++)   /* kcf_load_find wants them sorted */
		for (size_t j = i; j > 0 && vm->loads[j].paddr < vm->loads[j - 1].paddr; j--) {
			struct kcf_load t = vm->loads[j];
			vm->loads[j] = vm->loads[j - 1];
			vm->loads[j - 1] = t;
		}
	return vm->arch->init(vm);
}

static void init_ok(struct kcf_vmcore *vm, struct kcf_ctx *ctx, struct space *sp, const struct setup *su)
{
	int r = open_vm(vm, ctx, sp, su);
	ok(r == 0, "%s: init%s%s", su->name, r ? ": " : "", r ? kcf_ctx_error(ctx) : "");
}

static void close_vm(struct kcf_vmcore *vm, struct space *sp)
{
	vm->arch->fini(vm);
	kcf_vmcoreinfo_free(&vm->vi);
	free(vm->loads);
	for (int i = 0; i < sp->n; i++)
		free(sp->data[i]);
	sp->n = 0;
}

static void expect_pa(struct kcf_vmcore *vm, uint64_t va, uint64_t want, const char *what)
{
	uint64_t pa = 0, span = 0;
	int r = vm->arch->vtop(vm, va, &pa, &span);
	ok(r == 0 && pa == want, "%s: %s %#llx -> %#llx (got %#llx, r %d)", vm->path, what,
	   (unsigned long long)va, (unsigned long long)want, (unsigned long long)pa, r);
}

#define VALID 1ull
#define TABLE 3ull
#define BLOCK (VALID | (1ull << 10) | (3ull << 8))   /* AF, inner shareable */
#define PAGE (TABLE | (1ull << 10) | (3ull << 8))

/* 64K pages, 48-bit VA, 52-bit PA: three levels (42, 29, 16), PA[51:48] in bits 15:12. */
static void test_64k_pa52(struct kcf_ctx *ctx)
{
	struct space sp = { .page = 65536 };
	struct kcf_vmcore vm;
	uint64_t root = 0x40210000, l2 = 0x000a000000010000ull, l3 = 0x000b0000123f0000ull;
	uint64_t image = 0xffff800080000000ull, kvo = image - 0x40000000;
	uint64_t enc = 0x1230000 | 0x9000;   /* PA 0x9_0000_0123_0000 = 2^48 * 9 + 0x1230000 */
	uint64_t va = 0xffffa00000000000ull + 0x30000 * 1 + 5;   /* a vmalloc address */
	struct setup su = { "64k-pa52", 65536, 48, 16, 52, 0x40000000, kvo, image + 0x210000 };

	/* l2 and l3 tables above 2^48: their descriptors use bits 15:12 as PA[51:48] */
	put(&sp, root + ((va >> 42) & 63) * 8, (l2 & 0xffffffff0000ull) | ((l2 >> 48) << 12) | TABLE);
	put(&sp, l2 + ((va >> 29) & 8191) * 8, (l3 & 0xffffffff0000ull) | ((l3 >> 48) << 12) | TABLE);
	put(&sp, l3 + ((va >> 16) & 8191) * 8, enc | PAGE);
	/* a 512 MiB block at level 2 for another address */
	uint64_t vb = 0xffffb00020000000ull;
	put(&sp, root + ((vb >> 42) & 63) * 8, (l2 & 0xffffffff0000ull) | ((l2 >> 48) << 12) | TABLE);
	put(&sp, l2 + ((vb >> 29) & 8191) * 8, 0x60000000ull | (0xcull << 12) | BLOCK);
	page_at(&sp, 0x40000000, true);
	init_ok(&vm, ctx, &sp, &su);
	expect_pa(&vm, va, 0x0009000001230005ull, "page above 2^48");
	expect_pa(&vm, vb + 0x1234567, 0x000c000060000000ull + 0x1234567, "512M block above 2^48");
	expect_pa(&vm, 0xffff000000001000ull, 0x40001000, "linear map");
	uint64_t pa, span;
	ok(vm.arch->vtop(&vm, image + 0x10, &pa, &span) < 0, "64k-pa52: an unmapped image address fails");
	close_vm(&vm, &sp);
}

/*
 * 64K pages, 52-bit VA running as such (ARMv8.2 LVA, TCR_EL1_T1SZ 12) and
 * 52-bit PA: three levels under a 1024-entry top table (bits 51:42), the
 * linear map from -(1 << 52), descriptors with both PA[51:48] in bits
 * 15:12 and the shareability bits 9:8 set (64K has no LPA2: 9:8 stay SH).
 */
static void test_64k_va52(struct kcf_ctx *ctx)
{
	struct space sp = { .page = 65536 };
	struct kcf_vmcore vm;
	uint64_t image = 0xffff800080000000ull + 0x1ba00000, kvo = image - 0x40000000;
	uint64_t root = 0x40210000, l2 = 0x0003000000020000ull, l3 = 0x40300000;
	uint64_t va = 0xfffffc1fc0000000ull + 0x2345;   /* 6.12's VMEMMAP_START for 64K/52 */
	struct setup su = { "64k-va52", 65536, 52, 12, 52, 0x40000000, kvo, image + 0x210000 };
	uint64_t top = (va >> 42) & 1023, hi = (l2 >> 48) << 12;

	ok(top > 63, "64k-va52: the address needs the top table's entries above 64 (index %llu)",
	   (unsigned long long)top);
	put(&sp, root + top * 8, (l2 & 0xffffffff0000ull) | hi | TABLE | (3ull << 8));
	put(&sp, l2 + ((va >> 29) & 8191) * 8, l3 | TABLE | (3ull << 8));
	put(&sp, l3 + ((va >> 16) & 8191) * 8, 0x5a5a0000ull | (0xfull << 12) | PAGE);
	init_ok(&vm, ctx, &sp, &su);
	expect_pa(&vm, va, 0x000f00005a5a2345ull, "1024-entry top, SH and PA[51:48] both set");
	expect_pa(&vm, 0xfff0000000000000ull + 0x123456, 0x40123456, "linear map from -(1 << 52)");
	ok(kcf_is_kernel_va(&vm, 0xfff0000000000000ull) && !kcf_is_kernel_va(&vm, 0xffe0000000000000ull),
	   "64k-va52: kernel half from -(1 << 52)");
	close_vm(&vm, &sp);
}

/* 4K pages, 52-bit VA with LPA2: five levels, the top 16 entries, PA[51:50] in bits 9:8. */
static void test_4k_lpa2(struct kcf_ctx *ctx)
{
	struct space sp = { .page = 4096 };
	struct kcf_vmcore vm;
	uint64_t image = 0xffff800080000000ull + 0x20598e600000ull, kvo = image - 0x40200000;
	uint64_t root = 0x40200000 + 0x1000, t[4] = { 0x41000000, 0x000c000000002000ull,
						       0x0004000000003000ull, 0x41004000 };
	uint64_t va = 0xffffc1ffbf000000ull + 0x123000 + 0x45;   /* vmemmap */
	struct setup su = { "4k-lpa2", 4096, 52, 12, 52, 0x40000000, kvo, image + 0x1000 };
	int sh[] = { 48, 39, 30, 21, 12 };
	uint64_t next = root;

	for (int l = 0; l < 5; l++) {
		uint64_t idx = (va >> sh[l]) & (l == 0 ? 15 : 511);
		uint64_t to = l < 4 ? t[l] : 0x000d000077777000ull;   /* the page: above 2^50 */
		uint64_t e = (to & 0x0003fffffffff000ull) | ((to >> 50) & 3) << 8;
		put(&sp, next + idx * 8, e | (l < 4 ? TABLE : TABLE | (1ull << 10)));
		next = to;
	}
	init_ok(&vm, ctx, &sp, &su);
	expect_pa(&vm, va, 0x000d000077777045ull, "five levels, tables and page above 2^50");
	expect_pa(&vm, 0xfff0000000000000ull + 0x3fcfad00, 0x7fcfad00, "linear map at 52 bits");
	ok(vm.kdump_phys_base == 0x40000000, "4k-lpa2: the kdump sub-header's phys_base is PHYS_OFFSET");
	ok(kcf_is_kernel_va(&vm, 0xfff0000000000000ull) && !kcf_is_kernel_va(&vm, 0xffe0000000000000ull),
	   "4k-lpa2: kernel half from -(1 << 52)");
	close_vm(&vm, &sp);
}

/* A 52-bit 4K kernel running at 48 bits: four levels, bits 9:8 are shareability. */
static void test_4k_52_on_48(struct kcf_ctx *ctx)
{
	struct space sp = { .page = 4096 };
	struct kcf_vmcore vm;
	uint64_t phys_offset = 0x40000000 - ((1ull << 52) - (1ull << 48));
	uint64_t image = 0xffff800080000000ull, kvo = image - 0x40200000;
	uint64_t root = 0x40201000, l1 = 0x41000000, l2 = 0x41001000;
	uint64_t va = 0xfffffdffbf000000ull + 0x40;
	struct setup su = { "4k-52-on-48", 4096, 52, 16, 52, phys_offset, kvo, image + 0x1000 };

	put(&sp, root + ((va >> 39) & 511) * 8, l1 | TABLE | (3ull << 8));
	put(&sp, l1 + ((va >> 30) & 511) * 8, l2 | TABLE | (3ull << 8));
	put(&sp, l2 + ((va >> 21) & 511) * 8, 0x42200000 | BLOCK);   /* 2M block, SH set */
	init_ok(&vm, ctx, &sp, &su);
	expect_pa(&vm, va, 0x42200040, "2M block, bits 9:8 not address");
	expect_pa(&vm, 0xffff000000000000ull + 0x1000, 0x40001000, "linear map from -(1 << 48)");
	close_vm(&vm, &sp);
}

/* 16K pages, 47-bit VA: three levels (36, 25, 14) with the top of 2048 entries. */
static void test_16k_47(struct kcf_ctx *ctx)
{
	struct space sp = { .page = 16384 };
	struct kcf_vmcore vm;
	uint64_t image = ((uint64_t)-(1ull << 46)) + 0x80000000, kvo = image - 0x40200000;
	uint64_t root = 0x40204000, l2 = 0x41000000, l3 = 0x41004000;
	uint64_t va = image - 0x10000000 + 0x4321;
	struct setup su = { "16k-47", 16384, 47, 17, 48, 0x40000000, kvo, image + 0x4000 };

	put(&sp, root + ((va >> 36) & 2047) * 8, l2 | TABLE);
	put(&sp, l2 + ((va >> 25) & 2047) * 8, l3 | TABLE);
	put(&sp, l3 + ((va >> 14) & 2047) * 8, 0x55554000 | PAGE);
	init_ok(&vm, ctx, &sp, &su);
	expect_pa(&vm, va, 0x55554000 + (va & 0x3fff), "three levels of 16K");
	close_vm(&vm, &sp);
}

/* 64K pages, 42-bit VA, no TCR_EL1_T1SZ (before 5.9): two levels (29, 16). */
static void test_64k_42(struct kcf_ctx *ctx)
{
	struct space sp = { .page = 65536 };
	struct kcf_vmcore vm;
	uint64_t image = ((uint64_t)-(1ull << 41)) + 0x80000000, kvo = image - 0x40200000;
	uint64_t root = 0x40210000, l3 = 0x41000000;
	uint64_t va = image + 0x40000000 + 0x12345;
	struct setup su = { "64k-42", 65536, 42, 0, 48, 0x40000000, kvo, image + 0x10000 };

	put(&sp, root + ((va >> 29) & 8191) * 8, l3 | TABLE);
	put(&sp, l3 + ((va >> 16) & 8191) * 8, 0x50000000 | PAGE);
	init_ok(&vm, ctx, &sp, &su);
	expect_pa(&vm, va, 0x50002345, "two levels of 64K");
	close_vm(&vm, &sp);
}

/* Before 5.4: the linear map is the top half, the image below it. */
static void test_old_layout(struct kcf_ctx *ctx)
{
	struct space sp = { .page = 4096 };
	struct kcf_vmcore vm;
	uint64_t image = 0xffff000008080000ull, kvo = image - 0x40080000;
	struct setup su = { "4k-48-pre-5.4", 4096, 48, 0, 48, 0x40000000, kvo, image + 0x1000 };

	page_at(&sp, 0x40081000, true);
	init_ok(&vm, ctx, &sp, &su);
	expect_pa(&vm, 0xffff800000000000ull + 0x5000, 0x40005000, "linear map in the top half");
	struct kcf_load text = { .vaddr = image, .paddr = 0x40080000 };
	struct kcf_load ram = { .vaddr = 0xffff800000000000ull, .paddr = 0x40000000 };
	ok(vm.arch->is_kernel_text(&vm, &text) && !vm.arch->is_kernel_text(&vm, &ram),
	   "4k-48-pre-5.4: the image mapping is below the linear map");
	close_vm(&vm, &sp);
}

int main(void)
{
	struct kcf_ctx *ctx;

	kcf_ctx_new(&ctx);
	test_64k_pa52(ctx);
	test_64k_va52(ctx);
	test_4k_lpa2(ctx);
	test_4k_52_on_48(ctx);
	test_16k_47(ctx);
	test_64k_42(ctx);
	test_old_layout(ctx);
	kcf_ctx_free(ctx);
	return plan_at_end();
}
