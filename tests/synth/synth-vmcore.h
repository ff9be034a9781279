/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * synth: build a synthetic x86_64 ELF vmcore that looks like Linux's
 * /proc/vmcore (page tables, SPARSEMEM mem_map, struct pages, VMCOREINFO,
 * NT_PRSTATUS notes), from a small text spec, together with the class the
 * generator meant for every page of RAM. Unit tests use it to run the
 * filter in milliseconds without QEMU.
 *
 * Usage:
 *	struct synth *s;
 *	synth_new(&s);
 *	synth_spec_line(s, "era 6.16");         (or synth_spec_file(s, path))
 *	synth_spec_line(s, "ram 1M-64M");
 *	synth_build(s);
 *	synth_write_vmcore(s, "x.vmcore");
 *	synth_write_expect(s, "x.expect");
 *	synth_free(s);
 * The spec grammar is documented at the top of mkvmcore.c.
 *
 * Conventions: 0 or a count on success, negative errno on failure with a
 * message kept in the object (synth_error()). No globals, no printing.
 *
 * EXPECTATION RULE (what tests must check): every PFN inside RAM has one
 * class. A page is excluded at dump level L iff
 *	(zero && L&1) || (cache && L&(2|4)) || (cache_private && L&4) ||
 *	(user && L&8) || (free && L&16) || hwpoison || offline;
 * kernel and unsure pages are always kept. Pages of a compound page or of a
 * buddy block carry the class of their head, except corrupt ones, which
 * are "unsure" (a careful filter keeps them). "zero" means an in-use page
 * whose bytes are all zero; no page of another excludable class is ever
 * all zero, so the zero test cannot change the expected outcome, except
 * unaccepted memory (6.16+): free, and read as zeros, so -d 1 without 16
 * drops it as zero (synth_expected_excluded() counts it). A page the
 * filter cannot classify because VMCOREINFO lacks a key it needs (a
 * kernel from the future) is "kernel" or "unsure": kept. Pages
 * whose struct page cannot be read (no mem_map, vmemmap not mapped or not
 * in the dump) are "unsure", or "zero" when their bytes are all zero.
 * synth_class_excluded() implements the rule.
 *
 * Expectation file (text): lines starting with '#' are comments (the
 * generator writes the spec summary, the per-class counts and the
 * expected excluded count for each dump level 0..31 there); every other
 * line is "FIRST[-LAST] CLASS", PFNs in hex with 0x, LAST inclusive,
 * ascending, covering exactly the PFNs of RAM.
 */
#ifndef SYNTH_VMCORE_H
#define SYNTH_VMCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SYNTH_PAGE_SIZE 4096u        /* x86_64's, and arm64's default */
#define SYNTH_MAX_PAGE_SIZE 65536u   /* arm64 page_size 64k: synth_page_size() */

enum synth_class {
	SYNTH_KERNEL = 0,
	SYNTH_ZERO,
	SYNTH_CACHE,
	SYNTH_CACHE_PRIVATE,
	SYNTH_USER,
	SYNTH_FREE,
	SYNTH_HWPOISON,
	SYNTH_OFFLINE,
	SYNTH_UNSURE,
	SYNTH_CLASS_MAX,
};

struct synth;

int synth_new(struct synth **ret);
void synth_free(struct synth *s);
/* The message of the last failure, or "". */
const char *synth_error(const struct synth *s);

/* Apply one spec line (comments and blank lines are accepted). */
int synth_spec_line(struct synth *s, const char *line);
/* Apply several lines separated by '\n' (a spec inline in a test). */
int synth_spec_text(struct synth *s, const char *text);
/* Apply a whole spec file; errors name the file and line. */
int synth_spec_file(struct synth *s, const char *path);

/* Lay out memory and build everything; the spec is frozen afterwards. */
int synth_build(struct synth *s);

