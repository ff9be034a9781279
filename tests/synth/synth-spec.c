/* SPDX-License-Identifier: GPL-2.0-or-later */
/* synth: the text spec (grammar documented in mkvmcore.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth-internal.h"

#define MAX_TOK 12

/* Numbers: decimal or 0x hex, optional K/M/G/T suffix (binary units). */
static int parse_num(const char *t, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (!t || !*t || *t == '-')
		return -EINVAL;
	errno = 0;
	x = strtoull(t, &end, 0);
	if (errno || end == t)
		return -EINVAL;
	switch (*end) {
	case 'K': case 'k': x <<= 10; end++; break;
	case 'M': case 'm': x <<= 20; end++; break;
	case 'G': case 'g': x <<= 30; end++; break;
	case 'T': case 't': x <<= 40; end++; break;
	default: break;
	}
	if (*end)
		return -EINVAL;
	*v = x;
	return 0;
}

/* "A-B" (B exclusive for ram, inclusive for pfn ranges: caller decides). */
static int parse_range(const char *t, uint64_t *a, uint64_t *b)
{
	char buf[128];
	char *dash;

	if (strlen(t) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, t);
	dash = strchr(buf, '-');
	if (!dash)
		return -EINVAL;
	*dash = '\0';
	if (parse_num(buf, a) < 0 || parse_num(dash + 1, b) < 0)
		return -EINVAL;
	return 0;
}

static int parse_bool(const char *t, bool *v)
{
	if (!t)
		return -EINVAL;
	if (!strcmp(t, "yes") || !strcmp(t, "1") || !strcmp(t, "on"))
		*v = true;
	else if (!strcmp(t, "no") || !strcmp(t, "0") || !strcmp(t, "off"))
		*v = false;
	else
		return -EINVAL;
	return 0;
}

static int bad(struct synth *s, const char *what, const char *tok)
{
	return synth_fail(s, -EINVAL, "line %d: %s%s%s%s", s->cur_line, what,
			  tok ? " '" : "", tok ? tok : "", tok ? "'" : "");
}

static int add_placement(struct synth *s, uint64_t first, uint64_t last, int kind,
			 int order, uint64_t arg)
{
	if (s->npl == s->apl) {
		size_t na = s->apl ? s->apl * 2 : 32;
		struct placement *p = realloc(s->pl, na * sizeof(*p));
		if (!p)
			return synth_fail(s, -ENOMEM, "out of memory");
		s->pl = p;
		s->apl = na;
	}
	s->pl[s->npl++] = (struct placement){ first, last, kind, order, arg, s->cur_line };
	return 0;
}

static int set_mix(struct synth *s, char **tok, int ntok)
{
	static const struct { int kind; unsigned w; } def[] = {
		{ K_KERNEL, 14 }, { K_RANDOM, 1 }, { K_TEXT, 2 }, { K_ZERO, 4 },
		{ K_PGTABLE, 2 }, { K_SLAB, 8 }, { K_MOVABLE, 1 }, { K_CACHE, 18 },
		{ K_CACHE_PRIVATE, 5 }, { K_SHMEM, 3 }, { K_ANON, 14 },
		{ K_ANON_SWAPCACHE, 2 }, { K_KSM, 1 }, { K_HUGETLB, 1 },
		{ K_FREE, 22 }, { K_OFFLINE, 1 }, { K_HWPOISON, 1 },
	};

	memset(s->mix, 0, sizeof(s->mix));
	if (ntok == 2 && !strcmp(tok[1], "default")) {
		for (size_t i = 0; i < sizeof(def) / sizeof(def[0]); i++)
			s->mix[def[i].kind] = def[i].w;
		return 0;
	}
	if (ntok < 2)
		return bad(s, "mix needs 'default' or KIND=WEIGHT...", NULL);
	for (int i = 1; i < ntok; i++) {
		char *eq = strchr(tok[i], '=');
		uint64_t w;
		int k;

		if (!eq)
			return bad(s, "expected KIND=WEIGHT, got", tok[i]);
		*eq = '\0';
		k = synth_kind_from_name(tok[i]);
		if (k < 0)
			return bad(s, "unknown page kind", tok[i]);
		if (parse_num(eq + 1, &w) < 0 || w > 1000000)
			return bad(s, "bad weight", eq + 1);
		s->mix[k] = (unsigned)w;
	}
	return 0;
}

