/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kdump-compressed ("diskdump") writer.
 *
 * Layout: header block, sub header + copied ELF notes, bitmap 1 (PFN is
 * RAM), bitmap 2 (PFN is in the dump), one page descriptor per dumped
 * PFN, then page data. The descriptor array's size must be known before
 * the first page is written, so there are two passes over mem_map: the
 * first classifies and writes the bitmaps, the second classifies again
 * (same input, same answer, checked per cycle) and writes the pages.
 * Classifying is cheap next to reading and compressing page data, and
 * it keeps memory at one cycle's worth whatever the RAM size.
 *
 * The header goes out first with the INCOMPLETE flag set and is
 * rewritten without it only once everything else is on disk, so a dump
 * cut short by ENOSPC, an I/O error or a kill never looks complete.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kcf-internal.h"
#include "format-kdump.h"

#define DESC_BATCH 4096
#define SPLIT_BLOCK 4096                     /* split boundaries fall on multiples of this */

/*
 * One output file. A normal dump has one part; --split writes several,
 * each with the same header and bitmaps but the descriptors and data of
 * its own PFN range only, as crash expects of split dumps.
 */
struct kdump_part {
	struct kcf_sink *sink;
	uint64_t start_pfn, end_pfn;
	uint64_t nr_dumpable;
	uint64_t off_data;
	uint8_t *descs;              /* DESC_BATCH descriptors */
	uint64_t desc_first;         /* index of descs[0] */
	uint64_t desc_n;
	uint64_t data_cursor;
	uint64_t zero_off;           /* shared zero page, 0 when not used */
};

struct kdump_writer {
	struct kcf_vmcore *vm;
	const struct kcf_dump_options *opts;
	struct kdump_part *parts;
	unsigned nparts;
	bool split;
	struct kcf_stats *stats;
	struct kcf_pass pass;
	const struct kcf_compressor_ops *comp;
	void *comp_state;

	uint64_t page_size;
	uint64_t cycle_pages;
	uint64_t max_mapnr;
	uint64_t bitmap_len;
	uint64_t sub_hdr_blocks;
	uint64_t off_bitmap1, off_bitmap2, off_desc;
	uint64_t nr_dumpable;
	uint64_t *cycle_dumpable;    /* per cycle, from pass 1 */
	uint64_t nr_cycles;
	uint32_t *block_dumpable;    /* per SPLIT_BLOCK PFNs, to place split boundaries */
	uint64_t nr_blocks;

	uint8_t *bm1, *bm2;          /* one cycle of each bitmap */
	uint8_t *cbuf;               /* one compressed page */
	struct kcf_pipeline *pl;     /* compression threads, when asked for */
	unsigned emit_part;          /* part of the next page written */
	uint64_t written;            /* pages written in pass 2 */
};


static int write_header(struct kdump_writer *w, struct kcf_sink *sink, bool complete)
{
	struct kcf_vmcore *vm = w->vm;
	uint8_t *b = calloc(1, w->page_size);
	uint32_t status = w->comp ? w->comp->flag : 0;
	int r;

	if (!b)
		return -ENOMEM;
	if (!complete)
		status |= KDUMP_INCOMPLETE;
	memcpy(b, KDUMP_SIGNATURE, KDUMP_SIGNATURE_LEN);
	kcf_put32(b + KDH_VERSION, KDUMP_HEADER_VERSION);
	for (int i = 0; i < 6; i++)
		memcpy(b + KDH_UTSNAME + KDH_UTS_LEN * i, vm->utsname[i], KDH_UTS_LEN);
	kcf_put64(b + KDH_TIMESTAMP, vm->lay.crashtime == KCF_UNSET ? 0 : (uint64_t)vm->lay.crashtime);
	kcf_put32(b + KDH_STATUS, status);
	kcf_put32(b + KDH_BLOCK_SIZE, (uint32_t)w->page_size);
	kcf_put32(b + KDH_SUB_HDR_SIZE, (uint32_t)w->sub_hdr_blocks);
	kcf_put32(b + KDH_BITMAP_BLOCKS, (uint32_t)(2 * w->bitmap_len / w->page_size));
	kcf_put32(b + KDH_MAX_MAPNR, w->max_mapnr > UINT32_MAX ? UINT32_MAX : (uint32_t)w->max_mapnr);
	kcf_put32(b + KDH_NR_CPUS, vm->nr_cpus);
	r = kcf_sink_pwrite(sink, b, w->page_size, 0);
	free(b);
	return r;
}

