// SPDX-License-Identifier: GPL-2.0-or-later
/* kdump-verify: the ELF vmcore a dump was made from (reference data). */
#include "kv.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int load_cmp(const void *a, const void *b)
{
	const struct kv_load *x = a, *y = b;

	if (x->paddr != y->paddr)
		return x->paddr < y->paddr ? -1 : 1;
	return x->memsz < y->memsz ? -1 : x->memsz > y->memsz;
}

void kv_elf_open(struct kv_elf *e, const char *path)
{
	Elf64_Ehdr eh;
	size_t i;

	memset(e, 0, sizeof(*e));
	kv_src_open(&e->src, path);
	if (kv_pread(&e->src, 0, &eh, sizeof(eh)) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG))
		kv_die("%s: not an ELF file", path);
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
		kv_die("%s: only little-endian ELF64 vmcores are supported", path);
	if (eh.e_type != ET_CORE)
		kv_warn("vmcore.e_type", "%u, expected ET_CORE (4)", eh.e_type);
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0)
		kv_die("%s: bad program header table (phentsize %u, phnum %u)",
		       path, eh.e_phentsize, eh.e_phnum);
	if (eh.e_phnum == PN_XNUM)
		kv_die("%s: extended program header numbering not supported", path);

	e->loads = calloc(eh.e_phnum, sizeof(*e->loads));
	if (!e->loads)
		kv_die("out of memory");
	for (i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		if (kv_pread(&e->src, eh.e_phoff + i * sizeof(ph), &ph, sizeof(ph)) != sizeof(ph))
			kv_die("%s: program header %zu truncated", path, i);
		if (ph.p_type == PT_NOTE) {
			if (e->nnotes++ == 0) {
				e->note_off = ph.p_offset;
				e->note_size = ph.p_filesz;
			}
			continue;
		}
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (ph.p_filesz > ph.p_memsz)
			kv_die("%s: PT_LOAD %zu: filesz %#llx > memsz %#llx", path, i,
			       (unsigned long long)ph.p_filesz,
			       (unsigned long long)ph.p_memsz);
		if (ph.p_offset + ph.p_filesz > e->src.size)
			kv_die("%s: PT_LOAD %zu: data [%#llx, +%#llx) beyond end of file (%llu bytes)",
			       path, i, (unsigned long long)ph.p_offset,
			       (unsigned long long)ph.p_filesz,
			       (unsigned long long)e->src.size);
		e->loads[e->nloads].paddr = ph.p_paddr;
		e->loads[e->nloads].memsz = ph.p_memsz;
		e->loads[e->nloads].filesz = ph.p_filesz;
		e->loads[e->nloads].offset = ph.p_offset;
		if (ph.p_paddr + ph.p_memsz > e->max_paddr)
			e->max_paddr = ph.p_paddr + ph.p_memsz;
		e->nloads++;
	}
	if (!e->nloads)
		kv_die("%s: no PT_LOAD segments", path);
	qsort(e->loads, e->nloads, sizeof(*e->loads), load_cmp);
}

void kv_elf_close(struct kv_elf *e)
{
	free(e->loads);
	close(e->src.fd);
}

/* copy the part of [pa, pa+bs) that segment l covers */
static void fill_from(struct kv_elf *e, const struct kv_load *l, uint64_t pa,
		      size_t bs, unsigned char *out)
{
	uint64_t lo = pa > l->paddr ? pa : l->paddr;
	uint64_t hi = pa + bs < l->paddr + l->filesz ? pa + bs : l->paddr + l->filesz;

	if (lo < hi)
		kv_pread(&e->src, l->offset + (lo - l->paddr), out + (lo - pa), hi - lo);
	/* bytes in [filesz, memsz) stay zero */
}

void kv_elf_read_page(struct kv_elf *e, uint64_t pa, size_t bs,
		      unsigned char *out)
{
	const struct kv_load *c = &e->loads[e->cache];
	size_t i;

	/* fast path: the page lies inside the last segment used */
	if (pa >= c->paddr && pa + bs <= c->paddr + c->memsz) {
		if (pa + bs <= c->paddr + c->filesz) {
			kv_pread(&e->src, c->offset + (pa - c->paddr), out, bs);
			return;
		}
		memset(out, 0, bs);
		fill_from(e, c, pa, bs, out);
		return;
	}
	/*
	 * Slow path: every segment that touches the page contributes; the
	 * first one (lowest paddr) that covers the whole page is remembered.
	 */
	memset(out, 0, bs);
	for (i = 0; i < e->nloads; i++) {
		const struct kv_load *l = &e->loads[i];

		if (l->paddr >= pa + bs)
			break;
		if (l->paddr + l->memsz <= pa)
			continue;
		fill_from(e, l, pa, bs, out);
		if (pa >= l->paddr && pa + bs <= l->paddr + l->memsz)
			e->cache = i;
	}
}

/* ------------------------------------------------------------------ */
/* expected bitmap 1 */

static size_t merge(uint64_t (*iv)[2], size_t n)
{
	size_t i, m = 0;

	/* iv is sorted by start (loads are sorted by paddr) */
	for (i = 0; i < n; i++) {
		if (iv[i][0] >= iv[i][1])
			continue;
		if (m && iv[i][0] <= iv[m - 1][1]) {
			if (iv[i][1] > iv[m - 1][1])
				iv[m - 1][1] = iv[i][1];
			continue;
		}
		iv[m][0] = iv[i][0];
		iv[m][1] = iv[i][1];
		m++;
	}
	return m;
}

static int iv_cmp(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

void kv_expect_init(struct kv_expect_walk *w, const struct kv_elf *e,
		    uint64_t bs)
{
	size_t i;

	memset(w, 0, sizeof(*w));
	w->cover = calloc(e->nloads, sizeof(*w->cover));
	w->full = calloc(e->nloads, sizeof(*w->full));
	if (!w->cover || !w->full)
		kv_die("out of memory");
	for (i = 0; i < e->nloads; i++) {
		uint64_t s = e->loads[i].paddr, t = s + e->loads[i].memsz;

		w->cover[i][0] = s / bs;
		w->cover[i][1] = (t + bs - 1) / bs;
		w->full[i][0] = (s + bs - 1) / bs;
		w->full[i][1] = t / bs;
	}
	qsort(w->full, e->nloads, sizeof(*w->full), iv_cmp);
	w->ncover = merge(w->cover, e->nloads);
	w->nfull = merge(w->full, e->nloads);
}

enum kv_expect kv_expect_pfn(struct kv_expect_walk *w, uint64_t pfn)
{
	while (w->jf < w->nfull && w->full[w->jf][1] <= pfn)
		w->jf++;
	if (w->jf < w->nfull && w->full[w->jf][0] <= pfn)
		return KV_EXP_MUST;
	while (w->ic < w->ncover && w->cover[w->ic][1] <= pfn)
		w->ic++;
	if (w->ic < w->ncover && w->cover[w->ic][0] <= pfn)
		return KV_EXP_MAY;
	return KV_EXP_NO;
}

void kv_expect_free(struct kv_expect_walk *w)
{
	free(w->cover);
	free(w->full);
}
