/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VMCOREINFO: the kernel's own description of its layout, as KEY=value
 * lines. Everything here is untrusted input: values are range-checked
 * before the rest of the library may rely on them.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcf-internal.h"

enum field_kind { HEX, DEC };

struct field {
	const char *key;
	size_t off;
	enum field_kind kind;
};

#define F(key, member, kind) { key, offsetof(struct kcf_layout, member), kind }

static const struct field fields[] = {
	F("PAGESIZE", page_size, DEC),
	F("CRASHTIME", crashtime, DEC),
	F("KERNELOFFSET", kerneloffset, HEX),
	F("NUMBER(phys_base)", phys_base, DEC),
	F("NUMBER(pgtable_l5_enabled)", pgtable_l5, DEC),
	F("NUMBER(sme_mask)", sme_mask, DEC),
	F("SYMBOL(init_top_pgt)", sym_init_top_pgt, HEX),
	F("SYMBOL(swapper_pg_dir)", sym_swapper_pg_dir, HEX),
	F("SYMBOL(mem_section)", sym_mem_section, HEX),
	F("SYMBOL(init_uts_ns)", sym_init_uts_ns, HEX),
	F("OFFSET(uts_namespace.name)", off_uts_name, DEC),
	F("LENGTH(mem_section)", len_mem_section, DEC),
	F("SIZE(mem_section)", size_mem_section, DEC),
	F("OFFSET(mem_section.section_mem_map)", off_section_mem_map, DEC),
	F("NUMBER(SECTION_SIZE_BITS)", section_size_bits, DEC),
	F("NUMBER(MAX_PHYSMEM_BITS)", max_physmem_bits, DEC),
	F("SIZE(page)", size_page, DEC),
	F("OFFSET(page.flags)", off_flags, DEC),
	F("OFFSET(page._refcount)", off_refcount, DEC),
	F("OFFSET(page.mapping)", off_mapping, DEC),
	F("OFFSET(page.lru)", off_lru, DEC),
	F("OFFSET(page._mapcount)", off_mapcount, DEC),
	F("OFFSET(page.private)", off_private, DEC),
	F("OFFSET(page.compound_head)", off_compound_head, DEC),
	/* 7.1 renamed the field (and its VMCOREINFO line): the same word */
	F("OFFSET(page.compound_info)", off_compound_head, DEC),
	F("OFFSET(page.compound_dtor)", off_compound_dtor, DEC),
	F("OFFSET(page.compound_order)", off_compound_order, DEC),
	F("OFFSET(folio._folio_dtor)", off_folio_dtor, DEC),
	F("OFFSET(folio._folio_order)", off_folio_order, DEC),
	F("NUMBER(PG_lru)", pg_lru, DEC),
	F("NUMBER(PG_private)", pg_private, DEC),
	F("NUMBER(PG_swapcache)", pg_swapcache, DEC),
	F("NUMBER(PG_swapbacked)", pg_swapbacked, DEC),
	F("NUMBER(PG_slab)", pg_slab, DEC),
	F("NUMBER(PG_hwpoison)", pg_hwpoison, DEC),
	F("NUMBER(PG_head_mask)", pg_head_mask, DEC),
	F("NUMBER(PG_hugetlb)", pg_hugetlb, DEC),
	F("NUMBER(HUGETLB_PAGE_DTOR)", hugetlb_dtor, DEC),
	F("NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)", buddy_value, DEC),
	F("NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)", offline_value, DEC),
	F("NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)", slab_value, DEC),
	F("NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)", hugetlb_value, DEC),
	F("NUMBER(PAGE_UNACCEPTED_MAPCOUNT_VALUE)", unaccepted_value, DEC),
	F("LENGTH(zone.free_area)", len_free_area, DEC),
};

static bool parse_value(const char *s, enum field_kind kind, int64_t *out)
{
	char *end;
	bool neg = false;
	uint64_t v;

	if (kind == HEX) {
		if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2))
			s += 2;
		if (!*s)
			return false;
		errno = 0;
		v = strtoull(s, &end, 16);
	} else {
		if (*s == '-') {
			neg = true;
			s++;
		}
		if (!*s)
			return false;
		errno = 0;
		v = strtoull(s, &end, 0);
	}
	if (errno || *end)
		return false;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return true;
}

const char *kcf_vmcoreinfo_get(const struct kcf_vmcoreinfo *vi, const char *key)
{
	size_t klen = strlen(key);

	for (size_t off = 0; vi->lines && off < vi->len;) {
		const char *p = vi->lines + off;
		if (!strncmp(p, key, klen) && p[klen] == '=')
			return p + klen + 1;
		off += strlen(p) + 1;
	}
	return NULL;
}

