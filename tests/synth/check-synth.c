/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check-synth SPEC... : self-check of the synthetic vmcore generator (TAP).
 *
 * For every spec: build it with the library, write the vmcore and the
 * expectation file (to memory files, or to $TMPDIR and kept when KEEP=1),
 * then read the vmcore back with a reader
 * written here from scratch (ELF, notes, VMCOREINFO, x86_64 page walk,
 * SPARSEMEM, struct page) that knows nothing of the generator, and check:
 *  - ELF64 ET_CORE EM_X86_64, PT_NOTE first, NT_PRSTATUS notes, VMCOREINFO
 *    note identical to what the generator meant;
 *  - init_uts_ns read through the page tables holds OSRELEASE;
 *  - for every PFN with a struct page, the page-table walk of its vmemmap
 *    (or mem_map) address lands on the physical address the generator
 *    allocated for it;
 *  - every RAM page's bytes in the file equal the generator's;
 *  - the printk ring, read through the page tables, gives the expected log;
 *  - classifying every page from the dump alone, with the rule in
 *    synth-vmcore.h, gives exactly the expectation file.
 */
#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "synth-vmcore.h"

#define START_KERNEL_MAP 0xffffffff80000000ull
#define PFN_MASK 0x000ffffffffff000ull
#define NOT_FOUND (-0x7fffffffffffffffll)

struct load {
	uint64_t pa, va, len, off;
};

struct rd {
	const uint8_t *map;
	size_t size;
	uint8_t *data;          /* bit per file page: 1 data, 0 hole (never written) */
	struct load load[64];
	int nload;
	const char *vi;
	size_t vilen;
	int nprstatus;
	/* from VMCOREINFO */
	uint64_t pgd, phys_base, max_pfn, pps, nr_sections, mem_section;
	int levels, section_bits;
	bool extreme;
};

/* ------------------------------------------------------------ ELF */

/*
 * Which pages of the file are holes (SEEK_HOLE): a hole reads as zeros, so
 * the checks below treat it as a zero page without touching the mapping,
 * which would allocate memory for every hole of a tens-of-GiB tmpfs file.
 * Without SEEK_DATA support, everything counts as data.
 */
static int map_holes(struct rd *r, int fd)
{
	uint64_t pages = (r->size + 4095) / 4096;
	off_t pos = 0;

	r->data = calloc(pages / 8 + 1, 1);
	if (!r->data)
		return -1;
	while ((uint64_t)pos < r->size) {
		off_t d = lseek(fd, pos, SEEK_DATA), h;

		if (d < 0 && errno == ENXIO)
			break;
		h = d < 0 ? (off_t)r->size : lseek(fd, d, SEEK_HOLE);
		if (d < 0)
			d = pos;
		if (h < 0)
			h = (off_t)r->size;
		for (uint64_t p = (uint64_t)d / 4096; p < ((uint64_t)h + 4095) / 4096 && p < pages; p++)
			r->data[p / 8] |= (uint8_t)(1u << (p % 8));
		pos = h;
	}
	return 0;
}

/* Whether the 4 KiB page at this file offset is a hole (all zero, unwritten). */
static bool rd_hole(const struct rd *r, uint64_t off)
{
	uint64_t p = off / 4096;

	return !(r->data[p / 8] >> (p % 8) & 1);
}

