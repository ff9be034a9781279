/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Output sinks. A dump is written as positioned writes; on a regular
 * file they are pwrite()s, in a flattened stream (makedumpfile -F) each
 * becomes a record {offset, size} + data, big-endian, so the stream can
 * go through a pipe or ssh and be rebuilt later with -R.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kcf-internal.h"

#define SINK_BUF (1u << 20)
#define FLAT_HEADER_SIZE 4096

static int write_all(struct kcf_sink *s, const void *data, size_t len)
{
	const uint8_t *p = data;
	while (len) {
		ssize_t n = write(s->fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fail(struct kcf_sink *s, int r, uint64_t off)
{
	return kcf_err(s->ctx, r, "cannot write the dump at offset %llu: %s%s",
		       (unsigned long long)off, strerror(-r),
		       r == -ENOSPC ? " (the target file system is full)" : "");
}

int kcf_sink_init(struct kcf_sink *s, struct kcf_ctx *ctx, int fd, bool flattened)
{
	memset(s, 0, sizeof(*s));
	s->ctx = ctx;
	s->fd = fd;
	s->flattened = flattened;
	s->buf_cap = SINK_BUF;
	s->buf = malloc(s->buf_cap);
	if (!s->buf)
		return -ENOMEM;
	if (flattened) {
		uint8_t hdr[FLAT_HEADER_SIZE] = { 0 };
		uint64_t one = htobe64(1);
		memcpy(hdr, "makedumpfile", 12);
		memcpy(hdr + 16, &one, 8);   /* type: flat header */
		memcpy(hdr + 24, &one, 8);   /* version */
		int r = write_all(s, hdr, sizeof(hdr));
		if (r < 0)
			return fail(s, r, 0);
	}
	return 0;
}

static int raw_pwrite(struct kcf_sink *s, const void *data, size_t len, uint64_t off)
{
	int r;
	if (!len)
		return 0;
	if (s->flattened) {
		uint64_t rec[2] = { htobe64(off), htobe64(len) };
		r = write_all(s, rec, sizeof(rec));
		if (r == 0)
			r = write_all(s, data, len);
	} else {
		r = kcf_pwrite_all(s->fd, data, len, off);
	}
	if (r < 0)
		return fail(s, r, off);
	if (off + len > s->size)
		s->size = off + len;
	return 0;
}

int kcf_sink_flush(struct kcf_sink *s)
{
	int r = raw_pwrite(s, s->buf, s->buf_len, s->buf_off);
	if (r == 0) {
		s->buf_off += s->buf_len;
		s->buf_len = 0;
	}
	return r;
}

int kcf_sink_pwrite(struct kcf_sink *s, const void *data, size_t len, uint64_t off)
{
	return raw_pwrite(s, data, len, off);
}

int kcf_sink_append(struct kcf_sink *s, const void *data, size_t len, uint64_t off)
{
	int r;
	if (s->buf_len && off != s->buf_off + s->buf_len) {
		r = kcf_sink_flush(s);
		if (r < 0)
			return r;
	}
	if (!s->buf_len)
		s->buf_off = off;
	if (s->buf_len + len > s->buf_cap) {
		r = kcf_sink_flush(s);
		if (r < 0)
			return r;
		s->buf_off = off;
		if (len > s->buf_cap)
			return raw_pwrite(s, data, len, off);
	}
	memcpy(s->buf + s->buf_len, data, len);
	s->buf_len += len;
	return 0;
}

int kcf_sink_finish(struct kcf_sink *s)
{
	int r = kcf_sink_flush(s);
	if (r < 0)
		return r;
	if (s->flattened) {
		int64_t end[2] = { (int64_t)htobe64((uint64_t)-1), (int64_t)htobe64((uint64_t)-1) };
		r = write_all(s, end, sizeof(end));
		if (r < 0)
			return fail(s, r, s->size);
		return 0;
	}
	if (fdatasync(s->fd) < 0 && errno != EINVAL && errno != EROFS)
		return kcf_err(s->ctx, errno, "cannot flush the dump to disk: %s", strerror(errno));
	return 0;
}

void kcf_sink_fini(struct kcf_sink *s)
{
	free(s->buf);
	s->buf = NULL;
}
