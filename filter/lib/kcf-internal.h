/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to libkcatch-filter. Layers, bottom up:
 *   opening a dump                           vmcore.c
 *   input (physical reads, per format)       phys.c, input-elf.c, input-kdump.c
 *   VMCOREINFO facts (struct kcf_layout)     vmcoreinfo.c
 *   address translation (arch ops)           arch.c, arch-*.c
 *   mem_map access and page classification   memmap.c, classify.c
 *   compressors (ops per method)             compress*.c
 *   output sinks and writers                 sink.c, write-kdump.c
 *   orchestration                            dump.c
 */
#ifndef KCF_INTERNAL_H
#define KCF_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "kcatch-filter.h"

#define KCF_EXPORT __attribute__((visibility("default")))
#define KCF_UNSET INT64_MIN
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define KCF_MIN(a, b) ((a) < (b) ? (a) : (b))
#define KCF_MAX(a, b) ((a) > (b) ? (a) : (b))
#define KCF_PRINTF(f, a) __attribute__((format(printf, f, a)))

struct kcf_ctx {
	char err[1024];
	kcf_log_fn log_fn;
	void *log_arg;
};

/* Record a failure; returns -abs(errnum) so callers can `return kcf_err(...)`. */
int kcf_err(struct kcf_ctx *ctx, int errnum, const char *fmt, ...) KCF_PRINTF(3, 4);
/* Prefix the message already kept (e.g. with a file name). */
int kcf_err_prefix(struct kcf_ctx *ctx, int errnum, const char *prefix);
void kcf_log(struct kcf_ctx *ctx, int level, const char *fmt, ...) KCF_PRINTF(3, 4);

/* Little-endian fields at any alignment, in bytes read from or written to dumps. */
static inline uint16_t kcf_get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t kcf_get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t kcf_get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline void kcf_put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void kcf_put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* ---- VMCOREINFO ---- */

/*
 * Every layout fact the filter uses, parsed once. Numbers that the
 * kernel did not export are KCF_UNSET: code must check before use,
 * because exports come and go between kernel versions.
 */
struct kcf_layout {
	char osrelease[65];
	int64_t page_size;
	int page_shift;
	int64_t crashtime;
	int64_t kerneloffset;
	int64_t phys_base;
	int64_t pgtable_l5;
	int64_t sme_mask;

	int64_t sym_init_top_pgt;
	int64_t sym_swapper_pg_dir;
	int64_t sym_mem_section;
	int64_t sym_init_uts_ns;
	int64_t off_uts_name;

	int64_t len_mem_section;
	int64_t size_mem_section;
	int64_t off_section_mem_map;
	int64_t section_size_bits;
	int64_t max_physmem_bits;

	int64_t size_page;
	int64_t off_flags;
	int64_t off_refcount;
	int64_t off_mapping;
	int64_t off_lru;
	int64_t off_mapcount;
	int64_t off_private;
	int64_t off_compound_head;   /* page.compound_head, page.compound_info from 7.1 */
	int64_t off_tail_word;       /* where bit 0 marks a tail: the above, else lru */
	int64_t off_compound_dtor;   /* struct page, in the first tail (< 6.3) */
	int64_t off_compound_order;
	int64_t off_folio_dtor;      /* struct folio (6.3 .. 6.5) */
	int64_t off_folio_order;

	int64_t pg_lru;
	int64_t pg_private;
	int64_t pg_swapcache;
	int64_t pg_swapbacked;
	int64_t pg_slab;             /* gone in 6.10: slab became a page type */
	int64_t pg_hwpoison;
	int64_t pg_head_mask;
	int64_t pg_hugetlb;          /* 6.6 .. 6.8, a flag of the first tail */
	int64_t hugetlb_dtor;        /* < 6.6 */

	int64_t buddy_value;         /* *_MAPCOUNT_VALUE */
	int64_t offline_value;
	int64_t slab_value;
	int64_t hugetlb_value;
	int64_t unaccepted_value;
	int64_t len_free_area;
};

struct kcf_vmcoreinfo {
	char *text;       /* NUL-terminated copy, as in the note */
	size_t len;
	char *lines;      /* the same with every '\n' turned into NUL, for lookups */
};

