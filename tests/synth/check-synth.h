/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check-synth's own reader of an x86_64 or arm64 ELF vmcore, shared by its files:
 *  - check-synth-reader.c: the ELF core, its holes, VMCOREINFO, and
 *    physical/virtual addresses through the dump's page tables;
 *  - check-synth-kernel.c: what the kernel's structures in the dump say
 *    (SPARSEMEM sections, struct page classes, the printk log);
 *  - check-synth.c: the TAP checks of the generator against that reader.
 *
 * The reader is written from scratch for these checks and knows nothing
 * of the generator (only Linux's layouts): a mistake in the generator
 * shows up as a disagreement instead of being repeated on both sides.
 */
#ifndef CHECK_SYNTH_H
#define CHECK_SYNTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define START_KERNEL_MAP 0xffffffff80000000ull
/* What vmci_num() returns for a key the VMCOREINFO note lacks. */
#define VMCI_NOT_FOUND (-0x7fffffffffffffffll)
/* classify_dump()'s value for a PFN outside every RAM PT_LOAD. */
#define CLASS_NOT_RAM 255

/* ---- check-synth-reader.c: the ELF vmcore ---- */

/* One PT_LOAD segment. */
struct dump_load {
	uint64_t pa, va, len, off;   /* physical, virtual, bytes, file offset */
};

/* The vmcore mapped read-only, with what VMCOREINFO says of its layout. */
struct dump {
	const uint8_t *map;
	size_t size;
	uint8_t *data;          /* bit per file page: 1 data, 0 hole (never written) */
	struct dump_load load[64];
	int nload;
	const char *vmci;       /* the VMCOREINFO note's text, inside map */
	size_t vmci_len;
	int nprstatus;          /* NT_PRSTATUS notes of the right size */
	/* from VMCOREINFO */
	uint64_t pgd, phys_base, max_pfn, pps, nr_sections, mem_section;
	int levels, section_bits;
	int page_shift;         /* from PAGESIZE: 12 (arm64: also 14, 16) */
	uint64_t page_size;
	bool arm64;             /* EM_AARCH64: its descriptors, from swapper_pg_dir */
	int va_actual;          /* arm64: 64 - TCR_EL1_T1SZ */
	bool lpa2;              /* arm64 4K/16K at 52 bits: PA[51:50] in descriptor bits 9:8 */
	bool pa52_64k;          /* arm64 64K, MAX_PHYSMEM_BITS 52: PA[51:48] in bits 15:12 */
	uint64_t text_va;       /* a PT_LOAD at or above this is the kernel image's */
	bool extreme;           /* CONFIG_SPARSEMEM_EXTREME: mem_section is a root array */
};

/* Map and check the ELF core, read its layout keys; err says why not. */
int dump_open(struct dump *d, const char *path, char *err, size_t errlen);
/* Unmap and free; safe after a failed dump_open(). */
void dump_close(struct dump *d);

/* A VMCOREINFO value as a number (base from its prefix), or VMCI_NOT_FOUND. */
long long vmci_num(const struct dump *d, const char *key);
/* A VMCOREINFO value in hex (SYMBOL(...)), or 0. */
uint64_t vmci_hex(const struct dump *d, const char *key);

static inline bool vmci_has(long long value)
{
	return value != VMCI_NOT_FOUND;
}

/* Whether a PT_LOAD is RAM (not the kernel image mapping). */
static inline bool dump_load_is_ram(const struct dump *d, const struct dump_load *l)
{
	return l->va < d->text_va;
}

/* Whether the 4 KiB page at this file offset is a hole (all zero, unwritten). */
bool dump_file_hole(const struct dump *d, uint64_t off);
/* len bytes at a physical address in one RAM PT_LOAD, or NULL. */
const uint8_t *dump_pa(const struct dump *d, uint64_t pa, uint64_t len);
/* Whether the RAM page at pa is a hole in the file (false: not RAM, or data). */
bool dump_pa_hole(const struct dump *d, uint64_t pa);
/* Walk the dump's page tables: 0 and *pa, or -1 when not mapped or not in the dump. */
int dump_vtop(const struct dump *d, uint64_t va, uint64_t *pa);
/* len bytes at a kernel virtual address within one page, or NULL. */
const uint8_t *dump_va(const struct dump *d, uint64_t va, uint64_t len);
/* Copy a kernel virtual range that may cross pages; false when unreadable. */
bool dump_read_va(const struct dump *d, uint64_t va, void *buf, size_t len);

/* ---- check-synth-kernel.c: the kernel's structures in the dump ---- */

/* Page flag numbers, page-type values and offsets from VMCOREINFO (or VMCI_NOT_FOUND). */
struct page_layout {
	long long pg_lru, pg_private, pg_swapcache, pg_swapbacked, pg_slab, pg_hwpoison;
	long long pg_hugetlb, head_mask, buddy, offline, slab_type, hugetlb_type, unaccepted;
	long long dtor_hugetlb;
	long long off_order, off_dtor;   /* in page[1] */
	long long off_compound;          /* compound_head, or 7.1's compound_info */
	long long free_area_len;
	bool compound_mask_ok;  /* 7.1+: a tail's compound_info may be a mask */
	bool top_byte;          /* page types in the top byte of mapcount (6.12) */
};

/* Where every section's struct pages are, and how to read them. */
struct classifier {
	const struct dump *d;
	struct page_layout ly;
	uint64_t *memmap;       /* per section: VA of the first struct page, or 0 */
	uint64_t nsect;
};

/* Read the page layout and walk mem_section; err says why not. */
int classifier_setup(struct classifier *c, const struct dump *d, char *err, size_t errlen);
void classifier_free(struct classifier *c);
/* The virtual address of a PFN's struct page, or 0 when its section has none. */
uint64_t struct_page_va(const struct classifier *c, uint64_t pfn);
/*
 * Classify every PFN below max_pfn from the dump alone, with the rule in
 * synth-vmcore.h: cls[pfn] is an enum synth_class, or CLASS_NOT_RAM.
 */
void classify_dump(const struct classifier *c, uint8_t *cls);

/*
 * The kernel log from the printk ring (5.10+) or log_buf (3.5 .. 5.9),
 * rendered like makedumpfile 1.7.2 --dump-dmesg. Malloc'd; NULL on failure.
 */
char *read_dmesg(const struct dump *d);

#endif
