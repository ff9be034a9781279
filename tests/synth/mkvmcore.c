/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mkvmcore [-v] SPECFILE VMCORE EXPECT [DMESG [DMESG_CALLER]]
 *
 * Build a synthetic x86_64 ELF vmcore (like /proc/vmcore) from a text spec
 * and write the per-page expectation file next to it (format and the
 * exclusion rule: see synth-vmcore.h), and, given DMESG, the kernel log as
 * makedumpfile 1.7.2 --dump-dmesg prints it; given DMESG_CALLER too, as
 * makedumpfile 1.7.5+ prints it (with caller ids). -v describes the layout
 * built.
 *
 * SPEC GRAMMAR. One statement per line; '#' starts a comment; blank lines
 * are ignored; any other line that is not a statement below is an error
 * naming the line. Numbers are decimal or 0x hex; sizes and addresses take
 * an optional K/M/G/T suffix (binary). PFNs are page frame numbers.
 * Defaults are in brackets.
 *
 *   era NAME                    the kernel whose struct pages and VMCOREINFO
 *                               to imitate (synth-eras.c: facts and sources)
 *                               [old]:
 *                               5.10      as 6.1 but compound_nr in page[1]
 *                               old, 6.1  6.1 .. 6.2: order and dtor in page[1],
 *                                         OFFSET(page.compound_order/_dtor)
 *                               6.3       OFFSET(folio._folio_order/_dtor)
 *                               6.6       order in page[1].flags, NUMBER(PG_hugetlb)
 *                               6.9       hugetlb page type (an exact _mapcount)
 *                               6.10      slab page type too, no PG_slab
 *                               6.12      types in the top byte of page_type
 *                               new       6.12 plus the unaccepted type's key
 *                               6.16      NUMBER(PAGE_UNACCEPTED_MAPCOUNT_VALUE)
 *                               7.1       OFFSET(page.compound_info)
 *   compound_info mask|pointer  era 7.1: a tail holds GENMASK(63, order + 6)
 *                               | 1 (HUGETLB_PAGE_OPTIMIZE_VMEMMAP with a
 *                               64-byte struct page, as Debian builds it;
 *                               memmodel vmemmap only) or head | 1
 *                               [mask with vmemmap, else pointer]
 *   paging 4|5                  page-table levels [4]
 *   arch x86_64|arm64           the machine [x86_64]; arm64: the 5.4+
 *                               layout, swapper_pg_dir, EM_AARCH64, aarch64
 *   page_size 4k|16k|64k        arm64's page size [4k], before ram and page
 *                               lines (their PFNs are in these pages); 64k:
 *                               SECTION_SIZE_BITS 29, MAX_PAGE_ORDER 13
 *                               (16k: 11), vmemmap in base pages; 64k with
 *                               max_physmem_bits 52: PA[51:48] in bits 15:12
 *   va_bits 39|42|47|48|52      arm64 NUMBER(VA_BITS) [48]; paging follows
 *   va_actual 48|52             arm64 runtime VA (TCR_EL1_T1SZ) [va_bits]; 52 on 4K
 *                               is LPA2 (5 levels, PA[51:50] in bits 9:8); a
 *                               52-bit kernel at 48 lowers PHYS_OFFSET
 *   memmodel vmemmap|sparse     SPARSEMEM_VMEMMAP, or plain SPARSEMEM with
 *                               each section's mem_map allocated in the
 *                               direct map [vmemmap]
 *   extreme yes|no              SPARSEMEM_EXTREME [yes]
 *   section_bits N              SECTION_SIZE_BITS, 22..34 [27; arm64 64k: 29]
 *   max_physmem_bits N          [46 / 52 with extreme; else 36 or what RAM needs]
 *   ram START-END               a RAM range, END exclusive, page aligned;
 *                               repeat for several ranges (ascending) [1M-64M]
 *   cpus N                      NT_PRSTATUS notes [2]
 *   kaslr OFF                   KERNELOFFSET, 2 MiB aligned [0x1c600000]
 *   kernel PA SIZE              physical address of _stext and image size,
 *                               2 MiB aligned [first 2M-aligned spot >= 16M, 4M]
 *   page_offset VA              direct map base, 1 GiB aligned
 *                               [0xffff9a4b40000000 / 0xff3a5d0000000000]
 *   vmemmap_base VA             [0xffffe31b00000000 / 0xffd9c00000000000]
 *   directmap 4k|2m|1g          largest direct-map page size [2m]; with 16k/64k
 *                               pages (aliases page|pmd|pud) the same levels
 *   vmemmap_pages 4k|2m|mix     vmemmap backed by 4K PTEs, 2M PMD pages, or
 *                               alternating per 2 MiB of vmemmap [2m; 16k/64k:
 *                               always base pages, as arm64 maps it]
 *   crashtime N                 CRASHTIME [1700000000]
 *   seed N                      PRNG seed for the mix and contents [1]
 *   osrelease STR               [6.1.0-synth, 6.3.0-synth ... by era]
 *   hostname STR                utsname nodename [synth-host]
 *   uts_offset N                OFFSET(uts_namespace.name) [0, as 6.1/6.12]
 *   type_junk yes|no            eras 6.12+: junk in the low 24 bits of some
 *                               page_type values [yes]
 *   fill KIND|mix               what unclaimed pages become [mix]
 *   mixed STRIDE LEN            with fill KIND: the first LEN bytes of every
 *                               STRIDE of physical memory take the mix
 *                               instead, so that a big sparse vmcore keeps
 *                               its data in few contiguous extents (multiples
 *                               of 4M) [none]
 *   mix default | mix KIND=W..  weights of the seeded random mix
 *   page PFN KIND [ORDER]       one block of 2^ORDER pages at PFN (aligned):
 *                               a compound page (head + tails) or, for
 *                               free, a buddy block; unaccepted: always
 *                               order 10 [ORDER 0; hugetlb 9]
 *   pages FIRST-LAST KIND [ORDER]  fill the inclusive range with such blocks
 *   corrupt buddy_order PFN [O] buddy head whose order O >= 11 [13]
 *   corrupt tail_outside PFN    tail page whose compound_head is outside mem_map
 *   corrupt garbage_order PFN [O]  compound head at PFN with order O (19..255)
 *                               [42] and its first tail at PFN+1
 *   section NR nomemmap         section present but without a mem_map
 *   section NR unmapped         mem_map pointer fine, vmemmap not mapped
 *   section NR outside          vmemmap mapped to memory not in the dump
 *                               (memmodel sparse: unmapped and outside both
 *                               point the mem_map at an unmapped address)
 *   section NR flags HEX        section_mem_map flag bits [0xf]
 *   dmesg TEXT                  a kernel log record (rest of the line, '#'
 *                               included; \n \t \\ \xNN escapes; optional
 *                               leading "[SEC.USEC] " timestamp); without
 *                               any, a default boot-and-panic log is used
 *   dmesg_fill N                N generated records here (to wrap the ring)
 *   dmesg_ring CBITS SBITS      2^CBITS descriptors, 2^SBITS bytes of text [6 14];
 *                               logbuf: log_buf_len is 2^SBITS, CBITS unused
 *   dmesg_format lockless|logbuf  the printk buffer: the lockless ring of
 *                               5.10+ (SYMBOL(prb)), or the record ring of
 *                               3.5..5.9, log_buf of struct printk_log (x86_64:
 *                               16-byte header, records 4-byte aligned, a len 0
 *                               header marks the wrap; every 4th record has a
 *                               dict) [lockless]
 *   dmesg_caller yes|no         logbuf: CONFIG_PRINTK_CALLER (5.1..5.9), a
 *                               20-byte header ending in caller_id, and
 *                               OFFSET(printk_log.caller_id) [no]; the lockless
 *                               ring always records caller ids
 *   vmcoreinfo KEY=VALUE        add or replace a VMCOREINFO line
 *   vmcoreinfo_omit KEY         drop a VMCOREINFO line
 *
 * KIND: kernel random text zero pgtable slab movable cache cache_private
 * shmem anon anon_swapcache ksm hugetlb free offline hwpoison unaccepted
 * (eras 6.12+: a MAX_ORDER block on zone.unaccepted_pages; it reads as
 * zeros, and is free where VMCOREINFO exports its type; not for fill).
 * vmcoreinfo_omit of a key the filter needs makes the pages it could not
 * classify "kernel" or "unsure" (synth-classes.c: base_class()).
 *
 * A VMCOREINFO from the future: rename a key with vmcoreinfo_omit OLD and
 * vmcoreinfo NEW=VALUE (specs/future-*).
 * Explicit placements are applied first, then the generator's structures
 * (page tables, mem_map, mem_section: top-down from the end of RAM), then
 * the mix fills everything left.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "synth-vmcore.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	uint64_t counts[SYNTH_CLASS_MAX];
	struct synth *s = NULL;
	double t0 = now(), t1, t2;
	bool verbose = argc > 1 && !strcmp(argv[1], "-v");
	int r;

	if (verbose) {
		argv++;
		argc--;
	}
	if (argc < 4 || argc > 6) {
		fprintf(stderr, "usage: mkvmcore [-v] SPECFILE VMCORE EXPECT [DMESG [DMESG_CALLER]]\n");
		return 2;
	}
	if (synth_new(&s) < 0) {
		fprintf(stderr, "mkvmcore: out of memory\n");
		return 1;
	}
	r = synth_spec_file(s, argv[1]);
	if (r >= 0) {
		r = synth_build(s);
		if (r < 0) {
			fprintf(stderr, "mkvmcore: %s: %s\n", argv[1], synth_error(s));
			goto out;
		}
	}
	if (r < 0) {
		fprintf(stderr, "mkvmcore: %s\n", synth_error(s));
		goto out;
	}
	t1 = now();
	if ((r = synth_write_vmcore(s, argv[2])) < 0 || (r = synth_write_expect(s, argv[3])) < 0 ||
	    (argc >= 5 && (r = synth_write_dmesg(s, argv[4])) < 0) ||
	    (argc == 6 && (r = synth_write_dmesg_caller(s, argv[5])) < 0)) {
		fprintf(stderr, "mkvmcore: %s\n", synth_error(s));
		goto out;
	}
	t2 = now();
	if (verbose)
		synth_describe(s, stdout);
	synth_counts(s, counts);
	printf("%s: %llu pages of RAM, max_pfn 0x%llx:", argv[2],
	       (unsigned long long)synth_ram_pages(s), (unsigned long long)synth_max_pfn(s));
	for (int c = 0; c < SYNTH_CLASS_MAX; c++)
		printf(" %s=%llu", synth_class_name((enum synth_class)c), (unsigned long long)counts[c]);
	printf("; -d 31 excludes %llu; built in %.0f ms, written in %.0f ms\n",
	       (unsigned long long)synth_expected_excluded(s, 31), (t1 - t0) * 1e3, (t2 - t1) * 1e3);
out:
	synth_free(s);
	return r < 0 ? 1 : 0;
}
