/* SPDX-License-Identifier: GPL-2.0-or-later */
/* LZO1X-1, what makedumpfile -l writes and crash decompresses. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <lzo/lzo1x.h>

#include "kcf-internal.h"
#include "format-kdump.h"

struct lzo_state {
	uint8_t *out;        /* LZO may expand input: never write into the caller's tight buffer */
	size_t out_cap;
	uint8_t work[LZO1X_1_MEM_COMPRESS];
};

static int kl_init(void **state, size_t page_size)
{
	struct lzo_state *s;
	if (lzo_init() != LZO_E_OK)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->out_cap = page_size + page_size / 16 + 64 + 3;
	s->out = malloc(s->out_cap);
	if (!s->out) {
		free(s);
		return -ENOMEM;
	}
	*state = s;
	return 0;
}

static void kl_fini(void *state)
{
	struct lzo_state *s = state;
	free(s->out);
	free(s);
}

static size_t kl_compress(void *state, const void *in, size_t in_len, void *out, size_t out_cap)
{
	struct lzo_state *s = state;
	lzo_uint n = s->out_cap;
	if (lzo1x_1_compress(in, in_len, s->out, &n, s->work) != LZO_E_OK || n > out_cap)
		return 0;
	memcpy(out, s->out, n);
	return n;
}

static int kl_decompress(const void *in, size_t in_len, void *out, size_t out_len)
{
	lzo_uint n = out_len;
	int r = lzo1x_decompress_safe(in, in_len, out, &n, NULL);
	return r == LZO_E_OK && n == out_len ? 0 : -EBADMSG;
}

const struct kcf_compressor_ops kcf_compressor_lzo = {
	.method = KCF_COMPRESS_LZO,
	.name = "lzo",
	.flag = KDUMP_COMPRESS_LZO,
	.init = kl_init,
	.fini = kl_fini,
	.compress = kl_compress,
	.decompress = kl_decompress,
};
