/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ELF writer (-E): a core file like /proc/vmcore, holding only the
 * pages the dump level keeps. Each input PT_LOAD (the kernel image
 * mapping included) becomes one or more segments: a run of at least 256
 * excluded pages ends a segment's file data, the run itself is covered
 * by p_memsz beyond p_filesz (readers see zeros there), and the next
 * kept page starts a new segment. Shorter runs stay in the file as
 * they are (a program header costs more than a few pages), except at
 * the end of a segment, where p_memsz covers them. This is
 * makedumpfile's layout, and the output is byte-identical to its -E.
 *
 * As for kdump files, two passes: the first counts segments (the
 * program header table comes first in the file), the second writes.
 * The ELF header carries e_flags = 1 ("incomplete", as makedumpfile)
 * until everything else is on disk.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kcf-internal.h"

#define SPLIT_RUN 256
#define ELF_INCOMPLETE 1
#define PHDR_BATCH 256

struct elf_writer {
	struct kcf_vmcore *vm;
	const struct kcf_dump_options *opts;
	struct kcf_sink *sink;
	struct kcf_stats *stats;
	struct kcf_pass pass;
	uint64_t page_size;
	bool writing;                 /* pass 2 */
	bool counting;                /* this region's pages count in stats */
	uint8_t *zero;                /* a page of zeros */

	/* segmenter state, per region */
	const struct kcf_load *region;
	uint64_t seg_start;           /* physical address */
	uint64_t seg_file_off;
	uint64_t run_start, run_pages; /* pending excluded run */
	bool in_run;

	uint64_t nsegs, seg_index;
	uint64_t off_phdrs, off_notes, off_data, cursor;
	Elf64_Phdr *phdrs;            /* PHDR_BATCH pending program headers */
	uint64_t phdr_first, phdr_n;
	uint64_t pages_done, pages_total;
};

static int flush_phdrs(struct elf_writer *w)
{
	int r = kcf_sink_pwrite(w->sink, w->phdrs, w->phdr_n * sizeof(Elf64_Phdr),
				w->off_phdrs + (1 + w->phdr_first) * sizeof(Elf64_Phdr));
	w->phdr_first += w->phdr_n;
	w->phdr_n = 0;
	return r;
}

static int emit_segment(struct elf_writer *w, uint64_t filesz, uint64_t memsz)
{
	if (memsz == 0)
		return 0;
	w->seg_index++;
	if (!w->writing)
		return 0;
	Elf64_Phdr *p = &w->phdrs[w->phdr_n++];
	*p = (Elf64_Phdr){
		.p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X,
		.p_offset = filesz ? w->seg_file_off : 0,
		.p_vaddr = w->region->vaddr + (w->seg_start - w->region->paddr),
		.p_paddr = w->seg_start, .p_filesz = filesz, .p_memsz = memsz,
	};
	return w->phdr_n == PHDR_BATCH ? flush_phdrs(w) : 0;
}

static int put_bytes(struct elf_writer *w, const void *data, uint64_t len)
{
	int r = 0;
	if (w->writing)
		r = kcf_sink_append(w->sink, data, len, w->cursor);
	w->cursor += len;
	return r;
}

/*
 * A short run of excluded pages is not worth a program header: its
 * pages go into the file as they are (makedumpfile does the same, and
 * byte-identical output is worth more than the few pages saved).
 */
static int fill_run(struct elf_writer *w, uint64_t upto)
{
	for (uint64_t a = w->run_start; a < upto;) {
		uint64_t n = KCF_MIN(upto - a, w->page_size - (a % w->page_size));
		const void *src = w->writing ? kcf_phys_map(w->vm, KCF_WIN_DATA, a, n) : w->zero;
		if (!src)
			src = w->zero;   /* outside p_filesz of the input: zeros */
		int r = put_bytes(w, src, n);
		if (r < 0)
			return r;
		a += n;
	}
	w->in_run = false;
	w->run_pages = 0;
	return 0;
}

