/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VMCOREINFO parsing: values, eras, and garbage rejected with a message. */
#include <stdio.h>
#include <string.h>

#include "kcf-internal.h"
#include "tap.h"

static const char base[] =
	"OSRELEASE=6.1.0-test\n"
	"PAGESIZE=4096\n"
	"SYMBOL(init_top_pgt)=ffffffff9a80a000\n"
	"SYMBOL(mem_section)=ff2a3b4c00001000\n"
	"LENGTH(mem_section)=2048\n"
	"SIZE(mem_section)=16\n"
	"OFFSET(mem_section.section_mem_map)=0\n"
	"NUMBER(SECTION_SIZE_BITS)=27\n"
	"NUMBER(MAX_PHYSMEM_BITS)=46\n"
	"SIZE(page)=64\n"
	"OFFSET(page.flags)=0\n"
	"OFFSET(page._refcount)=52\n"
	"OFFSET(page.mapping)=24\n"
	"OFFSET(page.lru)=8\n"
	"OFFSET(page._mapcount)=48\n"
	"OFFSET(page.private)=40\n"
	"NUMBER(PG_lru)=4\n"
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
	"NUMBER(phys_base)=-2147483648\n"
	"KERNELOFFSET=19000000\n"
	"CRASHTIME=1700000000\n";

static int parse(const char *text, struct kcf_layout *lay, char *err, size_t errlen)
{
	struct kcf_ctx *ctx;
	struct kcf_vmcoreinfo vi = { 0 };
	kcf_ctx_new(&ctx);
	int r = kcf_vmcoreinfo_parse(ctx, text, strlen(text), &vi, lay);
	snprintf(err, errlen, "%s", kcf_ctx_error(ctx));
	kcf_vmcoreinfo_free(&vi);
	kcf_ctx_free(ctx);
	return r;
}

static void with_line(char *out, size_t len, const char *drop, const char *add)
{
	const char *p = base;
	size_t o = 0;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t l = (size_t)(nl - p) + 1;
		if (!drop || strncmp(p, drop, strlen(drop)))
			o += (size_t)snprintf(out + o, len - o, "%.*s", (int)l, p);
		p += l;
	}
	if (add)
		snprintf(out + o, len - o, "%s\n", add);
}

int main(void)
{
	struct kcf_layout lay;
	char err[1024], text[4096];

	plan(15);
	ok(parse(base, &lay, err, sizeof(err)) == 0, "a 6.1-like VMCOREINFO parses (%s)", err);
	ok(lay.page_shift == 12 && lay.size_page == 64, "page size and struct page size");
	ok((uint64_t)lay.sym_init_top_pgt == 0xffffffff9a80a000ULL, "SYMBOL() values are hex");
	ok(lay.phys_base == -2147483648LL, "negative NUMBER() values");
	ok(lay.kerneloffset == 0x19000000, "KERNELOFFSET is hex");
	ok(lay.buddy_value == -129 && lay.slab_value == KCF_UNSET, "old-era buddy marker, no slab type");
	ok(lay.off_compound_head == KCF_UNSET && lay.off_tail_word == 8,
	   "no OFFSET(page.compound_head): not guessed; tails still found in the lru word");

	with_line(text, sizeof(text), NULL, "OFFSET(page.compound_info)=8");
	ok(parse(text, &lay, err, sizeof(err)) == 0 && lay.off_compound_head == 8 &&
	   lay.off_tail_word == 8, "7.1's OFFSET(page.compound_info) is the compound link");

	with_line(text, sizeof(text), NULL, "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=4026531840");
	ok(parse(text, &lay, err, sizeof(err)) == 0 && (uint32_t)lay.buddy_value == 0xf0000000u,
	   "6.12 page type printed unsigned");

	with_line(text, sizeof(text), "SIZE(page)", NULL);
	ok(parse(text, &lay, err, sizeof(err)) < 0 && strstr(err, "SIZE(page)"),
	   "missing SIZE(page) is named: %s", err);

	with_line(text, sizeof(text), "PAGESIZE", "PAGESIZE=4x96");
	ok(parse(text, &lay, err, sizeof(err)) < 0 && strstr(err, "garbled"),
	   "garbled number is named: %s", err);

	with_line(text, sizeof(text), "PAGESIZE", "PAGESIZE=3000");
	ok(parse(text, &lay, err, sizeof(err)) < 0 && strstr(err, "PAGESIZE"), "odd page size: %s", err);

	with_line(text, sizeof(text), "OFFSET(page.mapping)", "OFFSET(page.mapping)=4000");
	ok(parse(text, &lay, err, sizeof(err)) < 0 && strstr(err, "outside"), "offset past struct page: %s", err);

	with_line(text, sizeof(text), "OSRELEASE", NULL);
	ok(parse(text, &lay, err, sizeof(err)) < 0 && strstr(err, "OSRELEASE"), "no OSRELEASE: %s", err);

	ok(parse("\0\0\0", &lay, err, sizeof(err)) < 0, "empty note: %s", err);
	return done_testing();
}