static int parse_order(struct synth *s, const char *t, int *order)
{
	uint64_t v;

	if (!t) {
		*order = 0;
		return 0;
	}
	if (parse_num(t, &v) < 0 || v > 18)
		return bad(s, "bad order (0..18)", t);
	*order = (int)v;
	return 0;
}

static int spec_corrupt(struct synth *s, char **tok, int ntok)
{
	uint64_t pfn, v = 0;

	if (ntok < 3 || parse_num(tok[2], &pfn) < 0)
		return bad(s, "usage: corrupt buddy_order|tail_outside|garbage_order PFN [ORDER]",
			   NULL);
	if (!strcmp(tok[1], "buddy_order")) {
		v = 13;
		if (ntok > 3 && (parse_num(tok[3], &v) < 0 || v < 11 || v > 255))
			return bad(s, "buddy_order needs an order >= 11, got", tok[3]);
		return add_placement(s, pfn, pfn, K_BAD_BUDDY, 0, v);
	}
	if (!strcmp(tok[1], "tail_outside"))
		return add_placement(s, pfn, pfn, K_BAD_TAIL, 0, 0);
	if (!strcmp(tok[1], "garbage_order")) {
		v = 42;
		if (ntok > 3 && (parse_num(tok[3], &v) < 0 || v < 19 || v > 255))
			return bad(s, "garbage_order needs an order 19..255, got", tok[3]);
		return add_placement(s, pfn, pfn + 1, K_BAD_ORDER, 1, v);
	}
	return bad(s, "unknown corruption", tok[1]);
}

static int spec_section(struct synth *s, char **tok, int ntok)
{
	uint64_t nr, fl;
	int st;

	if (ntok < 3 || parse_num(tok[1], &nr) < 0 || nr > 1u << 20)
		return bad(s, "usage: section NR nomemmap|unmapped|outside|flags HEX", NULL);
	if (!strcmp(tok[2], "flags")) {
		void *p;

		if (ntok != 4 || parse_num(tok[3], &fl) < 0 || fl > 0xfff)
			return bad(s, "section flags needs a value below 0x1000", NULL);
		p = realloc(s->secflags, (s->nsecflags + 1) * sizeof(*s->secflags));
		if (!p)
			return synth_fail(s, -ENOMEM, "out of memory");
		s->secflags = p;
		s->secflags[s->nsecflags].nr = nr;
		s->secflags[s->nsecflags++].flags = fl;
		return 0;
	}
	if (!strcmp(tok[2], "nomemmap"))
		st = MM_NONE;
	else if (!strcmp(tok[2], "unmapped"))
		st = MM_UNMAPPED;
	else if (!strcmp(tok[2], "outside"))
		st = MM_OUTSIDE;
	else
		return bad(s, "unknown section state", tok[2]);
	void *p = realloc(s->mmcor, (s->nmmcor + 1) * sizeof(*s->mmcor));
	if (!p)
		return synth_fail(s, -ENOMEM, "out of memory");
	s->mmcor = p;
	s->mmcor[s->nmmcor].nr = nr;
	s->mmcor[s->nmmcor++].state = st;
	return 0;
}

static int spec_vmcoreinfo(struct synth *s, const char *rest, bool omit)
{
	const char *eq = strchr(rest, '=');
	struct vi_edit ed = { 0 };
	void *p;

	if (omit) {
		if (!*rest || strchr(rest, '=') || strchr(rest, ' '))
			return bad(s, "vmcoreinfo_omit needs a KEY", NULL);
		ed.key = strdup(rest);
	} else {
		if (!eq || eq == rest)
			return bad(s, "vmcoreinfo needs KEY=VALUE", NULL);
		ed.key = strndup(rest, (size_t)(eq - rest));
		ed.value = strdup(eq + 1);
		if (!ed.value) {
			free(ed.key);
			return synth_fail(s, -ENOMEM, "out of memory");
		}
	}
	if (!ed.key) {
		free(ed.value);
		return synth_fail(s, -ENOMEM, "out of memory");
	}
	p = realloc(s->edits, (s->nedits + 1) * sizeof(*s->edits));
	if (!p) {
		free(ed.key);
		free(ed.value);
		return synth_fail(s, -ENOMEM, "out of memory");
	}
	s->edits = p;
	s->edits[s->nedits++] = ed;
	return 0;
}

