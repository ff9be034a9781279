/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A cpio "newc" archive, as the kernel's initramfs unpacker reads it
 * (Documentation/driver-api/early-userspace/buffer-format.rst), written
 * straight through a zstd or gzip stream. Every entry belongs to root,
 * has mtime 0 and a running inode number, so the same inputs give the
 * same image.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "mkinitramfs.h"

#define OUT_BUF (256u << 10)

struct cpio {
	int fd;
	enum image_compress comp;
	ZSTD_CCtx *zc;
	z_stream gz;
	bool gz_ready;
	uint8_t *buf;          /* compressed (or raw) output waiting for write() */
	uint64_t raw;          /* archive bytes so far */
	unsigned ino;
	int err;
};

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int zstd_push(struct cpio *c, const void *data, size_t len, ZSTD_EndDirective end)
{
	ZSTD_inBuffer in = { data, len, 0 };
	size_t left;
	do {
		ZSTD_outBuffer out = { c->buf, OUT_BUF, 0 };
		left = ZSTD_compressStream2(c->zc, &out, &in, end);
		if (ZSTD_isError(left))
			return -EIO;
		int r = write_all(c->fd, c->buf, out.pos);
		if (r < 0)
			return r;
	} while (end == ZSTD_e_end ? left != 0 : in.pos < in.size);
	return 0;
}

static int gzip_push(struct cpio *c, const void *data, size_t len, int flush)
{
	int zr;
	c->gz.next_in = (Bytef *)data;
	c->gz.avail_in = (uInt)len;
	do {
		c->gz.next_out = c->buf;
		c->gz.avail_out = OUT_BUF;
		zr = deflate(&c->gz, flush);
		if (zr == Z_STREAM_ERROR)
			return -EIO;
		int r = write_all(c->fd, c->buf, OUT_BUF - c->gz.avail_out);
		if (r < 0)
			return r;
	} while (c->gz.avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
	return 0;
}

static int push(struct cpio *c, const void *data, size_t len)
{
	int r = 0;
	if (c->err || !len)
		return c->err;
	switch (c->comp) {
	case IMG_NONE: r = write_all(c->fd, data, len); break;
	case IMG_ZSTD: r = zstd_push(c, data, len, ZSTD_e_continue); break;
	case IMG_GZIP: r = gzip_push(c, data, len, Z_NO_FLUSH); break;
	}
	c->raw += len;
	c->err = r;
	return r;
}

static int pad4(struct cpio *c)
{
	static const uint8_t zero[4];
	return push(c, zero, (4 - (c->raw & 3)) & 3);
}

int cpio_open(struct cpio **ret, int fd, enum image_compress comp)
{
	struct cpio *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = fd;
	c->comp = comp;
	c->buf = malloc(OUT_BUF);
	if (!c->buf)
		goto nomem;
	if (comp == IMG_ZSTD) {
		c->zc = ZSTD_createCCtx();
		if (!c->zc)
			goto nomem;
		/* kcatch load rebuilds at boot, so the level is a time/size
		 * trade. The 6.1 cloud kernel's image (2.49 MB of cpio, 89% of it
		 * the static agent), window 2 MiB, zstd 1.5.4, CPU seconds:
		 *   level  3: 1055043 B (+17.9%) 0.03 s    16: 954822 B (+6.7%) 0.62 s
		 *   level  6: 1001430 B (+11.9%) 0.08 s    17: 929088 B (+3.8%) 0.71 s
		 *   level  9:  989536 B (+10.6%) 0.12 s    18: 895763 B (+0.1%) 0.86 s
		 *   level 12:  986402 B (+10.2%) 0.17 s    19: 894760 B         0.89 s
		 * Only the optimal parsers (16 and up) pack the agent well. The
		 * whole build (best of 5, same machine) takes 1.21 s at 19, 1.00 s
		 * at 17, 0.62 s at 12: 17 stays within ~4% of 19's size. */
		ZSTD_CCtx_setParameter(c->zc, ZSTD_c_compressionLevel, 17);
		/* The capture kernel unpacks this in its small reservation: a 2 MiB window. */
		ZSTD_CCtx_setParameter(c->zc, ZSTD_c_windowLog, 21);
		ZSTD_CCtx_setParameter(c->zc, ZSTD_c_checksumFlag, 1);
	} else if (comp == IMG_GZIP) {
		if (deflateInit2(&c->gz, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
			goto nomem;
		c->gz_ready = true;
	}
	*ret = c;
	return 0;
nomem:
	cpio_abort(c);
	return -ENOMEM;
}

static int header(struct cpio *c, const char *name, unsigned mode, size_t size,
		  unsigned rmaj, unsigned rmin)
{
	char h[111];
	size_t namesize = strlen(name) + 1;
	if (size > 0xffffffffu)
		return -EFBIG;
	snprintf(h, sizeof(h), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 ++c->ino, mode, 0u, 0u, S_ISDIR(mode) ? 2u : 1u, 0u, (unsigned)size,
		 0u, 0u, rmaj, rmin, (unsigned)namesize, 0u);
	push(c, h, 110);
	push(c, name, namesize);
	return pad4(c);
}

int cpio_dir(struct cpio *c, const char *name)
{
	return header(c, name, S_IFDIR | 0755, 0, 0, 0);
}

int cpio_node(struct cpio *c, const char *name, unsigned mode, unsigned major, unsigned minor)
{
	return header(c, name, mode, 0, major, minor);
}

int cpio_file(struct cpio *c, const char *name, unsigned mode, const void *data, size_t len)
{
	int r = header(c, name, S_IFREG | mode, len, 0, 0);
	if (r == 0)
		r = push(c, data, len);
	if (r == 0)
		r = pad4(c);
	return r;
}

int cpio_close(struct cpio *c, uint64_t *raw)
{
	int r = header(c, "TRAILER!!!", 0, 0, 0, 0);
	if (r == 0) {
		/* the kernel reads the archive in 512-byte blocks, as cpio(1) writes it */
		static const uint8_t zero[512];
		r = push(c, zero, (512 - (c->raw & 511)) & 511);
	}
	if (r == 0 && c->comp == IMG_ZSTD)
		r = zstd_push(c, NULL, 0, ZSTD_e_end);
	else if (r == 0 && c->comp == IMG_GZIP)
		r = gzip_push(c, NULL, 0, Z_FINISH);
	if (raw)
		*raw = c->raw;
	cpio_abort(c);
	return r;
}

void cpio_abort(struct cpio *c)
{
	if (!c)
		return;
	ZSTD_freeCCtx(c->zc);
	if (c->gz_ready)
		deflateEnd(&c->gz);
	free(c->buf);
	free(c);
}
