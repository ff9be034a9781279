/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdump-verify: independent reader/verifier for kdump-compressed dumps.
 *
 * Deliberately shares no code with filter/: it re-derives the on-disk
 * layout from the format description (docs/formats.md, makedumpfile's
 * IMPLEMENTATION) so that it can catch mistakes in the writer.
 */
#ifndef KV_H
#define KV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define KV_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Header status / page descriptor flags. */
#define KV_ZLIB       0x01u
#define KV_LZO        0x02u
#define KV_SNAPPY     0x04u
#define KV_INCOMPLETE 0x08u
#define KV_EXCL_VMEMMAP 0x10u
#define KV_ZSTD       0x20u
#define KV_METHODS    (KV_ZLIB | KV_LZO | KV_SNAPPY | KV_ZSTD)

/* ---- kv-util.c: diagnostics ---- */
extern int kv_quiet;          /* suppress info lines and the summary */
extern int kv_strict;         /* warnings count as errors */
extern FILE *kv_out;          /* info + summary stream (stdout or stderr) */

/* key names the field; at most KV_SHOW messages per key are printed */
#define KV_SHOW 10
void kv_error(const char *key, const char *fmt, ...) KV_PRINTF(2, 3);
void kv_warn(const char *key, const char *fmt, ...) KV_PRINTF(2, 3);
void kv_info(const char *fmt, ...) KV_PRINTF(1, 2);
/* "not shown" trailers; returns total errors (+ warnings if strict) */
unsigned long kv_report_end(void);
unsigned long kv_error_count(void);
/* fatal I/O or usage problem: message, exit 2 */
void kv_die(const char *fmt, ...) KV_PRINTF(1, 2) __attribute__((noreturn));

/* ---- kv-util.c: files ---- */
struct kv_src {
	int fd;
	const char *name;
	uint64_t size;
};
void kv_src_open(struct kv_src *s, const char *path);
/* bytes read (short only at EOF); dies on I/O error */
size_t kv_pread(const struct kv_src *s, uint64_t off, void *buf, size_t len);

