// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kdump-verify: makedumpfile flattened format (-F) -> regular file.
 *
 * Header: char[16] "makedumpfile" + NULs, be64 type = 1, be64 version = 1,
 * padded to 4096 bytes.  Records: be64 offset, be64 size, then size bytes
 * for file offset `offset`.  End marker: offset = size = -1.
 *
 * The records are pwritten to the output file through a fixed buffer, so
 * memory does not grow with the dump.  Overlapping records are detected
 * with a set of written intervals that coalesces adjacent ones (makedumpfile
 * writes two sequential streams, so it stays tiny).
 */
#include "kv.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FLAT_HDR 4096
#define BUFSZ (1u << 20)

struct rd {
	int fd;
	const char *name;
	uint64_t pos;     /* bytes consumed from the stream */
};

/* read exactly n bytes unless EOF; returns bytes read */
static size_t rd_read(struct rd *r, void *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t k = read(r->fd, (char *)buf + done, n - done);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			kv_die("read %s: %s", r->name, strerror(errno));
		}
		if (k == 0)
			break;
		done += (size_t)k;
	}
	r->pos += done;
	return done;
}

struct ivset {
	uint64_t (*iv)[2];
	size_t n, cap;
};

/* insert [s, e); returns 0, or -1 (overlapped interval in os, oe) if it overlaps */
static int iv_insert(struct ivset *v, uint64_t s, uint64_t e, uint64_t *os,
		     uint64_t *oe)
{
	size_t lo = 0, hi = v->n, i;

	/* first interval with end > s */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (v->iv[mid][1] > s)
			hi = mid;
		else
			lo = mid + 1;
	}
	i = lo;
	if (i < v->n && v->iv[i][0] < e) {
		*os = v->iv[i][0];
		*oe = v->iv[i][1];
		return -1;
	}
	/* coalesce with the previous and/or next interval */
	if (i > 0 && v->iv[i - 1][1] == s) {
		v->iv[i - 1][1] = e;
		if (i < v->n && v->iv[i][0] == e) {
			v->iv[i - 1][1] = v->iv[i][1];
			memmove(&v->iv[i], &v->iv[i + 1], (v->n - i - 1) * sizeof(*v->iv));
			v->n--;
		}
		return 0;
	}
	if (i < v->n && v->iv[i][0] == e) {
		v->iv[i][0] = s;
		return 0;
	}
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 64;
		v->iv = realloc(v->iv, v->cap * sizeof(*v->iv));
		if (!v->iv)
			kv_die("out of memory");
	}
	memmove(&v->iv[i + 1], &v->iv[i], (v->n - i) * sizeof(*v->iv));
	v->iv[i][0] = s;
	v->iv[i][1] = e;
	v->n++;
	return 0;
}