int kcf_vmcoreinfo_parse(struct kcf_ctx *ctx, const char *text, size_t len,
			 struct kcf_vmcoreinfo *vi, struct kcf_layout *lay);
void kcf_vmcoreinfo_free(struct kcf_vmcoreinfo *vi);
const char *kcf_vmcoreinfo_get(const struct kcf_vmcoreinfo *vi, const char *key);
/*
 * A number the library does not keep in struct kcf_layout (an arch's
 * own keys), decimal or 0x-hex, negative allowed: 0, -ENOENT when the
 * key is absent, -EINVAL when the value is garbled.
 */
int kcf_vmcoreinfo_number(const struct kcf_vmcoreinfo *vi, const char *key, uint64_t *val);

/* ---- input: physical memory of the crashed kernel ---- */

struct kcf_load {
	uint64_t paddr;
	uint64_t vaddr;
	uint64_t offset;   /* in the file */
	uint64_t filesz;
	uint64_t memsz;
};

/*
 * A window into the input file. mmap when possible (zero copy, and the
 * kernel drops the pages again when we unmap), else pread into a buffer.
 */
struct kcf_window {
	uint8_t *map;        /* mmap'd window or read buffer */
	uint64_t file_off;   /* file offset of map[0] */
	uint64_t len;        /* valid bytes */
	uint64_t cap;        /* size of the buffer / mapping */
	uint64_t hint;       /* read buffers: bytes the next refill should read (0: a whole window) */
	bool mapped;
};

enum { KCF_WIN_META, KCF_WIN_DATA, KCF_WIN_COUNT };

struct kcf_vmcore;

/* A dump format we can read. */
struct kcf_input_ops {
	const char *name;
	/*
	 * Fill loads (any order), notes, and the machine: elf_machine or
	 * utsname; the arch is chosen from it.
	 */
	int (*open)(struct kcf_vmcore *vm);
	/* Its loads carry no vaddrs: the arch tells where the direct map is. */
	bool no_vaddrs;
	void (*close)(struct kcf_vmcore *vm);
	/* Bytes at paddr, valid until the next call on the same window. */
	const void *(*map)(struct kcf_vmcore *vm, int win, uint64_t paddr, size_t len);
	/*
	 * Copy len bytes at paddr (inside one PT_LOAD) straight into buf
	 * (optional: else map + memcpy): one copy instead of two for big
	 * sequential reads such as mem_map. 1: not this range, read it
	 * page by page through map.
	 */
	int (*copy)(struct kcf_vmcore *vm, uint64_t paddr, void *buf, size_t len);
	/* The next map calls on win read about bytes in a row (optional). */
	void (*hint)(struct kcf_vmcore *vm, int win, uint64_t bytes);
	/* Whether pfn's data is in the input at all (NULL: always). */
	bool (*page_present)(struct kcf_vmcore *vm, uint64_t pfn);
};

extern const struct kcf_input_ops kcf_input_elf;
extern const struct kcf_input_ops kcf_input_kdump;

struct kcf_vmcore {
	struct kcf_ctx *ctx;
	const struct kcf_input_ops *in;
	void *in_state;
	bool utsname_from_input;     /* the input format carries utsname */
	bool utsname_from_memory;    /* utsname is the kernel's own, not a stand-in */
	unsigned elf_machine;        /* the input's e_machine; 0: utsname[4] names the machine */
	char *path;
	int fd;
	uint64_t file_size;
	bool can_mmap;

	struct kcf_load *loads;      /* RAM PT_LOADs sorted by paddr (text mapping set aside) */
	size_t nr_loads;
	struct kcf_load text_load;   /* the kernel image mapping, if the dump has one */
	bool has_text_load;
	uint64_t max_pfn;            /* highest PFN + 1 */
	uint64_t page_offset;        /* va - pa of the direct map (x86_64: its start) */
	uint64_t kdump_phys_base;    /* the kdump sub-header's phys_base, set by the arch's init */

	uint8_t *notes;              /* all PT_NOTE contents, concatenated */
	size_t notes_len;
	unsigned nr_cpus;            /* NT_PRSTATUS notes */
	size_t vi_note_off;          /* VMCOREINFO text inside notes */

	struct kcf_vmcoreinfo vi;
	struct kcf_layout lay;
	const struct kcf_arch_ops *arch;
	void *arch_state;