static int set_string(struct synth *s, char *dst, const char *t)
{
	if (!t || strlen(t) > 64)
		return bad(s, "needs a word of at most 64 characters", NULL);
	strcpy(dst, t);
	return 0;
}

static int spec_tokens(struct synth *s, char **tok, int ntok, const char *rest)
{
	const char *k = tok[0];
	const char *a = ntok > 1 ? tok[1] : NULL;
	uint64_t v, w;
	bool b;

	if (!strcmp(k, "vmcoreinfo"))
		return spec_vmcoreinfo(s, rest, false);
	if (!strcmp(k, "dmesg"))
		return synth_dmesg_add(s, rest);
	if (!strcmp(k, "dmesg_ring")) {
		if (ntok != 3 || parse_num(a, &v) < 0 || parse_num(tok[2], &w) < 0 ||
		    v < 2 || v > 16 || w < 9 || w > 20)
			return bad(s, "usage: dmesg_ring COUNT_BITS (2..16) SIZE_BITS (9..20)", NULL);
		s->dmesg_count_bits = (int)v;
		s->dmesg_size_bits = (int)w;
		return 0;
	}
	if (!strcmp(k, "dmesg_format")) {
		if (ntok != 2 || (strcmp(a, "lockless") && strcmp(a, "logbuf")))
			return bad(s, "usage: dmesg_format lockless|logbuf", NULL);
		s->dmesg_format = !strcmp(a, "logbuf");
		return 0;
	}
	if (!strcmp(k, "dmesg_caller")) {
		if (ntok != 2 || (strcmp(a, "yes") && strcmp(a, "no")))
			return bad(s, "usage: dmesg_caller yes|no", NULL);
		s->dmesg_caller = !strcmp(a, "yes");
		return 0;
	}
	if (!strcmp(k, "dmesg_fill")) {
		if (ntok != 2 || parse_num(a, &v) < 0 || v > 100000)
			return bad(s, "usage: dmesg_fill N (up to 100000)", NULL);
		return synth_dmesg_fill(s, (unsigned)v);
	}
	if (!strcmp(k, "vmcoreinfo_omit"))
		return spec_vmcoreinfo(s, rest, true);
	if (!strcmp(k, "mix"))
		return set_mix(s, tok, ntok);
	if (!strcmp(k, "corrupt"))
		return spec_corrupt(s, tok, ntok);
	if (!strcmp(k, "section"))
		return spec_section(s, tok, ntok);
	if (!strcmp(k, "page") || !strcmp(k, "pages")) {
		uint64_t first, last;
		int kind, order = 0;

		if (ntok < 3 || ntok > 4)
			return bad(s, "usage: page PFN KIND [ORDER] / pages FIRST-LAST KIND [ORDER]",
				   NULL);
		if (k[4] == 's' ? parse_range(a, &first, &last) < 0 : parse_num(a, &first) < 0)
			return bad(s, "bad PFN", a);
		if (k[4] != 's')
			last = first;
		kind = synth_kind_from_name(tok[2]);
		if (kind < 0 || kind >= K_BAD_BUDDY || kind <= K_MEMBLOCK)
			return bad(s, "unknown page kind", tok[2]);
		if (parse_order(s, ntok > 3 ? tok[3] : NULL, &order) < 0)
			return -EINVAL;
		if (kind == K_HUGETLB && ntok <= 3)
			order = 21 - PAGE_SHIFT;   /* 2 MiB */
		if (kind == K_UNACCEPTED && ntok <= 3)
			order = MAX_ORDER_FREE;
		if (last < first)
			return bad(s, "empty PFN range", a);
		if (k[4] != 's')
			last = first + (1ull << order) - 1;
		return add_placement(s, first, last, kind, order, 0);
	}
	if (!strcmp(k, "mixed")) {
		uint64_t stride, len;

		if (ntok != 3 || parse_num(a, &stride) < 0 || parse_num(tok[2], &len) < 0 ||
		    !stride || (stride | len) & ((4ull << 20) - 1) || len > stride)
			return bad(s, "usage: mixed STRIDE LEN (multiples of 4M, LEN <= STRIDE)", NULL);
		s->mixed_stride = stride >> PAGE_SHIFT;
		s->mixed_len = len >> PAGE_SHIFT;
		return 0;
	}
	if (!strcmp(k, "fill")) {
		if (ntok != 2)
			return bad(s, "usage: fill KIND|mix", NULL);
		if (!strcmp(a, "mix")) {
			s->fill_kind = -1;
			return 0;
		}
		int kind = synth_kind_from_name(a);
		if (kind < K_KERNEL || kind >= K_BAD_BUDDY || kind == K_UNACCEPTED)
			return bad(s, "unknown page kind (or one that cannot fill)", a);
		s->fill_kind = kind;
		return 0;
	}
	if (ntok != 2 && strcmp(k, "kernel"))
		return bad(s, "expected one value after", k);
	if (!strcmp(k, "era")) {
		char names[120], msg[160];

		synth_era_names(names, sizeof(names));
		snprintf(msg, sizeof(msg), "era is one of %s, not", names);
		if (strlen(a) >= sizeof(s->era_name) ||
		    synth_era_find(a, &s->era, &s->vi_unaccepted) < 0)
			return bad(s, msg, a);
		strcpy(s->era_name, a);   /* as written, for the expectation's header */
	} else if (!strcmp(k, "compound_info")) {
		if (strcmp(a, "mask") && strcmp(a, "pointer"))
			return bad(s, "compound_info is mask or pointer, not", a);
		s->compound_mask = !strcmp(a, "mask");
	} else if (!strcmp(k, "paging")) {
		if (parse_num(a, &v) < 0 || (v != 4 && v != 5))
			return bad(s, "paging is 4 or 5, not", a);
		s->levels = (int)v;
	} else if (!strcmp(k, "arch")) {
		if (strcmp(a, "x86_64") && strcmp(a, "arm64"))
			return bad(s, "arch is x86_64 or arm64, not", a);
		s->arm64 = !strcmp(a, "arm64");
	} else if (!strcmp(k, "page_size")) {
		/* PFNs and byte ranges after it are in its pages */
		if (s->nram || s->npl)
			return bad(s, "page_size must come before ram and page lines", NULL);
		if (!strcmp(a, "4k"))
			s->page_shift = 12;
		else if (!strcmp(a, "16k"))
			s->page_shift = 14;
		else if (!strcmp(a, "64k"))
			s->page_shift = 16;
		else
			return bad(s, "page_size is 4k, 16k or 64k (16k and 64k: arch arm64), not", a);
	} else if (!strcmp(k, "va_bits") || !strcmp(k, "va_actual")) {
		if (parse_num(a, &v) < 0 || (v != 39 && v != 42 && v != 47 && v != 48 && v != 52))
			return bad(s, "va_bits and va_actual are 39, 42, 47, 48 or 52 (arm64), not", a);
		*(!strcmp(k, "va_bits") ? &s->va_bits : &s->va_actual) = (int)v;
	} else if (!strcmp(k, "memmodel")) {
		if (!strcmp(a, "vmemmap"))
			s->vmemmap = true;
		else if (!strcmp(a, "sparse"))
			s->vmemmap = false;
		else
			return bad(s, "memmodel is vmemmap or sparse, not", a);
	} else if (!strcmp(k, "extreme")) {
		if (parse_bool(a, &b) < 0)
			return bad(s, "extreme is yes or no, not", a);
		s->extreme = b;
	} else if (!strcmp(k, "section_bits")) {
		if (parse_num(a, &v) < 0 || v < 22 || v > 34)
			return bad(s, "section_bits must be 22..34, not", a);
		s->section_bits = (int)v;
	} else if (!strcmp(k, "max_physmem_bits")) {
		if (parse_num(a, &v) < 0 || v < 20 || v > 52)
			return bad(s, "max_physmem_bits must be 20..52, not", a);
		s->max_physmem_bits = (int)v;
	} else if (!strcmp(k, "ram")) {
		if (parse_range(a, &v, &w) < 0 || w <= v || (v | w) & (PAGE_SIZE - 1))
			return bad(s, "ram needs a page-aligned START-END (END exclusive), not", a);
		if (s->nram == MAX_RAM_RANGES)
			return bad(s, "too many ram ranges", NULL);
		if (s->nram && v < s->ram[s->nram - 1].end << PAGE_SHIFT)
			return bad(s, "ram ranges must ascend and not overlap", a);
		s->ram[s->nram].start = v >> PAGE_SHIFT;
		s->ram[s->nram].end = w >> PAGE_SHIFT;
		s->nram++;
	} else if (!strcmp(k, "cpus")) {
		if (parse_num(a, &v) < 0 || v < 1 || v > 64)
			return bad(s, "cpus must be 1..64, not", a);
		s->cpus = (int)v;
	} else if (!strcmp(k, "kaslr")) {
		if (parse_num(a, &v) < 0 || v & 0x1fffff || v >= 0x3e000000)
			return bad(s, "kaslr must be 2 MiB aligned and below 0x3e000000, not", a);
		s->kaslr = v;
	} else if (!strcmp(k, "kernel")) {
		if (ntok != 3 || parse_num(a, &v) < 0 || parse_num(tok[2], &w) < 0 ||
		    (v | w) & 0x1fffff || w < (2ull << 20) || w > (64ull << 20))
			return bad(s, "usage: kernel PA SIZE (2 MiB aligned, SIZE 2M..64M)", NULL);
		s->kernel_pa = v;
		s->kernel_size = w;
	} else if (!strcmp(k, "page_offset")) {
		if (parse_num(a, &v) < 0 || v & 0x3fffffff)
			return bad(s, "page_offset must be 1 GiB aligned, not", a);
		s->page_offset = v;
		s->page_offset_set = true;
	} else if (!strcmp(k, "vmemmap_base")) {
		if (parse_num(a, &v) < 0 || v & 0x3fffffff)
			return bad(s, "vmemmap_base must be 1 GiB aligned, not", a);
		s->vmemmap_base = v;
		s->vmemmap_base_set = true;
	} else if (!strcmp(k, "directmap")) {
		/* 4k/2m/1g name 4K pages' sizes: page, PMD block, PUD block */
		if (!strcmp(a, "4k") || !strcmp(a, "page"))
			s->directmap_level = 0;
		else if (!strcmp(a, "2m") || !strcmp(a, "pmd"))
			s->directmap_level = 1;
		else if (!strcmp(a, "1g") || !strcmp(a, "pud"))
			s->directmap_level = 2;
		else
			return bad(s, "directmap is 4k (page), 2m (pmd) or 1g (pud), not", a);
	} else if (!strcmp(k, "vmemmap_pages")) {
		if (!strcmp(a, "4k"))
			s->vmemmap_map = 0;
		else if (!strcmp(a, "2m"))
			s->vmemmap_map = 1;
		else if (!strcmp(a, "mix"))
			s->vmemmap_map = 2;
		else
			return bad(s, "vmemmap_pages is 4k, 2m or mix, not", a);
	} else if (!strcmp(k, "crashtime")) {
		if (parse_num(a, &v) < 0)
			return bad(s, "bad crashtime", a);
		s->crashtime = v;
	} else if (!strcmp(k, "seed")) {
		if (parse_num(a, &v) < 0)
			return bad(s, "bad seed", a);
		s->seed = v;
	} else if (!strcmp(k, "osrelease")) {
		return set_string(s, s->osrelease, a);
	} else if (!strcmp(k, "hostname")) {
		return set_string(s, s->hostname, a);
	} else if (!strcmp(k, "uts_offset")) {
		if (parse_num(a, &v) < 0 || v > 64 || v & 3)
			return bad(s, "uts_offset must be 0..64 and a multiple of 4, not", a);
		s->uts_offset = (int)v;
	} else if (!strcmp(k, "type_junk")) {
		if (parse_bool(a, &b) < 0)
			return bad(s, "type_junk is yes or no, not", a);
		s->type_junk = b;
	} else {
		return bad(s, "unknown keyword", k);
	}
	return 0;
}

