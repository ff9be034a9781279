/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The compressors built into this library, by method. */
#include "kcf-internal.h"

extern const struct kcf_compressor_ops kcf_compressor_zstd;
extern const struct kcf_compressor_ops kcf_compressor_zlib;
#ifdef HAVE_LZO
extern const struct kcf_compressor_ops kcf_compressor_lzo;
#endif
#ifdef HAVE_SNAPPY
extern const struct kcf_compressor_ops kcf_compressor_snappy;
#endif

static const struct kcf_compressor_ops *const compressors[] = {
	&kcf_compressor_zstd,
	&kcf_compressor_zlib,
#ifdef HAVE_LZO
	&kcf_compressor_lzo,
#endif
#ifdef HAVE_SNAPPY
	&kcf_compressor_snappy,
#endif
};

const struct kcf_compressor_ops *kcf_compressor_get(enum kcf_compress c)
{
	for (size_t i = 0; i < ARRAY_SIZE(compressors); i++)
		if (compressors[i]->method == c)
			return compressors[i];
	return NULL;
}

const struct kcf_compressor_ops *kcf_compressor_by_flag(uint32_t flag)
{
	for (size_t i = 0; i < ARRAY_SIZE(compressors); i++)
		if (compressors[i]->flag == flag)
			return compressors[i];
	return NULL;
}
