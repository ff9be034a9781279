/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Public entry points for writing dumps: option checks, the sinks, and
 * dispatch to a writer (write-kdump.c, write-elf.c) or, for a dry run,
 * the classify pass alone (pass.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kcf-internal.h"

static int check_options(struct kcf_vmcore *vm, const struct kcf_dump_options *o)
{
	if (o->dump_level > KCF_DL_MAX)
		return kcf_err(vm->ctx, EINVAL, "dump level %u is out of range (0-31)", o->dump_level);
	if (o->compress != KCF_COMPRESS_NONE && !kcf_compressor_get(o->compress))
		return kcf_err(vm->ctx, ENOTSUP, "%s compression is not built into this kcatch-filter",
			       kcf_compress_name(o->compress));
	if (o->format != KCF_FORMAT_KDUMP && o->format != KCF_FORMAT_ELF)
		return kcf_err(vm->ctx, EINVAL, "unknown output format %d", (int)o->format);
	return 0;
}

KCF_EXPORT int kcf_dump(struct kcf_vmcore *vm, const struct kcf_dump_options *opts, int fd,
			struct kcf_stats *stats)
{
	struct kcf_sink sink;
	int r;

	memset(stats, 0, sizeof(*stats));
	r = check_options(vm, opts);
	if (r < 0)
		return r;
	r = kcf_sink_init(&sink, vm->ctx, fd, opts->flattened);
	if (r == 0)
		r = opts->format == KCF_FORMAT_ELF ? kcf_write_elf(vm, opts, &sink, stats)
						   : kcf_write_kdump(vm, opts, &sink, 1, stats);
	for (int c = 0; c < KCF_CLASS_MAX; c++)
		stats->pages_in_memory += stats->pages[c];
	kcf_sink_fini(&sink);
	return r;
}

KCF_EXPORT int kcf_dump_split(struct kcf_vmcore *vm, const struct kcf_dump_options *opts,
			      const int *fds, unsigned nfds, struct kcf_stats *stats)
{
	struct kcf_sink *sinks;
	unsigned ready = 0;
	int r;

	memset(stats, 0, sizeof(*stats));
	r = check_options(vm, opts);
	if (r < 0)
		return r;
	if (nfds < 2 || nfds > 256 || opts->format != KCF_FORMAT_KDUMP || opts->flattened)
		return kcf_err(vm->ctx, EINVAL, "--split needs 2 to 256 kdump-format output files");
	sinks = calloc(nfds, sizeof(*sinks));
	if (!sinks)
		return -ENOMEM;
	for (; ready < nfds && r == 0; ready++)
		r = kcf_sink_init(&sinks[ready], vm->ctx, fds[ready], false);
	if (r == 0)
		r = kcf_write_kdump(vm, opts, sinks, nfds, stats);
	for (int c = 0; c < KCF_CLASS_MAX; c++)
		stats->pages_in_memory += stats->pages[c];
	for (unsigned i = 0; i < ready; i++)
		kcf_sink_fini(&sinks[i]);
	free(sinks);
	return r;
}

KCF_EXPORT int kcf_dump_dry_run(struct kcf_vmcore *vm, const struct kcf_dump_options *opts,
				struct kcf_stats *stats)
{
	struct kcf_pass pass;
	const struct kcf_cycle *c;
	int r;

	memset(stats, 0, sizeof(*stats));
	r = check_options(vm, opts);
	if (r < 0)
		return r;
	r = kcf_pass_init(&pass, vm, opts, stats);
	if (r < 0) {
		kcf_pass_fini(&pass);
		return r;
	}
	stats->max_mapnr = vm->max_pfn;
	kcf_pass_begin(&pass, 0, vm->max_pfn, true);
	while ((r = kcf_pass_next(&pass, &c)) == 0)
		;
	if (r > 0)
		r = kcf_pass_check(&pass);
	kcf_pass_fini(&pass);
	for (int k = 0; k < KCF_CLASS_MAX; k++)
		stats->pages_in_memory += stats->pages[k];
	return r;
}
