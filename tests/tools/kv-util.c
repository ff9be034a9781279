// SPDX-License-Identifier: GPL-2.0-or-later
/* kdump-verify: diagnostics, file access, decompression (ELF notes: kv-notes.c). */
#include "kv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>
#ifdef HAVE_LZO
#include <lzo/lzo1x.h>
#endif
#ifdef HAVE_SNAPPY
#include <snappy-c.h>
#endif

int kv_quiet;
int kv_strict;
FILE *kv_out;

/* ------------------------------------------------------------------ */
/* diagnostics: counted per key, the first KV_SHOW of each key printed */

struct kv_key {
	const char *key;
	int warn;
	unsigned long n;
};
static struct kv_key keys[256];
static size_t nkeys;
static unsigned long nerrors, nwarnings;

static struct kv_key *key_slot(const char *key, int warn)
{
	for (size_t i = 0; i < nkeys; i++)
		if (keys[i].warn == warn && !strcmp(keys[i].key, key))
			return &keys[i];
	if (nkeys == sizeof(keys) / sizeof(keys[0]))
		return &keys[nkeys - 1];
	keys[nkeys].key = key;
	keys[nkeys].warn = warn;
	return &keys[nkeys++];
}

static void vmsg(int warn, const char *key, const char *fmt, va_list ap)
{
	struct kv_key *k = key_slot(key, warn);

	if (warn)
		nwarnings++;
	else
		nerrors++;
	if (++k->n > KV_SHOW)
		return;
	fflush(kv_out);
	fprintf(stderr, "kdump-verify: %s: %s: ", warn ? "WARNING" : "ERROR",
		key);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void kv_error(const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(0, key, fmt, ap);
	va_end(ap);
}

void kv_warn(const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(1, key, fmt, ap);
	va_end(ap);
}

void kv_info(const char *fmt, ...)
{
	va_list ap;

	if (kv_quiet)
		return;
	va_start(ap, fmt);
	vfprintf(kv_out, fmt, ap);
	va_end(ap);
	fputc('\n', kv_out);
}

void kv_die(const char *fmt, ...)
{
	va_list ap;

	fflush(kv_out);
	fputs("kdump-verify: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

unsigned long kv_error_count(void)
{
	return nerrors + (kv_strict ? nwarnings : 0);
}

unsigned long kv_report_end(void)
{
	for (size_t i = 0; i < nkeys; i++)
		if (keys[i].n > KV_SHOW)
			fprintf(stderr, "kdump-verify: %s: %s: %lu more not shown\n",
				keys[i].warn ? "WARNING" : "ERROR", keys[i].key,
				keys[i].n - KV_SHOW);
	if (nerrors || nwarnings)
		fprintf(stderr, "kdump-verify: %lu error(s), %lu warning(s)%s\n",
			nerrors, nwarnings,
			kv_strict && nwarnings ? " (--strict: warnings fail)" : "");
	return kv_error_count();
}

/* ------------------------------------------------------------------ */
/* files */

void kv_src_open(struct kv_src *s, const char *path)
{
	struct stat st;

	s->name = path;
	s->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0)
		kv_die("cannot open %s: %s", path, strerror(errno));
	if (fstat(s->fd, &st) < 0)
		kv_die("cannot stat %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		kv_die("%s: not a regular file (use --flattened for streams)",
		       path);
	s->size = (uint64_t)st.st_size;
}

size_t kv_pread(const struct kv_src *s, uint64_t off, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pread(s->fd, (char *)buf + done, len - done,
				  (off_t)(off + done));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			kv_die("read %s at %llu: %s", s->name,
			       (unsigned long long)(off + done), strerror(errno));
		}
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return done;
}

/* ------------------------------------------------------------------ */
/* decompression */

const char *kv_method_name(unsigned flag)
{
	switch (flag) {
	case 0: return "raw";
	case KV_ZLIB: return "zlib";
	case KV_LZO: return "lzo";
	case KV_SNAPPY: return "snappy";
	case KV_ZSTD: return "zstd";
	}
	return "?";
}

int kv_method_built(unsigned flag)
{
	switch (flag) {
	case 0:
	case KV_ZLIB:
	case KV_ZSTD:
		return 1;
#ifdef HAVE_LZO
	case KV_LZO:
		return 1;
#endif
#ifdef HAVE_SNAPPY
	case KV_SNAPPY:
		return 1;
#endif
	}
	return 0;
}

static ZSTD_DCtx *zdctx;

void kv_decomp_init(size_t block_size)
{
	(void)block_size;
#ifdef HAVE_LZO
	if (lzo_init() != LZO_E_OK)
		kv_die("lzo_init failed");
#endif
	zdctx = ZSTD_createDCtx();
	if (!zdctx)
		kv_die("ZSTD_createDCtx failed");
}

int kv_decompress(unsigned flag, const unsigned char *src, size_t slen,
		  unsigned char *dst, size_t bs, char *why, size_t whylen)
{
	switch (flag) {
	case 0:
		if (slen != bs) {
			snprintf(why, whylen, "raw page of %zu bytes", slen);
			return -1;
		}
		memcpy(dst, src, bs);
		return 0;
	case KV_ZLIB: {
		uLongf dlen = bs;
		uLong sl = slen;
		int rc = uncompress2(dst, &dlen, src, &sl);

		if (rc != Z_OK) {
			snprintf(why, whylen, "zlib error %d (%s)", rc,
				 rc == Z_BUF_ERROR ? "output larger than block_size or input truncated" : zError(rc));
			return -1;
		}
		if (dlen != bs) {
			snprintf(why, whylen, "zlib output %lu bytes", (unsigned long)dlen);
			return -1;
		}
		if (sl != slen) {
			snprintf(why, whylen, "zlib stream ends after %lu of %zu bytes",
				 (unsigned long)sl, slen);
			return -1;
		}
		return 0;
	}
	case KV_ZSTD: {
		unsigned long long fcs = ZSTD_getFrameContentSize(src, slen);
		size_t r;

		if (fcs == ZSTD_CONTENTSIZE_ERROR) {
			snprintf(why, whylen, "not a zstd frame");
			return -1;
		}
		if (fcs != ZSTD_CONTENTSIZE_UNKNOWN && fcs != bs) {
			snprintf(why, whylen, "zstd frame content size %llu", fcs);
			return -1;
		}
		r = ZSTD_decompressDCtx(zdctx, dst, bs, src, slen);
		if (ZSTD_isError(r)) {
			snprintf(why, whylen, "zstd: %s", ZSTD_getErrorName(r));
			return -1;
		}
		if (r != bs) {
			snprintf(why, whylen, "zstd output %zu bytes", r);
			return -1;
		}
		return 0;
	}
#ifdef HAVE_LZO
	case KV_LZO: {
		lzo_uint dlen = bs;
		int rc = lzo1x_decompress_safe(src, slen, dst, &dlen, NULL);

		if (rc != LZO_E_OK) {
			snprintf(why, whylen, "lzo error %d%s", rc,
				 rc == LZO_E_OUTPUT_OVERRUN ? " (output larger than block_size)" :
				 rc == LZO_E_INPUT_NOT_CONSUMED ? " (trailing input)" : "");
			return -1;
		}
		if (dlen != bs) {
			snprintf(why, whylen, "lzo output %lu bytes", (unsigned long)dlen);
			return -1;
		}
		return 0;
	}
#endif
#ifdef HAVE_SNAPPY
	case KV_SNAPPY: {
		size_t ulen = 0;

		if (snappy_uncompressed_length((const char *)src, slen, &ulen) != SNAPPY_OK) {
			snprintf(why, whylen, "snappy: bad length preamble");
			return -1;
		}
		if (ulen != bs) {
			snprintf(why, whylen, "snappy output %zu bytes", ulen);
			return -1;
		}
		if (snappy_uncompress((const char *)src, slen, (char *)dst, &ulen) != SNAPPY_OK ||
		    ulen != bs) {
			snprintf(why, whylen, "snappy: corrupt data");
			return -1;
		}
		return 0;
	}
#endif
	}
	snprintf(why, whylen, "compression %s not built in", kv_method_name(flag));
	return -1;
}