static int rd_open(struct rd *r, const char *path, char *err, size_t errlen)
{
	const Elf64_Ehdr *eh;
	const Elf64_Phdr *ph;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	memset(r, 0, sizeof(*r));
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "open: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	r->size = (size_t)st.st_size;
	r->map = mmap(NULL, r->size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (r->map == MAP_FAILED) {
		snprintf(err, errlen, "mmap: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (map_holes(r, fd) < 0) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return -1;
	}
	close(fd);
	eh = (const Elf64_Ehdr *)r->map;
	if (r->size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_type != ET_CORE || eh->e_machine != EM_X86_64 ||
	    eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > r->size) {
		snprintf(err, errlen, "not an x86_64 ELF64 core");
		return -1;
	}
	ph = (const Elf64_Phdr *)(r->map + eh->e_phoff);
	if (!eh->e_phnum || ph[0].p_type != PT_NOTE) {
		snprintf(err, errlen, "first program header is not PT_NOTE");
		return -1;
	}
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_offset + ph[i].p_filesz > r->size) {
			snprintf(err, errlen, "segment %d beyond the end of the file", i);
			return -1;
		}
		if (ph[i].p_type == PT_LOAD) {
			if (r->nload == 64 || ph[i].p_filesz != ph[i].p_memsz ||
			    (ph[i].p_offset & 4095) || (ph[i].p_paddr & 4095)) {
				snprintf(err, errlen, "odd PT_LOAD %d", i);
				return -1;
			}
			r->load[r->nload++] = (struct load){ ph[i].p_paddr, ph[i].p_vaddr,
							     ph[i].p_filesz, ph[i].p_offset };
		} else if (ph[i].p_type == PT_NOTE) {
			const uint8_t *p = r->map + ph[i].p_offset, *end = p + ph[i].p_filesz;

			while (p + sizeof(Elf64_Nhdr) <= end) {
				const Elf64_Nhdr *nh = (const Elf64_Nhdr *)p;
				const char *name = (const char *)(p + sizeof(*nh));
				const uint8_t *desc = p + sizeof(*nh) + ((nh->n_namesz + 3) & ~3u);

				if (desc + nh->n_descsz > end) {
					snprintf(err, errlen, "truncated note");
					return -1;
				}
				if (nh->n_namesz == 5 && !memcmp(name, "CORE", 5) &&
				    nh->n_type == NT_PRSTATUS && nh->n_descsz == 336)
					r->nprstatus++;
				if (nh->n_namesz == 11 && !memcmp(name, "VMCOREINFO", 11)) {
					r->vi = (const char *)desc;
					r->vilen = nh->n_descsz;
				}
				p = desc + ((nh->n_descsz + 3) & ~3u);
			}
		}
	}
	if (!r->vi) {
		snprintf(err, errlen, "no VMCOREINFO note");
		return -1;
	}
	return 0;
}

static const char *vi_get(const struct rd *r, const char *key, size_t *len)
{
	size_t kl = strlen(key);

	for (const char *p = r->vi; p < r->vi + r->vilen;) {
		const char *nl = memchr(p, '\n', (size_t)(r->vi + r->vilen - p));
		const char *e = nl ? nl : r->vi + r->vilen;

		if ((size_t)(e - p) > kl && !memcmp(p, key, kl) && p[kl] == '=') {
			*len = (size_t)(e - p - (ptrdiff_t)kl - 1);
			return p + kl + 1;
		}
		p = e + 1;
	}
	return NULL;
}

static long long vi_num(const struct rd *r, const char *key)
{
	char buf[64];
	size_t len;
	const char *v = vi_get(r, key, &len);

	if (!v || len >= sizeof(buf))
		return NOT_FOUND;
	memcpy(buf, v, len);
	buf[len] = '\0';
	return strtoll(buf, NULL, 0);
}

static uint64_t vi_hex(const struct rd *r, const char *key)
{
	char buf[64];
	size_t len;
	const char *v = vi_get(r, key, &len);

	if (!v || len >= sizeof(buf))
		return 0;
	memcpy(buf, v, len);
	buf[len] = '\0';
	return strtoull(buf, NULL, 16);
}

/* -------------------------------------------------------- addresses */

/* Bytes at a physical address, from the RAM segments (not the kernel text one). */
static const uint8_t *rd_pa(const struct rd *r, uint64_t pa, uint64_t len)
{
	for (int i = 0; i < r->nload; i++) {
		const struct load *l = &r->load[i];

		if (l->va >= START_KERNEL_MAP)
			continue;
		if (pa >= l->pa && pa + len <= l->pa + l->len)
			return r->map + l->off + (pa - l->pa);
	}
	return NULL;
}