static inline uint32_t kv_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}
static inline uint64_t kv_le64(const unsigned char *p)
{
	return (uint64_t)kv_le32(p) | (uint64_t)kv_le32(p + 4) << 32;
}
static inline uint64_t kv_be64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}
static inline int kv_is_zero(const unsigned char *p, size_t n)
{
	const uint64_t *w = (const uint64_t *)(const void *)p;
	size_t i;

	for (i = 0; i < n / 8; i++)
		if (w[i])
			return 0;
	for (i = n & ~(size_t)7; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* ---- kv-util.c: decompression ---- */
const char *kv_method_name(unsigned flag);
int kv_method_built(unsigned flag);
void kv_decomp_init(size_t block_size);
/* decompress one page; 0 on success (exactly bs bytes), -1 with why set */
int kv_decompress(unsigned flag, const unsigned char *src, size_t slen,
		  unsigned char *dst, size_t bs, char *why, size_t whylen);

/* ---- kv-notes.c: ELF notes and VMCOREINFO (check-synth uses them too) ---- */
struct kv_notes {
	unsigned count;
	unsigned nr_prstatus;
	int have_vmcoreinfo;
	uint64_t vmci_off;    /* descriptor offset relative to the note buffer */
	uint64_t vmci_size;   /* descsz */
	uint64_t zero_tail;   /* zero padding after the last note */
};
/* 0 if the buffer is a well-formed note list (why set otherwise) */
int kv_parse_notes(const unsigned char *buf, size_t len, struct kv_notes *n,
		   char *why, size_t whylen);
/* value of KEY=value in VMCOREINFO text (NUL-terminated copy in out) */
int kv_vmci_get(const char *text, size_t len, const char *key, char *out,
		size_t outlen);

/* ---- kv-elf.c: the ELF vmcore the dump was made from ---- */
struct kv_load {
	uint64_t paddr, memsz, filesz, offset;
};
struct kv_elf {
	struct kv_src src;
	struct kv_load *loads;   /* sorted by paddr */
	size_t nloads;
	uint64_t note_off, note_size;
	unsigned nnotes;
	uint64_t max_paddr;      /* max(paddr + memsz) */
	size_t cache;            /* last segment used */
};
void kv_elf_open(struct kv_elf *e, const char *path);
void kv_elf_close(struct kv_elf *e);
/* the vmcore's view of one page: file bytes, zeros past filesz / holes */
void kv_elf_read_page(struct kv_elf *e, uint64_t paddr, size_t bs,
		      unsigned char *out);

/* bitmap-1 expectation for monotonically increasing PFNs */
enum kv_expect { KV_EXP_NO, KV_EXP_MAY, KV_EXP_MUST };
struct kv_expect_walk {
	uint64_t (*cover)[2];  /* pages touched by a PT_LOAD, merged */
	uint64_t (*full)[2];   /* pages fully inside a PT_LOAD, merged */
	size_t ncover, nfull, ic, jf;
};
void kv_expect_init(struct kv_expect_walk *w, const struct kv_elf *e,
		    uint64_t bs);
enum kv_expect kv_expect_pfn(struct kv_expect_walk *w, uint64_t pfn);
void kv_expect_free(struct kv_expect_walk *w);

/* ---- kv-flat.c: flattened stream -> regular file ---- */
/*
 * Rebuild the flattened stream in `in` ("-" = stdin) into out_path, or an
 * unlinked temporary file when out_path is NULL.  Returns the fd of the
 * rebuilt file.  Format problems are reported with kv_error().
 */
int kv_flat_rebuild(const char *in, const char *out_path);

/* ---- kv-extent.c: page data extents (sharing / overlap checks) ---- */
struct kv_ext {
	uint64_t off;
	uint32_t size;
	uint32_t refs;        /* references seen out of order */
	uint8_t state;        /* 0 unknown, 1 all-zero page, 2 other, 3 bad */
	uint8_t fresh;        /* also the target of an in-order reference */
	uint8_t used;
};
struct kv_extents {
	struct kv_ext *tab;
	size_t cap, n;
	int overflow;         /* table limit hit: checks incomplete */
	uint64_t max_end;     /* end of the in-order ("fresh") extents */
	uint64_t fresh_bytes;
	uint64_t nfresh;
};
void kv_ext_init(struct kv_extents *x, uint64_t data_start);
/* returns NULL for an in-order extent, else its out-of-order record */
struct kv_ext *kv_ext_add(struct kv_extents *x, uint64_t off, uint32_t size);
struct kv_ext_result {
	uint64_t shared_zero_descs, shared_zero_extents;
	uint64_t unique_bytes;
};
/*
 * Second pass: `next` yields the same valid extents in the same order
 * (returns 0 at the end).  Reports overlaps and shared non-zero data.
 */
void kv_ext_finish(struct kv_extents *x, uint64_t data_start,
		   int (*next)(void *ctx, uint64_t *off, uint32_t *size),
		   void *ctx, struct kv_ext_result *r);
void kv_ext_free(struct kv_extents *x);

/* ---- kv-header.c: disk_dump_header + kdump_sub_header + notes ---- */
struct kv_dump {
	struct kv_src f;
	/* disk_dump_header */
	int32_t version;
	char uts[6][66];
	uint64_t tv_sec, tv_usec;
	uint32_t status;
	int32_t block_size, sub_hdr_size;
	uint32_t bitmap_blocks, max_mapnr32;
	int32_t nr_cpus;
	/* kdump_sub_header */
	uint64_t phys_base;
	int32_t dump_level, split;
	uint64_t start_pfn, end_pfn;
	uint64_t off_vmci, size_vmci, off_note, size_note, off_erase, size_erase;
	uint64_t start_pfn64, end_pfn64, max_mapnr64;
	/* derived */
	uint64_t bs, max_mapnr;      /* effective (64-bit when version >= 6) */
	uint64_t pfn_lo, pfn_hi;     /* PFNs with descriptors in this file */
	uint64_t bitmap1_off, bitmap2_off, bitmap_len, desc_off;
	unsigned method;             /* compression bit from status, or 0 */
	int incomplete;
	struct kv_notes notes;
	unsigned char *note_buf;     /* copy of the note area (size_note) */
};
/* parse and check; returns 0 if the layout is usable for the page walk */
int kv_header_check(struct kv_dump *d);
/* with a vmcore: compare notes / max_mapnr with it */
void kv_header_vs_vmcore(struct kv_dump *d, const struct kv_elf *e);
void kv_header_info(const struct kv_dump *d);

#endif