int kv_flat_rebuild(const char *in, const char *out_path)
{
	struct rd r = { .name = in };
	unsigned char hdr[FLAT_HDR], rec[16];
	unsigned char *buf;
	struct ivset set = { 0 };
	uint64_t nrec = 0, data = 0, type, version, end = 0, holes = 0, prev;
	int out, ended = 0;
	size_t i;

	if (!strcmp(in, "-")) {
		r.fd = 0;
		r.name = "<stdin>";
	} else {
		r.fd = open(in, O_RDONLY | O_CLOEXEC);
		if (r.fd < 0)
			kv_die("cannot open %s: %s", in, strerror(errno));
	}
	if (out_path) {
		out = open(out_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (out < 0)
			kv_die("cannot create %s: %s", out_path, strerror(errno));
	} else {
		const char *dir = getenv("TMPDIR");
		char tmpl[4096];

		snprintf(tmpl, sizeof(tmpl), "%s/kdump-verify.XXXXXX",
			 dir && *dir ? dir : "/tmp");
		out = mkstemp(tmpl);
		if (out < 0)
			kv_die("cannot create temporary file %s: %s", tmpl, strerror(errno));
		unlink(tmpl);
	}

	if (rd_read(&r, hdr, FLAT_HDR) != FLAT_HDR)
		kv_die("%s: shorter than the 4096-byte flattened header", r.name);
	if (memcmp(hdr, "makedumpfile", 12) || !kv_is_zero(hdr + 12, 4)) {
		kv_error("flat.signature", "expected \"makedumpfile\" + NULs, got \"%.16s\"",
			 (const char *)hdr);
		kv_die("%s: not a flattened dump", r.name);
	}
	type = kv_be64(hdr + 16);
	version = kv_be64(hdr + 24);
	if (type != 1)
		kv_error("flat.type", "%" PRIu64 ", expected 1", type);
	if (version != 1)
		kv_error("flat.version", "%" PRIu64 ", expected 1", version);
	if (!kv_is_zero(hdr + 32, FLAT_HDR - 32))
		kv_warn("flat.header", "padding after type/version is not zero");

	buf = malloc(BUFSZ);
	if (!buf)
		kv_die("out of memory");
	for (;;) {
		uint64_t off, size, os, oe, done = 0;
		int64_t soff, ssize;
		size_t k = rd_read(&r, rec, sizeof(rec));

		if (k == 0)
			break;
		if (k != sizeof(rec)) {
			kv_error("flat.record", "record header truncated at stream offset %" PRIu64,
				 r.pos - k);
			break;
		}
		soff = (int64_t)kv_be64(rec);
		ssize = (int64_t)kv_be64(rec + 8);
		if (soff == -1 && ssize == -1) {
			ended = 1;
			break;
		}
		if (soff < 0 || ssize < 0) {
			kv_error("flat.record", "record %" PRIu64 " at stream offset %" PRIu64
				 ": offset %" PRId64 " size %" PRId64,
				 nrec, r.pos - 16, soff, ssize);
			break;
		}
		off = (uint64_t)soff;
		size = (uint64_t)ssize;
		if (size && iv_insert(&set, off, off + size, &os, &oe) < 0)
			kv_error("flat.record",
				 "record %" PRIu64 " [%" PRIu64 ", +%" PRIu64 ") overlaps earlier data [%" PRIu64 ", %" PRIu64 ")",
				 nrec, off, size, os, oe);
		while (done < size) {
			size_t chunk = size - done > BUFSZ ? BUFSZ : (size_t)(size - done);
			size_t got = rd_read(&r, buf, chunk);

			if (got && pwrite(out, buf, got, (off_t)(off + done)) != (ssize_t)got)
				kv_die("write rebuilt dump: %s", strerror(errno));
			done += got;
			if (got < chunk)
				break;
		}
		if (done < size) {
			kv_error("flat.record", "record %" PRIu64 " (offset %" PRIu64 ", size %" PRIu64
				 ") truncated after %" PRIu64 " bytes",
				 nrec, off, size, done);
			break;
		}
		if (off + size > end)
			end = off + size;
		data += size;
		nrec++;
	}
	if (!ended)
		kv_error("flat.end", "no end marker (-1, -1): stream truncated after %" PRIu64 " bytes",
			 r.pos);
	else if (rd_read(&r, buf, 1) == 1)
		kv_warn("flat.end", "data after the end marker (stream offset %" PRIu64 ")",
			r.pos - 1);

	/* holes: file ranges no record wrote (read back as zeros) */
	prev = 0;
	for (i = 0; i < set.n; i++) {
		holes += set.iv[i][0] - prev;
		prev = set.iv[i][1];
	}
	if (ftruncate(out, (off_t)end) < 0)
		kv_die("truncate rebuilt dump: %s", strerror(errno));
	kv_info("flattened: %" PRIu64 " records, %" PRIu64 " data bytes, rebuilt %" PRIu64
		" bytes (%zu written ranges, %" PRIu64 " bytes never written)",
		nrec, data, end, set.n, holes);
	free(set.iv);
	free(buf);
	if (r.fd)
		close(r.fd);
	return out;
}