int synth_spec_line(struct synth *s, const char *line)
{
	char buf[1024];
	char *tok[MAX_TOK];
	const char *rest;
	char *p, *save = NULL;
	int ntok = 0;

	if (s->built)
		return synth_fail(s, -EBUSY, "the vmcore is already built: spec lines come first");
	if (strlen(line) >= sizeof(buf))
		return bad(s, "line too long", NULL);
	strcpy(buf, line);
	if ((p = strchr(buf, '#')))
		*p = '\0';
	for (p = buf + strlen(buf); p > buf && strchr(" \t\r\n", p[-1]); p--)
		p[-1] = '\0';
	/* the rest of the line after the keyword, for vmcoreinfo values */
	rest = line + strspn(line, " \t");
	rest += strcspn(rest, " \t");
	rest += strspn(rest, " \t");
	for (p = strtok_r(buf, " \t", &save); p; p = strtok_r(NULL, " \t", &save)) {
		if (ntok == MAX_TOK)
			return bad(s, "too many words", NULL);
		tok[ntok++] = p;
		/* these take the raw rest of the line, however many words */
		if (ntok == 1 && (!strcmp(p, "vmcoreinfo") || !strcmp(p, "vmcoreinfo_omit") ||
				  !strcmp(p, "dmesg")))
			break;
	}
	if (!ntok)
		return 0;
	if (!strcmp(tok[0], "vmcoreinfo") || !strcmp(tok[0], "vmcoreinfo_omit") ||
	    !strcmp(tok[0], "dmesg")) {
		char v[1024];
		/* the raw rest of the line: a dmesg text may contain '#' */
		size_t n = strcspn(rest, strcmp(tok[0], "dmesg") ? "\r\n#" : "\r\n");

		while (n && (rest[n - 1] == ' ' || rest[n - 1] == '\t'))
			n--;
		memcpy(v, rest, n);
		v[n] = '\0';
		return spec_tokens(s, tok, ntok, v);
	}
	return spec_tokens(s, tok, ntok, rest);
}

