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

/*
 * Is this page of the type VMCOREINFO exported as value? An exact
 * _mapcount before 6.12; from 6.12 the top byte of page_type, its low 24
 * bits the owner's (the exported value has them zero).
 */
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
	uint64_t flags, compound, mapping, private;
	uint32_t mapcount;
	const uint8_t *raw;
};

static bool read_struct_page(const struct classifier *c, uint64_t va, struct page_fields *sp)
{
	const uint8_t *p = dump_va(c->d, va, 64);

	if (!p)
		return false;
	sp->raw = p;
	sp->flags = kv_le64(p);
	/* no compound offset in VMCOREINFO: no page can be told to be a tail */
	sp->compound = vmci_has(c->ly.off_compound) ? kv_le64(p + c->ly.off_compound) : 0;
	sp->mapping = kv_le64(p + 24);
	sp->private = kv_le64(p + 40);
	memcpy(&sp->mapcount, p + 48, 4);
	return true;
}

/*
 * The head's struct page address a tail at va leads to, or 0 when the
 * page is no tail. 7.1+ (OFFSET(page.compound_info)) with a power-of-two
 * struct page may hold GENMASK(63, order + 6) | 1, the mask that turns the
 * tail's address into its head's; otherwise head | 1.
 */
static uint64_t head_of(const struct page_layout *ly, uint64_t va, uint64_t info)
{
	if (!(info & 1))
		return 0;
	if (ly->compound_mask_ok)
		for (int shift = 7; shift <= 6 + 18; shift++)
			if (info == (~0ull << shift | 1))
				return va & info;
	return info - 1;
}

/*
 * The slab marker: NUMBER(PG_slab) before 6.10, the slab page type after.
 * Without either a page cannot be ruled out as slab.
 */
static bool slab_known(const struct page_layout *ly)
{
	return vmci_has(ly->pg_slab) || vmci_has(ly->slab_type);
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
	int k = SYNTH_KERNEL;

	if (slab)
		return SYNTH_KERNEL;
	if ((flag(sp->flags, ly->pg_lru) ||
	     (flag(sp->flags, ly->pg_swapcache) && flag(sp->flags, ly->pg_swapbacked))) && !anon)
		k = flag(sp->flags, ly->pg_private) ? SYNTH_CACHE_PRIVATE : SYNTH_CACHE;
	else if (anon || hugetlb)
		k = SYNTH_USER;
	else if (flag(sp->flags, ly->pg_hwpoison))
		return SYNTH_HWPOISON;
	else if (is_type(ly, sp->mapcount, ly->offline))
		return SYNTH_OFFLINE;
	/* cache or user, but it might be slab: keep it as the kernel's */
	if (k != SYNTH_KERNEL && !slab_known(ly))
		return SYNTH_KERNEL;
	/* or a tail, which cannot be told from a single page: keep it */
	return k != SYNTH_KERNEL && !vmci_has(ly->off_compound) ? SYNTH_UNSURE : k;
}

uint64_t struct_page_va(const struct classifier *c, uint64_t pfn)
{
	uint64_t n = pfn / c->d->pps;

	if (n >= c->nsect || !c->memmap[n])
		return 0;
	return c->memmap[n] + (pfn % c->d->pps) * 64;
}

/* A VMCOREINFO offset inside struct folio's page[1], as an offset in page[1], or absent. */
static long long in_page1(long long off)
{
	return vmci_has(off) && off >= 64 && off < 128 ? off - 64 : VMCI_NOT_FOUND;
}

