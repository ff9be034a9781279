/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Any bytes as a kernel log for the crash signature
 * (common/crash-signature.c): the first line (up to 32 bytes) is the
 * kernel release, the rest the log. The result is 0 or -ENODATA, every
 * field NUL-terminated inside its buffer and printable ASCII, at most
 * KC_SIG_FRAMES frames, the hash 16 lower-case hex digits exactly when a
 * crash was found, and the same bytes give the same signature.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crash-signature.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s, size_t cap)
{
	const char *nul = memchr(s, '\0', cap);
	if (!nul)
		abort();
	for (; s < nul; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size < 32 ? size : 32);
	char release[33] = "";
	const char *log = (const char *)data;
	size_t len = size;
	struct kc_signature s, again;
	int r;

	if (nl) {
		memcpy(release, data, (size_t)(nl - data));
		release[nl - data] = '\0';
		log = (const char *)nl + 1;
		len = size - (size_t)(nl - data) - 1;
	}
	r = kc_signature(len ? log : NULL, len, release, &s);
	if (r != 0 && r != -ENODATA)
		abort();
	check_text(s.cause, sizeof(s.cause));
	check_text(s.function, sizeof(s.function));
	check_text(s.family, sizeof(s.family));
	if (s.nframes > KC_SIG_FRAMES)
		abort();
	for (unsigned i = 0; i < s.nframes; i++)
		check_text(s.frames[i], sizeof(s.frames[i]));
	if (strlen(s.hash) != (r == 0 ? KC_SIG_HASH_LEN : 0) || strspn(s.hash, "0123456789abcdef") != strlen(s.hash))
		abort();
	if (r == 0 && !s.cause[0])
		abort();
	if (kc_signature(len ? log : NULL, len, release, &again) != r || memcmp(&s, &again, sizeof(s)) != 0)
		abort();
	return 0;
}
