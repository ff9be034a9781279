/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Compression in threads (--num-threads), with the output the same byte
 * for byte whatever the thread count: the caller copies pages into
 * batches in PFN order, threads compress whole batches with their own
 * contexts, and finished batches are handed back strictly in the order
 * they were filled. Memory is fixed up front: a ring of 2 x threads + 1
 * batches of BATCH_PAGES pages (in and out buffers).
 *
 * The caller is one of the compressing threads: with N threads there
 * are N - 1 workers, and the caller, whenever the ring is full, takes
 * the oldest waiting batch itself instead of sleeping. On 2 CPUs, one
 * worker plus the caller keeps both busy; two workers plus a caller that
 * reads and writes made three runnable threads on two CPUs, and the
 * switches and wake-ups between them cost more than they gained
 * (-d 1 -z on a 4 GiB vmcore: 3.26 s against 3.99 s).
 *
 * Writing is shared too. Handing a batch back (emit) is cheap and stays
 * ordered in the caller: it places the pages in the file and records
 * their descriptors. When it returns a deferred write, the batch's data
 * becomes a write job that any thread may run: the file offsets are
 * already fixed, so positioned writes may land in any order. Copying the
 * data into the page cache is as costly as reading it, and done by one
 * thread it was the part nothing else could overlap.
 *
 * Input readers are not thread-safe (read windows, caches), which is
 * why the caller, not the workers, reads the pages.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "kcf-internal.h"

#define BATCH_PAGES 64

/* FREE -> READY -> WORKING -> DONE -> (emit) -> FREE, or WRITE -> WRITING -> FREE */
enum batch_state { B_FREE, B_READY, B_WORKING, B_DONE, B_WRITE, B_WRITING };

struct batch {
	enum batch_state state;
	uint64_t seq;
	unsigned n;
	struct kcf_page_result res[BATCH_PAGES];
	uint8_t *in;          /* BATCH_PAGES pages */
	uint8_t *out;         /* BATCH_PAGES compressed pages */
	struct kcf_deferred_write dw;   /* where a WRITE batch's data goes */
};

struct worker {
	struct kcf_pipeline *pl;
	pthread_t thread;
	void *comp_state;
	bool started;
};

struct kcf_pipeline {
	const struct kcf_compressor_ops *comp;
	size_t page_size;
	bool zero_check;
	kcf_pipeline_emit_fn emit;
	void *emit_arg;

	pthread_mutex_t lock;
	pthread_cond_t work_cv;    /* a batch became READY or WRITE, or stop */
	pthread_cond_t done_cv;    /* a batch became DONE or FREE */
	struct batch *ring;
	unsigned nbatches;
	uint64_t fill_seq;         /* sequence number of the batch being filled */
	uint64_t emit_seq;         /* next sequence number to hand back */
	bool filling;              /* ring[fill_seq] is being filled by the caller */
	bool stop;
	struct worker *workers;
	unsigned nworkers;
	void *caller_state;        /* the caller's compression context, for helping out */
	int write_err;             /* first failed write job: error, sink, offset */
	struct kcf_sink *write_err_sink;
	uint64_t write_err_off;
};

void kcf_process_page(const struct kcf_compressor_ops *comp, void *state, size_t page_size,
		      bool zero_check, const uint8_t *in, uint8_t *out, struct kcf_page_result *res)
{
	res->zero = zero_check && kcf_is_zero_page(in, page_size);
	if (res->zero)
		return;
	size_t n = comp ? comp->compress(state, in, page_size, out, page_size) : 0;
	if (n == 0 || n >= page_size) {
		res->data = in;
		res->size = (uint32_t)page_size;
		res->flags = 0;
	} else {
		res->data = out;
		res->size = (uint32_t)n;
		res->flags = comp->flag;
	}
}

static void process_batch(struct kcf_pipeline *pl, void *state, struct batch *b)
{
	for (unsigned i = 0; i < b->n; i++)
		kcf_process_page(pl->comp, state, pl->page_size, pl->zero_check, b->in + i * pl->page_size,
				 b->out + i * pl->page_size, &b->res[i]);
}

/* The batch's non-zero pages, back to back at its deferred offset. */
static int write_batch(struct batch *b)
{
	struct iovec iov[BATCH_PAGES];
	int n = 0;
	for (unsigned i = 0; i < b->n; i++)
		if (!b->res[i].zero)
			iov[n++] = (struct iovec){ .iov_base = (void *)b->res[i].data, .iov_len = b->res[i].size };
	return n ? kcf_sink_pwritev(b->dw.sink, iov, n, b->dw.off) : 0;
}

/*
 * Work for a thread, under the lock: the oldest write job first (it
 * frees a slot of the ring), else the oldest batch to compress unless
 * writes_only. NULL when there is none.
 */
