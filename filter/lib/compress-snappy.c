/* SPDX-License-Identifier: GPL-2.0-or-later */
/* snappy, optional (-p). Raw snappy blocks, as crash expects. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <snappy-c.h>

#include "kcf-internal.h"
#include "format-kdump.h"

struct snappy_state {
	char *out;
	size_t out_cap;
};

static int sn_init(void **state, size_t page_size)
{
	struct snappy_state *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->out_cap = snappy_max_compressed_length(page_size);
	s->out = malloc(s->out_cap);
	if (!s->out) {
		free(s);
		return -ENOMEM;
	}
	*state = s;
	return 0;
}

static void sn_fini(void *state)
{
	struct snappy_state *s = state;
	free(s->out);
	free(s);
}

static size_t sn_compress(void *state, const void *in, size_t in_len, void *out, size_t out_cap)
{
	struct snappy_state *s = state;
	size_t n = s->out_cap;
	if (snappy_compress(in, in_len, s->out, &n) != SNAPPY_OK || n > out_cap)
		return 0;
	memcpy(out, s->out, n);
	return n;
}

static int sn_decompress(const void *in, size_t in_len, void *out, size_t out_len)
{
	size_t n;
	if (snappy_uncompressed_length(in, in_len, &n) != SNAPPY_OK || n != out_len)
		return -EBADMSG;
	return snappy_uncompress(in, in_len, out, &n) == SNAPPY_OK && n == out_len ? 0 : -EBADMSG;
}

const struct kcf_compressor_ops kcf_compressor_snappy = {
	.method = KCF_COMPRESS_SNAPPY,
	.name = "snappy",
	.flag = KDUMP_COMPRESS_SNAPPY,
	.init = sn_init,
	.fini = sn_fini,
	.compress = sn_compress,
	.decompress = sn_decompress,
};
