/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the programs (kcatch-util.h). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "kcatch-util.h"

void kc_join(char *out, size_t len, const char *a, const char *b)
{
	size_t n = strlen(a);
	while (n && a[n - 1] == '/')
		n--;
	while (*b == '/' && b[1] == '/')
		b++;
	snprintf(out, len, "%.*s%s%s", (int)n, a, *b == '/' || !*b ? "" : "/", *b || n ? b : "/");
}

int kc_mkdir_p(const char *path, unsigned mode)
{
	char buf[PATH_MAX];
	struct stat st;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *s = buf + 1;; s++) {
		if (*s != '/' && *s)
			continue;
		char c = *s;
		*s = 0;
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		if (stat(buf, &st) < 0)
			return -errno;
		if (!S_ISDIR(st.st_mode))
			return -ENOTDIR;
		if (!c)
			return 0;
		*s = c;
	}
}

char *kc_cut_word(char *s)
{
	while (*s && !isspace((unsigned char)*s))
		s++;
	if (*s)
		*s++ = 0;
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

/* Appends an escape (or a byte) when it fits whole; false once it does not. */
static bool put(char *buf, size_t len, size_t *at, const char *s, size_t n)
{
	if (*at + n >= len)
		return false;
	memcpy(buf + *at, s, n);
	*at += n;
	return true;
}

/* Length of the valid UTF-8 sequence at s (n bytes left) and its code point; 0 when invalid. */
static size_t utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t k;
	uint32_t v, min;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2, v = s[0] & 0x1f, min = 0x80;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3, v = s[0] & 0x0f, min = 0x800;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4, v = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (k > n)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return k;
}

/* Characters a terminal acts on or that reorder what is shown. */
static bool hidden(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

const char *kc_escape_n(const char *s, size_t n, char *buf, size_t len)
{
	size_t at = 0;
	char e[16];
	if (!len)
		return buf;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;
		size_t k;
		bool ok;
		if (c == '\\')
			ok = put(buf, len, &at, "\\\\", 2), k = 1;
		else if (c == '\n' || c == '\t' || c == '\r')
			ok = put(buf, len, &at, c == '\n' ? "\\n" : c == '\t' ? "\\t" : "\\r", 2), k = 1;
		else if (c < 0x20 || c == 0x7f)
			snprintf(e, sizeof(e), "\\x%02x", c), ok = put(buf, len, &at, e, 4), k = 1;
		else if (c < 0x80)
			ok = put(buf, len, &at, s + i, 1), k = 1;
		else if ((k = utf8((const unsigned char *)s + i, n - i, &cp)) == 0)
			snprintf(e, sizeof(e), "\\x%02x", c), ok = put(buf, len, &at, e, 4), k = 1;
		else if (hidden(cp))
			snprintf(e, sizeof(e), "\\u{%04x}", (unsigned)cp), ok = put(buf, len, &at, e, strlen(e));
		else
			ok = put(buf, len, &at, s + i, k);
		if (!ok)
			break;
		i += k;
	}
	buf[at] = 0;
	return buf;
}

const char *kc_escape(const char *s, char *buf, size_t len)
{
	return kc_escape_n(s, strlen(s), buf, len);
}

const char *kc_target_tag(enum kc_target_kind k)
{
	switch (k) {
	case KC_TARGET_UUID: return "UUID";
	case KC_TARGET_LABEL: return "LABEL";
	case KC_TARGET_PARTUUID: return "PARTUUID";
	case KC_TARGET_PARTLABEL: return "PARTLABEL";
	default: return NULL;
	}
}

bool kc_machine_id_parse(const char *buf, size_t n, char id[33])
{
	if (n < 32 || (n > 32 && buf[32] != '\n'))
		return false;
	for (int i = 0; i < 32; i++)
		if (!((buf[i] >= '0' && buf[i] <= '9') || (buf[i] >= 'a' && buf[i] <= 'f')))
			return false;
	memcpy(id, buf, 32);
	id[32] = 0;
	return true;
}
