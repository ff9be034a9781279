/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * makedumpfile's flattened stream (-F): a header block, then records
 * {int64 offset, int64 size} + size bytes, big-endian, in any order,
 * ended by the record {-1, -1}. -R writes each record's bytes at its
 * offset. Written by sink.c, read by flat-rearrange.c; vmcore.c only
 * recognises the signature to say "rebuild it first".
 */
#ifndef KCF_FORMAT_FLAT_H
#define KCF_FORMAT_FLAT_H

#include <endian.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define FLAT_SIGNATURE "makedumpfile"     /* compared with its NUL */
#define FLAT_HEADER_SIZE 4096             /* the rest zero */
#define FLAT_TYPE_OFF 16                  /* int64, big-endian: 1 */
#define FLAT_VERSION_OFF 24               /* int64, big-endian: 1 */
#define FLAT_TYPE 1
#define FLAT_VERSION 1
#define FLAT_END_MARK (-1)                /* offset and size of the last record */

static inline void flat_header_make(uint8_t hdr[FLAT_HEADER_SIZE])
{
	uint64_t type = htobe64(FLAT_TYPE), version = htobe64(FLAT_VERSION);
	memset(hdr, 0, FLAT_HEADER_SIZE);
	memcpy(hdr, FLAT_SIGNATURE, sizeof(FLAT_SIGNATURE));
	memcpy(hdr + FLAT_TYPE_OFF, &type, 8);
	memcpy(hdr + FLAT_VERSION_OFF, &version, 8);
}

static inline bool flat_is_signature(const uint8_t *p)
{
	return !memcmp(p, FLAT_SIGNATURE, sizeof(FLAT_SIGNATURE));
}

/* A record's head as it goes on the wire. */
static inline void flat_record_make(int64_t rec[2], int64_t off, int64_t size)
{
	rec[0] = (int64_t)htobe64((uint64_t)off);
	rec[1] = (int64_t)htobe64((uint64_t)size);
}

static inline void flat_record_read(const int64_t rec[2], int64_t *off, int64_t *size)
{
	*off = (int64_t)be64toh((uint64_t)rec[0]);
	*size = (int64_t)be64toh((uint64_t)rec[1]);
}

#endif
