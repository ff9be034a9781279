/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kdump-compressed reader (filter/lib/input-kdump.c) alone: any bytes
 * as a kdump file, opened through the input ops without the layers above
 * (so that a VMCOREINFO the mutations broke does not hide the reader),
 * then the notes and VMCOREINFO parsed, and every page the bitmaps
 * promise read and decompressed. Must never crash, hang or leak.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kcf-internal.h"

#define MAX_PAGES_READ 4096       /* a large max_mapnr costs time, not coverage */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_pages(struct kcf_vmcore *vm)
{
	struct kcf_layout lay;
	struct kcf_vmcoreinfo vi = { 0 };
	const char *vi_text;
	size_t vi_len, done = 0;

	if (kcf_parse_notes(vm, &vi_text, &vi_len) == 0 &&
	    kcf_vmcoreinfo_parse(vm->ctx, vi_text, vi_len, &vi, &lay) == 0)
		kcf_vmcoreinfo_get(&vi, "SYMBOL(prb)");
	kcf_vmcoreinfo_free(&vi);
	for (size_t i = 0; i < vm->nr_loads && done < MAX_PAGES_READ; i++) {
		const struct kcf_load *l = &vm->loads[i];
		for (uint64_t pa = l->paddr; pa - l->paddr < l->memsz && done < MAX_PAGES_READ; pa += 4096, done++) {
			uint64_t pfn = pa / 4096;
			const uint8_t *p;
			/* both windows, a whole page and a small read at its end */
			if (kcf_phys_present(vm, pfn) && (p = kcf_phys_map(vm, KCF_WIN_DATA, pa, 4096)))
				(void)*(volatile const uint8_t *)(p + 4095);
			if ((p = kcf_phys_map(vm, KCF_WIN_META, pa + 4088, 8)))
				(void)*(volatile const uint8_t *)(p + 7);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kcf_vmcore vm = { .path = "fuzz.kdump", .in = &kcf_input_kdump, .fd = -1 };
	int fd = memfd_create("fuzz-kdump", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size && kcf_ctx_new(&vm.ctx) == 0) {
		vm.fd = fd;
		vm.file_size = size;
		if (vm.in->open(&vm) == 0)
			read_pages(&vm);
		vm.in->close(&vm);
		kcf_ctx_free(vm.ctx);
		free(vm.loads);
		free(vm.notes);
	}
	close(fd);
	return 0;
}