int kcf_vmcoreinfo_number(const struct kcf_vmcoreinfo *vi, const char *key, uint64_t *val)
{
	const char *s = kcf_vmcoreinfo_get(vi, key);
	int64_t v;

	if (!s)
		return -ENOENT;
	if (!parse_value(s, DEC, &v))
		return -EINVAL;
	*val = (uint64_t)v;
	return 0;
}

static bool is_pow2(int64_t v)
{
	return v > 0 && (v & (v - 1)) == 0;
}

/* Reject layouts that would make later arithmetic meaningless. */
static int validate(struct kcf_ctx *ctx, struct kcf_layout *l)
{
	static const struct { const char *key; size_t off; } need[] = {
		{ "PAGESIZE", offsetof(struct kcf_layout, page_size) },
		{ "SYMBOL(mem_section)", offsetof(struct kcf_layout, sym_mem_section) },
		{ "LENGTH(mem_section)", offsetof(struct kcf_layout, len_mem_section) },
		{ "SIZE(mem_section)", offsetof(struct kcf_layout, size_mem_section) },
		{ "NUMBER(SECTION_SIZE_BITS)", offsetof(struct kcf_layout, section_size_bits) },
		{ "NUMBER(MAX_PHYSMEM_BITS)", offsetof(struct kcf_layout, max_physmem_bits) },
		{ "SIZE(page)", offsetof(struct kcf_layout, size_page) },
		{ "OFFSET(page.flags)", offsetof(struct kcf_layout, off_flags) },
		{ "OFFSET(page.mapping)", offsetof(struct kcf_layout, off_mapping) },
		{ "OFFSET(page._mapcount)", offsetof(struct kcf_layout, off_mapcount) },
		{ "OFFSET(page.private)", offsetof(struct kcf_layout, off_private) },
		{ "NUMBER(PG_lru)", offsetof(struct kcf_layout, pg_lru) },
	};
	for (size_t i = 0; i < ARRAY_SIZE(need); i++) {
		if (*(int64_t *)((char *)l + need[i].off) == KCF_UNSET)
			return kcf_err(ctx, ENODATA,
				       "VMCOREINFO lacks %s: the dump was not made by a kernel kcatch supports, or the note is damaged",
				       need[i].key);
	}
	if (!is_pow2(l->page_size) || l->page_size < 4096 || l->page_size > 65536)
		return kcf_err(ctx, EINVAL, "VMCOREINFO: PAGESIZE=%lld is not a supported page size",
			       (long long)l->page_size);
	l->page_shift = __builtin_ctzll((uint64_t)l->page_size);
	if (l->size_page < 32 || l->size_page > 512 || l->size_page % 8)
		return kcf_err(ctx, EINVAL, "VMCOREINFO: SIZE(page)=%lld is implausible",
			       (long long)l->size_page);
	int64_t *offs[] = { &l->off_flags, &l->off_refcount, &l->off_mapping, &l->off_lru,
			    &l->off_mapcount, &l->off_private, &l->off_compound_head,
			    &l->off_compound_dtor, &l->off_compound_order };
	for (size_t i = 0; i < ARRAY_SIZE(offs); i++) {
		if (*offs[i] != KCF_UNSET && (*offs[i] < 0 || *offs[i] + 8 > l->size_page))
			return kcf_err(ctx, EINVAL, "VMCOREINFO: a struct page offset (%lld) lies outside SIZE(page)=%lld",
				       (long long)*offs[i], (long long)l->size_page);
	}
	/*
	 * Bit 0 of the union's first word marks a tail page; the kernel
	 * keeps that word where lru is (it asserts so). Without the compound
	 * offset, lru's still finds tails so they are kept; nothing is
	 * dropped on that guess (see KCF_MISSING_COMPOUND in classify.c).
	 */
	l->off_tail_word = l->off_compound_head != KCF_UNSET ? l->off_compound_head : l->off_lru;
	if (l->max_physmem_bits < 32 || l->max_physmem_bits > 57 ||
	    l->section_size_bits <= l->page_shift || l->section_size_bits >= l->max_physmem_bits)
		return kcf_err(ctx, EINVAL, "VMCOREINFO: MAX_PHYSMEM_BITS=%lld / SECTION_SIZE_BITS=%lld are inconsistent",
			       (long long)l->max_physmem_bits, (long long)l->section_size_bits);
	if (l->size_mem_section < 8 || l->size_mem_section > 64 ||
	    l->len_mem_section <= 0 || l->len_mem_section > (1LL << 30))
		return kcf_err(ctx, EINVAL, "VMCOREINFO: SIZE/LENGTH(mem_section) = %lld/%lld are implausible",
			       (long long)l->size_mem_section, (long long)l->len_mem_section);
	if (l->off_section_mem_map == KCF_UNSET)
		l->off_section_mem_map = 0;
	if (l->off_section_mem_map < 0 || l->off_section_mem_map + 8 > l->size_mem_section)
		return kcf_err(ctx, EINVAL, "VMCOREINFO: OFFSET(mem_section.section_mem_map) is outside the struct");
	int64_t *bits[] = { &l->pg_lru, &l->pg_private, &l->pg_swapcache, &l->pg_swapbacked,
			    &l->pg_slab, &l->pg_hwpoison, &l->pg_hugetlb };
	for (size_t i = 0; i < ARRAY_SIZE(bits); i++) {
		if (*bits[i] != KCF_UNSET && (*bits[i] < 0 || *bits[i] > 63))
			return kcf_err(ctx, EINVAL, "VMCOREINFO: a page flag number (%lld) is not a bit of a 64-bit word",
				       (long long)*bits[i]);
	}
	if (l->len_free_area == KCF_UNSET)
		l->len_free_area = 11;
	if (l->len_free_area < 1 || l->len_free_area > 64)
		return kcf_err(ctx, EINVAL, "VMCOREINFO: LENGTH(zone.free_area)=%lld is implausible",
			       (long long)l->len_free_area);
	/*
	 * Kernels before 5.11 do not export the offset: their uts_namespace
	 * starts with a 4-byte struct kref, then the name (makedumpfile
	 * makes the same assumption).
	 */
	if (l->off_uts_name == KCF_UNSET && l->sym_init_uts_ns != KCF_UNSET)
		l->off_uts_name = 4;
	if (l->phys_base == KCF_UNSET)
		l->phys_base = 0;
	if (l->kerneloffset == KCF_UNSET)
		l->kerneloffset = 0;
	if (l->pgtable_l5 == KCF_UNSET)
		l->pgtable_l5 = 0;
	if (l->sme_mask == KCF_UNSET)
		l->sme_mask = 0;
	return 0;
}