/* Whether the RAM page at pa is a hole in the file (false: not RAM or data). */
static bool rd_pa_hole(const struct rd *r, uint64_t pa)
{
	for (int i = 0; i < r->nload; i++) {
		const struct load *l = &r->load[i];

		if (l->va < START_KERNEL_MAP && pa >= l->pa && pa + 4096 <= l->pa + l->len)
			return rd_hole(r, l->off + (pa - l->pa));
	}
	return false;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static int rd_vtop(const struct rd *r, uint64_t va, uint64_t *pa)
{
	static const int l4[] = { 39, 30, 21, 12 }, l5[] = { 48, 39, 30, 21, 12 };
	const int *sh = r->levels == 5 ? l5 : l4;
	uint64_t table = r->pgd;

	for (int l = 0; l < r->levels; l++) {
		const uint8_t *p = rd_pa(r, table + ((va >> sh[l]) & 511) * 8, 8);
		uint64_t e;

		if (!p)
			return -1;
		e = rd64(p);
		if (!(e & 1))
			return -1;
		if (sh[l] == 12 || ((sh[l] == 21 || sh[l] == 30) && (e & 0x80))) {
			uint64_t m = (1ull << sh[l]) - 1;

			*pa = ((e & PFN_MASK) & ~m) | (va & m);
			return 0;
		}
		table = e & PFN_MASK;
	}
	return -1;
}

static const uint8_t *rd_va(const struct rd *r, uint64_t va, uint64_t len)
{
	uint64_t pa;

	if ((va & 4095) + len > 4096 || rd_vtop(r, va, &pa) < 0)
		return NULL;
	return rd_pa(r, pa, len);
}

/* ------------------------------------------------------ page classes */

struct layout {
	long long pg_lru, pg_private, pg_swapcache, pg_swapbacked, pg_slab, pg_hwpoison;
	long long head_mask, buddy, offline, slab_type, hugetlb_type, dtor_hugetlb;
	long long off_order, off_dtor, free_area_len;
	bool top_byte;
};

static bool has(long long v)
{
	return v != NOT_FOUND;
}

static bool is_type(const struct layout *ly, uint32_t mapcount, long long value)
{
	if (!has(value))
		return false;
	if (ly->top_byte)
		return mapcount >> 24 == (uint32_t)value >> 24;
	return mapcount == (uint32_t)value;
}

static bool flag(uint64_t flags, long long nr)
{
	return has(nr) && (flags >> nr) & 1;
}

struct sp {
	uint64_t flags, ch, mapping, priv;
	uint32_t mapcount;
	const uint8_t *raw;
};

static bool read_sp(const struct rd *r, uint64_t va, struct sp *sp)
{
	const uint8_t *p = rd_va(r, va, 64);

	if (!p)
		return false;
	sp->raw = p;
	sp->flags = rd64(p);
	sp->ch = rd64(p + 8);
	sp->mapping = rd64(p + 24);
	sp->priv = rd64(p + 40);
	memcpy(&sp->mapcount, p + 48, 4);
	return true;
}

static int single_class(const struct layout *ly, const struct sp *sp, bool hugetlb)
{
	bool slab = has(ly->pg_slab) ? flag(sp->flags, ly->pg_slab)
				     : is_type(ly, sp->mapcount, ly->slab_type);
	bool anon = (sp->mapping & 1) && !slab;

	if (slab)
		return SYNTH_KERNEL;
	if ((flag(sp->flags, ly->pg_lru) ||
	     (flag(sp->flags, ly->pg_swapcache) && flag(sp->flags, ly->pg_swapbacked))) && !anon)
		return flag(sp->flags, ly->pg_private) ? SYNTH_CACHE_PRIVATE : SYNTH_CACHE;
	if (anon || hugetlb)
		return SYNTH_USER;
	if (flag(sp->flags, ly->pg_hwpoison))
		return SYNTH_HWPOISON;
	if (is_type(ly, sp->mapcount, ly->offline))
		return SYNTH_OFFLINE;
	return SYNTH_KERNEL;
}

struct classifier {
	const struct rd *r;
	struct layout ly;
	uint64_t *memmap;     /* per section: VA of the first struct page, or 0 */
	uint64_t nsect;
};

static uint64_t sp_va(const struct classifier *c, uint64_t pfn)
{
	uint64_t n = pfn / c->r->pps;

	if (n >= c->nsect || !c->memmap[n])
		return 0;
	return c->memmap[n] + (pfn % c->r->pps) * 64;
}

static int setup_classifier(struct classifier *c, const struct rd *r, char *err, size_t errlen)
{
	struct layout *ly = &c->ly;
	uint64_t root_len = (uint64_t)vi_num(r, "LENGTH(mem_section)");

	c->r = r;
	ly->pg_lru = vi_num(r, "NUMBER(PG_lru)");
	ly->pg_private = vi_num(r, "NUMBER(PG_private)");
	ly->pg_swapcache = vi_num(r, "NUMBER(PG_swapcache)");
	ly->pg_swapbacked = vi_num(r, "NUMBER(PG_swapbacked)");
	ly->pg_slab = vi_num(r, "NUMBER(PG_slab)");
	ly->pg_hwpoison = vi_num(r, "NUMBER(PG_hwpoison)");
	ly->head_mask = vi_num(r, "NUMBER(PG_head_mask)");
	ly->buddy = vi_num(r, "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)");
	ly->offline = vi_num(r, "NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)");
	ly->slab_type = vi_num(r, "NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)");
	ly->hugetlb_type = vi_num(r, "NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)");
	ly->dtor_hugetlb = vi_num(r, "NUMBER(HUGETLB_PAGE_DTOR)");
	ly->off_order = vi_num(r, "OFFSET(page.compound_order)");
	ly->off_dtor = vi_num(r, "OFFSET(page.compound_dtor)");
	ly->free_area_len = vi_num(r, "LENGTH(zone.free_area)");
	/* old kernels: small negative values with one bit clear; 6.12: PGTY << 24 */
	ly->top_byte = has(ly->buddy) && ly->buddy < -65536;
	if (vi_num(r, "SIZE(page)") != 64 || vi_num(r, "SIZE(mem_section)") != 16 ||
	    !has(ly->pg_lru) || !has(ly->head_mask) || !has(ly->free_area_len)) {
		snprintf(err, errlen, "VMCOREINFO lacks page layout keys");
		return -1;
	}
	c->nsect = (r->max_pfn + r->pps - 1) / r->pps;
	c->memmap = calloc(c->nsect, sizeof(*c->memmap));
	if (!c->memmap) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r = c->r;
	if ((r->extreme && root_len != r->nr_sections / 256) ||
	    (!r->extreme && root_len != r->nr_sections)) {
		snprintf(err, errlen, "LENGTH(mem_section) %llu does not fit", (unsigned long long)root_len);
		return -1;
	}
	for (uint64_t n = 0; n < c->nsect; n++) {
		uint64_t ms, coded;
		const uint8_t *p;

		if (r->extreme) {
			p = rd_va(r, r->mem_section + (n / 256) * 8, 8);
			if (!p) {
				snprintf(err, errlen, "mem_section root %llu unreadable",
					 (unsigned long long)(n / 256));
				return -1;
			}
			ms = rd64(p);
			if (!ms)
				continue;
			ms += (n % 256) * 16;
		} else {
			ms = r->mem_section + n * 16;
		}
		p = rd_va(r, ms, 16);
		if (!p) {
			snprintf(err, errlen, "mem_section %llu unreadable", (unsigned long long)n);
			return -1;
		}
		coded = rd64(p);
		if ((coded & 3) != 3)   /* present and has a mem_map */
			continue;
		c->memmap[n] = (coded & ~0x3full) + n * r->pps * 64;
	}
	return 0;
}

/* Order of the compound page headed by the struct page at hva, or -1. */
static int compound_order(const struct classifier *c, uint64_t hva, int *dtor)
{
	struct sp t;

	*dtor = -1;
	if (!read_sp(c->r, hva + 64, &t) || t.ch != (hva | 1))
		return -1;
	if (has(c->ly.off_dtor))
		*dtor = t.raw[c->ly.off_dtor];
	return has(c->ly.off_order) ? t.raw[c->ly.off_order] : (int)(t.flags & 0xff);
}

/* Classify every RAM PFN from the dump; cls[] indexed by PFN (255: not RAM). */
static int classify_dump(const struct classifier *c, uint8_t *cls)
{
	const struct rd *r = c->r;
	const struct layout *ly = &c->ly;
	const int max_order = r->section_bits - 12;

	memset(cls, 255, r->max_pfn);
	for (int i = 0; i < r->nload; i++)
		if (r->load[i].va < START_KERNEL_MAP)
			memset(cls + (r->load[i].pa >> 12), SYNTH_CLASS_MAX, r->load[i].len >> 12);
	for (uint64_t pfn = 0; pfn < r->max_pfn; pfn++) {
		uint64_t va = sp_va(c, pfn), n = 1;
		struct sp sp;
		int k;

		if (cls[pfn] != SYNTH_CLASS_MAX)
			continue;   /* not RAM, or done as part of a block */
		if (!va || !read_sp(r, va, &sp)) {
			cls[pfn] = SYNTH_UNSURE;
			continue;
		}
		if (sp.ch & 1) {
			/* a tail nobody claimed: its head is bad or elsewhere */
			cls[pfn] = SYNTH_UNSURE;
			continue;
		}
		bool slab = has(ly->pg_slab) ? flag(sp.flags, ly->pg_slab)
					     : is_type(ly, sp.mapcount, ly->slab_type);
		if (!slab && is_type(ly, sp.mapcount, ly->buddy)) {
			if (sp.priv >= (uint64_t)ly->free_area_len || pfn & ((1ull << sp.priv) - 1)) {
				cls[pfn] = SYNTH_UNSURE;
				continue;
			}
			k = SYNTH_FREE;
			n = 1ull << sp.priv;
		} else if (sp.flags & (uint64_t)ly->head_mask) {
			int dtor, order = compound_order(c, va, &dtor);
			bool huge;

			if (order < 1 || order > max_order || pfn & ((1ull << order) - 1)) {
				cls[pfn] = SYNTH_UNSURE;
				continue;
			}
			huge = has(ly->hugetlb_type) ? is_type(ly, sp.mapcount, ly->hugetlb_type)
						     : has(ly->dtor_hugetlb) && dtor == ly->dtor_hugetlb;
			k = single_class(ly, &sp, huge);
			n = 1ull << order;
			/* every tail must point at this head */
			for (uint64_t t = 1; t < n; t++) {
				struct sp ts;
				uint64_t tva = sp_va(c, pfn + t);

				if (!tva || !read_sp(r, tva, &ts) || ts.ch != (va | 1)) {
					n = 1;
					k = SYNTH_UNSURE;
					break;
				}
			}
		} else {
			k = single_class(ly, &sp, false);
		}
		for (uint64_t t = 0; t < n && pfn + t < r->max_pfn; t++)
			if (cls[pfn + t] == SYNTH_CLASS_MAX)
				cls[pfn + t] = (uint8_t)k;
	}
	/* zero pages: kept classes whose bytes are all zero */
	for (uint64_t pfn = 0; pfn < r->max_pfn; pfn++) {
		const uint8_t *p;
		uint64_t acc = 0;

		if (cls[pfn] != SYNTH_KERNEL && cls[pfn] != SYNTH_UNSURE)
			continue;
		if (rd_pa_hole(r, pfn << 12)) {
			cls[pfn] = SYNTH_ZERO;
			continue;
		}
		p = rd_pa(r, pfn << 12, 4096);
		for (int i = 0; i < 4096; i += 8)
			acc |= rd64(p + i);
		if (!acc)
			cls[pfn] = SYNTH_ZERO;
	}
	return 0;
}

/* ------------------------------------------------------------ dmesg */

/* Read a kernel virtual range that may cross pages into buf. */
static bool rd_va_buf(const struct rd *r, uint64_t va, void *buf, size_t len)
{
	uint8_t *b = buf;

	while (len) {
		size_t n = 4096 - (va & 4095);
		const uint8_t *p;

		if (n > len)
			n = len;
		if (!(p = rd_va(r, va, n)))
			return false;
		memcpy(b, p, n);
		b += n;
		va += n;
		len -= n;
	}
	return true;
}

static void out_add(char **o, size_t *len, const char *p, size_t n)
{
	char *q = *o ? realloc(*o, *len + n + 1) : NULL;

	if (!q) {
		free(*o);
		*o = NULL;
		return;
	}
	memcpy(q + *len, p, n);
	*len += n;
	q[*len] = '\0';
	*o = q;
}

/* One record rendered like makedumpfile 1.7.2. */
static void render_rec(char **o, size_t *olen, uint64_t ts, const uint8_t *text, unsigned len)
{
	char pre[64];
	int plen = snprintf(pre, sizeof(pre), "[%5llu.%06lu] ", (unsigned long long)(ts / 1000000000),
			    (unsigned long)(ts % 1000000000 / 1000));

	out_add(o, olen, pre, (size_t)plen);
	for (unsigned i = 0; *o && i < len; i++) {
		unsigned char c = text[i];
		char t[80];

		if (c == '\n')
			snprintf(t, sizeof(t), "\n%-*s", plen, "");
		else if (isprint(c) || isspace(c))
			snprintf(t, sizeof(t), "%c", c);
		else
			snprintf(t, sizeof(t), "\\x%02x", c);
		out_add(o, olen, t, strlen(t));
	}
	out_add(o, olen, "\n", 1);
}

/* The log from log_buf (3.5 .. 5.9), walked as makedumpfile does. NULL on failure. */
static char *read_logbuf(const struct rd *r)
{
	uint64_t buf_va;
	uint32_t len, first, next, idx;
	uint8_t *buf = NULL;
	char *o = malloc(1);
	size_t olen = 0;
	long long hs = vi_num(r, "SIZE(printk_log)");

	if (!o || hs != 16 || vi_num(r, "OFFSET(printk_log.len)") != 8 ||
	    vi_num(r, "OFFSET(printk_log.text_len)") != 10 || vi_num(r, "OFFSET(printk_log.ts_nsec)") != 0 ||
	    !rd_va_buf(r, vi_hex(r, "SYMBOL(log_buf)"), &buf_va, 8) ||
	    !rd_va_buf(r, vi_hex(r, "SYMBOL(log_buf_len)"), &len, 4) ||
	    !rd_va_buf(r, vi_hex(r, "SYMBOL(log_first_idx)"), &first, 4) ||
	    !rd_va_buf(r, vi_hex(r, "SYMBOL(log_next_idx)"), &next, 4) || len < 64 || len > (1u << 20))
		goto fail;
	o[0] = '\0';
	buf = malloc(len);
	if (!buf || !rd_va_buf(r, buf_va, buf, len))
		goto fail;
	/* log_from_ptr() / log_next(): a len 0 header stands for the record at 0 */
	for (unsigned n = 0; (idx = first) != next; n++) {
		uint32_t at = idx;
		unsigned rl, tl;

		if (n > len / 16 || idx > len - 16)
			goto fail;
		if (!(buf[idx + 8] | buf[idx + 9] << 8))
			at = 0;
		rl = buf[at + 8] | buf[at + 9] << 8;
		tl = buf[at + 10] | buf[at + 11] << 8;
		if (rl < 16 || at + rl > len || tl > rl - 16)
			goto fail;
		render_rec(&o, &olen, rd64(buf + at), buf + at + 16, tl);
		if (!o)
			goto fail;
		first = at + rl;
	}
	free(buf);
	return o;
fail:
	free(buf);
	free(o);
	return NULL;
}

/* The log from the printk ring, rendered like makedumpfile 1.7.2. NULL on failure. */
static char *read_dmesg(const struct rd *r)
{
	const uint64_t mask = ~(3ull << 62);
	uint64_t prb, count, size, head, tail, descs, infos, data;
	uint8_t rb[88], *text = NULL;
	char *o = malloc(1);
	size_t olen = 0;

	if (!vi_hex(r, "SYMBOL(prb)") && vi_hex(r, "SYMBOL(log_buf)")) {
		free(o);
		return read_logbuf(r);
	}
	if (!o || !rd_va_buf(r, vi_hex(r, "SYMBOL(prb)"), &prb, 8) || !rd_va_buf(r, prb, rb, 88))
		goto fail;
	o[0] = '\0';
	count = 1ull << rb[0];
	size = 1ull << rb[48];
	descs = rd64(rb + 8);
	infos = rd64(rb + 16);
	head = rd64(rb + 24);
	tail = rd64(rb + 32);
	data = rd64(rb + 56);
	text = malloc(size);
	if (!text || !rd_va_buf(r, data, text, size))
		goto fail;
	for (uint64_t id = tail;; id = (id + 1) & mask) {
		uint8_t d[24], in[88];
		uint64_t sv, begin, next, ts;
		unsigned len;
		char pre[64];
		int plen;

		if (!rd_va_buf(r, descs + (id % count) * 24, d, 24) ||
		    !rd_va_buf(r, infos + (id % count) * 88, in, 88))
			goto fail;
		sv = rd64(d);
		begin = rd64(d + 8) % size;
		next = rd64(d + 16) % size;
		if ((sv & mask) == id && (sv >> 62 == 1 || sv >> 62 == 2) && begin != next) {
			len = in[16] | in[17] << 8;
			if (begin > next)
				begin = 0;
			begin += 8;
			if (next - begin < len)
				len = (unsigned)(next - begin);
			ts = rd64(in + 8);
			plen = snprintf(pre, sizeof(pre), "[%5llu.%06lu] ", (unsigned long long)(ts / 1000000000),
					(unsigned long)(ts % 1000000000 / 1000));
			out_add(&o, &olen, pre, (size_t)plen);
			for (unsigned i = 0; o && i < len; i++) {
				unsigned char c = text[begin + i];
				char t[80];

				if (c == '\n')
					snprintf(t, sizeof(t), "\n%-*s", plen, "");
				else if (isprint(c) || isspace(c))
					snprintf(t, sizeof(t), "%c", c);
				else
					snprintf(t, sizeof(t), "\\x%02x", c);
				out_add(&o, &olen, t, strlen(t));
			}
			out_add(&o, &olen, "\n", 1);
			if (!o)
				goto fail;
		}
		if (id == head)
			break;
	}
	free(text);
	return o;
fail:
	free(text);
	free(o);
	return NULL;
}

/* -------------------------------------------------------------- main */

static int ntest, nfail;

__attribute__((format(printf, 2, 3)))
static void ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", cond ? "ok" : "not ok", ++ntest);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		nfail++;
}