/* Write the ELF vmcore (sparse: all-zero pages are holes). */
int synth_write_vmcore(struct synth *s, const char *path);
int synth_write_vmcore_fd(struct synth *s, int fd);
/* Write the expectation file. */
int synth_write_expect(struct synth *s, const char *path);

/*
 * Write the kernel log as a dmesg extractor must print it from the printk
 * ring in the dump (makedumpfile 1.7.2 --dump-dmesg format, no caller ids).
 */
int synth_write_dmesg(struct synth *s, const char *path);
/*
 * The same in the form of makedumpfile 1.7.5 and later: "[%5llu.%06lu] "
 * then "[%8s] " of T<pid> or C<cpu>, for records that carry a caller id
 * (the lockless ring always; logbuf with dmesg_caller yes); a line break
 * repeats the whole prefix's width in spaces.
 */
int synth_write_dmesg_caller(struct synth *s, const char *path);
const char *synth_dmesg_caller(const struct synth *s, size_t *len);

/* ---- queries, valid after synth_build() ---- */

/* Highest RAM PFN + 1. */
uint64_t synth_max_pfn(const struct synth *s);
/* Number of PFNs inside RAM (what the PT_LOADs for RAM cover). */
uint64_t synth_ram_pages(const struct synth *s);
/* Class of a PFN, or -1 when the PFN is not RAM. */
int synth_class(const struct synth *s, uint64_t pfn);
/* The spec's page size (PAGESIZE in VMCOREINFO): 4096, 16384 or 65536. */
unsigned synth_page_size(const struct synth *s);
/* Copy the synth_page_size() bytes of a RAM page as written to the vmcore; -ENOENT if not RAM. */
int synth_page_read(const struct synth *s, uint64_t pfn, void *buf);
/* Pages per class. */
void synth_counts(const struct synth *s, uint64_t counts[SYNTH_CLASS_MAX]);
/* How many RAM pages a correct filter excludes at this dump level. */
uint64_t synth_expected_excluded(const struct synth *s, unsigned dump_level);
/* The expected dmesg text (see synth_write_dmesg) and the number of records. */
const char *synth_dmesg(const struct synth *s, size_t *len, size_t *records);
/* The VMCOREINFO text as stored in the note (no NUL inside). */
const char *synth_vmcoreinfo(const struct synth *s, size_t *len);
/*
 * Translate a kernel virtual address through the page tables the
 * generator built (exactly as a reader of the dump would).
 * 0, or -ENOENT when not mapped.
 */
int synth_vtop(const struct synth *s, uint64_t va, uint64_t *pa);
/*
 * Where the generator put the struct page of a PFN, from its own
 * allocation records (independent of the page tables): the struct page's
 * virtual address and the physical address backing it. -ENOENT when the
 * PFN has no struct page in the dump.
 */
int synth_struct_page(const struct synth *s, uint64_t pfn, uint64_t *va, uint64_t *pa);

/* A human-readable summary of the layout (page tables, sections...). */
void synth_describe(const struct synth *s, FILE *f);

/* ---- helpers usable without a built object ---- */

/* The rule above. */
bool synth_class_excluded(enum synth_class c, unsigned dump_level);
const char *synth_class_name(enum synth_class c);
/* -1 when unknown. */
int synth_class_from_name(const char *name);
/* 8-byte word i (0..511) of a pattern-filled page: pfn * 0x9e3779b97f4a7c15 ^ i. */
static inline uint64_t synth_pattern_word(uint64_t pfn, unsigned i)
{
	return pfn * 0x9e3779b97f4a7c15ull ^ i;
}

/* One run of an expectation file. */
struct synth_expect_run {
	uint64_t first, last;   /* inclusive */
	enum synth_class cls;
};
/*
 * Read an expectation file. *runs is malloc'ed (free() it).
 * Errors: -errno, or -EINVAL with a message in err naming the line.
 */
int synth_expect_read(const char *path, struct synth_expect_run **runs, size_t *n,
		      char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
