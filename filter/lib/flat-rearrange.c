/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * -R: turn a flattened stream (makedumpfile -F, kcatch-filter -F) back
 * into a dump file by writing each {offset, size} record where it says.
 * The stream came over a network and may be cut or corrupt: sizes are
 * bounded, offsets checked, and a stream without its end marker leaves a
 * file flagged incomplete (when it holds a kdump header) and an error.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kcf-internal.h"
#include "format-flat.h"
#include "format-kdump.h"

#define MAX_RECORD (1ULL << 30)
#define COPY_CHUNK (1u << 20)

static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, (uint8_t *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* If what we rebuilt starts with a kdump header, mark it incomplete. */
static void flag_incomplete(int out)
{
	uint8_t sig[8];
	uint32_t status;
	if (pread(out, sig, 8, 0) == 8 && !memcmp(sig, KDUMP_SIGNATURE, KDUMP_SIGNATURE_LEN) &&
	    pread(out, &status, 4, KDH_STATUS) == 4) {
		status |= KDUMP_INCOMPLETE;
		(void)!pwrite(out, &status, 4, KDH_STATUS);
	}
}

KCF_EXPORT int kcf_flat_rearrange(struct kcf_ctx *ctx, int in, int out, uint64_t *bytes)
{
	uint8_t hdr[FLAT_HEADER_SIZE];
	uint8_t *buf = NULL;
	uint64_t records = 0;
	int r;

	*bytes = 0;
	ssize_t n = read_full(in, hdr, sizeof(hdr));
	if (n < 0)
		return kcf_err(ctx, (int)n, "cannot read the flattened stream: %s", strerror((int)-n));
	if (n < (ssize_t)sizeof(hdr) || !flat_is_signature(hdr))
		return kcf_err(ctx, EINVAL, "the input is not a flattened dump stream (no \"makedumpfile\" header)");
	uint64_t type, version;
	memcpy(&type, hdr + FLAT_TYPE_OFF, 8);
	memcpy(&version, hdr + FLAT_VERSION_OFF, 8);
	if (be64toh(type) != FLAT_TYPE || be64toh(version) != FLAT_VERSION)
		return kcf_err(ctx, EINVAL, "flattened stream type %llu version %llu is not supported (1/1 is)",
			       (unsigned long long)be64toh(type), (unsigned long long)be64toh(version));
	buf = malloc(COPY_CHUNK);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		int64_t rec[2];
		n = read_full(in, rec, sizeof(rec));
		if (n != (ssize_t)sizeof(rec)) {
			r = kcf_err(ctx, n < 0 ? (int)n : EPIPE,
				    "the flattened stream ends after %llu records without its end marker: the sender was cut off; the dump is incomplete",
				    (unsigned long long)records);
			goto fail;
		}
		int64_t off, size;
		flat_record_read(rec, &off, &size);
		if (off == FLAT_END_MARK && size == FLAT_END_MARK)
			break;
		if (off < 0 || size < 0 || (uint64_t)size > MAX_RECORD || (uint64_t)off > (1ULL << 56)) {
			r = kcf_err(ctx, EINVAL, "flattened stream record %llu is corrupt (offset %lld, size %lld)",
				    (unsigned long long)records, (long long)off, (long long)size);
			goto fail;
		}
		for (uint64_t done = 0; done < (uint64_t)size;) {
			size_t chunk = (size_t)KCF_MIN((uint64_t)COPY_CHUNK, (uint64_t)size - done);
			n = read_full(in, buf, chunk);
			if (n != (ssize_t)chunk) {
				r = kcf_err(ctx, EPIPE, "the flattened stream ends inside record %llu: the dump is incomplete",
					    (unsigned long long)records);
				goto fail;
			}
			r = kcf_pwrite_all(out, buf, chunk, (uint64_t)off + done);
			if (r < 0) {
				r = kcf_err(ctx, r, "cannot write the dump at offset %llu: %s",
					    (unsigned long long)off + done, strerror(-r));
				goto fail;
			}
			done += chunk;
		}
		if ((uint64_t)(off + size) > *bytes)
			*bytes = (uint64_t)(off + size);
		records++;
	}
	free(buf);
	if (fdatasync(out) < 0 && errno != EINVAL)
		return kcf_err(ctx, errno, "cannot flush the dump to disk: %s", strerror(errno));
	return 0;
fail:
	free(buf);
	flag_incomplete(out);
	return r;
}