int kcf_vmcoreinfo_parse(struct kcf_ctx *ctx, const char *text, size_t len,
			 struct kcf_vmcoreinfo *vi, struct kcf_layout *lay)
{
	char *p;

	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		*(int64_t *)((char *)lay + fields[i].off) = KCF_UNSET;
	lay->osrelease[0] = 0;

	/* The note text may carry trailing NULs; stop at the first. */
	len = strnlen(text, len);
	if (len == 0)
		return kcf_err(ctx, ENODATA, "the VMCOREINFO note is empty");
	vi->text = malloc(len + 1);
	vi->lines = malloc(len + 1);
	if (!vi->text || !vi->lines)
		return -ENOMEM;
	memcpy(vi->text, text, len);
	vi->text[len] = 0;
	vi->len = len;
	for (size_t i = 0; i <= len; i++)
		vi->lines[i] = (i == len || text[i] == '\n') ? 0 : text[i];

	for (p = vi->text; *p;) {
		char *nl = strchr(p, '\n');
		size_t ll = nl ? (size_t)(nl - p) : strlen(p);
		char line[256];
		char *eq;

		if (ll >= sizeof(line) || !(eq = memchr(p, '=', ll))) {
			p = nl ? nl + 1 : p + ll;
			continue;
		}
		memcpy(line, p, ll);
		line[ll] = 0;
		eq = line + (eq - p);
		*eq = 0;
		if (!strcmp(line, "OSRELEASE")) {
			snprintf(lay->osrelease, sizeof(lay->osrelease), "%s", eq + 1);
		} else {
			for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
				if (strcmp(line, fields[i].key))
					continue;
				int64_t *dst = (int64_t *)((char *)lay + fields[i].off);
				if (!parse_value(eq + 1, fields[i].kind, dst))
					return kcf_err(ctx, EINVAL, "VMCOREINFO line \"%s=%s\" has a garbled value",
						       line, eq + 1);
				break;
			}
		}
		p = nl ? nl + 1 : p + ll;
	}
	if (!lay->osrelease[0])
		return kcf_err(ctx, ENODATA, "VMCOREINFO lacks OSRELEASE: the note is damaged or not VMCOREINFO");
	return validate(ctx, lay);
}

void kcf_vmcoreinfo_free(struct kcf_vmcoreinfo *vi)
{
	free(vi->text);
	free(vi->lines);
	vi->text = vi->lines = NULL;
}
