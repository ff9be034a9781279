/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Any bytes as a crash dump (ELF vmcore or kdump-compressed file): open
 * it, read the kernel log, classify every page and write a dump to
 * /dev/null. Covers the ELF and kdump readers, VMCOREINFO, the page
 * table walk, mem_map access, the classifier, the printk ring walkers
 * and both writers. Must never crash, hang or leak, whatever the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include <fcntl.h>

#include "kcatch-filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int discard_record(void *arg, const struct kcf_log_record *rec)
{
	(void)arg;
	(void)rec;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	struct kcf_ctx *ctx;
	struct kcf_vmcore *vm;
	struct kcf_stats st;
	int fd = memfd_create("fuzz-vmcore", MFD_CLOEXEC);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (kcf_ctx_new(&ctx) == 0) {
		if (kcf_vmcore_open(ctx, path, &vm) == 0) {
			struct kcf_dump_options o = { .dump_level = 31, .cycle_pages = 4096,
						      .compress = KCF_COMPRESS_ZSTD };
			kcf_dmesg_foreach(vm, 0, discard_record, NULL);
			/* Big physical address spaces cost time, not coverage. */
			if (kcf_vmcore_max_pfn(vm) <= (1u << 20)) {
				int out = open("/dev/null", O_WRONLY | O_CLOEXEC);
				kcf_dump_dry_run(vm, &o, &st);
				if (out >= 0) {
					kcf_dump(vm, &o, out, &st);
					o.format = KCF_FORMAT_ELF;
					o.compress = KCF_COMPRESS_NONE;
					kcf_dump(vm, &o, out, &st);
					close(out);
				}
			}
			kcf_vmcore_close(vm);
		}
		kcf_ctx_free(ctx);
	}
	close(fd);
	return 0;
}
