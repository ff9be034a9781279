/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Any bytes as kcatch.conf: every key, number range, target URL and net
 * line parser, then the effective settings printed back.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcatch-config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kc_config c;
	char err[512], *text = malloc(size + 1);
	FILE *f;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	kc_config_init(&c);
	kc_config_parse(&c, "fuzz.conf", text, err, sizeof(err));
	if (strnlen(err, sizeof(err)) == sizeof(err))
		abort();  /* the message is always terminated */
	f = fopen("/dev/null", "we");
	if (f) {
		kc_config_dump(&c, f);
		fclose(f);
	}
	kc_config_free(&c);
	free(text);
	return 0;
}