/* One page (or the part of it inside the region): kept or not. */
static int walk_page(struct elf_writer *w, uint64_t a, uint64_t b, bool kept)
{
	int r;
	if (!kept) {
		if (!w->in_run) {
			w->in_run = true;
			w->run_start = a;
		}
		w->run_pages++;
		return 0;
	}
	if (w->in_run) {
		if (w->run_pages >= SPLIT_RUN) {
			r = emit_segment(w, w->run_start - w->seg_start, a - w->seg_start);
			if (r < 0)
				return r;
			w->seg_start = a;
			w->seg_file_off = w->cursor;
			w->in_run = false;
			w->run_pages = 0;
		} else if ((r = fill_run(w, a)) < 0) {
			return r;
		}
	}
	if (!w->writing) {
		w->cursor += b - a;
		return 0;
	}
	const void *src = kcf_phys_map(w->vm, KCF_WIN_DATA, a, b - a);
	if (!src)
		return kcf_err(w->vm->ctx, EIO, "%s: cannot read physical %#llx: %s", w->vm->path,
			       (unsigned long long)a, kcf_ctx_error(w->vm->ctx));
	r = put_bytes(w, src, b - a);
	if (r == 0 && (++w->pages_done & 0xffff) == 0 && w->opts->progress)
		w->opts->progress(w->opts->progress_arg, w->pages_done, w->pages_total);
	return r;
}

static bool page_is_zero(struct elf_writer *w, uint64_t a, uint64_t b)
{
	const void *p = kcf_phys_map(w->vm, KCF_WIN_DATA, a, b - a);
	return p && b - a == w->page_size && kcf_is_zero_page(p, w->page_size);
}

/* One classified cycle of the current region, page by page. */
static int walk_cycle(struct elf_writer *w, const struct kcf_cycle *c)
{
	const struct kcf_load *ld = w->region;
	uint64_t ps = w->page_size, start = ld->paddr, end = ld->paddr + ld->memsz;
	bool zero = w->opts->dump_level & KCF_DL_ZERO;

	for (uint64_t pfn = c->start_pfn; pfn < c->end_pfn; pfn++) {
		uint64_t a = KCF_MAX(pfn * ps, start), b = KCF_MIN((pfn + 1) * ps, end);
		bool in_file = b <= ld->paddr + ld->filesz;
		bool kept = in_file && c->cls[pfn - c->start_pfn] == KCF_CLASS_KEPT;
		if (kept && zero && page_is_zero(w, a, b)) {
			kept = false;
			if (w->counting) {
				w->stats->pages[KCF_CLASS_ZERO]++;
				w->stats->pages[KCF_CLASS_KEPT]--;
			}
		}
		if (kept && !w->writing)
			w->pages_total++;
		int r = walk_page(w, a, b, kept);
		if (r < 0)
			return r;
	}
	return 0;
}

static int walk_region(struct elf_writer *w, const struct kcf_load *ld, bool count)
{
	uint64_t ps = w->page_size, start = ld->paddr, end = ld->paddr + ld->memsz;
	const struct kcf_cycle *c;
	int r;

	w->region = ld;
	w->counting = count;
	w->seg_start = start;
	w->seg_file_off = w->cursor;
	w->in_run = false;
	w->run_pages = 0;
	kcf_pass_begin(&w->pass, start / ps, (end + ps - 1) / ps, count);
	while ((r = kcf_pass_next(&w->pass, &c)) == 0)
		if ((r = walk_cycle(w, c)) < 0)
			return r;
	if (r < 0)
		return r;
	/* A trailing excluded run, however short, is left to p_memsz. */
	uint64_t filesz = (w->in_run ? w->run_start : end) - w->seg_start;
	w->in_run = false;
	w->run_pages = 0;
	return emit_segment(w, filesz, end - w->seg_start);
}

