/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * synth: the class of every RAM page, as the expectation file records it:
 * what the generator put there, judged by what the dump's VMCOREINFO lets
 * a correct filter know (a page it cannot classify is kept), and whether
 * its bytes are all zero.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "synth-internal.h"

static bool page_is_zero(const struct synth *s, const uint8_t *p)
{
	uint64_t acc = 0;

	for (unsigned i = 0; i < PAGE_SIZE; i += 8)
		acc |= get64(p + i);
	return !acc;
}

/* The keys that tell hugetlb folios apart, by era. */
static bool hugetlb_unknown(const struct synth *s)
{
	const struct era *e = s->e;

	if (e->hugetlb)
		return synth_vi_omitted(s, "NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)");
	if (e->pg_hugetlb >= 0)
		return synth_vi_omitted(s, "NUMBER(PG_hugetlb)");
	return synth_vi_omitted(s, "NUMBER(HUGETLB_PAGE_DTOR)") ||
	       synth_vi_omitted(s, e->order_in == ORD_FOLIO ? "OFFSET(folio._folio_dtor)"
							  : "OFFSET(page.compound_dtor)");
}

/*
 * A VMCOREINFO that lacks a key the filter needs (a kernel from the
 * future renamed it): every page the filter cannot classify without it is
 * kept, never dropped.
 *  - No compound offset (OFFSET(page.compound_head), 7.1+'s
 *    OFFSET(page.compound_info)): no page of a large folio, head or tail,
 *    may be dropped, since the tails cannot be checked against their head;
 *    and since a tail cannot be told from a single page either, and a
 *    tail's words are the folio's (6.16+'s page[1] holds _entire_mapcount
 *    -1 where page.mapping is: odd, "anonymous", even in a slab folio), no
 *    cache or user page may be dropped at all ("unsure").
 *  - No slab marker (NUMBER(PG_slab), or 6.10+'s
 *    NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)): any page could be slab, whose
 *    words can look like a page cache or anonymous page's (6.2+'s
 *    slab.slabs overlays page.mapping), so no cache or user page may be
 *    dropped ("kernel": a slab page may look like either, so check-synth's
 *    reader could not tell those kept for this reason apart). Buddy,
 *    offline and hwpoison markers cannot be mistaken for slab ones: those
 *    pages keep their class.
 *  - No buddy, offline, hwpoison or hugetlb marker: those pages look like
 *    kernel pages ("kernel"), as the first specs had it.
 */
static int base_class(const struct synth *s, const struct pinfo *p)
{
	const struct era *e = s->e;
	bool compound_unknown = synth_vi_omitted(s, e->compound_info ?
						 "OFFSET(page.compound_info)" :
						 "OFFSET(page.compound_head)");
	bool slab_unknown = synth_vi_omitted(s, e->slab ? "NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)" :
						 "NUMBER(PG_slab)");
	int c;

	switch (p->kind) {
	case K_ZERO: return SYNTH_ZERO;
	case K_CACHE: case K_SHMEM: c = SYNTH_CACHE; break;
	case K_CACHE_PRIVATE: c = SYNTH_CACHE_PRIVATE; break;
	case K_ANON: case K_ANON_SWAPCACHE: case K_KSM: c = SYNTH_USER; break;
	case K_HUGETLB:
		/* hugetlbfs-backed: only the dtor / flag / page type tells */
		c = hugetlb_unknown(s) ? SYNTH_KERNEL : SYNTH_USER;
		break;
	case K_FREE:
		return synth_vi_omitted(s, "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)") ? SYNTH_KERNEL
										   : SYNTH_FREE;
	case K_UNACCEPTED:
		/* makedumpfile 1.7.8: the whole MAX_ORDER block is free (-d 16) */
		return s->vi_unaccepted &&
		       !synth_vi_omitted(s, "NUMBER(PAGE_UNACCEPTED_MAPCOUNT_VALUE)") ? SYNTH_FREE
										  : SYNTH_KERNEL;
	case K_OFFLINE:
		return synth_vi_omitted(s, "NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)") ? SYNTH_KERNEL
										     : SYNTH_OFFLINE;
	case K_HWPOISON:
		return synth_vi_omitted(s, "NUMBER(PG_hwpoison)") ? SYNTH_KERNEL : SYNTH_HWPOISON;
	case K_BAD_BUDDY: case K_BAD_TAIL: case K_BAD_ORDER: return SYNTH_UNSURE;
	default: return SYNTH_KERNEL;
	}
	if (c != SYNTH_KERNEL && slab_unknown)
		return SYNTH_KERNEL;
	if (c != SYNTH_KERNEL && compound_unknown)
		return SYNTH_UNSURE;
	return c;
}

