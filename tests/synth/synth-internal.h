/* SPDX-License-Identifier: GPL-2.0-or-later */
/* synth: private definitions shared by the generator's files. */
#ifndef SYNTH_INTERNAL_H
#define SYNTH_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "synth-vmcore.h"

/*
 * The page size is the spec's (arm64: 4K, 16K or 64K; x86_64: 4K): these
 * need a `s` (struct synth *) in scope. A table holds PAGE_SIZE / 8
 * entries, so each level resolves PAGE_SHIFT - 3 bits; PMD_SHIFT and
 * PUD_SHIFT are the block sizes one and two levels up (4K: 2M and 1G;
 * 16K: 32M and 64G; 64K: 512M and 4T).
 */
#define PAGE_SHIFT (s->page_shift)
#define PAGE_SIZE (1ull << PAGE_SHIFT)
#define LEVEL_BITS (PAGE_SHIFT - 3)
#define PMD_SHIFT (PAGE_SHIFT + LEVEL_BITS)
#define PUD_SHIFT (PAGE_SHIFT + 2 * LEVEL_BITS)
#define SYNTH_MIN(a, b) ((a) < (b) ? (a) : (b))
#define START_KERNEL_MAP 0xffffffff80000000ull
#define KERNEL_TEXT_BASE 0xffffffff81000000ull  /* _stext without KASLR */
/* arm64 (6.6+): the image sits 2 GiB (MODULES_VSIZE) above PAGE_END */
#define ARM64_PAGE_END(va_bits) (-(1ull << (((va_bits) > 48 ? 48 : (va_bits)) - 1)))
#define ARM64_KIMAGE_VADDR(va_bits) (ARM64_PAGE_END(va_bits) + (2ull << 30))
/*
 * 6.12's VMEMMAP_START: VMEMMAP_END (-1 GiB) less struct pages for the
 * linear map [-(1 << VA_BITS), PAGE_END), one 64-byte struct page per
 * page (a real 6.12 52-bit 4K kernel says NUMBER(VMEMMAP_START)=
 * 0xffffc1ffc0000000)
 */
#define ARM64_VMEMMAP_END (-(1ull << 30))
#define ARM64_VMEMMAP_START(va_bits, page_shift) \
	(ARM64_VMEMMAP_END - ((ARM64_PAGE_END(va_bits) + (1ull << (va_bits))) >> ((page_shift) - 6)))
#define STRUCT_PAGE_SIZE 64u
#define MEM_SECTION_SIZE 16u
#define SECTIONS_PER_ROOT (PAGE_SIZE / MEM_SECTION_SIZE)
#define TAIL_MAPPING 0xdead000000000400ull
#define MAX_RAM_RANGES 16
#define SYNTH_MAX_RAM_PAGES (1ull << 24)   /* 64 GiB */
#define MAX_ORDER_FREE 10      /* LENGTH(zone.free_area) - 1 */

/* What the generator put in a page. */
enum synth_kind {
	K_NONE = 0,        /* not claimed yet */
	K_IMAGE_TEXT,      /* kernel image: text (PG_reserved) */
	K_IMAGE_DATA,      /* kernel image: data, holds kernel structures */
	K_IMAGE_BSS,       /* kernel image: bss, all zero */
	K_MEMBLOCK,        /* early allocation: page tables, mem_map, mem_section */
	K_KERNEL,          /* allocated kernel page, pattern content */
	K_RANDOM,          /* kernel page, random bytes (compresses poorly) */
	K_TEXT,            /* kernel page, repetitive text (compresses well) */
	K_ZERO,            /* kernel page, all zero */
	K_PGTABLE,         /* page-table page, carries the "table" page type */
	K_SLAB,
	K_MOVABLE,         /* mapping | 2, not on the LRU: kernel */
	K_CACHE,
	K_CACHE_PRIVATE,
	K_SHMEM,
	K_ANON,
	K_ANON_SWAPCACHE,
	K_KSM,             /* mapping | 3 */
	K_HUGETLB,
	K_FREE,
	K_OFFLINE,
	K_HWPOISON,
	K_UNACCEPTED,      /* 6.16: a MAX_ORDER block on zone.unaccepted_pages, reads as zeros */
	K_BAD_BUDDY,       /* corrupt: buddy head with order >= 11 */
	K_BAD_TAIL,        /* corrupt: tail whose compound_head is outside mem_map */
	K_BAD_ORDER,       /* corrupt: compound head with a garbage order (+ its tail) */
	K_MAX
};

