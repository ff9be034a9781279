/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The base every layer stands on: the library context (where failures
 * are explained and logs go), and whole-buffer reads of a file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kcf-internal.h"

KCF_EXPORT int kcf_ctx_new(struct kcf_ctx **ret)
{
	struct kcf_ctx *ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	*ret = ctx;
	return 0;
}

KCF_EXPORT void kcf_ctx_free(struct kcf_ctx *ctx)
{
	free(ctx);
}

KCF_EXPORT const char *kcf_ctx_error(const struct kcf_ctx *ctx)
{
	return ctx ? ctx->err : "";
}

KCF_EXPORT void kcf_ctx_set_log(struct kcf_ctx *ctx, kcf_log_fn fn, void *arg)
{
	ctx->log_fn = fn;
	ctx->log_arg = arg;
}

int kcf_err(struct kcf_ctx *ctx, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (errnum < 0)
		errnum = -errnum;
	if (errnum == 0)
		errnum = EINVAL;
	if (ctx) {
		va_start(ap, fmt);
		vsnprintf(ctx->err, sizeof(ctx->err), fmt, ap);
		va_end(ap);
		kcf_log(ctx, 7, "error: %s", ctx->err);
	}
	return -errnum;
}

int kcf_err_prefix(struct kcf_ctx *ctx, int errnum, const char *prefix)
{
	char msg[sizeof(ctx->err)];
	snprintf(msg, sizeof(msg), "%s", ctx->err);
	return kcf_err(ctx, errnum, "%s: %s", prefix, msg);
}

void kcf_log(struct kcf_ctx *ctx, int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!ctx || !ctx->log_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctx->log_fn(ctx->log_arg, level, msg);
}

KCF_EXPORT const char *kcf_compress_name(enum kcf_compress c)
{
	switch (c) {
	case KCF_COMPRESS_NONE: return "none";
	case KCF_COMPRESS_ZLIB: return "zlib";
	case KCF_COMPRESS_LZO: return "lzo";
	case KCF_COMPRESS_SNAPPY: return "snappy";
	case KCF_COMPRESS_ZSTD: return "zstd";
	}
	return "unknown";
}

KCF_EXPORT bool kcf_compress_available(enum kcf_compress c)
{
	return c == KCF_COMPRESS_NONE || kcf_compressor_get(c) != NULL;
}

KCF_EXPORT const char *kcf_class_name(enum kcf_page_class c)
{
	static const char *const names[KCF_CLASS_MAX] = {
		[KCF_CLASS_KEPT] = "kept",
		[KCF_CLASS_ZERO] = "zero",
		[KCF_CLASS_CACHE] = "cache",
		[KCF_CLASS_CACHE_PRIVATE] = "cache_private",
		[KCF_CLASS_USER] = "user",
		[KCF_CLASS_FREE] = "free",
		[KCF_CLASS_HWPOISON] = "hwpoison",
		[KCF_CLASS_OFFLINE] = "offline",
		[KCF_CLASS_ABSENT] = "absent",
	};
	return (unsigned)c < KCF_CLASS_MAX ? names[c] : "unknown";
}

int kcf_pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;
	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ENODATA;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}