static void diag(const char *msg)
{
	printf("# %s\n", msg);
}

static int setup_reader(struct rd *r, char *err, size_t errlen)
{
	long long pb = vi_num(r, "NUMBER(phys_base)");
	long long l5 = vi_num(r, "NUMBER(pgtable_l5_enabled)");
	long long ssb = vi_num(r, "NUMBER(SECTION_SIZE_BITS)");
	long long mpb = vi_num(r, "NUMBER(MAX_PHYSMEM_BITS)");
	uint64_t top = vi_hex(r, "SYMBOL(init_top_pgt)");
	long long len = vi_num(r, "LENGTH(mem_section)");

	if (!has(pb) || !top || !has(ssb) || !has(mpb) || !has(len)) {
		snprintf(err, errlen, "VMCOREINFO lacks translation keys");
		return -1;
	}
	r->levels = l5 == 1 ? 5 : 4;
	r->phys_base = (uint64_t)pb;
	r->pgd = top - START_KERNEL_MAP + r->phys_base;
	r->section_bits = (int)ssb;
	r->pps = 1ull << (ssb - 12);
	r->nr_sections = 1ull << (mpb - ssb);
	r->extreme = (uint64_t)len == r->nr_sections / 256 && (uint64_t)len != r->nr_sections;
	r->mem_section = vi_hex(r, "SYMBOL(mem_section)");
	for (int i = 0; i < r->nload; i++)
		if (r->load[i].va < START_KERNEL_MAP && (r->load[i].pa + r->load[i].len) >> 12 > r->max_pfn)
			r->max_pfn = (r->load[i].pa + r->load[i].len) >> 12;
	return 0;
}