enum synth_role { R_SINGLE = 0, R_HEAD, R_TAIL, R_FREE_TAIL };

struct pinfo {
	uint8_t kind;
	uint8_t role;
	uint8_t order;     /* order of the block the page belongs to */
	uint8_t cls;       /* enum synth_class, filled at the end */
	uint8_t content;   /* enum synth_content */
};

/* Where a page's bytes come from: the RAM image, or generated on demand. */
enum synth_content { C_MEM = 0, C_PATTERN, C_RANDOM, C_TEXT };

struct ram_range {
	uint64_t start, end;      /* PFNs, [start, end) */
	uint64_t index;           /* first page's index into mem / pinfo */
	uint64_t mb_top;          /* memblock: [mb_top, end) is all claimed */
};

struct placement {
	uint64_t first, last;     /* PFNs, inclusive */
	int kind;
	int order;
	uint64_t arg;             /* garbage order, buddy order... */
	int line;
};

enum memmap_state { MM_OK = 0, MM_NONE, MM_UNMAPPED, MM_OUTSIDE };

struct section {
	bool present;
	uint8_t memmap;           /* enum memmap_state */
	bool flags_set;           /* flags given by the spec */
	uint64_t flags;
	uint64_t memmap_va;       /* VA of the section's first struct page */
	uint64_t memmap_pa;       /* non-vmemmap: PA of the mem_map */
	uint64_t usage_va;
};

/* vmemmap backing records: [va, va+len) -> pa. */
struct backing {
	uint64_t va, pa, len;
};

struct vi_edit {
	char *key;
	char *value;              /* NULL: omit the key */
};

struct synth_msg {
	char *text;
	size_t len;
	uint64_t ts;              /* ns; 0: after the previous one */
};

/* Where a large folio keeps its order (and hugetlb its dtor). */
enum era_order {
	ORD_PAGE,                 /* page[1].compound_order/_dtor, OFFSET(page.*) (< 6.3) */
	ORD_FOLIO,                /* folio._folio_order/_dtor, OFFSET(folio.*) (6.3 .. 6.5) */
	ORD_FLAGS,                /* low byte of page[1].flags (6.6+) */
};
/* What the first tail page holds besides flags, compound_head and the order. */
enum era_tail1 { T1_510, T1_61, T1_63, T1_66, T1_612, T1_615 };

/* One kernel era (synth-eras.c says where each fact comes from). */
struct era {
	const char *name;         /* as a spec names it: 5.10, 6.1 .. 7.1 */
	const char *osrelease;
	int pg_lru, pg_private, pg_swapcache, pg_swapbacked, pg_slab, pg_hwpoison;
	int pg_head, pg_reserved, pg_uptodate, pg_referenced, pg_dirty, pg_active;
	int pg_workingset;
	int pg_hugetlb;           /* 6.6 .. 6.8: hugetlb is this flag of page[1]; else -1 */
	bool top_byte_types;      /* 6.12: page types in the top byte of page_type */
	/* page types as exported (an exact _mapcount before 6.12); 0: not a type */
	int32_t buddy, offline, table, hugetlb, slab, unaccepted;
	uint8_t order_in;         /* enum era_order */
	uint8_t tail1;            /* enum era_tail1 */
	bool slab_cache_first;    /* 6.2+: struct slab's slab_cache overlays page.lru.next */
	bool compound_info;       /* 7.1+: page.compound_info, a tail may hold a mask */
	bool vi_vmap_area_list;   /* SYMBOL(vmap_area_list) (< 6.9), else NUMBER(VMALLOC_START) */
	bool vi_vmemmap;          /* SYMBOL(vmemmap) with SPARSEMEM_VMEMMAP */
	bool vi_unaccepted;       /* NUMBER(PAGE_UNACCEPTED_MAPCOUNT_VALUE) */
	int size_pglist_data, off_zone_spanned;
};

