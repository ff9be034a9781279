// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kdump-verify: page data extents.
 *
 * Descriptors come in PFN order.  An extent starting at or after the end of
 * every in-order extent seen so far is "fresh" and cannot overlap anything
 * earlier; only the others (normally just the references to the shared
 * zero page) are remembered, in a small hash table keyed by offset+size.
 * A second pass over the descriptors merges the fresh extents against the
 * sorted remembered ones, so memory stays proportional to the number of
 * distinct out-of-order extents, not to the number of pages.
 */
#include "kv.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define KV_EXT_MAX (1u << 20)   /* distinct out-of-order extents tracked */

void kv_ext_init(struct kv_extents *x, uint64_t data_start)
{
	memset(x, 0, sizeof(*x));
	x->max_end = data_start;
}

static size_t slot_of(const struct kv_extents *x, uint64_t off, uint32_t size)
{
	uint64_t h = (off * 0x9e3779b97f4a7c15ull) ^ size;
	size_t i = (size_t)(h >> 17) & (x->cap - 1);

	while (x->tab[i].used && (x->tab[i].off != off || x->tab[i].size != size))
		i = (i + 1) & (x->cap - 1);
	return i;
}

static void grow(struct kv_extents *x)
{
	struct kv_ext *old = x->tab;
	size_t oldcap = x->cap, i;

	x->cap = oldcap ? oldcap * 2 : 1024;
	x->tab = calloc(x->cap, sizeof(*x->tab));
	if (!x->tab)
		kv_die("out of memory");
	for (i = 0; i < oldcap; i++)
		if (old[i].used)
			x->tab[slot_of(x, old[i].off, old[i].size)] = old[i];
	free(old);
}

struct kv_ext *kv_ext_add(struct kv_extents *x, uint64_t off, uint32_t size)
{
	static struct kv_ext scratch;
	size_t i;

	if (off >= x->max_end) {
		x->max_end = off + size;
		x->fresh_bytes += size;
		x->nfresh++;
		return NULL;
	}
	if ((x->n + 1) * 2 > x->cap) {
		if (x->n >= KV_EXT_MAX) {
			if (!x->overflow)
				kv_warn("desc.offset",
					"more than %u distinct out-of-order page extents: overlap check incomplete",
					KV_EXT_MAX);
			x->overflow = 1;
			memset(&scratch, 0, sizeof(scratch));
			return &scratch;
		}
		grow(x);
	}
	i = slot_of(x, off, size);
	if (!x->tab[i].used) {
		x->tab[i].used = 1;
		x->tab[i].off = off;
		x->tab[i].size = size;
		x->n++;
	}
	x->tab[i].refs++;
	return &x->tab[i];
}

static int ext_cmp(const void *a, const void *b)
{
	const struct kv_ext *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->size < y->size ? -1 : x->size > y->size;
}

void kv_ext_finish(struct kv_extents *x, uint64_t data_start,
		   int (*next)(void *ctx, uint64_t *off, uint32_t *size),
		   void *ctx, struct kv_ext_result *r)
{
	struct kv_ext *v;
	size_t i, m = 0, j = 0;
	uint64_t max_end = data_start, off, end_prev = 0;
	uint32_t size;

	memset(r, 0, sizeof(*r));
	r->unique_bytes = x->fresh_bytes;
	if (!x->n)
		return;

	/* compact and sort the out-of-order extents */
	v = x->tab;
	for (i = 0; i < x->cap; i++)
		if (v[i].used)
			v[m++] = v[i];
	qsort(v, m, sizeof(*v), ext_cmp);

	/* out-of-order extents against each other */
	for (i = 0; i < m; i++) {
		if (i && v[i].off < end_prev)
			kv_error("desc.offset",
				 "page data [%#" PRIx64 ", +%u) overlaps another extent ending at %#" PRIx64,
				 v[i].off, v[i].size, end_prev);
		if (v[i].off + v[i].size > end_prev)
			end_prev = v[i].off + v[i].size;
	}

	/* replay the fresh extents and merge */
	while (next(ctx, &off, &size)) {
		uint64_t fend;

		if (off < max_end)
			continue;               /* out of order: in v[] */
		max_end = fend = off + size;
		while (j < m && v[j].off < fend) {
			if (v[j].off + v[j].size > off) {
				if (v[j].off == off && v[j].size == size)
					v[j].fresh = 1;
				else
					kv_error("desc.offset",
						 "page data [%#" PRIx64 ", +%u) partially overlaps [%#" PRIx64 ", +%u)",
						 v[j].off, v[j].size, off, size);
			}
			j++;
		}
	}

	for (i = 0; i < m; i++) {
		uint64_t refs = v[i].refs + v[i].fresh;

		if (!v[i].fresh)
			r->unique_bytes += v[i].size;
		if (refs < 2)
			continue;
		if (v[i].state == 1) {
			r->shared_zero_descs += refs;
			r->shared_zero_extents++;
		} else if (v[i].state != 3) {    /* 3: undecodable, already reported */
			kv_error("desc.offset",
				 "%" PRIu64 " descriptors share non-zero page data at %#" PRIx64 " (+%u)",
				 refs, v[i].off, v[i].size);
		}
	}
}

void kv_ext_free(struct kv_extents *x)
{
	free(x->tab);
	x->tab = NULL;
}