static int write_headers(struct kdump_writer *w, bool complete)
{
	for (unsigned i = 0; i < w->nparts; i++) {
		int r = write_header(w, w->parts[i].sink, complete);
		if (r < 0)
			return r;
	}
	return 0;
}

static int write_sub_header(struct kdump_writer *w, struct kdump_part *p)
{
	struct kcf_vmcore *vm = w->vm;
	size_t len = w->sub_hdr_blocks * w->page_size;
	uint8_t *b = calloc(1, len);
	uint64_t off_note = w->page_size + KDSH_SIZE;
	int r;

	if (!b)
		return -ENOMEM;
	kcf_put64(b + KDSH_PHYS_BASE, vm->kdump_phys_base);
	kcf_put32(b + KDSH_DUMP_LEVEL, w->opts->dump_level);
	kcf_put64(b + KDSH_OFF_VMCOREINFO, off_note + vm->vi_note_off);
	kcf_put64(b + KDSH_SIZE_VMCOREINFO, vm->vi.len);
	kcf_put64(b + KDSH_OFF_NOTE, off_note);
	kcf_put64(b + KDSH_SIZE_NOTE, vm->notes_len);
	kcf_put64(b + KDSH_MAX_MAPNR_64, w->max_mapnr);
	if (w->split) {
		kcf_put32(b + KDSH_SPLIT, 1);
		kcf_put64(b + KDSH_START_PFN, p->start_pfn);    /* 32-bit era fields, as makedumpfile */
		kcf_put64(b + KDSH_END_PFN, p->end_pfn);
		kcf_put64(b + KDSH_START_PFN_64, p->start_pfn);
		kcf_put64(b + KDSH_END_PFN_64, p->end_pfn);
	}
	memcpy(b + KDSH_SIZE, vm->notes, vm->notes_len);
	r = kcf_sink_pwrite(p->sink, b, len, w->page_size);
	free(b);
	return r;
}

/* Both bitmaps of one classified cycle; returns the number of pages kept. */
static uint64_t fill_bitmaps(struct kdump_writer *w, const struct kcf_cycle *c)
{
	uint64_t n = c->end_pfn - c->start_pfn, bytes = (n + 7) / 8;
	uint64_t kept = 0;

	memset(w->bm1, 0, bytes);
	memset(w->bm2, 0, bytes);
	for (uint64_t i = 0; i < n; i++) {
		uint8_t cls = c->cls[i];
		if (cls == 0xff)
			continue;
		w->bm1[i >> 3] |= (uint8_t)(1u << (i & 7));
		if (cls == KCF_CLASS_KEPT) {
			w->bm2[i >> 3] |= (uint8_t)(1u << (i & 7));
			kept++;
		}
	}
	return kept;
}