struct synth {
	char err[512];
	bool built;

	/* ---- spec ---- */
	int era;                  /* row in synth-eras.c's table */
	char era_name[8];         /* as the spec said it (old, new, 6.3...) */
	bool vi_unaccepted;       /* export NUMBER(PAGE_UNACCEPTED_MAPCOUNT_VALUE) */
	int compound_mask;        /* 7.1: tails hold a mask (1) or head | 1 (0); -1 default */
	int levels;               /* 4 or 5 (arm64: 3 to 5, from va_actual and the page size) */
	int page_shift;           /* 12 (arm64: also 14 or 16) */
	int max_order;            /* MAX_PAGE_ORDER: LENGTH(zone.free_area) - 1 */
	bool arm64;               /* arch arm64: its descriptors, layout, VMCOREINFO, e_machine */
	int va_bits, va_actual;   /* arm64: NUMBER(VA_BITS), and 64 - TCR_EL1_T1SZ */
	bool lpa2;                /* arm64 4K/16K with 52-bit VA: PA[51:50] in descriptor bits 9:8 */
	bool pa52_64k;            /* arm64 64K, 52-bit PA: PA[51:48] in descriptor bits 15:12 */
	bool vmemmap, extreme;
	int section_bits, max_physmem_bits;
	struct ram_range ram[MAX_RAM_RANGES];
	int nram;
	int cpus;
	uint64_t kaslr, kernel_pa, kernel_size;
	uint64_t page_offset, vmemmap_base;
	bool page_offset_set, vmemmap_base_set;
	int directmap_level;      /* largest direct map page: 0 page, 1 PMD block, 2 PUD block */
	int vmemmap_map;          /* 0 4k, 1 2m, 2 mix */
	uint64_t crashtime, seed;
	char osrelease[65], hostname[65];
	int uts_offset;
	bool type_junk;           /* new era: junk in page_type low 24 bits */
	int fill_kind;            /* -1: random mix */
	uint64_t mixed_stride, mixed_len;  /* pages: where fill_kind gives way to the mix */
	unsigned mix[K_MAX];
	struct placement *pl;
	size_t npl, apl;
	struct { uint64_t nr; int state; } *mmcor;   /* memmap corruption */
	size_t nmmcor;
	struct { uint64_t nr, flags; } *secflags;
	size_t nsecflags;
	struct vi_edit *edits;
	size_t nedits;
	int cur_line;             /* for messages */
	struct synth_msg *msg;    /* kernel log records */
	size_t nmsg, amsg;
	unsigned dmesg_fill;      /* generated records so far */
	int dmesg_count_bits, dmesg_size_bits;
	int dmesg_format;         /* 0 lockless ring (5.10+), 1 log_buf of printk_log (3.5-5.9) */
	bool dmesg_caller;        /* logbuf: CONFIG_PRINTK_CALLER (5.1-5.9), records carry caller_id */

	/* ---- built ---- */
	const struct era *e;
	uint64_t ram_pages, max_pfn;
	uint8_t *mem;             /* ram_pages * PAGE_SIZE */
	struct pinfo *pi;
	uint64_t phys_base;
	uint64_t text_base;       /* _stext: the kernel image's virtual address */
	uint64_t phys_offset;     /* arm64: NUMBER(PHYS_OFFSET), memstart_addr */
	uint64_t pgd_pa;
	uint64_t pps;             /* pages per section */
	uint64_t nsect;           /* sections up to max_pfn */
	uint64_t nr_mem_sections, nr_roots;
	struct section *sect;
	uint64_t mem_section_sym;
	struct backing *bk;
	size_t nbk, abk;
	uint64_t data_pa, data_next, data_end;  /* kernel data bump allocator */
	uint64_t sym_uts, sym_node_online_map, sym_vmap_area_list;
	uint64_t objs_va;         /* fake kernel objects (address_space, anon_vma...) */
	uint64_t sym_prb, sym_printk_rb_static, sym_clear_seq;
	/* dmesg_format logbuf: the variables, and the ring's final state (for -v) */
	uint64_t sym_log_buf, sym_log_buf_len, sym_log_first_idx, sym_log_next_idx, sym_clear_idx;
	uint32_t logbuf_len, logbuf_first, logbuf_next;
	unsigned logbuf_wraps;
	bool logbuf_first_marker; /* log_first_idx rests on a wrap marker */
	char *dmesg_text;         /* what a dmesg extractor prints */
	size_t dmesg_len, dmesg_records;
	char *dmesg_caller_text;  /* the same with caller ids, as makedumpfile 1.7.5+ */
	size_t dmesg_caller_len;
	uint64_t counts[SYNTH_CLASS_MAX];
	uint64_t zero_free;       /* free pages that read as zeros (unaccepted memory) */
	char *vi;                 /* VMCOREINFO text */
	size_t vi_len;
	unsigned char *notes;
	size_t notes_len;
};

