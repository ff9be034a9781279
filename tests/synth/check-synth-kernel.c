/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the kernel's own structures in a synthetic vmcore say, read through
 * check-synth-reader.c: the SPARSEMEM sections and their struct pages, the
 * class of every page by the rule in synth-vmcore.h, and the kernel log
 * from the printk ring or log_buf. A file of its own because this is the
 * Linux knowledge the generator must get right, kept apart from the
 * plumbing of ELF and page tables.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check-synth.h"
#include "kv.h"
#include "synth-vmcore.h"

/* ------------------------------------------------------ page classes */

static bool is_type(const struct page_layout *ly, uint32_t mapcount, long long value)
{
	if (!vmci_has(value))
		return false;
	if (ly->top_byte)
		return mapcount >> 24 == (uint32_t)value >> 24;
	return mapcount == (uint32_t)value;
}

static bool flag(uint64_t flags, long long nr)
{
	return vmci_has(nr) && (flags >> nr) & 1;
}

/* The fields of one struct page the classes depend on. */
struct page_fields {
	uint64_t flags, compound_head, mapping, private;
	uint32_t mapcount;
	const uint8_t *raw;
};

static bool read_struct_page(const struct dump *d, uint64_t va, struct page_fields *sp)
{
	const uint8_t *p = dump_va(d, va, 64);

	if (!p)
		return false;
	sp->raw = p;
	sp->flags = kv_le64(p);
	sp->compound_head = kv_le64(p + 8);
	sp->mapping = kv_le64(p + 24);
	sp->private = kv_le64(p + 40);
	memcpy(&sp->mapcount, p + 48, 4);
	return true;
}

static bool is_slab(const struct page_layout *ly, const struct page_fields *sp)
{
	return vmci_has(ly->pg_slab) ? flag(sp->flags, ly->pg_slab)
				     : is_type(ly, sp->mapcount, ly->slab_type);
}

