/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Modules the capture kernel cannot decompress itself go into the image
 * decompressed: xz (liblzma), zstd and gzip (zlib) into memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "mkinitramfs.h"

#define MAX_MODULE (256u << 20)

enum mod_compress mod_compression(const char *path)
{
	size_t n = strlen(path);
	if (n > 3 && !strcmp(path + n - 3, ".xz"))
		return MOD_XZ;
	if (n > 4 && !strcmp(path + n - 4, ".zst"))
		return MOD_ZSTD;
	if (n > 3 && !strcmp(path + n - 3, ".gz"))
		return MOD_GZIP;
	return MOD_NONE;
}

int read_file(const char *path, void **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > MAX_MODULE) {
		r = fstat(fd, &st) < 0 ? -errno : -EINVAL;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			goto out;
		}
		got += (size_t)n;
	}
	*data = buf;
	*len = got;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return r;
}

/* Grow out so that at least one more MiB fits. */
static int grow(uint8_t **out, size_t *cap, size_t used)
{
	if (*cap - used >= (1u << 20))
		return 0;
	size_t ncap = *cap ? *cap * 2 : 4u << 20;
	if (ncap > MAX_MODULE)
		return -EFBIG;
	uint8_t *n = realloc(*out, ncap);
	if (!n)
		return -ENOMEM;
	*out = n;
	*cap = ncap;
	return 0;
}

static int unxz(const uint8_t *in, size_t inlen, uint8_t **out, size_t *outlen)
{
	lzma_stream s = LZMA_STREAM_INIT;
	size_t cap = 0;
	lzma_ret lr = LZMA_OK;
	int r = 0;

	if (lzma_stream_decoder(&s, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
		return -ENOMEM;
	s.next_in = in;
	s.avail_in = inlen;
	do {
		r = grow(out, &cap, s.total_out);
		if (r < 0)
			break;
		s.next_out = *out + s.total_out;
		s.avail_out = cap - s.total_out;
		lr = lzma_code(&s, LZMA_FINISH);
		if (lr != LZMA_OK && lr != LZMA_STREAM_END)
			r = -EBADMSG;
	} while (r == 0 && lr != LZMA_STREAM_END);
	*outlen = s.total_out;
	lzma_end(&s);
	return r;
}

static int unzstd(const uint8_t *in, size_t inlen, uint8_t **out, size_t *outlen)
{
	ZSTD_DStream *d = ZSTD_createDStream();
	ZSTD_inBuffer ib = { in, inlen, 0 };
	size_t cap = 0, used = 0, ret = 1;
	int r = 0;

	if (!d)
		return -ENOMEM;
	while (r == 0 && ret != 0) {
		r = grow(out, &cap, used);
		if (r < 0)
			break;
		ZSTD_outBuffer ob = { *out + used, cap - used, 0 };
		ret = ZSTD_decompressStream(d, &ob, &ib);
		used += ob.pos;
		if (ZSTD_isError(ret) || (ret && ib.pos == ib.size && ob.pos == 0))
			r = -EBADMSG;
	}
	*outlen = used;
	ZSTD_freeDStream(d);
	return r;
}

static int ungzip(const uint8_t *in, size_t inlen, uint8_t **out, size_t *outlen)
{
	z_stream z = { 0 };
	size_t cap = 0;
	int zr = Z_OK, r = 0;

	if (inflateInit2(&z, 15 + 32) != Z_OK)
		return -ENOMEM;
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)inlen;
	while (r == 0 && zr != Z_STREAM_END) {
		r = grow(out, &cap, z.total_out);
		if (r < 0)
			break;
		z.next_out = *out + z.total_out;
		z.avail_out = (uInt)(cap - z.total_out);
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END)
			r = -EBADMSG;
	}
	*outlen = z.total_out;
	inflateEnd(&z);
	return r;
}

/*
 * Would the kernel's own decompressor (kernel/module/decompress.c) take
 * this file? The format it was built for, and for xz only the checks its
 * decoder knows (none, CRC32: what kbuild writes); a CRC64 or SHA-256
 * stream from another compressor would fail finit_module in the capture
 * kernel, so such a module is unpacked here instead.
 */
bool kernel_can_decompress(enum mod_compress mc, const void *data, size_t len)
{
	static const uint8_t xz[6] = { 0xfd, '7', 'z', 'X', 'Z', 0 }, zst[4] = { 0x28, 0xb5, 0x2f, 0xfd };
	const uint8_t *p = data;
	switch (mc) {
	case MOD_XZ: return len >= 12 && !memcmp(p, xz, 6) && p[6] == 0 && (p[7] == 0 || p[7] == 1);
	case MOD_ZSTD: return len >= 4 && !memcmp(p, zst, 4);
	case MOD_GZIP: return len >= 2 && p[0] == 0x1f && p[1] == 0x8b;
	case MOD_NONE: return true;
	}
	return false;
}

int decompress_data(enum mod_compress mc, void *in, size_t inlen, void **data, size_t *len)
{
	uint8_t *out = NULL;
	int r = 0;

	switch (mc) {
	case MOD_XZ: r = unxz(in, inlen, &out, len); break;
	case MOD_ZSTD: r = unzstd(in, inlen, &out, len); break;
	case MOD_GZIP: r = ungzip(in, inlen, &out, len); break;
	case MOD_NONE:
		*data = in;
		*len = inlen;
		return 0;
	}
	free(in);
	if (r < 0) {
		free(out);
		return r;
	}
	*data = out;
	return 0;
}
