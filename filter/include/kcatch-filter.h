/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libkcatch-filter: read a kernel crash dump, decide which pages matter,
 * and write a smaller dump that crash, drgn and makedumpfile can read.
 *
 * Conventions: functions return 0 (or a count) on success and a negative
 * errno on failure; the text of the last failure is kept in the context
 * (kcf_ctx_error()). The library never prints, never exits and has no
 * global state; every object belongs to the context it was created from.
 */
#ifndef KCATCH_FILTER_H
#define KCATCH_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct kcf_ctx;
struct kcf_vmcore;

/* Dump level bits, as makedumpfile's -d. */
enum {
	KCF_DL_ZERO = 1,           /* pages full of zeros */
	KCF_DL_CACHE = 2,          /* page cache without private data */
	KCF_DL_CACHE_PRIVATE = 4,  /* page cache with private data */
	KCF_DL_USER = 8,           /* anonymous and hugetlb pages */
	KCF_DL_FREE = 16,          /* free pages (buddy allocator) */
	KCF_DL_MAX = 31,
};

enum kcf_compress {
	KCF_COMPRESS_NONE = 0,
	KCF_COMPRESS_ZLIB,
	KCF_COMPRESS_LZO,
	KCF_COMPRESS_SNAPPY,
	KCF_COMPRESS_ZSTD,
};

enum kcf_format {
	KCF_FORMAT_KDUMP = 0,  /* kdump-compressed ("diskdump"), the default */
	KCF_FORMAT_ELF,        /* ELF64 core, like /proc/vmcore */
};

/* Why a page was left out of the dump (or kept). */
enum kcf_page_class {
	KCF_CLASS_KEPT = 0,        /* written to the dump */
	KCF_CLASS_ZERO,
	KCF_CLASS_CACHE,
	KCF_CLASS_CACHE_PRIVATE,
	KCF_CLASS_USER,
	KCF_CLASS_FREE,
	KCF_CLASS_HWPOISON,
	KCF_CLASS_OFFLINE,
	KCF_CLASS_ABSENT,          /* not in the input dump (excluded when it was made) */
	KCF_CLASS_MAX,
};

/*
 * What a kernel newer than this library can leave undecodable: each entry
 * stands for the VMCOREINFO lines one decision needs. When the dump lacks
 * them (a field renamed or gone) and the dump level needs the decision,
 * the pages it would have dropped are kept, never dropped, and counted.
 */
enum kcf_missing {
	KCF_MISSING_BUDDY = 0,     /* free pages: NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE) */
	KCF_MISSING_SLAB,          /* slab pages: NUMBER(PG_slab) or NUMBER(PAGE_SLAB_MAPCOUNT_VALUE) */
	KCF_MISSING_COMPOUND,      /* folios: OFFSET(page.compound_info) (or .compound_head), NUMBER(PG_head_mask) */
	KCF_MISSING_MAX,
};

struct kcf_stats {
	uint64_t max_mapnr;               /* highest PFN + 1 */
	uint64_t pages_in_memory;         /* PFNs inside PT_LOAD segments */
	uint64_t pages[KCF_CLASS_MAX];    /* per class; KEPT = pages in the dump */
	uint64_t pages_unsure;            /* kept because their struct page looked corrupt */
	uint64_t pages_no_memmap;         /* kept because no struct page describes them */
	unsigned missing;                 /* 1 << KCF_MISSING_*: lacking, and needed at this dump level */
	uint64_t pages_missing[KCF_MISSING_MAX];  /* kept because of that */
	uint64_t pages_lost;              /* not written because the output failed */
	uint64_t bytes_written;           /* size of the dump file */
	bool incomplete;                  /* the output was left with the incomplete flag */
};

/* Called now and then while writing; done/total in pages. */
typedef void (*kcf_progress_fn)(void *arg, uint64_t done, uint64_t total);
/* Messages at a level (3 error .. 7 debug) for the program to show or not. */
typedef void (*kcf_log_fn)(void *arg, int level, const char *msg);

struct kcf_dump_options {
	unsigned dump_level;              /* KCF_DL_* bits, 0..31 */
	enum kcf_compress compress;
	enum kcf_format format;
	bool flattened;                   /* write a makedumpfile -F stream (sequential fd) */
	unsigned num_threads;             /* threads compressing, the caller's included; 0 or 1: it alone */
	uint64_t cycle_pages;             /* PFNs classified per cycle; 0 = default */
	kcf_progress_fn progress;
	void *progress_arg;
};

int kcf_ctx_new(struct kcf_ctx **ret);
void kcf_ctx_free(struct kcf_ctx *ctx);
/* The message of the last failure, or "" when none. */
const char *kcf_ctx_error(const struct kcf_ctx *ctx);
void kcf_ctx_set_log(struct kcf_ctx *ctx, kcf_log_fn fn, void *arg);

/*
 * Open a crash dump: an ELF vmcore (a file or /proc/vmcore) or a
 * kdump-compressed file (to re-filter it or change its compression).
 */