/* The class of a page that is neither free nor a compound tail. */
static int single_class(const struct page_layout *ly, const struct page_fields *sp, bool hugetlb)
{
	bool slab = is_slab(ly, sp);
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

uint64_t struct_page_va(const struct classifier *c, uint64_t pfn)
{
	uint64_t n = pfn / c->d->pps;

	if (n >= c->nsect || !c->memmap[n])
		return 0;
	return c->memmap[n] + (pfn % c->d->pps) * 64;
}

static void read_page_layout(struct page_layout *ly, const struct dump *d)
{
	ly->pg_lru = vmci_num(d, "NUMBER(PG_lru)");
	ly->pg_private = vmci_num(d, "NUMBER(PG_private)");
	ly->pg_swapcache = vmci_num(d, "NUMBER(PG_swapcache)");
	ly->pg_swapbacked = vmci_num(d, "NUMBER(PG_swapbacked)");
	ly->pg_slab = vmci_num(d, "NUMBER(PG_slab)");
	ly->pg_hwpoison = vmci_num(d, "NUMBER(PG_hwpoison)");
	ly->head_mask = vmci_num(d, "NUMBER(PG_head_mask)");
	ly->buddy = vmci_num(d, "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)");
	ly->offline = vmci_num(d, "NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)");
	ly->slab_type = vmci_num(d, "NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)");
	ly->hugetlb_type = vmci_num(d, "NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)");
	ly->dtor_hugetlb = vmci_num(d, "NUMBER(HUGETLB_PAGE_DTOR)");
	ly->off_order = vmci_num(d, "OFFSET(page.compound_order)");
	ly->off_dtor = vmci_num(d, "OFFSET(page.compound_dtor)");
	ly->free_area_len = vmci_num(d, "LENGTH(zone.free_area)");
	/* old kernels: small negative values with one bit clear; 6.12: PGTY << 24 */
	ly->top_byte = vmci_has(ly->buddy) && ly->buddy < -65536;
}

int classifier_setup(struct classifier *c, const struct dump *d, char *err, size_t errlen)
{
	uint64_t root_len = (uint64_t)vmci_num(d, "LENGTH(mem_section)");

	c->d = d;
	read_page_layout(&c->ly, d);
	if (vmci_num(d, "SIZE(page)") != 64 || vmci_num(d, "SIZE(mem_section)") != 16 ||
	    !vmci_has(c->ly.pg_lru) || !vmci_has(c->ly.head_mask) || !vmci_has(c->ly.free_area_len)) {
		snprintf(err, errlen, "VMCOREINFO lacks page layout keys");
		return -1;
	}
	c->nsect = (d->max_pfn + d->pps - 1) / d->pps;
	c->memmap = calloc(c->nsect, sizeof(*c->memmap));
	if (!c->memmap) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((d->extreme && root_len != d->nr_sections / 256) ||
	    (!d->extreme && root_len != d->nr_sections)) {
		snprintf(err, errlen, "LENGTH(mem_section) %llu does not fit", (unsigned long long)root_len);
		return -1;
	}
	for (uint64_t n = 0; n < c->nsect; n++) {
		uint64_t ms, coded;
		const uint8_t *p;

		if (d->extreme) {
			p = dump_va(d, d->mem_section + (n / 256) * 8, 8);
			if (!p) {
				snprintf(err, errlen, "mem_section root %llu unreadable",
					 (unsigned long long)(n / 256));
				return -1;
			}
			ms = kv_le64(p);
			if (!ms)
				continue;
			ms += (n % 256) * 16;
		} else {
			ms = d->mem_section + n * 16;
		}
		p = dump_va(d, ms, 16);
		if (!p) {
			snprintf(err, errlen, "mem_section %llu unreadable", (unsigned long long)n);
			return -1;
		}
		coded = kv_le64(p);
		if ((coded & 3) != 3)   /* present and has a mem_map */
			continue;
		c->memmap[n] = (coded & ~0x3full) + n * d->pps * 64;
	}
	return 0;
}

void classifier_free(struct classifier *c)
{
	free(c->memmap);
	c->memmap = NULL;
}

/* Order of the compound page headed by the struct page at hva, or -1. */
static int compound_order(const struct classifier *c, uint64_t hva, int *dtor)
{
	struct page_fields t;

	*dtor = -1;
	if (!read_struct_page(c->d, hva + 64, &t) || t.compound_head != (hva | 1))
		return -1;
	if (vmci_has(c->ly.off_dtor))
		*dtor = t.raw[c->ly.off_dtor];
	return vmci_has(c->ly.off_order) ? t.raw[c->ly.off_order] : (int)(t.flags & 0xff);
}

/*
 * The class of the block headed by the struct page at va (read into sp)
 * and its length in pages: a buddy block, a compound page whose every tail
 * points back at it, or a single page. SYNTH_UNSURE with *n = 1 when the
 * block is inconsistent.
 */
static int block_class(const struct classifier *c, uint64_t pfn, uint64_t va,
		       const struct page_fields *sp, uint64_t *n)
{
	const struct page_layout *ly = &c->ly;
	const int max_order = c->d->section_bits - 12;
	int k, dtor, order;
	bool huge;

	*n = 1;
	if (!is_slab(ly, sp) && is_type(ly, sp->mapcount, ly->buddy)) {
		if (sp->private >= (uint64_t)ly->free_area_len || pfn & ((1ull << sp->private) - 1))
			return SYNTH_UNSURE;
		*n = 1ull << sp->private;
		return SYNTH_FREE;
	}
	if (!(sp->flags & (uint64_t)ly->head_mask))
		return single_class(ly, sp, false);
	order = compound_order(c, va, &dtor);
	if (order < 1 || order > max_order || pfn & ((1ull << order) - 1))
		return SYNTH_UNSURE;
	huge = vmci_has(ly->hugetlb_type) ? is_type(ly, sp->mapcount, ly->hugetlb_type)
					  : vmci_has(ly->dtor_hugetlb) && dtor == ly->dtor_hugetlb;
	k = single_class(ly, sp, huge);
	/* every tail must point at this head */
	for (uint64_t t = 1; t < 1ull << order; t++) {
		struct page_fields ts;
		uint64_t tva = struct_page_va(c, pfn + t);

		if (!tva || !read_struct_page(c->d, tva, &ts) || ts.compound_head != (va | 1))
			return SYNTH_UNSURE;
	}
	*n = 1ull << order;
	return k;
}

void classify_dump(const struct classifier *c, uint8_t *cls)
{
	const struct dump *d = c->d;

	memset(cls, CLASS_NOT_RAM, d->max_pfn);
	for (int i = 0; i < d->nload; i++)
		if (d->load[i].va < START_KERNEL_MAP)
			memset(cls + (d->load[i].pa >> 12), SYNTH_CLASS_MAX, d->load[i].len >> 12);
	for (uint64_t pfn = 0; pfn < d->max_pfn; pfn++) {
		uint64_t va = struct_page_va(c, pfn), n = 1;
		struct page_fields sp;
		int k;

		if (cls[pfn] != SYNTH_CLASS_MAX)
			continue;   /* not RAM, or done as part of a block */
		if (!va || !read_struct_page(d, va, &sp)) {
			cls[pfn] = SYNTH_UNSURE;
			continue;
		}
		if (sp.compound_head & 1) {
			/* a tail nobody claimed: its head is bad or elsewhere */
			cls[pfn] = SYNTH_UNSURE;
			continue;
		}
		k = block_class(c, pfn, va, &sp, &n);
		for (uint64_t t = 0; t < n && pfn + t < d->max_pfn; t++)
			if (cls[pfn + t] == SYNTH_CLASS_MAX)
				cls[pfn + t] = (uint8_t)k;
	}
	/* zero pages: kept classes whose bytes are all zero */
	for (uint64_t pfn = 0; pfn < d->max_pfn; pfn++) {
		if (cls[pfn] != SYNTH_KERNEL && cls[pfn] != SYNTH_UNSURE)
			continue;
		if (dump_pa_hole(d, pfn << 12) || kv_is_zero(dump_pa(d, pfn << 12, 4096), 4096))
			cls[pfn] = SYNTH_ZERO;
	}
}

/* ------------------------------------------------------------ dmesg */

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
		else if (c < 0x80 && (isprint(c) || isspace(c)))
			snprintf(t, sizeof(t), "%c", c);
		else if (c < 0x80)
			snprintf(t, sizeof(t), "\\x%02x", c);
		else    /* makedumpfile's char is signed: 0xc3 prints as \xffffffc3 */
			snprintf(t, sizeof(t), "\\xffffff%02x", c);
		out_add(o, olen, t, strlen(t));
	}
	out_add(o, olen, "\n", 1);
}

