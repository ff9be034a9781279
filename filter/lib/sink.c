/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Output sinks. A dump is written as positioned writes; on a regular
 * file they are pwrite()s, in a flattened stream (makedumpfile -F) each
 * becomes a record {offset, size} + data, big-endian, so the stream can
 * go through a pipe or ssh and be rebuilt later with -R.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kcf-internal.h"
#include "format-flat.h"

#define SINK_BUF (1u << 20)

/* Write iov (consumed) at off, through short writes and EINTR. */
static int pwritev_all(int fd, struct iovec *iov, int iovcnt, uint64_t off)
{
	while (iovcnt > 0) {
		ssize_t n = pwritev(fd, iov, iovcnt > IOV_MAX ? IOV_MAX : iovcnt, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		off += (uint64_t)n;
		while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

int kcf_pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	return pwritev_all(fd, &iov, 1, off);
}

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

/*
 * size and good_end are updated with atomics: with --num-threads, the
 * writer threads' kcf_sink_pwritev() calls run beside the caller's own
 * writes to the same sink.
 */
static void written(struct kcf_sink *s, uint64_t end)
{
	uint64_t cur = __atomic_load_n(&s->size, __ATOMIC_RELAXED);
	while (end > cur && !__atomic_compare_exchange_n(&s->size, &cur, end, true, __ATOMIC_RELAXED,
							 __ATOMIC_RELAXED))
		;
}

static void lost(struct kcf_sink *s, uint64_t off)
{
	uint64_t cur = __atomic_load_n(&s->good_end, __ATOMIC_RELAXED);
	while (off < cur && !__atomic_compare_exchange_n(&s->good_end, &cur, off, true, __ATOMIC_RELAXED,
							 __ATOMIC_RELAXED))
		;
}

uint64_t kcf_sink_good_end(const struct kcf_sink *s)
{
	uint64_t size = __atomic_load_n(&s->size, __ATOMIC_RELAXED);
	uint64_t good = __atomic_load_n(&s->good_end, __ATOMIC_RELAXED);
	return KCF_MIN(size, good);
}

int kcf_sink_fail(struct kcf_sink *s, int r, uint64_t off)
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
	s->good_end = UINT64_MAX;
	s->buf_cap = SINK_BUF;
	s->buf = malloc(s->buf_cap);
	if (!s->buf)
		return -ENOMEM;
	if (flattened) {
		uint8_t hdr[FLAT_HEADER_SIZE];
		flat_header_make(hdr);
		int r = write_all(s, hdr, sizeof(hdr));
		if (r < 0)
			return kcf_sink_fail(s, r, 0);
	}
	return 0;
}

static int raw_pwrite(struct kcf_sink *s, const void *data, size_t len, uint64_t off)
{
	int r;
	if (!len)
		return 0;
	if (s->flattened) {
		int64_t rec[2];
		flat_record_make(rec, (int64_t)off, (int64_t)len);
		r = write_all(s, rec, sizeof(rec));
		if (r == 0)
			r = write_all(s, data, len);
	} else {
		r = kcf_pwrite_all(s->fd, data, len, off);
	}
	if (r < 0) {
		lost(s, off);
		return kcf_sink_fail(s, r, off);
	}
	written(s, off + len);
	return 0;
}

int kcf_sink_pwritev(struct kcf_sink *s, struct iovec *iov, int iovcnt, uint64_t off)
{
	uint64_t len = 0;
	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	int r = pwritev_all(s->fd, iov, iovcnt, off);
	if (r < 0) {
		lost(s, off);
		return r;
	}
	written(s, off + len);
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
		int64_t end[2];
		flat_record_make(end, FLAT_END_MARK, FLAT_END_MARK);
		r = write_all(s, end, sizeof(end));
		if (r < 0)
			return kcf_sink_fail(s, r, s->size);
		return 0;
	}
	return kcf_sink_sync(s);
}

int kcf_sink_sync_quiet(struct kcf_sink *s)
{
	if (!s->flattened && fdatasync(s->fd) < 0 && errno != EINVAL && errno != EROFS)
		return -errno;
	return 0;
}

int kcf_sink_sync(struct kcf_sink *s)
{
	int r = kcf_sink_sync_quiet(s);
	return r < 0 ? kcf_err(s->ctx, r, "cannot flush the dump to disk: %s", strerror(-r)) : 0;
}

int kcf_sink_reserve(struct kcf_sink *s, uint64_t off, uint64_t len)
{
	if (s->flattened || !len)
		return 0;
	return posix_fallocate(s->fd, (off_t)off, (off_t)len) == ENOSPC ? -ENOSPC : 0;
}

int kcf_sink_read_back(struct kcf_sink *s, void *buf, size_t len, uint64_t off)
{
	if (s->flattened)
		return -ESPIPE;
	ssize_t n = pread(s->fd, buf, len, (off_t)off);
	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
}

void kcf_sink_fini(struct kcf_sink *s)
{
	free(s->buf);
	s->buf = NULL;
}
