/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * zlib level 1 (Z_BEST_SPEED) in the zlib wrapper format that crash's
 * uncompress() expects. The deflate stream is reset, not recreated,
 * for each page: allocation dominated the cost otherwise.
 */
#include <errno.h>
#include <stdlib.h>
#include <zlib.h>

#include "kcf-internal.h"
#include "format-kdump.h"

static int zlib_init(void **state, size_t page_size)
{
	z_stream *z = calloc(1, sizeof(*z));
	(void)page_size;
	if (!z)
		return -ENOMEM;
	if (deflateInit(z, Z_BEST_SPEED) != Z_OK) {
		free(z);
		return -ENOMEM;
	}
	*state = z;
	return 0;
}

static void zlib_fini(void *state)
{
	deflateEnd(state);
	free(state);
}

static size_t zlib_compress(void *state, const void *in, size_t in_len, void *out, size_t out_cap)
{
	z_stream *z = state;
	if (deflateReset(z) != Z_OK)
		return 0;
	z->next_in = (Bytef *)in;
	z->avail_in = (uInt)in_len;
	z->next_out = out;
	z->avail_out = (uInt)out_cap;
	if (deflate(z, Z_FINISH) != Z_STREAM_END)
		return 0;
	return out_cap - z->avail_out;
}

static int zlib_decompress(const void *in, size_t in_len, void *out, size_t out_len)
{
	uLongf n = out_len;
	return uncompress(out, &n, in, in_len) == Z_OK && n == out_len ? 0 : -EBADMSG;
}

const struct kcf_compressor_ops kcf_compressor_zlib = {
	.method = KCF_COMPRESS_ZLIB,
	.name = "zlib",
	.flag = KDUMP_COMPRESS_ZLIB,
	.init = zlib_init,
	.fini = zlib_fini,
	.compress = zlib_compress,
	.decompress = zlib_decompress,
};
