/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Physical memory of the crashed kernel, whatever the input format:
 * every layer above (arch page-table walks, mem_map, the writers'
 * page data) reads it here, and this file hands the request to the
 * format's input ops (input-elf.c, input-kdump.c), which never call
 * back up.
 */
#include <errno.h>
#include <string.h>

#include "kcf-internal.h"

const void *kcf_phys_map(struct kcf_vmcore *vm, int win, uint64_t paddr, size_t len)
{
	return vm->in->map(vm, win, paddr, len);
}

void kcf_phys_hint(struct kcf_vmcore *vm, int win, uint64_t bytes)
{
	if (vm->in->hint)
		vm->in->hint(vm, win, bytes);
}

int kcf_phys_read(struct kcf_vmcore *vm, uint64_t paddr, void *buf, size_t len)
{
	uint8_t *out = buf;
	while (len) {
		size_t chunk = 4096 - (paddr & 4095);
		if (chunk > len)
			chunk = len;
		const void *p = kcf_phys_map(vm, KCF_WIN_META, paddr, chunk);
		if (!p)
			return -EFAULT;
		memcpy(out, p, chunk);
		out += chunk;
		paddr += chunk;
		len -= chunk;
	}
	return 0;
}

int kcf_phys_copy(struct kcf_vmcore *vm, uint64_t paddr, void *buf, size_t len)
{
	if (vm->in->copy) {
		int r = vm->in->copy(vm, paddr, buf, len);
		if (r <= 0)
			return r;
		return kcf_phys_read(vm, paddr, buf, len);   /* the input said: page by page */
	}
	const void *src = kcf_phys_map(vm, KCF_WIN_META, paddr, len);
	if (!src)
		return -EFAULT;
	memcpy(buf, src, len);
	return 0;
}

bool kcf_phys_copy_is_direct(const struct kcf_vmcore *vm)
{
	return vm->in->copy != NULL;
}

bool kcf_phys_present(struct kcf_vmcore *vm, uint64_t pfn)
{
	return !vm->in->page_present || vm->in->page_present(vm, pfn);
}