	struct kcf_window win[KCF_WIN_COUNT];
	char utsname[6][65];
};

/* Whole-buffer pread, through short reads and EINTR (context.c); -ENODATA at EOF. */
int kcf_pread_all(int fd, void *buf, size_t len, uint64_t off);
int kcf_parse_notes(struct kcf_vmcore *vm, const char **vi_text, size_t *vi_len);

/* Find the PT_LOAD holding paddr; NULL when paddr is not in the dump. */
static inline const struct kcf_load *kcf_load_find(const struct kcf_vmcore *vm, uint64_t paddr)
{
	size_t lo = 0, hi = vm->nr_loads;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct kcf_load *l = &vm->loads[mid];
		if (paddr < l->paddr)
			hi = mid;
		else if (paddr - l->paddr >= l->memsz)
			lo = mid + 1;
		else
			return l;
	}
	return NULL;
}

/* ---- physical memory (phys.c), virtual memory (arch.c) ---- */

/*
 * Pointer to len bytes of physical memory at paddr, valid until the next
 * call with the same window. len must not cross a page boundary of
 * page_size unless the whole range lies in one PT_LOAD. Returns NULL
 * (with an error in ctx) when the memory is not in the dump.
 */
const void *kcf_phys_map(struct kcf_vmcore *vm, int win, uint64_t paddr, size_t len);
/*
 * The caller is about to map `bytes` of consecutive pages on window win,
 * starting with its next map call: a read buffer refill reads that much
 * (capped at one window) instead of a whole aligned window.
 */
void kcf_phys_hint(struct kcf_vmcore *vm, int win, uint64_t bytes);
/* len bytes at paddr, all in one PT_LOAD, into buf; negative errno. */
int kcf_phys_copy(struct kcf_vmcore *vm, uint64_t paddr, void *buf, size_t len);
/* Whether kcf_phys_copy() reads long ranges straight into buf (else a page at a time through map). */
bool kcf_phys_copy_is_direct(const struct kcf_vmcore *vm);
/* Whether pfn's data is in the input at all (a kdump file holds only the pages it kept). */
bool kcf_phys_present(struct kcf_vmcore *vm, uint64_t pfn);
int kcf_phys_read(struct kcf_vmcore *vm, uint64_t paddr, void *buf, size_t len);
int kcf_virt_read(struct kcf_vmcore *vm, uint64_t vaddr, void *buf, size_t len);
int kcf_read_u64_virt(struct kcf_vmcore *vm, uint64_t vaddr, uint64_t *val);

/* ---- architecture ---- */

/*
 * One per architecture (arch-*.c), found in arch.c's table by the
 * machine the input names. Every fact about the architecture's address
 * space is behind these; nothing else knows where the kernel lives.
 */
struct kcf_arch_ops {
	const char *name;            /* utsname machine, e.g. "x86_64" */
	uint16_t elf_machine;        /* e_machine of its vmcores, e.g. EM_X86_64 */
	/* Once VMCOREINFO is parsed. fini also runs when init did not, or failed. */
	int (*init)(struct kcf_vmcore *vm);
	void (*fini)(struct kcf_vmcore *vm);
	/*
	 * Translate vaddr; *span is how many bytes from vaddr on are known
	 * to be physically contiguous (to the end of the mapping page).
	 */
	int (*vtop)(struct kcf_vmcore *vm, uint64_t vaddr, uint64_t *paddr, uint64_t *span);
	/*
	 * Could va point at a kernel object? The sanity check of pointers
	 * read from the dump (page->mapping, mem_section). After init.
	 */
	bool (*is_kernel_va)(const struct kcf_vmcore *vm, uint64_t va);
	/*
	 * Is this PT_LOAD the kernel image mapping (it repeats RAM that
	 * others cover)? After VMCOREINFO is parsed, before init.
	 */
	bool (*is_kernel_text)(const struct kcf_vmcore *vm, const struct kcf_load *ld);
	/* Start of the direct map when the input has no vaddrs (kdump files); 0: unknown. After init. */
	uint64_t (*direct_map_base)(struct kcf_vmcore *vm);
};