/*
 * The log from log_buf (3.5 .. 5.9), walked as makedumpfile does, in the
 * classic form (no caller ids: the 20-byte header of CONFIG_PRINTK_CALLER
 * is only skipped). NULL on failure.
 */
static char *read_logbuf(const struct dump *d)
{
	uint64_t buf_va;
	uint32_t len, first, next, idx;
	uint8_t *buf = NULL;
	char *o = malloc(1);
	size_t olen = 0;
	long long hs = vmci_num(d, "SIZE(printk_log)");

	if (!o || (hs != 16 && !(hs == 20 && vmci_num(d, "OFFSET(printk_log.caller_id)") == 16)) ||
	    vmci_num(d, "OFFSET(printk_log.len)") != 8 ||
	    vmci_num(d, "OFFSET(printk_log.text_len)") != 10 ||
	    vmci_num(d, "OFFSET(printk_log.ts_nsec)") != 0 ||
	    !dump_read_va(d, vmci_hex(d, "SYMBOL(log_buf)"), &buf_va, 8) ||
	    !dump_read_va(d, vmci_hex(d, "SYMBOL(log_buf_len)"), &len, 4) ||
	    !dump_read_va(d, vmci_hex(d, "SYMBOL(log_first_idx)"), &first, 4) ||
	    !dump_read_va(d, vmci_hex(d, "SYMBOL(log_next_idx)"), &next, 4) ||
	    len < 64 || len > (1u << 20))
		goto fail;
	o[0] = '\0';
	buf = malloc(len);
	if (!buf || !dump_read_va(d, buf_va, buf, len))
		goto fail;
	/* log_from_ptr() / log_next(): a len 0 header stands for the record at 0 */
	for (unsigned n = 0; (idx = first) != next; n++) {
		uint32_t at = idx;
		unsigned rl, tl;

		if (n > len / 16 || idx > len - hs)
			goto fail;
		if (!(buf[idx + 8] | buf[idx + 9] << 8))
			at = 0;
		rl = buf[at + 8] | buf[at + 9] << 8;
		tl = buf[at + 10] | buf[at + 11] << 8;
		if (rl < hs || at + rl > len || tl > rl - hs)
			goto fail;
		render_rec(&o, &olen, kv_le64(buf + at), buf + at + hs, tl);
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

/* The printk ring (5.10+): descriptors, infos and a text data ring. */
char *read_dmesg(const struct dump *d)
{
	const uint64_t mask = ~(3ull << 62);
	uint64_t prb, count, size, head, tail, descs, infos, data;
	uint8_t rb[88], *text = NULL;
	char *o = malloc(1);
	size_t olen = 0;

	if (!vmci_hex(d, "SYMBOL(prb)") && vmci_hex(d, "SYMBOL(log_buf)")) {
		free(o);
		return read_logbuf(d);
	}
	if (!o || !dump_read_va(d, vmci_hex(d, "SYMBOL(prb)"), &prb, 8) || !dump_read_va(d, prb, rb, 88))
		goto fail;
	o[0] = '\0';
	count = 1ull << rb[0];
	size = 1ull << rb[48];
	descs = kv_le64(rb + 8);
	infos = kv_le64(rb + 16);
	head = kv_le64(rb + 24);
	tail = kv_le64(rb + 32);
	data = kv_le64(rb + 56);
	text = malloc(size);
	if (!text || !dump_read_va(d, data, text, size))
		goto fail;
	for (uint64_t id = tail;; id = (id + 1) & mask) {
		uint8_t desc[24], info[88];
		uint64_t sv, begin, next;
		unsigned len;

		if (!dump_read_va(d, descs + (id % count) * 24, desc, 24) ||
		    !dump_read_va(d, infos + (id % count) * 88, info, 88))
			goto fail;
		sv = kv_le64(desc);
		begin = kv_le64(desc + 8) % size;
		next = kv_le64(desc + 16) % size;
		/* committed or finalized, and with text */
		if ((sv & mask) == id && (sv >> 62 == 1 || sv >> 62 == 2) && begin != next) {
			len = info[16] | info[17] << 8;
			if (begin > next)
				begin = 0;   /* wrapped: the text starts at the ring's start */
			begin += 8;          /* after the block's id */
			if (next - begin < len)
				len = (unsigned)(next - begin);
			render_rec(&o, &olen, kv_le64(info + 8), text + begin, len);
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
