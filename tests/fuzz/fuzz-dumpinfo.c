/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Any bytes as a kcatch.json that retention reads back from a shared
 * dump directory: parsed within the input, every field terminated.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dumpinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TERMINATED(a) (strnlen((a), sizeof(a)) < sizeof(a))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kc_dumpinfo d;
	/* a copy of exactly size bytes: ASan sees any read past the input */
	char *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (kc_dumpinfo_parse(buf, size, &d) == 0 &&
	    !(TERMINATED(d.version) && TERMINATED(d.status) && TERMINATED(d.id) && TERMINATED(d.hostname) &&
	      TERMINATED(d.machine_id)))
		abort();
	free(buf);
	return 0;
}