/* Pass 1 for one cycle: bitmaps written, dumped pages counted. */
static int bitmap_cycle(struct kdump_writer *w, const struct kcf_cycle *c)
{
	uint64_t n = c->end_pfn - c->start_pfn, bytes = (n + 7) / 8;
	uint64_t kept = fill_bitmaps(w, c);

	w->cycle_dumpable[c->start_pfn / w->cycle_pages] = kept;
	w->nr_dumpable += kept;
	if (w->block_dumpable)
		for (uint64_t i = 0; i < n; i++)
			if (c->cls[i] == KCF_CLASS_KEPT)
				w->block_dumpable[(c->start_pfn + i) / SPLIT_BLOCK]++;
	for (unsigned i = 0; i < w->nparts; i++) {
		struct kcf_sink *sink = w->parts[i].sink;
		int r = kcf_sink_pwrite(sink, w->bm1, bytes, w->off_bitmap1 + c->start_pfn / 8);
		if (r == 0)
			r = kcf_sink_pwrite(sink, w->bm2, bytes, w->off_bitmap2 + c->start_pfn / 8);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Split boundaries: about the same number of dumped pages in each part. */
static void place_parts(struct kdump_writer *w)
{
	uint64_t acc = 0, b = 0;
	for (unsigned i = 0; i < w->nparts; i++) {
		struct kdump_part *p = &w->parts[i];
		uint64_t target = w->nr_dumpable * (i + 1) / w->nparts;
		p->start_pfn = i ? w->parts[i - 1].end_pfn : 0;
		p->nr_dumpable = 0;
		while (b < w->nr_blocks && (acc < target || i == w->nparts - 1)) {
			acc += w->block_dumpable[b];
			p->nr_dumpable += w->block_dumpable[b];
			b++;
		}
		p->end_pfn = i == w->nparts - 1 ? w->max_mapnr : KCF_MIN(b * SPLIT_BLOCK, w->max_mapnr);
	}
}

static int flush_descs(struct kdump_writer *w, struct kdump_part *p)
{
	/*
	 * Data first: a descriptor on disk must never point past the data on
	 * disk, so the threads' pending writes and the buffer go out first.
	 */
	int r = w->pl ? kcf_pipeline_drain(w->pl) : 0;
	if (r == 0)
		r = kcf_sink_flush(p->sink);
	if (r < 0)
		return r;
	r = kcf_sink_pwrite(p->sink, p->descs, p->desc_n * KDUMP_DESC_SIZE,
			    w->off_desc + p->desc_first * KDUMP_DESC_SIZE);
	if (r < 0)
		return r;
	p->desc_first += p->desc_n;
	p->desc_n = 0;
	return 0;
}

/* Room is made before adding, so a batch's descriptors never go out before its data. */
static int add_desc(struct kdump_writer *w, struct kdump_part *p, uint64_t off, uint32_t size,
		    uint32_t flags)
{
	if (p->desc_n == DESC_BATCH) {
		int r = flush_descs(w, p);
		if (r < 0)
			return r;
	}
	kdump_desc_put(p->descs + p->desc_n * KDUMP_DESC_SIZE, off, size, flags);
	p->desc_n++;
	return 0;
}


static void progress(struct kdump_writer *w)
{
	if (w->opts->progress)
		w->opts->progress(w->opts->progress_arg, w->written, w->nr_dumpable);
}

/* The part pfn goes to; pages come in PFN order, so emit_part only moves on. */
static struct kdump_part *part_of(struct kdump_writer *w, uint64_t pfn)
{
	while (pfn >= w->parts[w->emit_part].end_pfn && w->emit_part + 1 < w->nparts)
		w->emit_part++;
	return &w->parts[w->emit_part];
}

/*
 * Kept pages, in PFN order: from the pipeline (a batch, dw set) or one
 * at a time. A batch that lies in one regular output file leaves its
 * data to the pipeline's threads to write (dw): the offsets are fixed
 * here, in order. Flattened streams and batches across a --split
 * boundary are written here, through the sink's buffer.
 */
static int emit_pages(void *arg, const struct kcf_page_result *res, unsigned n, struct kcf_deferred_write *dw)
{
	struct kdump_writer *w = arg;
	struct kdump_part *part = part_of(w, res[0].pfn);
	bool defer = dw && !part->sink->flattened && res[n - 1].pfn < part->end_pfn;
	int r;

	if (defer) {
		/* room for the whole batch now: no descriptor of it goes out before its data */
		if (part->desc_n + n > DESC_BATCH && (r = flush_descs(w, part)) < 0)
			return r;
		dw->sink = part->sink;
		dw->off = part->data_cursor;
	}
	for (unsigned i = 0; i < n; i++) {
		const struct kcf_page_result *p = &res[i];
		part = part_of(w, p->pfn);
		if (p->zero) {
			w->stats->pages[KCF_CLASS_ZERO]++;
			w->stats->pages[KCF_CLASS_KEPT]--;
			r = add_desc(w, part, part->zero_off, (uint32_t)w->page_size, 0);
		} else {
			r = defer ? 0 : kcf_sink_append(part->sink, p->data, p->size, part->data_cursor);
			if (r == 0)
				r = add_desc(w, part, part->data_cursor, p->size, p->flags);
			part->data_cursor += p->size;
		}
		if (r < 0)
			return r;
		if ((++w->written & 0xffff) == 0)
			progress(w);
	}
	return 0;
}

/*
 * One kept page: to the worker threads when there are any, else through
 * the same zero-check and compression step here, and out through
 * emit_pages() either way.
 */
static int write_page(struct kdump_writer *w, uint64_t pfn)
{
	const uint8_t *page = kcf_phys_map(w->vm, KCF_WIN_DATA, pfn * w->page_size, w->page_size);
	int r;
	if (!page)
		return kcf_err(w->vm->ctx, EIO, "%s: cannot read page %#llx: %s", w->vm->path,
			       (unsigned long long)pfn, kcf_ctx_error(w->vm->ctx));
	if (!w->pl) {
		struct kcf_page_result res = { .pfn = pfn };
		kcf_process_page(w->comp, w->comp_state, w->page_size, w->opts->dump_level & KCF_DL_ZERO,
				 page, w->cbuf, &res);
		return emit_pages(w, &res, 1, NULL);
	}
	uint8_t *slot = kcf_pipeline_page(w->pl, pfn, &r);
	if (!slot)
		return r;
	memcpy(slot, page, w->page_size);
	return kcf_pipeline_commit(w->pl);
}

/*
 * A run of kept pages for the worker threads, read straight into their
 * batches: no copy through a read window.
 */
static int write_run_direct(struct kdump_writer *w, uint64_t pfn, uint64_t run)
{
	while (run) {
		unsigned got;
		int r;
		uint8_t *slots = kcf_pipeline_pages(w->pl, pfn, run, &got, &r);
		if (!slots)
			return r;
		r = kcf_phys_copy(w->vm, pfn * w->page_size, slots, got * w->page_size);
		if (r < 0)
			return kcf_err(w->vm->ctx, EIO, "%s: cannot read pages %#llx-%#llx: %s", w->vm->path,
				       (unsigned long long)pfn, (unsigned long long)(pfn + got - 1),
				       kcf_ctx_error(w->vm->ctx));
		r = kcf_pipeline_commit_n(w->pl, got);
		if (r < 0)
			return r;
		pfn += got;
		run -= got;
	}
	return 0;
}

/* Set bits of bm from bit i on, counting at most max. */
static uint64_t run_of_ones(const uint8_t *bm, uint64_t i, uint64_t n, uint64_t max)
{
	uint64_t run = 0;
	while (i < n && run < max) {
		if (!(bm[i / 8] & (1u << (i % 8))))
			break;
		if (i % 64 == 0 && n - i >= 64 && max - run >= 64) {
			uint64_t word;
			memcpy(&word, bm + i / 8, 8);
			if (word == ~0ULL) {
				run += 64;
				i += 64;
				continue;
			}
		}
		run++;
		i++;
	}
	return run;
}

/*
 * Pass 2 for one cycle: write the pages whose bit is set in bm2, which
 * covers PFNs [start, end), a run of consecutive ones at a time.
 */
static int pages_cycle(struct kdump_writer *w, uint64_t start, uint64_t end, uint64_t expect)
{
	uint64_t n = end - start, seen = 0, words = (n + 63) / 64, run_end = 0;
	bool direct = w->pl && kcf_phys_copy_is_direct(w->vm);
	for (uint64_t wi = 0; wi < words; wi++) {
		uint64_t bits;
		memcpy(&bits, w->bm2 + wi * 8, 8);
		if (wi == words - 1 && n % 64)
			bits &= (1ULL << (n % 64)) - 1;
		while (bits) {
			uint64_t pfn = start + wi * 64 + (uint64_t)__builtin_ctzll(bits);
			bits &= bits - 1;
			if (++seen > expect)
				break;
			int r;
			if (pfn >= run_end) {
				/* A new run of kept pages: read it, not the excluded pages around it. */
				uint64_t run = run_of_ones(w->bm2, pfn - start, n, 1024);
				run_end = pfn + run;
				if (direct) {
					if ((r = write_run_direct(w, pfn, KCF_MIN(run, expect - seen + 1))) < 0)
						return r;
					continue;
				}
				kcf_phys_hint(w->vm, KCF_WIN_DATA, run * w->page_size);
			} else if (direct) {
				continue;  /* written with its run */
			}
			r = write_page(w, pfn);
			if (r < 0)
				return r;
		}
	}
	if (seen != expect)
		return kcf_err(w->vm->ctx, EIO,
			       "%s: the vmcore changed between the two passes (PFNs %#llx-%#llx): %llu pages then, %llu now",
			       w->vm->path, (unsigned long long)start, (unsigned long long)end,
			       (unsigned long long)expect, (unsigned long long)seen);
	return 0;
}

/*
 * Bitmap 2 of one cycle for pass 2. A regular output file already holds
 * it (pass 1 wrote it): reading it back is much cheaper than walking
 * mem_map again. A stream cannot be read back: classify again.
 */
static int cycle_bitmap(struct kdump_writer *w, uint64_t start, uint64_t end)
{
	struct kcf_sink *sink = w->parts[0].sink;
	uint64_t bytes = (end - start + 7) / 8;
	const struct kcf_cycle *c;
	int r;

	memset(w->bm2, 0, (bytes + 7) & ~7ULL);
	if (kcf_sink_read_back(sink, w->bm2, bytes, w->off_bitmap2 + start / 8) == 0)
		return 0;
	/* an output opened write-only: fall back to classifying (one cycle) */
	kcf_pass_begin(&w->pass, start, end, false);
	if ((r = kcf_pass_next(&w->pass, &c)) < 0)
		return r;
	fill_bitmaps(w, c);
	return 0;
}

static int setup(struct kdump_writer *w)
{
	struct kcf_vmcore *vm = w->vm;
	const struct kcf_dump_options *o = w->opts;
	int r;

	w->page_size = (uint64_t)vm->lay.page_size;
	w->max_mapnr = vm->max_pfn;
	w->cycle_pages = kcf_pass_cycle_pages(vm, o);
	w->nr_cycles = (w->max_mapnr + w->cycle_pages - 1) / w->cycle_pages;
	w->bitmap_len = ((w->max_mapnr + 7) / 8 + w->page_size - 1) / w->page_size * w->page_size;
	w->sub_hdr_blocks = (KDSH_SIZE + vm->notes_len + w->page_size - 1) / w->page_size;
	struct kdump_geometry g = kdump_geometry(w->page_size, w->sub_hdr_blocks, w->bitmap_len);
	w->off_bitmap1 = g.off_bitmap1;
	w->off_bitmap2 = g.off_bitmap2;
	w->off_desc = g.off_desc;

	if (o->compress != KCF_COMPRESS_NONE) {
		w->comp = kcf_compressor_get(o->compress);
		if (!w->comp)
			return kcf_err(vm->ctx, ENOTSUP, "%s compression is not built into this kcatch-filter",
				       kcf_compress_name(o->compress));
		r = w->comp->init(&w->comp_state, w->page_size);
		if (r < 0)
			return kcf_err(vm->ctx, r, "cannot set up %s compression", w->comp->name);
	}
	w->bm1 = malloc(w->cycle_pages / 8 + 8);
	w->bm2 = malloc(w->cycle_pages / 8 + 8);
	w->cbuf = malloc(w->page_size);
	w->cycle_dumpable = calloc(w->nr_cycles, sizeof(uint64_t));
	if (!w->bm1 || !w->bm2 || !w->cbuf || !w->cycle_dumpable)
		return -ENOMEM;
	for (unsigned i = 0; i < w->nparts; i++)
		if (!(w->parts[i].descs = malloc(DESC_BATCH * KDUMP_DESC_SIZE)))
			return -ENOMEM;
	if (o->num_threads > 1) {
		r = kcf_pipeline_new(w->comp, w->comp_state, w->page_size, o->num_threads,
				     o->dump_level & KCF_DL_ZERO, emit_pages, w, &w->pl);
		if (r < 0)
			return kcf_err(vm->ctx, r, "cannot start %u compression threads", o->num_threads);
	}
	if (w->split) {
		w->nr_blocks = (w->max_mapnr + SPLIT_BLOCK - 1) / SPLIT_BLOCK;
		w->block_dumpable = calloc(w->nr_blocks, sizeof(uint32_t));
		if (!w->block_dumpable)
			return -ENOMEM;
	}
	return kcf_pass_init(&w->pass, vm, o, w->stats);
}

static void teardown(struct kdump_writer *w)
{
	kcf_pipeline_free(w->pl);
	if (w->comp && w->comp_state)
		w->comp->fini(w->comp_state);
	kcf_pass_fini(&w->pass);
	free(w->bm1);
	free(w->bm2);
	for (unsigned i = 0; i < w->nparts; i++)
		free(w->parts[i].descs);
	free(w->cbuf);
	free(w->cycle_dumpable);
	free(w->block_dumpable);
}

/*
 * The descriptor array is allocated before any page data, so that when
 * the data fills the disk the descriptors of the pages that made it can
 * still be written and a reader gets them (the rest read as lost).
 */
static int reserve_descs(struct kdump_writer *w)
{
	for (unsigned i = 0; i < w->nparts; i++) {
		struct kdump_part *p = &w->parts[i];
		if (kcf_sink_reserve(p->sink, w->off_desc, p->nr_dumpable * KDUMP_DESC_SIZE) == -ENOSPC)
			return kcf_err(w->vm->ctx, ENOSPC,
				       "no room for the dump's %llu page descriptors (%.1f MiB): the target file system is full",
				       (unsigned long long)p->nr_dumpable, (double)p->nr_dumpable * KDUMP_DESC_SIZE / 1048576.0);
		/* other errors (a file system without fallocate): carry on unreserved */
	}
	return 0;
}

/* After a write failure: keep what reached the disk readable. */
static void salvage(struct kdump_writer *w)
{
	if (w->pl)
		kcf_pipeline_drain(w->pl);        /* writes in flight land (or fail) first */
	for (unsigned i = 0; i < w->nparts; i++) {
		struct kdump_part *p = &w->parts[i];
		if (p->sink->flattened || !p->descs)
			continue;
		kcf_sink_flush(p->sink);          /* may fail again; good_end says how far it got */
		for (uint64_t k = 0; k < p->desc_n; k++) {
			uint8_t *d = p->descs + k * KDUMP_DESC_SIZE;
			if (kdump_desc_offset(d) + kdump_desc_size(d) > kcf_sink_good_end(p->sink))
				kdump_desc_put(d, 0, kdump_desc_size(d), kdump_desc_flags(d));  /* offset 0: lost */
		}
		kcf_sink_pwrite(p->sink, p->descs, p->desc_n * KDUMP_DESC_SIZE,
				w->off_desc + p->desc_first * KDUMP_DESC_SIZE);
		kcf_sink_sync_quiet(p->sink);     /* the first error's message stays */
	}
}

static int run(struct kdump_writer *w)
{
	bool flattened = w->parts[0].sink->flattened;
	const struct kcf_cycle *c;
	int r;

	/* Flattened streams cannot rewrite the header: it goes last, once. */
	if (!flattened && (r = write_headers(w, false)) < 0)
		return r;
	kcf_pass_begin(&w->pass, 0, w->max_mapnr, true);
	while ((r = kcf_pass_next(&w->pass, &c)) == 0)
		if ((r = bitmap_cycle(w, c)) < 0)
			return r;
	if (r < 0 || (r = kcf_pass_check(&w->pass)) < 0)
		return r;
	if (w->split) {
		place_parts(w);
	} else {
		w->parts[0].end_pfn = w->max_mapnr;
		w->parts[0].nr_dumpable = w->nr_dumpable;
	}
	if ((r = reserve_descs(w)) < 0)
		return r;
	memset(w->cbuf, 0, w->page_size);
	for (unsigned i = 0; i < w->nparts; i++) {
		struct kdump_part *p = &w->parts[i];
		if ((r = write_sub_header(w, p)) < 0)
			return r;
		p->off_data = w->off_desc + p->nr_dumpable * KDUMP_DESC_SIZE;
		p->data_cursor = p->off_data;
		if (w->opts->dump_level & KCF_DL_ZERO) {
			/* One zero page that every zero page's descriptor points to. */
			r = kcf_sink_append(p->sink, w->cbuf, w->page_size, p->data_cursor);
			if (r < 0)
				return r;
			p->zero_off = p->data_cursor;
			p->data_cursor += w->page_size;
		}
	}
	progress(w);
	for (uint64_t i = 0; i < w->nr_cycles; i++) {
		uint64_t start = i * w->cycle_pages, end = KCF_MIN(start + w->cycle_pages, w->max_mapnr);
		r = cycle_bitmap(w, start, end);
		if (r < 0)
			return r;
		r = pages_cycle(w, start, end, w->cycle_dumpable[i]);
		if (r < 0)
			return r;
	}
	if (w->pl && (r = kcf_pipeline_finish(w->pl)) < 0)
		return r;
	for (unsigned i = 0; i < w->nparts; i++) {
		struct kcf_sink *sink = w->parts[i].sink;
		r = flush_descs(w, &w->parts[i]);
		if (r == 0)
			r = kcf_sink_flush(sink);
		if (r < 0)
			return r;
		if (w->parts[i].desc_first != w->parts[i].nr_dumpable)
			return kcf_err(w->vm->ctx, EIO, "internal: part %u got %llu pages, planned %llu", i,
				       (unsigned long long)w->parts[i].desc_first,
				       (unsigned long long)w->parts[i].nr_dumpable);
		if ((r = kcf_sink_sync(sink)) < 0)
			return r;
	}
	progress(w);
	r = write_headers(w, true);
	for (unsigned i = 0; i < w->nparts && r == 0; i++)
		r = kcf_sink_finish(w->parts[i].sink);
	return r;
}

int kcf_write_kdump(struct kcf_vmcore *vm, const struct kcf_dump_options *opts,
		    struct kcf_sink *sinks, unsigned nsinks, struct kcf_stats *stats)
{
	struct kdump_writer w = { .vm = vm, .opts = opts, .stats = stats,
				  .nparts = nsinks, .split = nsinks > 1 };
	int r;

	stats->max_mapnr = vm->max_pfn;
	w.parts = calloc(nsinks, sizeof(*w.parts));
	if (!w.parts)
		return -ENOMEM;
	for (unsigned i = 0; i < nsinks; i++)
		w.parts[i].sink = &sinks[i];
	r = setup(&w);
	if (r == 0)
		r = run(&w);
	if (r < 0 && w.written > 0) {
		salvage(&w);
		stats->incomplete = true;
		stats->pages_lost = w.nr_dumpable - w.written;
	}
	stats->bytes_written = 0;
	for (unsigned i = 0; i < nsinks; i++)
		stats->bytes_written += sinks[i].size;
	teardown(&w);
	free(w.parts);
	return r;
}