static struct batch *next_job(struct kcf_pipeline *pl, bool writes_only)
{
	struct batch *write = NULL, *ready = NULL;
	for (unsigned i = 0; i < pl->nbatches; i++) {
		struct batch *b = &pl->ring[i];
		if (b->state == B_WRITE && (!write || b->seq < write->seq))
			write = b;
		else if (b->state == B_READY && (!ready || b->seq < ready->seq))
			ready = b;
	}
	return write ? write : writes_only ? NULL : ready;
}

/* Run job b in this thread; called with the lock held, returns with it held. */
static void work_on(struct kcf_pipeline *pl, void *state, struct batch *b)
{
	if (b->state == B_WRITE) {
		b->state = B_WRITING;
		pthread_mutex_unlock(&pl->lock);
		int r = write_batch(b);
		pthread_mutex_lock(&pl->lock);
		if (r < 0 && !pl->write_err) {
			pl->write_err = r;
			pl->write_err_sink = b->dw.sink;
			pl->write_err_off = b->dw.off;
		}
		b->state = B_FREE;
	} else {
		b->state = B_WORKING;
		pthread_mutex_unlock(&pl->lock);
		process_batch(pl, state, b);
		pthread_mutex_lock(&pl->lock);
		b->state = B_DONE;
	}
	pthread_cond_broadcast(&pl->done_cv);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct kcf_pipeline *pl = w->pl;

	pthread_mutex_lock(&pl->lock);
	for (;;) {
		struct batch *b = next_job(pl, false);
		if (!b) {
			if (pl->stop)
				break;
			pthread_cond_wait(&pl->work_cv, &pl->lock);
			continue;
		}
		work_on(pl, w->comp_state, b);
	}
	pthread_mutex_unlock(&pl->lock);
	return NULL;
}

static struct batch *batch_of(struct kcf_pipeline *pl, uint64_t seq)
{
	return &pl->ring[seq % pl->nbatches];
}

static enum batch_state state_of(struct kcf_pipeline *pl, struct batch *b)
{
	pthread_mutex_lock(&pl->lock);
	enum batch_state st = b->state;
	pthread_mutex_unlock(&pl->lock);
	return st;
}

/* A write job's failure, reported from the caller's thread; under the lock. */
static int write_error(struct kcf_pipeline *pl)
{
	return pl->write_err ? kcf_sink_fail(pl->write_err_sink, pl->write_err, pl->write_err_off) : 0;
}

/* Under the lock: run one job (a write job only, with writes_only), or sleep until a batch changes. */
static void help_or_wait(struct kcf_pipeline *pl, bool writes_only)
{
	struct batch *job = next_job(pl, writes_only);
	if (job)
		work_on(pl, pl->caller_state, job);
	else
		pthread_cond_wait(&pl->done_cv, &pl->lock);
}

/*
 * Hand back finished batches in order. With wait, first block until
 * the oldest submitted batch is done (there must be one).
 */
static int emit_done(struct kcf_pipeline *pl, bool wait)
{
	while (pl->emit_seq < pl->fill_seq) {
		struct batch *b = batch_of(pl, pl->emit_seq);
		pthread_mutex_lock(&pl->lock);
		while (wait && b->state != B_DONE)
			help_or_wait(pl, false);
		bool done = b->state == B_DONE;
		int r = write_error(pl);
		pthread_mutex_unlock(&pl->lock);
		if (!done || r < 0)
			return r;
		b->dw.sink = NULL;
		r = pl->emit(pl->emit_arg, b->res, b->n, &b->dw);
		pthread_mutex_lock(&pl->lock);
		if (r == 0 && b->dw.sink) {
			b->state = B_WRITE;
			pthread_cond_signal(&pl->work_cv);
		} else {
			b->state = B_FREE;
		}
		pthread_mutex_unlock(&pl->lock);
		pl->emit_seq++;
		if (r < 0)
			return r;
		wait = false;
	}
	return 0;
}

static bool writes_pending(struct kcf_pipeline *pl)
{
	for (unsigned i = 0; i < pl->nbatches; i++)
		if (pl->ring[i].state == B_WRITE || pl->ring[i].state == B_WRITING)
			return true;
	return false;
}

int kcf_pipeline_drain(struct kcf_pipeline *pl)
{
	pthread_mutex_lock(&pl->lock);
	while (writes_pending(pl))
		help_or_wait(pl, true);
	int r = write_error(pl);
	pthread_mutex_unlock(&pl->lock);
	return r;
}

/*
 * Wait until slot b, already handed back, has been written: run write
 * jobs (or compress) meanwhile rather than sleep.
 */
static int wait_written(struct kcf_pipeline *pl, struct batch *b)
{
	pthread_mutex_lock(&pl->lock);
	while (b->state != B_FREE)
		help_or_wait(pl, false);
	int r = write_error(pl);
	pthread_mutex_unlock(&pl->lock);
	return r;
}

/* The batch being filled goes to the workers. */
static int submit(struct kcf_pipeline *pl)
{
	struct batch *b = batch_of(pl, pl->fill_seq);
	if (!pl->filling || b->n == 0)
		return 0;
	pthread_mutex_lock(&pl->lock);
	b->state = B_READY;
	pthread_cond_signal(&pl->work_cv);
	pthread_mutex_unlock(&pl->lock);
	pl->filling = false;
	pl->fill_seq++;
	return emit_done(pl, false);
}

