/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Any bytes as a vmcore-dmesg.txt that kcatch report summarises
 * (systemd/crashlog.c): the summary ends, stays bounded, and holds no
 * control byte but its own newlines (every log piece printed escaped).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dumpdir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1), *out = NULL;
	size_t outlen = 0;
	FILE *in, *o;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	in = size ? fmemopen(buf, size, "r") : fopen("/dev/null", "r");
	o = open_memstream(&out, &outlen);
	if (in && o) {
		crash_summary(o, in, "vmcore-dmesg.txt");
		fclose(o);
		o = NULL;
		for (size_t i = 0; i < outlen; i++)
			if (((unsigned char)out[i] < 0x20 && out[i] != '\n') || out[i] == 0x7f)
				abort();
		/* at most a screenful per input line shown, and 40 frames */
		if (outlen > 64 * 1024 + 8 * size)
			abort();
	}
	if (in)
		fclose(in);
	if (o)
		fclose(o);
	free(out);
	free(buf);
	return 0;
}