static void read_page_layout(struct page_layout *ly, const struct dump *d)
{
	const long long *types[] = { &ly->buddy, &ly->offline, &ly->slab_type, &ly->hugetlb_type,
				     &ly->unaccepted };

	ly->pg_lru = vmci_num(d, "NUMBER(PG_lru)");
	ly->pg_private = vmci_num(d, "NUMBER(PG_private)");
	ly->pg_swapcache = vmci_num(d, "NUMBER(PG_swapcache)");
	ly->pg_swapbacked = vmci_num(d, "NUMBER(PG_swapbacked)");
	ly->pg_slab = vmci_num(d, "NUMBER(PG_slab)");
	ly->pg_hwpoison = vmci_num(d, "NUMBER(PG_hwpoison)");
	ly->pg_hugetlb = vmci_num(d, "NUMBER(PG_hugetlb)");
	ly->head_mask = vmci_num(d, "NUMBER(PG_head_mask)");
	ly->buddy = vmci_num(d, "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)");
	ly->offline = vmci_num(d, "NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)");
	ly->slab_type = vmci_num(d, "NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)");
	ly->hugetlb_type = vmci_num(d, "NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)");
	ly->unaccepted = vmci_num(d, "NUMBER(PAGE_UNACCEPTED_MAPCOUNT_VALUE)");
	ly->dtor_hugetlb = vmci_num(d, "NUMBER(HUGETLB_PAGE_DTOR)");
	/* < 6.3: in struct page; 6.3 .. 6.5: in struct folio, so in page[1]; 6.6+: page[1].flags */
	ly->off_order = vmci_num(d, "OFFSET(page.compound_order)");
	if (!vmci_has(ly->off_order))
		ly->off_order = in_page1(vmci_num(d, "OFFSET(folio._folio_order)"));
	ly->off_dtor = vmci_num(d, "OFFSET(page.compound_dtor)");
	if (!vmci_has(ly->off_dtor))
		ly->off_dtor = in_page1(vmci_num(d, "OFFSET(folio._folio_dtor)"));
	/* renamed compound_info in 7.1, which may hold a mask */
	ly->off_compound = vmci_num(d, "OFFSET(page.compound_head)");
	ly->compound_mask_ok = false;
	if (!vmci_has(ly->off_compound)) {
		ly->off_compound = vmci_num(d, "OFFSET(page.compound_info)");
		ly->compound_mask_ok = vmci_has(ly->off_compound);   /* SIZE(page) is 64 */
	}
	if (vmci_has(ly->off_compound) && (ly->off_compound < 0 || ly->off_compound > 56))
		ly->off_compound = VMCI_NOT_FOUND;
	ly->free_area_len = vmci_num(d, "LENGTH(zone.free_area)");
	/* before 6.12 a type is an exact value with one bit clear; 6.12+: PGTY << 24 */
	ly->top_byte = false;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (vmci_has(*types[i]) && !(*types[i] & 0xffffff))
			ly->top_byte = true;
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
	/* SECTIONS_PER_ROOT: a page of 16-byte struct mem_section (4K: 256, 64K: 4096) */
	const uint64_t per_root = d->page_size / 16;

	if ((d->extreme && root_len != d->nr_sections / per_root) ||
	    (!d->extreme && root_len != d->nr_sections)) {
		snprintf(err, errlen, "LENGTH(mem_section) %llu does not fit", (unsigned long long)root_len);
		return -1;
	}
	for (uint64_t n = 0; n < c->nsect; n++) {
		uint64_t ms, coded;
		const uint8_t *p;

		if (d->extreme) {
			p = dump_va(d, d->mem_section + (n / per_root) * 8, 8);
			if (!p) {
				snprintf(err, errlen, "mem_section root %llu unreadable",
					 (unsigned long long)(n / per_root));
				return -1;
			}
			ms = kv_le64(p);
			if (!ms)
				continue;
			ms += (n % per_root) * 16;
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

/*
 * Order of the compound page headed by the struct page at hva, with its
 * first tail in *t, or -1 when that tail does not lead back to the head.
 */
static int compound_order(const struct classifier *c, uint64_t hva, struct page_fields *t)
{
	const struct page_layout *ly = &c->ly;

	if (!read_struct_page(c, hva + 64, t) ||
	    (vmci_has(ly->off_compound) && head_of(ly, hva + 64, t->compound) != hva))
		return -1;
	return vmci_has(ly->off_order) ? t->raw[ly->off_order] : (int)(t->flags & 0xff);
}

/* hugetlbfs: a page type (6.9+), PG_hugetlb of page[1] (6.6 .. 6.8), or the dtor. */
static bool is_hugetlb(const struct page_layout *ly, const struct page_fields *head,
		       const struct page_fields *t)
{
	if (vmci_has(ly->hugetlb_type))
		return is_type(ly, head->mapcount, ly->hugetlb_type);
	if (vmci_has(ly->pg_hugetlb))
		return flag(t->flags, ly->pg_hugetlb);
	return vmci_has(ly->dtor_hugetlb) && vmci_has(ly->off_dtor) &&
	       t->raw[ly->off_dtor] == ly->dtor_hugetlb;
}

/* A buddy block, or (6.16) a MAX_ORDER block of unaccepted memory: free. */
static int free_block(const struct page_layout *ly, uint64_t pfn, uint64_t order, uint64_t *n)
{
	if (order >= (uint64_t)ly->free_area_len || pfn & ((1ull << order) - 1))
		return SYNTH_UNSURE;
	*n = 1ull << order;
	return SYNTH_FREE;
}

/*
 * The class of the block headed by the struct page at va (read into sp)
 * and its length in pages: a buddy block, a compound page whose every tail
 * points back at it, or a single page. SYNTH_UNSURE with *n = 1 when the
 * block is inconsistent. Without a compound offset in VMCOREINFO the tails
 * cannot be checked: a large folio is kept whole unless it is kernel's.
 */
static int block_class(const struct classifier *c, uint64_t pfn, uint64_t va,
		       const struct page_fields *sp, uint64_t *n)
{
	const struct page_layout *ly = &c->ly;
	const int max_order = c->d->section_bits - c->d->page_shift;
	struct page_fields t;
	int k, order;

	*n = 1;
	if (!is_slab(ly, sp) && is_type(ly, sp->mapcount, ly->buddy))
		return free_block(ly, pfn, sp->private, n);
	if (!is_slab(ly, sp) && is_type(ly, sp->mapcount, ly->unaccepted))
		return free_block(ly, pfn, (uint64_t)ly->free_area_len - 1, n);
	if (!(sp->flags & (uint64_t)ly->head_mask))
		return single_class(ly, sp, false);
	order = compound_order(c, va, &t);
	if (order < 1 || order > max_order || pfn & ((1ull << order) - 1))
		return SYNTH_UNSURE;
	k = single_class(ly, sp, is_hugetlb(ly, sp, &t));
	*n = 1ull << order;
	if (!vmci_has(ly->off_compound))
		return k;   /* tails unchecked: single_class() kept it unless it is kernel */
	/* every tail must lead back to this head */
	for (uint64_t i = 1; i < 1ull << order; i++) {
		struct page_fields ts;
		uint64_t tva = struct_page_va(c, pfn + i);

		if (!tva || !read_struct_page(c, tva, &ts) || head_of(ly, tva, ts.compound) != va) {
			*n = 1;
			return SYNTH_UNSURE;
		}
	}
	return k;
}

void classify_dump(const struct classifier *c, uint8_t *cls)
{
	const struct dump *d = c->d;

	memset(cls, CLASS_NOT_RAM, d->max_pfn);
	for (int i = 0; i < d->nload; i++)
		if (dump_load_is_ram(d, &d->load[i]))
			memset(cls + (d->load[i].pa >> d->page_shift), SYNTH_CLASS_MAX,
			       d->load[i].len >> d->page_shift);
	for (uint64_t pfn = 0; pfn < d->max_pfn; pfn++) {
		uint64_t va = struct_page_va(c, pfn), n = 1;
		struct page_fields sp;
		int k;

		if (cls[pfn] != SYNTH_CLASS_MAX)
			continue;   /* not RAM, or done as part of a block */
		if (!va || !read_struct_page(c, va, &sp)) {
			cls[pfn] = SYNTH_UNSURE;
			continue;
		}
		if (sp.compound & 1) {
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
		uint64_t pa = pfn << d->page_shift;

		if (dump_pa_hole(d, pa) || kv_is_zero(dump_pa(d, pa, d->page_size), d->page_size))
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
