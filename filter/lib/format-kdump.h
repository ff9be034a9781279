/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kdump-compressed ("diskdump") file, as makedumpfile writes it
 * (diskdump_mod.h; the byte layout is in shared/docs/formats.md).
 * Every fact about it is here, for its writer (write-kdump.c), its
 * reader (input-kdump.c), --reassemble (reassemble.c) and -R, which
 * flags a cut stream's rebuilt file incomplete (flat-rearrange.c).
 * Fields are native (little) endian, at any alignment: kcf_get/put.
 *
 *   block 0                      disk_dump_header (KDH_*), rest zero
 *   block 1 ..                   kdump_sub_header (KDSH_*), then the ELF
 *                                notes copied verbatim; sub_hdr_size blocks
 *   1 + sub_hdr_size             bitmap 1: PFN is RAM
 *   .. + bitmap_blocks / 2       bitmap 2: PFN is in the dump
 *   .. + bitmap_blocks / 2       page descriptors, one per bitmap-2 bit
 *   then                         page data, unaligned
 */
#ifndef KCF_FORMAT_KDUMP_H
#define KCF_FORMAT_KDUMP_H

#include <stdint.h>

#include "kcf-internal.h"

#define KDUMP_SIGNATURE "KDUMP   "        /* three spaces */
#define KDUMP_SIGNATURE_LEN 8
#define KDUMP_HEADER_VERSION 6            /* what we write; 4 to 6 read */

/* disk_dump_header, in block 0 */
#define KDH_VERSION 8                     /* int */
#define KDH_UTSNAME 12                    /* 6 x char[KDH_UTS_LEN]: sysname .. domainname */
#define KDH_UTS_LEN 65
#define KDH_UTS_MACHINE (KDH_UTSNAME + 4 * KDH_UTS_LEN)
#define KDH_TIMESTAMP 408                 /* tv_sec, tv_usec */
#define KDH_STATUS 424                    /* uint: compression bit | KDUMP_INCOMPLETE */
#define KDH_BLOCK_SIZE 428                /* int: the page size */
#define KDH_SUB_HDR_SIZE 432              /* int: blocks of sub header + notes */
#define KDH_BITMAP_BLOCKS 436             /* uint: both bitmaps */
#define KDH_MAX_MAPNR 440                 /* uint: 32-bit, truncated */
#define KDH_NR_CPUS 460                   /* int */
#define KDH_SIZE 464

/*
 * Status bits. A page descriptor's flags hold the one compression bit
 * used for that page (0: raw); the header's status, the method.
 */
#define KDUMP_COMPRESS_ZLIB 0x1
#define KDUMP_COMPRESS_LZO 0x2
#define KDUMP_COMPRESS_SNAPPY 0x4
#define KDUMP_INCOMPLETE 0x8              /* cut short: descriptors with offset 0 are lost */
#define KDUMP_COMPRESS_ZSTD 0x20

/* kdump_sub_header, at the start of block 1 */
#define KDSH_PHYS_BASE 0                  /* u64 */
#define KDSH_DUMP_LEVEL 8                 /* int */
#define KDSH_SPLIT 12                     /* int: 1 in each part of a --split dump */
#define KDSH_START_PFN 16                 /* u64, the 32-bit era's split range */
#define KDSH_END_PFN 24
#define KDSH_OFF_VMCOREINFO 32            /* u64, v3+ */
#define KDSH_SIZE_VMCOREINFO 40
#define KDSH_OFF_NOTE 48                  /* u64, v4+ */
#define KDSH_SIZE_NOTE 56
#define KDSH_START_PFN_64 80              /* u64, v6 */
#define KDSH_END_PFN_64 88
#define KDSH_MAX_MAPNR_64 96
#define KDSH_SIZE 104                     /* the notes follow */

/* page_desc: {u64 offset, u32 size, u32 flags, u64 page_flags = 0} */
#define KDUMP_DESC_SIZE 24

static inline void kdump_desc_put(uint8_t *d, uint64_t off, uint32_t size, uint32_t flags)
{
	kcf_put64(d + 0, off);
	kcf_put32(d + 8, size);
	kcf_put32(d + 12, flags);
	kcf_put64(d + 16, 0);
}

static inline uint64_t kdump_desc_offset(const uint8_t *d) { return kcf_get64(d); }
static inline uint32_t kdump_desc_size(const uint8_t *d) { return kcf_get32(d + 8); }
static inline uint32_t kdump_desc_flags(const uint8_t *d) { return kcf_get32(d + 12); }

/* Where the areas after the sub header start, in bytes. */
struct kdump_geometry {
	uint64_t block;
	uint64_t bitmap_len;              /* one bitmap */
	uint64_t off_bitmap1, off_bitmap2, off_desc;
};

static inline struct kdump_geometry kdump_geometry(uint64_t block, uint64_t sub_hdr_blocks,
						   uint64_t bitmap_len)
{
	struct kdump_geometry g = { .block = block, .bitmap_len = bitmap_len };
	g.off_bitmap1 = block * (1 + sub_hdr_blocks);
	g.off_bitmap2 = g.off_bitmap1 + bitmap_len;
	g.off_desc = g.off_bitmap2 + bitmap_len;
	return g;
}

#endif
