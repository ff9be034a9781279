/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Public entry points for writing dumps: option checks and dispatch. */
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

int kcf_check_memmap_usable(struct kcf_vmcore *vm, const struct kcf_dump_options *o,
			    const struct kcf_stats *st)
{
	uint64_t ram = 0;
	for (int c = 0; c < KCF_CLASS_MAX; c++)
		ram += st->pages[c];
	if ((o->dump_level & ~(unsigned)KCF_DL_ZERO) && ram && st->pages_no_memmap == ram)
		return kcf_err(vm->ctx, ENODATA,
			       "%s: no struct page could be read (SYMBOL(mem_section)=%#llx leads nowhere): cannot filter by page class; dump with -d 0 or -d 1 instead",
			       vm->path, (unsigned long long)vm->lay.sym_mem_section);
	kcf_classify_report(vm, st);
	if (st->pages_no_memmap)
		kcf_log(vm->ctx, 4, "%s: %llu pages have no readable struct page; they are kept", vm->path,
			(unsigned long long)st->pages_no_memmap);
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
	struct kcf_classifier *cl;
	const struct kcf_cycle *c;
	uint64_t cycle = kcf_cycle_pages(opts);
	int r;

	memset(stats, 0, sizeof(*stats));
	r = check_options(vm, opts);
	if (r < 0)
		return r;
	r = kcf_classifier_new(vm, opts->dump_level, cycle, &cl);
	if (r < 0)
		return r;
	stats->max_mapnr = vm->max_pfn;
	for (uint64_t start = 0; start < vm->max_pfn && r == 0; start += cycle)
		r = kcf_classify_cycle(cl, start, KCF_MIN(start + cycle, vm->max_pfn), stats, &c);
	kcf_classifier_free(cl);
	if (r == 0)
		r = kcf_check_memmap_usable(vm, opts, stats);
	for (int k = 0; k < KCF_CLASS_MAX; k++)
		stats->pages_in_memory += stats->pages[k];
	return r;
}