/* The architecture of a vmcore's e_machine / utsname machine; NULL: not supported. */
const struct kcf_arch_ops *kcf_arch_by_elf_machine(unsigned machine);
const struct kcf_arch_ops *kcf_arch_by_name(const char *uts_machine);
/* "x86_64, aarch64": the machines the table knows, for messages. */
void kcf_arch_names(char *buf, size_t len);

/*
 * Recently used translations, for an arch's vtop: mem_map walks hit the
 * same few large pages, so a page-table walk is done once per mapping.
 */
#define KCF_TLB_SIZE 16
struct kcf_tlb {
	struct {
		uint64_t va;      /* aligned to size */
		uint64_t pa;
		uint64_t size;    /* 0 = empty */
	} e[KCF_TLB_SIZE];
	unsigned next;
};
/* va through the cache, else through walk (the arch's page-table walk:
 * the physical base and size of the mapping that holds va), cached. */
int kcf_tlb_vtop(struct kcf_vmcore *vm, struct kcf_tlb *t, uint64_t va, uint64_t *pa, uint64_t *span,
		 int (*walk)(struct kcf_vmcore *vm, uint64_t va, uint64_t *base, uint64_t *size));

static inline bool kcf_is_kernel_va(const struct kcf_vmcore *vm, uint64_t va)
{
	return vm->arch->is_kernel_va(vm, va);
}

/* ---- mem_map ---- */

struct kcf_memmap;
int kcf_memmap_new(struct kcf_vmcore *vm, struct kcf_memmap **ret);
void kcf_memmap_free(struct kcf_memmap *mm);
/*
 * Read the struct pages of [pfn, pfn + n) into buf (n * SIZE(page)
 * bytes). Returns the number of PFNs read (>= 1), 0 when the first PFN
 * has no readable struct page (then *skip says how many PFNs share that
 * fate), or -errno.
 */
/* Virtual address of pfn's struct page. */
int kcf_memmap_page_va(struct kcf_memmap *mm, uint64_t pfn, uint64_t *va);
long kcf_memmap_read(struct kcf_memmap *mm, uint64_t pfn, uint64_t n, void *buf,
		     uint64_t *skip);

/* ---- classification ---- */

/*
 * The result of classifying a cycle of PFNs: one class per PFN, kept
 * in a byte array of fixed size (the cycle), so memory does not depend
 * on the size of the crashed machine.
 */
struct kcf_cycle {
	uint64_t start_pfn;
	uint64_t end_pfn;
	uint8_t *cls;                /* enum kcf_page_class per PFN, KEPT by default */
	/* a free block or compound page that runs past end_pfn */
	uint64_t carry_end;
	uint8_t carry_cls;
};

/* PFNs per cycle: the option rounded to whole bitmap bytes, or 4 GiB of 4 KiB pages. */
static inline uint64_t kcf_cycle_pages(const struct kcf_dump_options *o)
{
	return o->cycle_pages ? (o->cycle_pages + 7) & ~7ULL : 1ULL << 20;
}

struct kcf_classifier;
int kcf_classifier_new(struct kcf_vmcore *vm, unsigned dump_level, uint64_t cycle_pages,
		       struct kcf_classifier **ret);
void kcf_classifier_free(struct kcf_classifier *cl);
/* Classify [start, end): fills cl->cycle; adds per-class counts to stats. */
int kcf_classify_cycle(struct kcf_classifier *cl, uint64_t start, uint64_t end,
		       struct kcf_stats *stats, const struct kcf_cycle **ret);
/* After pass 1: say once what a missing VMCOREINFO field made us keep. */
void kcf_classify_report(struct kcf_vmcore *vm, const struct kcf_stats *st);

/* ---- the classify pass (pass.c): what every output does first ---- */

struct kcf_pass {
	struct kcf_vmcore *vm;
	struct kcf_classifier *cl;
	struct kcf_stats *stats;
	unsigned dump_level;
	uint64_t cycle_pages;
	uint64_t next, last;         /* the walk kcf_pass_begin() started */
	bool count;
};

/* PFNs per cycle for these options: kcf_cycle_pages(), no longer than the dump needs. */
uint64_t kcf_pass_cycle_pages(const struct kcf_vmcore *vm, const struct kcf_dump_options *o);
/* Counts go to stats; kcf_pass_fini() is safe after a failure too. */
int kcf_pass_init(struct kcf_pass *p, struct kcf_vmcore *vm, const struct kcf_dump_options *o,
		  struct kcf_stats *stats);