static void check_one(const char *spec, const char *dir)
{
	char vmcore[4096], expect[4096], err[512], name[256];
	const char *base = strrchr(spec, '/') ? strrchr(spec, '/') + 1 : spec;
	struct synth *s = NULL;
	struct rd r;
	struct classifier c = { 0 };
	struct synth_expect_run *runs = NULL;
	uint8_t *cls = NULL, *buf = NULL;
	size_t nruns = 0, vilen;
	const char *vi;
	uint64_t bad = 0, checked = 0;
	int mfd[2] = { -1, -1 };

	snprintf(name, sizeof(name), "%s", base);
	if (getenv("KEEP")) {
		snprintf(vmcore, sizeof(vmcore), "%s/%s.vmcore", dir, base);
		snprintf(expect, sizeof(expect), "%s/%s.expect", dir, base);
	} else {
		/* memory files: no disk traffic */
		mfd[0] = memfd_create("vmcore", MFD_CLOEXEC);
		mfd[1] = memfd_create("expect", MFD_CLOEXEC);
		snprintf(vmcore, sizeof(vmcore), "/proc/self/fd/%d", mfd[0]);
		snprintf(expect, sizeof(expect), "/proc/self/fd/%d", mfd[1]);
	}
	if (synth_new(&s) < 0 || synth_spec_file(s, spec) < 0 || synth_build(s) < 0 ||
	    synth_write_vmcore(s, vmcore) < 0 || synth_write_expect(s, expect) < 0) {
		ok(false, "%s: generate: %s", name, s ? synth_error(s) : "out of memory");
		synth_free(s);
		return;
	}
	ok(true, "%s: generated (%llu RAM pages)", name, (unsigned long long)synth_ram_pages(s));
	if (rd_open(&r, vmcore, err, sizeof(err)) < 0 || setup_reader(&r, err, sizeof(err)) < 0) {
		ok(false, "%s: read back: %s", name, err);
		goto out;
	}
	vi = synth_vmcoreinfo(s, &vilen);
	ok(r.nprstatus >= 1 && r.vilen == vilen && !memcmp(r.vi, vi, vilen),
	   "%s: ELF core, %d NT_PRSTATUS, VMCOREINFO note intact", name, r.nprstatus);

	/* utsname through the page tables */
	{
		uint64_t uts = vi_hex(&r, "SYMBOL(init_uts_ns)") +
			       (uint64_t)vi_num(&r, "OFFSET(uts_namespace.name)");
		const uint8_t *p = rd_va(&r, uts + 2 * 65, 65);
		size_t rl;
		const char *rel = vi_get(&r, "OSRELEASE", &rl);

		ok(p && rel && !strncmp((const char *)p, rel, rl) && !p[rl],
		   "%s: init_uts_ns release read through the page tables", name);
	}

	if (setup_classifier(&c, &r, err, sizeof(err)) < 0) {
		ok(false, "%s: sections: %s", name, err);
		goto out;
	}
	/* struct page addresses: walk vs. the generator's allocation records */
	for (uint64_t pfn = 0; pfn < r.max_pfn; pfn++) {
		uint64_t va, pa, wpa;
		bool have = synth_struct_page(s, pfn, &va, &pa) == 0;

		if (!have)
			continue;
		checked++;
		if (sp_va(&c, pfn) != va || rd_vtop(&r, va, &wpa) < 0 || wpa != pa) {
			if (bad++ < 3) {
				snprintf(err, sizeof(err), "PFN %#llx: struct page %#llx -> %#llx, expected %#llx",
					 (unsigned long long)pfn, (unsigned long long)va,
					 (unsigned long long)wpa, (unsigned long long)pa);
				diag(err);
			}
		}
	}
	ok(!bad && checked, "%s: page walk of %llu struct page addresses hits the allocated PA",
	   name, (unsigned long long)checked);

	/* page contents */
	buf = malloc(4096);
	bad = 0;
	for (int i = 0; buf && i < r.nload; i++)
		for (uint64_t off = 0; off < r.load[i].len; off += 4096) {
			uint64_t pfn = (r.load[i].pa + off) >> 12;

			/* a hole is a zero page: the generator must mean zero there */
			if (rd_hole(&r, r.load[i].off + off)) {
				if (synth_class(s, pfn) != SYNTH_ZERO)
					bad++;
				continue;
			}
			if (synth_page_read(s, pfn, buf) < 0 ||
			    memcmp(buf, r.map + r.load[i].off + off, 4096))
				bad++;
		}
	ok(buf && !bad, "%s: every page in every PT_LOAD has the generator's bytes (%llu differ)",
	   name, (unsigned long long)bad);

	/* the kernel log */
	{
		char *log = read_dmesg(&r);
		size_t elen, nrec;
		const char *exp = synth_dmesg(s, &elen, &nrec);

		ok(log && strlen(log) == elen && !memcmp(log, exp, elen),
		   "%s: printk ring read through the page tables gives the expected log (%zu records)",
		   name, nrec);
		free(log);
	}

	/* classes */
	if (synth_expect_read(expect, &runs, &nruns, err, sizeof(err)) < 0) {
		ok(false, "%s: %s", name, err);
		goto out;
	}
	cls = malloc(r.max_pfn);
	if (!cls) {
		ok(false, "%s: out of memory", name);
		goto out;
	}
	classify_dump(&c, cls);
	bad = 0;
	{
		uint64_t pfn = 0, covered = 0, ram = 0;

		for (size_t i = 0; i < nruns; i++) {
			for (uint64_t p = runs[i].first; p <= runs[i].last; p++) {
				covered++;
				if (p >= r.max_pfn || cls[p] != runs[i].cls) {
					if (bad++ < 5) {
						snprintf(err, sizeof(err), "PFN %#llx: dump says %s, "
							 "expectation says %s", (unsigned long long)p,
							 p < r.max_pfn ? synth_class_name(cls[p]) : "beyond",
							 synth_class_name(runs[i].cls));
						diag(err);
					}
				}
			}
		}
		for (pfn = 0; pfn < r.max_pfn; pfn++)
			ram += cls[pfn] != 255;
		ok(!bad && covered == ram,
		   "%s: classes from the dump match the expectation (%llu pages, %llu differ)",
		   name, (unsigned long long)covered, (unsigned long long)bad);
	}
out:
	free(cls);
	free(buf);
	free(runs);
	free(c.memmap);
	if (r.map && r.map != MAP_FAILED)
		munmap((void *)r.map, r.size);
	free(r.data);
	for (int i = 0; i < 2; i++)
		if (mfd[i] >= 0)
			close(mfd[i]);
	synth_free(s);
}

int main(int argc, char **argv)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	if (argc < 2) {
		fprintf(stderr, "usage: %s SPEC...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		check_one(argv[i], dir);
	printf("1..%d\n", ntest);
	return nfail ? 1 : 0;
}