int synth_spec_file(struct synth *s, const char *path)
{
	char line[1024];
	FILE *f = fopen(path, "re");
	int r = 0;

	if (!f)
		return synth_fail(s, -errno, "%s: %s", path, strerror(errno));
	s->cur_line = 0;
	while (fgets(line, sizeof(line), f)) {
		s->cur_line++;
		if (!strchr(line, '\n') && !feof(f)) {
			r = synth_fail(s, -EINVAL, "%s: line %d: line too long", path, s->cur_line);
			break;
		}
		r = synth_spec_line(s, line);
		if (r < 0) {
			char msg[sizeof(s->err)];

			snprintf(msg, sizeof(msg), "%s", s->err);
			synth_fail(s, r, "%s: %s", path, msg);
			break;
		}
	}
	if (!r && ferror(f))
		r = synth_fail(s, -EIO, "%s: read error", path);
	fclose(f);
	return r;
}

int synth_spec_text(struct synth *s, const char *text)
{
	char line[1024];
	int r;

	s->cur_line = 0;
	while (*text) {
		size_t n = strcspn(text, "\n");

		s->cur_line++;
		if (n >= sizeof(line))
			return synth_fail(s, -EINVAL, "line %d: line too long", s->cur_line);
		memcpy(line, text, n);
		line[n] = '\0';
		if ((r = synth_spec_line(s, line)) < 0)
			return r;
		text += n + (text[n] == '\n');
	}
	return 0;
}