void kcf_pass_fini(struct kcf_pass *p);
/*
 * Walk PFNs [first, last) a cycle at a time, adding to the counts when
 * count (the first pass does, over [0, max_pfn)):
 *
 *	kcf_pass_begin(p, first, last, count);
 *	while ((r = kcf_pass_next(p, &c)) == 0)
 *		use c, valid until the next call;
 *	r: 1 at the end, or -errno
 */
void kcf_pass_begin(struct kcf_pass *p, uint64_t first, uint64_t last, bool count);
int kcf_pass_next(struct kcf_pass *p, const struct kcf_cycle **c);
/* After the first pass: refuse to "filter" when no struct page was readable. */
int kcf_pass_check(struct kcf_pass *p);

/* ---- compression ---- */

struct kcf_compressor_ops {
	enum kcf_compress method;
	const char *name;
	uint32_t flag;      /* diskdump flag bit */
	int (*init)(void **state, size_t page_size);
	void (*fini)(void *state);
	/* Returns compressed size (<= out_cap) or 0 if it did not fit. */
	size_t (*compress)(void *state, const void *in, size_t in_len, void *out, size_t out_cap);
	/* Returns 0 when in decompresses to exactly out_len bytes. */
	int (*decompress)(const void *in, size_t in_len, void *out, size_t out_len);
};

/* The compressor whose diskdump flag bit is flag, or NULL. */
const struct kcf_compressor_ops *kcf_compressor_by_flag(uint32_t flag);

const struct kcf_compressor_ops *kcf_compressor_get(enum kcf_compress c);

/* ---- compression pipeline (--num-threads) ---- */

struct kcf_page_result {
	uint64_t pfn;
	bool zero;             /* all zeros (only when the zero check is on) */
	const uint8_t *data;   /* what to write: compressed, or the page itself */
	uint32_t size;
	uint32_t flags;        /* compression flag, 0 = raw */
};

/*
 * Where a batch's data is to be written by the pipeline's threads: its
 * non-zero pages (data, size), back to back from off in sink.
 */
struct kcf_deferred_write {
	struct kcf_sink *sink;
	uint64_t off;
};

/*
 * Receives finished pages in the order they were added. With dw (a
 * pipeline), it may leave the data to write to the threads by setting
 * dw->sink and dw->off instead of writing it; without, it writes.
 */
typedef int (*kcf_pipeline_emit_fn)(void *arg, const struct kcf_page_result *res, unsigned n,
				    struct kcf_deferred_write *dw);

/*
 * Zero check and compression of one page, the same step whatever the
 * thread count: out receives compressed data; res says what to write.
 */
void kcf_process_page(const struct kcf_compressor_ops *comp, void *state, size_t page_size,
		      bool zero_check, const uint8_t *in, uint8_t *out, struct kcf_page_result *res);

struct kcf_pipeline;
/*
 * threads (at least 2) compress in all: threads - 1 workers, and the
 * caller whenever it would otherwise wait, with caller_state (its own
 * context of comp; required when comp is set).
 */
int kcf_pipeline_new(const struct kcf_compressor_ops *comp, void *caller_state, size_t page_size,
		     unsigned threads, bool zero_check, kcf_pipeline_emit_fn emit, void *arg,
		     struct kcf_pipeline **ret);
void kcf_pipeline_free(struct kcf_pipeline *pl);
/* Where to copy pfn's page; then call kcf_pipeline_commit(). */
uint8_t *kcf_pipeline_page(struct kcf_pipeline *pl, uint64_t pfn, int *err);
int kcf_pipeline_commit(struct kcf_pipeline *pl);
/*
 * Slots for up to want consecutive PFNs from pfn (*got of them: the rest
 * of the batch being filled), to be read into directly, then committed.
 */
uint8_t *kcf_pipeline_pages(struct kcf_pipeline *pl, uint64_t pfn, uint64_t want, unsigned *got, int *err);
int kcf_pipeline_commit_n(struct kcf_pipeline *pl, unsigned n);
/* Compress what is left, emit everything and wait for its writes. */
int kcf_pipeline_finish(struct kcf_pipeline *pl);
/*
 * Wait for (and help with) the deferred writes of every batch handed
 * back so far; the first write error, reported in the context. Safe to
 * call from the emit function.
 */
