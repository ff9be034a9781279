/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Any bytes as VMCOREINFO text: parsed and range-checked, never trusted. */
#include <stdint.h>

#include "kcf-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kcf_ctx *ctx;
	struct kcf_vmcoreinfo vi = { 0 };
	struct kcf_layout lay;

	if (kcf_ctx_new(&ctx) < 0)
		return 0;
	if (kcf_vmcoreinfo_parse(ctx, (const char *)data, size, &vi, &lay) == 0) {
		kcf_vmcoreinfo_get(&vi, "OSRELEASE");
		kcf_vmcoreinfo_get(&vi, "SYMBOL(prb)");
	}
	kcf_vmcoreinfo_free(&vi);
	kcf_ctx_free(ctx);
	return 0;
}