/* Both passes walk the same regions in the same order. */
static int walk_all(struct elf_writer *w, bool first_pass)
{
	int r;
	w->seg_index = 0;
	w->cursor = w->off_data;
	if (w->vm->has_text_load) {
		r = walk_region(w, &w->vm->text_load, false);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < w->vm->nr_loads; i++) {
		r = walk_region(w, &w->vm->loads[i], first_pass);
		if (r < 0)
			return r;
	}
	return 0;
}

static int write_ehdr(struct elf_writer *w, bool complete)
{
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_CORE, .e_machine = w->vm->arch->elf_machine, .e_version = EV_CURRENT,
		.e_phoff = sizeof(Elf64_Ehdr), .e_flags = complete ? 0 : ELF_INCOMPLETE,
		.e_ehsize = sizeof(Elf64_Ehdr), .e_phentsize = sizeof(Elf64_Phdr),
		.e_phnum = (Elf64_Half)(1 + w->nsegs),
	};
	return kcf_sink_pwrite(w->sink, &eh, sizeof(eh), 0);
}

int kcf_write_elf(struct kcf_vmcore *vm, const struct kcf_dump_options *opts,
		  struct kcf_sink *sink, struct kcf_stats *stats)
{
	struct elf_writer w = { .vm = vm, .opts = opts, .sink = sink, .stats = stats };
	int r;

	w.page_size = (uint64_t)vm->lay.page_size;
	w.zero = calloc(1, w.page_size);
	w.phdrs = calloc(PHDR_BATCH, sizeof(Elf64_Phdr));
	stats->max_mapnr = vm->max_pfn;
	if (!w.zero || !w.phdrs) {
		r = -ENOMEM;
		goto out;
	}
	r = kcf_pass_init(&w.pass, vm, opts, stats);
	if (r < 0)
		goto out;

	/* Pass 1: how many segments, hence where the data starts. */
	r = walk_all(&w, true);
	if (r < 0)
		goto out;
	w.nsegs = w.seg_index;
	if ((r = kcf_pass_check(&w.pass)) < 0)
		goto out;
	if (1 + w.nsegs >= PN_XNUM) {
		r = kcf_err(vm->ctx, E2BIG, "the ELF dump would need %llu program headers; use the kdump format instead",
			    (unsigned long long)(1 + w.nsegs));
		goto out;
	}
	w.off_phdrs = sizeof(Elf64_Ehdr);
	w.off_notes = w.off_phdrs + (1 + w.nsegs) * sizeof(Elf64_Phdr);
	w.off_data = w.off_notes + vm->notes_len;

	/* Pass 2 */
	w.writing = true;
	if (!sink->flattened && (r = write_ehdr(&w, false)) < 0)
		goto out;
	Elf64_Phdr note = { .p_type = PT_NOTE, .p_offset = w.off_notes,
			    .p_filesz = vm->notes_len, .p_memsz = vm->notes_len };
	r = kcf_sink_pwrite(sink, &note, sizeof(note), w.off_phdrs);
	if (r == 0)
		r = kcf_sink_pwrite(sink, vm->notes, vm->notes_len, w.off_notes);
	if (r == 0)
		r = walk_all(&w, false);
	if (r == 0 && w.seg_index != w.nsegs)
		r = kcf_err(vm->ctx, EIO, "%s: the vmcore changed between the two passes", vm->path);
	if (r == 0)
		r = flush_phdrs(&w);
	if (r == 0)
		r = kcf_sink_flush(sink);
	if (r == 0)
		r = kcf_sink_sync(sink);
	if (r == 0)
		r = write_ehdr(&w, true);
	if (r == 0)
		r = kcf_sink_finish(sink);
	if (opts->progress && r == 0)
		opts->progress(opts->progress_arg, w.pages_total, w.pages_total);
out:
	if (r < 0 && w.writing && w.pages_done) {
		stats->incomplete = true;
		stats->pages_lost = w.pages_total - w.pages_done;
	}
	stats->bytes_written = sink->size;
	kcf_pass_fini(&w.pass);
	free(w.zero);
	free(w.phdrs);
	return r;
}
