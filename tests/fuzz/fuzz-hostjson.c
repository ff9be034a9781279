/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Any bytes as a kcatch.json that kcatch list / report read from a dump
 * directory (systemd/dumpjson.c on json-c): parsed within the input, and
 * every value kcatch prints comes out escaped, without a control byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "dumpdir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const keys[] = { "status", "crash_time", "kernel_release", "panic_message", "error", "hostname",
	"bytes.memory", "dump.file", "dump.dump_level", "dump.compressor", "pages.in_memory", "a.b.c.d.e.f", "",
	".", "dump.", NULL };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *j;
	char err[256], v[512];
	/* a copy of exactly size bytes, no NUL after it: ASan sees any read past the input */
	char *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (dd_json_parse(buf, size, &j, err, sizeof(err)) == 0) {
		for (int i = 0; keys[i]; i++) {
			const char *s = dd_json_get(j, keys[i], v, sizeof(v));
			if (!s)
				continue;
			if (strnlen(s, sizeof(v)) == sizeof(v))
				abort();
			for (const unsigned char *c = (const unsigned char *)s; *c; c++)
				if (*c < 0x20 || *c == 0x7f)
					abort();  /* kc_escape let a control byte through */
		}
		json_object_put(j);
	} else if (strnlen(err, sizeof(err)) == sizeof(err)) {
		abort();
	}
	free(buf);
	return 0;
}