/*
 * Pages of the RAM image nothing ever touched (neither present nor swapped
 * out, says /proc/self/pagemap) are zero without reading them: reading
 * would fault in every zero page of a 64 GiB spec. Entries are read in
 * chunks as the caller walks the image upwards; without pagemap every
 * page is read.
 */
#define PAGEMAP_CHUNK 4096
#define PAGEMAP_PRESENT (1ull << 63)
#define PAGEMAP_SWAPPED (1ull << 62)

struct pagemap_view {
	int fd;
	uint64_t first;            /* image page index of buf[0] */
	size_t n;                  /* valid entries in buf */
	uint64_t buf[PAGEMAP_CHUNK];
};

static bool image_page_untouched(const struct synth *s, struct pagemap_view *pm, uint64_t idx)
{
	if (pm->fd < 0)
		return false;
	if (idx < pm->first || idx >= pm->first + pm->n) {
		uint64_t vpage = ((uintptr_t)s->mem >> PAGE_SHIFT) + idx;
		uint64_t want = s->ram_pages - idx < PAGEMAP_CHUNK ? s->ram_pages - idx : PAGEMAP_CHUNK;
		ssize_t got = pread(pm->fd, pm->buf, want * 8, (off_t)(vpage * 8));

		if (got < 8) {
			close(pm->fd);
			pm->fd = -1;
			return false;
		}
		pm->first = idx;
		pm->n = (size_t)got / 8;
	}
	return !(pm->buf[idx - pm->first] & (PAGEMAP_PRESENT | PAGEMAP_SWAPPED));
}

int synth_classify(struct synth *s)
{
	struct pagemap_view *pm = malloc(sizeof(*pm));
	int r;

	if (!pm)
		return synth_fail(s, -ENOMEM, "out of memory");
	/* pagemap counts host pages: only when a synth page is one (16K/64K specs are small) */
	pm->fd = PAGE_SIZE == (uint64_t)sysconf(_SC_PAGESIZE) ? open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC) : -1;
	pm->first = pm->n = 0;
	memset(s->counts, 0, sizeof(s->counts));
	s->zero_free = 0;
	for (int i = 0; i < s->nram; i++)
		for (uint64_t pfn = s->ram[i].start; pfn < s->ram[i].end; pfn++) {
			struct pinfo *p = pinfo_of(s, pfn);
			uint64_t idx = (uint64_t)synth_pfn_index(s, pfn);
			const uint8_t *data = s->mem + idx * PAGE_SIZE;
			int c = base_class(s, p);
			bool zero = p->content == C_MEM &&
				    (image_page_untouched(s, pm, idx) || page_is_zero(s, data));

			if (!synth_has_struct_page(s, pfn))
				c = SYNTH_UNSURE;
			if ((c == SYNTH_KERNEL || c == SYNTH_UNSURE) && zero)
				c = SYNTH_ZERO;
			if (c == SYNTH_FREE && p->kind == K_UNACCEPTED && zero) {
				s->zero_free++;   /* free and zero: see synth_expected_excluded() */
			} else if (c != SYNTH_ZERO && c != SYNTH_KERNEL && c != SYNTH_UNSURE &&
				   c != SYNTH_HWPOISON && c != SYNTH_OFFLINE && zero) {
				r = synth_fail(s, -EINVAL, "internal: PFN %#llx (%s) is all zero",
					       (unsigned long long)pfn, synth_kind_name(p->kind));
				goto out;
			}
			if (c == SYNTH_ZERO && !zero) {
				r = synth_fail(s, -EINVAL, "internal: zero PFN %#llx has data",
					       (unsigned long long)pfn);
				goto out;
			}
			p->cls = (uint8_t)c;
			s->counts[c]++;
		}
	r = 0;
out:
	if (pm->fd >= 0)
		close(pm->fd);
	free(pm);
	return r;
}