uint8_t *kcf_pipeline_page(struct kcf_pipeline *pl, uint64_t pfn, int *err)
{
	unsigned got;
	return kcf_pipeline_pages(pl, pfn, 1, &got, err);
}

uint8_t *kcf_pipeline_pages(struct kcf_pipeline *pl, uint64_t pfn, uint64_t want, unsigned *got, int *err)
{
	struct batch *b = batch_of(pl, pl->fill_seq);

	*err = 0;
	if (!pl->filling) {
		/* The ring is full while this slot still holds an older batch. */
		while (state_of(pl, b) != B_FREE) {
			/* not handed back yet (it is the oldest), or its write pending */
			*err = b->seq >= pl->emit_seq ? emit_done(pl, true) : wait_written(pl, b);
			if (*err < 0)
				return NULL;
		}
		b->seq = pl->fill_seq;
		b->n = 0;
		pl->filling = true;
	}
	*got = (unsigned)KCF_MIN(want, (uint64_t)(BATCH_PAGES - b->n));
	for (unsigned i = 0; i < *got; i++)
		b->res[b->n + i].pfn = pfn + i;
	return b->in + b->n * pl->page_size;
}

int kcf_pipeline_commit_n(struct kcf_pipeline *pl, unsigned n)
{
	struct batch *b = batch_of(pl, pl->fill_seq);
	b->n += n;
	if (b->n == BATCH_PAGES)
		return submit(pl);
	return 0;
}

int kcf_pipeline_commit(struct kcf_pipeline *pl)
{
	return kcf_pipeline_commit_n(pl, 1);
}

int kcf_pipeline_finish(struct kcf_pipeline *pl)
{
	int r = submit(pl);
	if (r == 0)
		r = emit_done(pl, true);
	while (r == 0 && pl->emit_seq < pl->fill_seq)
		r = emit_done(pl, true);
	int dr = kcf_pipeline_drain(pl);
	return r < 0 ? r : dr;
}

int kcf_pipeline_new(const struct kcf_compressor_ops *comp, void *caller_state, size_t page_size,
		     unsigned threads, bool zero_check, kcf_pipeline_emit_fn emit, void *arg,
		     struct kcf_pipeline **ret)
{
	struct kcf_pipeline *pl;
	int r = -ENOMEM;

	if (threads < 2 || (comp && !caller_state))
		return -EINVAL;
	pl = calloc(1, sizeof(*pl));
	if (!pl)
		return -ENOMEM;
	pl->comp = comp;
	pl->caller_state = caller_state;
	pl->page_size = page_size;
	pl->zero_check = zero_check;
	pl->emit = emit;
	pl->emit_arg = arg;
	pl->nworkers = threads - 1;
	pl->nbatches = 2 * threads + 1;
	pthread_mutex_init(&pl->lock, NULL);
	pthread_cond_init(&pl->work_cv, NULL);
	pthread_cond_init(&pl->done_cv, NULL);
	pl->ring = calloc(pl->nbatches, sizeof(*pl->ring));
	pl->workers = calloc(pl->nworkers, sizeof(*pl->workers));
	if (!pl->ring || !pl->workers)
		goto fail;
	for (unsigned i = 0; i < pl->nbatches; i++) {
		pl->ring[i].in = malloc(BATCH_PAGES * page_size);
		pl->ring[i].out = malloc(BATCH_PAGES * page_size);
		if (!pl->ring[i].in || !pl->ring[i].out)
			goto fail;
	}
	for (unsigned i = 0; i < pl->nworkers; i++) {
		struct worker *w = &pl->workers[i];
		w->pl = pl;
		if (comp && (r = comp->init(&w->comp_state, page_size)) < 0)
			goto fail;
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			r = -EAGAIN;
			goto fail;
		}
		w->started = true;
	}
	*ret = pl;
	return 0;
fail:
	kcf_pipeline_free(pl);
	return r;
}

void kcf_pipeline_free(struct kcf_pipeline *pl)
{
	if (!pl)
		return;
	pthread_mutex_lock(&pl->lock);
	pl->stop = true;
	pthread_cond_broadcast(&pl->work_cv);
	pthread_mutex_unlock(&pl->lock);
	for (unsigned i = 0; pl->workers && i < pl->nworkers; i++) {
		struct worker *w = &pl->workers[i];
		if (w->started)
			pthread_join(w->thread, NULL);
		if (w->comp_state)
			pl->comp->fini(w->comp_state);
	}
	for (unsigned i = 0; pl->ring && i < pl->nbatches; i++) {
		free(pl->ring[i].in);
		free(pl->ring[i].out);
	}
	free(pl->ring);
	free(pl->workers);
	pthread_mutex_destroy(&pl->lock);
	pthread_cond_destroy(&pl->work_cv);
	pthread_cond_destroy(&pl->done_cv);
	free(pl);
}
