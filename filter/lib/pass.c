/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The classify pass every output makes: PFNs classified a cycle at a
 * time (classify.c), each cycle returned to the caller, who pulls the
 * next one when done with it (an iterator: control only goes down),
 * and after the first pass the check that mem_map was usable at all.
 * The dry run only counts; the kdump writer builds its bitmaps from
 * the cycles; the ELF writer counts its segments, then walks again to
 * write. Memory is one cycle whatever the RAM size.
 */
#include <errno.h>
#include <string.h>

#include "kcf-internal.h"

uint64_t kcf_pass_cycle_pages(const struct kcf_vmcore *vm, const struct kcf_dump_options *o)
{
	uint64_t n = kcf_cycle_pages(o);
	/* longer than the dump: the same single cycle, in less memory */
	return n > vm->max_pfn ? (vm->max_pfn + 7) & ~7ULL : n;
}

int kcf_pass_init(struct kcf_pass *p, struct kcf_vmcore *vm, const struct kcf_dump_options *o,
		  struct kcf_stats *stats)
{
	memset(p, 0, sizeof(*p));
	p->vm = vm;
	p->dump_level = o->dump_level;
	p->stats = stats;
	p->cycle_pages = kcf_pass_cycle_pages(vm, o);
	return kcf_classifier_new(vm, o->dump_level, p->cycle_pages, &p->cl);
}

void kcf_pass_fini(struct kcf_pass *p)
{
	kcf_classifier_free(p->cl);
	p->cl = NULL;
}

void kcf_pass_begin(struct kcf_pass *p, uint64_t first, uint64_t last, bool count)
{
	p->next = first;
	p->last = last;
	p->count = count;
}

int kcf_pass_next(struct kcf_pass *p, const struct kcf_cycle **c)
{
	if (p->next >= p->last)
		return 1;
	uint64_t start = p->next;
	p->next = KCF_MIN(start + p->cycle_pages, p->last);
	int r = kcf_classify_cycle(p->cl, start, p->next, p->count ? p->stats : NULL, c);
	if (r < 0)
		p->next = p->last;
	return r;
}

int kcf_pass_check(struct kcf_pass *p)
{
	struct kcf_vmcore *vm = p->vm;
	const struct kcf_stats *st = p->stats;
	uint64_t ram = 0;

	for (int c = 0; c < KCF_CLASS_MAX; c++)
		ram += st->pages[c];
	if ((p->dump_level & ~(unsigned)KCF_DL_ZERO) && ram && st->pages_no_memmap == ram)
		return kcf_err(vm->ctx, ENODATA,
			       "%s: no struct page could be read (SYMBOL(mem_section)=%#llx leads nowhere): cannot filter by page class; dump with -d 0 or -d 1 instead",
			       vm->path, (unsigned long long)vm->lay.sym_mem_section);
	kcf_classify_report(vm, st);
	if (st->pages_no_memmap)
		kcf_log(vm->ctx, 4, "%s: %llu pages have no readable struct page; they are kept", vm->path,
			(unsigned long long)st->pages_no_memmap);
	return 0;
}
