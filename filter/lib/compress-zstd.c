/* SPDX-License-Identifier: GPL-2.0-or-later */
/* zstd level 1, as makedumpfile; one context reused for every page. */
#include <errno.h>
#include <zstd.h>

#include "kcf-internal.h"
#include "format-kdump.h"

static int zstd_init(void **state, size_t page_size)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	if (!c)
		return -ENOMEM;
	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 1);
	ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 1);
	(void)page_size;
	*state = c;
	return 0;
}

static void zstd_fini(void *state)
{
	ZSTD_freeCCtx(state);
}

static size_t zstd_compress(void *state, const void *in, size_t in_len, void *out, size_t out_cap)
{
	size_t n = ZSTD_compress2(state, out, out_cap, in, in_len);
	return ZSTD_isError(n) ? 0 : n;
}

static int zstd_decompress(const void *in, size_t in_len, void *out, size_t out_len)
{
	size_t n = ZSTD_decompress(out, out_len, in, in_len);
	return !ZSTD_isError(n) && n == out_len ? 0 : -EBADMSG;
}

const struct kcf_compressor_ops kcf_compressor_zstd = {
	.method = KCF_COMPRESS_ZSTD,
	.name = "zstd",
	.flag = KDUMP_COMPRESS_ZSTD,
	.init = zstd_init,
	.fini = zstd_fini,
	.compress = zstd_compress,
	.decompress = zstd_decompress,
};