int kcf_vmcore_open(struct kcf_ctx *ctx, const char *path, struct kcf_vmcore **ret);
void kcf_vmcore_close(struct kcf_vmcore *vm);
/* The value of a VMCOREINFO key ("OSRELEASE", "SYMBOL(prb)"), or NULL. */
const char *kcf_vmcore_info(const struct kcf_vmcore *vm, const char *key);
uint64_t kcf_vmcore_page_size(const struct kcf_vmcore *vm);
/* Bytes of RAM the crashed machine had in the dump (its RAM segments). */
uint64_t kcf_vmcore_ram_bytes(const struct kcf_vmcore *vm);

/* The crashed kernel's uname, read from its memory (init_uts_ns). */
struct kcf_utsname {
	char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};
/*
 * Fill uts; returns 0, or -ENODATA when the kernel's own copy could not
 * be read (then only sysname, release and machine are filled, from
 * VMCOREINFO, and nodename is "").
 */
int kcf_vmcore_utsname(const struct kcf_vmcore *vm, struct kcf_utsname *uts);
/* Highest PFN + 1 of the crashed machine's RAM. */
uint64_t kcf_vmcore_max_pfn(const struct kcf_vmcore *vm);
/* The VMCOREINFO text as found in the dump, and its length. */
const char *kcf_vmcore_info_text(const struct kcf_vmcore *vm, size_t *len);
/* The VMCOREINFO line(s) this dump lacks for decision m, e.g. "NUMBER(PG_head_mask)". */
const char *kcf_vmcore_missing(const struct kcf_vmcore *vm, enum kcf_missing m);

/*
 * Classify every page and write the dump to fd (a regular file, or any
 * sequential fd when opts->flattened). Open a file O_RDWR: the writer
 * then reads its own bitmap back instead of walking mem_map twice. On failure after pages were
 * written, the file carries the format's incomplete flag and
 * stats->incomplete is set; the caller decides whether to keep it.
 */
int kcf_dump(struct kcf_vmcore *vm, const struct kcf_dump_options *opts, int fd,
	     struct kcf_stats *stats);

/*
 * --split: one dump in nfds kdump files, each holding the pages of one
 * PFN range (about the same number of pages each). crash opens them
 * together; kcf_reassemble() joins them into the file kcf_dump writes.
 */
int kcf_dump_split(struct kcf_vmcore *vm, const struct kcf_dump_options *opts,
		   const int *fds, unsigned nfds, struct kcf_stats *stats);

/* Join the parts of a split dump (any order) into one kdump file on out. */
int kcf_reassemble(struct kcf_ctx *ctx, const char *const *paths, unsigned n, int out,
		   uint64_t *bytes);

/* Classify only: fill stats as kcf_dump would, write nothing. */
int kcf_dump_dry_run(struct kcf_vmcore *vm, const struct kcf_dump_options *opts,
		     struct kcf_stats *stats);

/*
 * Rebuild a dump from a flattened stream read from in (makedumpfile -R).
 * *bytes is the size of the result. A cut stream returns an error and
 * leaves a kdump file flagged incomplete.
 */
int kcf_flat_rearrange(struct kcf_ctx *ctx, int in, int out, uint64_t *bytes);

/* ---- the crashed kernel's log ---- */

struct kcf_log_record {
	uint64_t seq;
	uint64_t ts_nsec;
	const char *text;       /* not NUL-terminated; may hold any byte */
	size_t len;
	/* Who printed it, when the kernel records that (printk_info.caller_id,
	 * 5.10+; printk_log.caller_id, 5.1-5.9 with CONFIG_PRINTK_CALLER):
	 * bit 31 set, a CPU number (in NMI/IRQ context); clear, a task id. */
	bool has_caller_id;
	uint32_t caller_id;
};
/* Return a negative errno to stop the walk. */
typedef int (*kcf_log_record_fn)(void *arg, const struct kcf_log_record *rec);

enum {
	KCF_DMESG_PARTIAL = 1,  /* only what came after the last `dmesg -c` */
	/* kcf_dmesg_write: "[seconds.micros] [    T123] message", the caller id
	 * field makedumpfile 1.7.5 and later print when the kernel records it;
	 * without the flag, the form of makedumpfile 1.7.4 and earlier */
	KCF_DMESG_CALLER_ID = 2,
};

/* Call fn for every record of the kernel log, oldest first. */
int kcf_dmesg_foreach(struct kcf_vmcore *vm, unsigned flags, kcf_log_record_fn fn, void *arg);
/* Write the log as text, one "[seconds.micros] message" line per record, as makedumpfile does
 * (with KCF_DMESG_CALLER_ID, as makedumpfile 1.7.5+ does). */
int kcf_dmesg_write(struct kcf_vmcore *vm, unsigned flags, int fd);

const char *kcf_compress_name(enum kcf_compress c);
bool kcf_compress_available(enum kcf_compress c);
const char *kcf_class_name(enum kcf_page_class c);

#ifdef __cplusplus
}
#endif
#endif
