/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Any bytes as a flattened stream for -R: never crash or write wildly. */
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kcatch-filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kcf_ctx *ctx;
	uint64_t bytes;
	int in = memfd_create("fuzz-flat", MFD_CLOEXEC);
	int out = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (in >= 0 && out >= 0 && write(in, data, size) == (ssize_t)size &&
	    lseek(in, 0, SEEK_SET) == 0 && kcf_ctx_new(&ctx) == 0) {
		kcf_flat_rearrange(ctx, in, out, &bytes);
		kcf_ctx_free(ctx);
	}
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return 0;
}