/* synth-vmcore.c */
int synth_fail(struct synth *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
uint64_t synth_hash(uint64_t seed, uint64_t a, uint64_t b);
int64_t synth_pfn_index(const struct synth *s, uint64_t pfn);
uint8_t *synth_pa_ptr(const struct synth *s, uint64_t pa, uint64_t len);
const char *synth_kind_name(int kind);
/* The bytes of a RAM page: a pointer into the image or into scratch. */
const uint8_t *synth_page_bytes(const struct synth *s, uint64_t pfn, uint8_t *scratch);
int synth_write64(struct synth *s, uint64_t pa, uint64_t v);
int synth_write_bytes(struct synth *s, uint64_t pa, const void *buf, size_t len);

/* synth-eras.c */
/* The row of an era name or alias, and whether it exports the unaccepted type. */
int synth_era_find(const char *name, int *row, bool *unaccepted_key);
const struct era *synth_era(int row);
void synth_era_names(char *buf, size_t len);

/* synth-layout.c */
bool synth_run_free(const struct synth *s, uint64_t pfn, uint64_t n);
/* Mark n pages from pfn as the generator's own (kind K_IMAGE_* or K_MEMBLOCK). */
void synth_claim(struct synth *s, uint64_t pfn, uint64_t n, int kind);
/* memblock: the highest free n pages aligned to align pages, claimed. */
int synth_mb_alloc_or_fail(struct synth *s, uint64_t n, uint64_t align, const char *what,
			   uint64_t *pa);
int synth_data_alloc(struct synth *s, uint64_t size, uint64_t align, uint64_t *pa);
int synth_build_layout(struct synth *s);

/* synth-dmesg.c */
int synth_dmesg_add(struct synth *s, const char *text);
int synth_dmesg_fill(struct synth *s, unsigned n);
int synth_build_dmesg(struct synth *s);

/* synth-pages.c */
int synth_apply_placements(struct synth *s);
void synth_fill_rest(struct synth *s);
void synth_place_block(struct synth *s, uint64_t pfn, int kind, int order);
bool synth_has_struct_page(const struct synth *s, uint64_t pfn);
int synth_write_struct_pages(struct synth *s);
void synth_set_contents(struct synth *s);

/* synth-classes.c */
int synth_classify(struct synth *s);
int synth_kind_from_name(const char *name);

/* synth-write.c */
int synth_make_vmcoreinfo(struct synth *s);
int synth_make_notes(struct synth *s);
bool synth_vi_omitted(const struct synth *s, const char *key);

/* small helpers */

static inline struct pinfo *pinfo_of(const struct synth *s, uint64_t pfn)
{
	int64_t i = synth_pfn_index(s, pfn);

	return i < 0 ? NULL : &s->pi[i];
}
static inline void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}
static inline void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}
static inline uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}
static inline uint64_t kva(const struct synth *s, uint64_t pa)
{
	return s->text_base + (pa - s->kernel_pa);
}
/* page_offset is va - pa of the direct map (x86_64: its start; arm64: PAGE_OFFSET - PHYS_OFFSET). */
static inline uint64_t dva(const struct synth *s, uint64_t pa)
{
	return s->page_offset + pa;
}

#endif
