/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the programs (kcatch-util.h). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
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

const char *kc_escape(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	if (!len)
		return buf;
	for (; *s && o + 5 < len; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c > 0x7e || c == '\\')
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = 0;
	return buf;
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