int kcf_pipeline_drain(struct kcf_pipeline *pl);

/* ---- output ---- */

/*
 * Where the dump goes: positioned writes to a file, or a makedumpfile
 * flattened stream of {offset, size} records on a sequential fd.
 */
struct kcf_sink {
	struct kcf_ctx *ctx;
	int fd;
	bool flattened;
	uint8_t *buf;         /* coalesces appends to the data area */
	size_t buf_len, buf_cap;
	uint64_t buf_off;     /* file offset of buf[0] */
	uint64_t size;        /* highest offset written + 1 */
	uint64_t good_end;    /* lowest offset of a failed write, UINT64_MAX if none */
};

int kcf_sink_init(struct kcf_sink *s, struct kcf_ctx *ctx, int fd, bool flattened);
int kcf_sink_pwrite(struct kcf_sink *s, const void *data, size_t len, uint64_t off);
/* Buffered write at off; consecutive calls should be contiguous. */
int kcf_sink_append(struct kcf_sink *s, const void *data, size_t len, uint64_t off);
int kcf_sink_flush(struct kcf_sink *s);
/*
 * Positioned write of iov (consumed) to a regular file, safe beside the
 * caller's writes from another thread. Negative errno and no message:
 * report it from the caller's thread with kcf_sink_fail().
 */
struct iovec;
int kcf_sink_pwritev(struct kcf_sink *s, struct iovec *iov, int iovcnt, uint64_t off);
/* Set the error message for write error r at off; returns r. */
int kcf_sink_fail(struct kcf_sink *s, int r, uint64_t off);
/* Everything below this offset that was written got there: salvage keeps it. */
uint64_t kcf_sink_good_end(const struct kcf_sink *s);
int kcf_sink_finish(struct kcf_sink *s);   /* flush, end marker, fsync */
/* fdatasync a regular file (not a stream); an error message when it fails. */
int kcf_sink_sync(struct kcf_sink *s);
/* The same, negative errno and no message (keeps the message of an earlier failure). */
int kcf_sink_sync_quiet(struct kcf_sink *s);
/* Allocate [off, off + len) of a regular file ahead: -ENOSPC when it cannot be, else 0. */
int kcf_sink_reserve(struct kcf_sink *s, uint64_t off, uint64_t len);
/* Read back what a regular file holds at off; negative errno (a stream: -ESPIPE). */
int kcf_sink_read_back(struct kcf_sink *s, void *buf, size_t len, uint64_t off);
/* Whole-buffer pwrite, through short writes and EINTR: every write of the output side. */
int kcf_pwrite_all(int fd, const void *buf, size_t len, uint64_t off);
void kcf_sink_fini(struct kcf_sink *s);

int kcf_write_elf(struct kcf_vmcore *vm, const struct kcf_dump_options *opts,
		  struct kcf_sink *sink, struct kcf_stats *stats);
/* One sink: a normal dump; several: a split dump, one part per sink. */
int kcf_write_kdump(struct kcf_vmcore *vm, const struct kcf_dump_options *opts,
		    struct kcf_sink *sinks, unsigned nsinks, struct kcf_stats *stats);

/* Format one record as makedumpfile prints it (flags: KCF_DMESG_CALLER_ID), in pieces passed to
 * put; stops at put's first negative return, which it returns. */
typedef int (*kcf_put_fn)(void *arg, const char *s, size_t n);
int kcf_format_record(const struct kcf_log_record *rec, unsigned flags, kcf_put_fn put, void *arg);

/*
 * Zero check at memory speed, 64 bytes per step. Pages may sit at any
 * alignment (an ELF input's segments need not start on 8 bytes), so
 * words are loaded with memcpy, which compiles to plain unaligned loads.
 */
static inline bool kcf_is_zero_page(const void *p, size_t len)
{
	const unsigned char *b = p;
	for (size_t i = 0; i + 64 <= len; i += 64) {
		uint64_t w[8];
		memcpy(w, b + i, sizeof(w));
		if (w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7])
			return false;
	}
	return true;
}

#endif
