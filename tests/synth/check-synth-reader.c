/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check-synth's reader of the ELF vmcore: the file, its holes, the notes,
 * VMCOREINFO, and addresses translated through the dump's own page tables.
 * Apart from the checks so that they read as "what the dump says" against
 * "what the generator meant"; see check-synth.h for why it is written here
 * rather than taken from the generator or the filter.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check-synth.h"
#include "kv.h"

#define PFN_MASK 0x000ffffffffff000ull

/* ------------------------------------------------------------ file */

/*
 * Which pages of the file are holes (SEEK_HOLE): a hole reads as zeros, so
 * the checks treat it as a zero page without touching the mapping, which
 * would allocate memory for every hole of a tens-of-GiB tmpfs file.
 * Without SEEK_DATA support, everything counts as data.
 */
static int map_holes(struct dump *d, int fd)
{
	uint64_t pages = (d->size + 4095) / 4096;
	off_t pos = 0;

	d->data = calloc(pages / 8 + 1, 1);
	if (!d->data)
		return -1;
	while ((uint64_t)pos < d->size) {
		off_t data = lseek(fd, pos, SEEK_DATA), hole;

		if (data < 0 && errno == ENXIO)
			break;
		hole = data < 0 ? (off_t)d->size : lseek(fd, data, SEEK_HOLE);
		if (data < 0)
			data = pos;
		if (hole < 0)
			hole = (off_t)d->size;
		for (uint64_t p = (uint64_t)data / 4096; p < ((uint64_t)hole + 4095) / 4096 && p < pages; p++)
			d->data[p / 8] |= (uint8_t)(1u << (p % 8));
		pos = hole;
	}
	return 0;
}

bool dump_file_hole(const struct dump *d, uint64_t off)
{
	uint64_t p = off / 4096;

	return !(d->data[p / 8] >> (p % 8) & 1);
}

/* The notes of one PT_NOTE: count NT_PRSTATUS, find VMCOREINFO. */
static int read_notes(struct dump *d, const Elf64_Phdr *ph, char *err, size_t errlen)
{
	const uint8_t *p = d->map + ph->p_offset, *end = p + ph->p_filesz;

	while (p + sizeof(Elf64_Nhdr) <= end) {
		const Elf64_Nhdr *nh = (const Elf64_Nhdr *)p;
		const char *name = (const char *)(p + sizeof(*nh));
		const uint8_t *desc = p + sizeof(*nh) + ((nh->n_namesz + 3) & ~3u);

		if (desc + nh->n_descsz > end) {
			snprintf(err, errlen, "truncated note");
			return -1;
		}
		if (nh->n_namesz == 5 && !memcmp(name, "CORE", 5) &&
		    nh->n_type == NT_PRSTATUS && nh->n_descsz == (d->arm64 ? 392 : 336))
			d->nprstatus++;
		if (nh->n_namesz == 11 && !memcmp(name, "VMCOREINFO", 11)) {
			d->vmci = (const char *)desc;
			d->vmci_len = nh->n_descsz;
		}
		p = desc + ((nh->n_descsz + 3) & ~3u);
	}
	return 0;
}

/* The ELF header and program headers: an x86_64 or arm64 core, PT_NOTE first. */
static int read_elf(struct dump *d, char *err, size_t errlen)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)d->map;
	const Elf64_Phdr *ph;

	if (d->size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_type != ET_CORE || (eh->e_machine != EM_X86_64 && eh->e_machine != EM_AARCH64) ||
	    eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > d->size) {
		snprintf(err, errlen, "not an x86_64 or aarch64 ELF64 core");
		return -1;
	}
	d->arm64 = eh->e_machine == EM_AARCH64;
	ph = (const Elf64_Phdr *)(d->map + eh->e_phoff);
	if (!eh->e_phnum || ph[0].p_type != PT_NOTE) {
		snprintf(err, errlen, "first program header is not PT_NOTE");
		return -1;
	}
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_offset + ph[i].p_filesz > d->size) {
			snprintf(err, errlen, "segment %d beyond the end of the file", i);
			return -1;
		}
		if (ph[i].p_type == PT_LOAD) {
			if (d->nload == 64 || ph[i].p_filesz != ph[i].p_memsz ||
			    (ph[i].p_offset & 4095) || (ph[i].p_paddr & 4095)) {
				snprintf(err, errlen, "odd PT_LOAD %d", i);
				return -1;
			}
			d->load[d->nload++] = (struct dump_load){ ph[i].p_paddr, ph[i].p_vaddr,
								  ph[i].p_filesz, ph[i].p_offset };
		} else if (ph[i].p_type == PT_NOTE && read_notes(d, &ph[i], err, errlen) < 0) {
			return -1;
		}
	}
	if (!d->vmci) {
		snprintf(err, errlen, "no VMCOREINFO note");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------- VMCOREINFO */

long long vmci_num(const struct dump *d, const char *key)
{
	char buf[64];

	if (!kv_vmci_get(d->vmci, d->vmci_len, key, buf, sizeof(buf)))
		return VMCI_NOT_FOUND;
	return strtoll(buf, NULL, 0);
}

uint64_t vmci_hex(const struct dump *d, const char *key)
{
	char buf[64];

	if (!kv_vmci_get(d->vmci, d->vmci_len, key, buf, sizeof(buf)))
		return 0;
	return strtoull(buf, NULL, 16);
}

/*
 * arm64 (arch/arm64/include/asm/memory.h): swapper_pg_dir is an image
 * address, pa = va - kimage_voffset; the image lies above PAGE_END =
 * -(1 << (min(VA_BITS, 48) - 1)); a table is one page of 8-byte
 * descriptors, so levels of PAGE_SHIFT - 3 bits above the page cover
 * 64 - TCR_EL1_T1SZ bits (4K/48: 4 levels, 64K/48 and 64K/52: 3, 16K/48:
 * 4 with a 2-entry top table). LPA2 (4K/16K at 52 bits) moves PA[51:50]
 * to bits 9:8; a 64K kernel with MAX_PHYSMEM_BITS 52 keeps PA[51:48] in
 * bits 15:12 (pgtable.h's __pte_to_phys).
 */
static int read_layout_arm64(struct dump *d, char *err, size_t errlen)
{
	long long vab = vmci_num(d, "NUMBER(VA_BITS)");
	long long t1sz = vmci_num(d, "NUMBER(TCR_EL1_T1SZ)");
	uint64_t kvo = vmci_hex(d, "NUMBER(kimage_voffset)");   /* above LLONG_MAX */
	uint64_t root = vmci_hex(d, "SYMBOL(swapper_pg_dir)");

	if (!vmci_has(vab) || !vmci_has(t1sz) || !kvo || !root || vab < 39 || vab > 52 ||
	    t1sz < 12 || t1sz > 25) {
		snprintf(err, errlen, "VMCOREINFO lacks arm64 translation keys");
		return -1;
	}
	d->va_actual = 64 - (int)t1sz;
	int bits = d->page_shift - 3;
	d->levels = (d->va_actual - d->page_shift + bits - 1) / bits;
	d->lpa2 = d->va_actual == 52 && d->page_shift != 16;
	d->pa52_64k = d->page_shift == 16 && vmci_num(d, "NUMBER(MAX_PHYSMEM_BITS)") == 52;
	d->pgd = root - kvo;
	d->text_va = -(1ull << ((vab > 48 ? 48 : vab) - 1));
	return 0;
}

/* What translation needs: page-table root and levels, sections, max PFN. */
static int read_layout(struct dump *d, char *err, size_t errlen)
{
	long long pb = vmci_num(d, "NUMBER(phys_base)");
	long long l5 = vmci_num(d, "NUMBER(pgtable_l5_enabled)");
	long long ssb = vmci_num(d, "NUMBER(SECTION_SIZE_BITS)");
	long long mpb = vmci_num(d, "NUMBER(MAX_PHYSMEM_BITS)");
	uint64_t top = vmci_hex(d, "SYMBOL(init_top_pgt)");
	long long len = vmci_num(d, "LENGTH(mem_section)");
	long long psz = vmci_num(d, "PAGESIZE");

	if (psz != 4096 && !(d->arm64 && (psz == 16384 || psz == 65536))) {
		snprintf(err, errlen, "VMCOREINFO: PAGESIZE=%lld is not this machine's", psz);
		return -1;
	}
	d->page_size = (uint64_t)psz;
	d->page_shift = psz == 4096 ? 12 : psz == 16384 ? 14 : 16;
	if (d->arm64) {
		if (read_layout_arm64(d, err, errlen) < 0)
			return -1;
	} else if (!vmci_has(pb) || !top) {
		snprintf(err, errlen, "VMCOREINFO lacks translation keys");
		return -1;
	} else {
		d->levels = l5 == 1 ? 5 : 4;
		d->phys_base = (uint64_t)pb;
		d->pgd = top - START_KERNEL_MAP + d->phys_base;
		d->text_va = START_KERNEL_MAP;
	}
	if (!vmci_has(ssb) || !vmci_has(mpb) || !vmci_has(len)) {
		snprintf(err, errlen, "VMCOREINFO lacks translation keys");
		return -1;
	}
	d->section_bits = (int)ssb;
	d->pps = 1ull << (ssb - d->page_shift);
	d->nr_sections = 1ull << (mpb - ssb);
	/* SECTIONS_PER_ROOT: a page of 16-byte struct mem_section */
	d->extreme = (uint64_t)len == d->nr_sections / (d->page_size / 16) && (uint64_t)len != d->nr_sections;
	d->mem_section = vmci_hex(d, "SYMBOL(mem_section)");
	for (int i = 0; i < d->nload; i++)
		if (dump_load_is_ram(d, &d->load[i]) &&
		    (d->load[i].pa + d->load[i].len) >> d->page_shift > d->max_pfn)
			d->max_pfn = (d->load[i].pa + d->load[i].len) >> d->page_shift;
	return 0;
}

int dump_open(struct dump *d, const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	memset(d, 0, sizeof(*d));
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "open: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	d->size = (size_t)st.st_size;
	d->map = mmap(NULL, d->size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (d->map == MAP_FAILED) {
		snprintf(err, errlen, "mmap: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (map_holes(d, fd) < 0) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return -1;
	}
	close(fd);
	if (read_elf(d, err, errlen) < 0)
		return -1;
	return read_layout(d, err, errlen);
}

void dump_close(struct dump *d)
{
	if (d->map && d->map != MAP_FAILED)
		munmap((void *)d->map, d->size);
	free(d->data);
	memset(d, 0, sizeof(*d));
}

/* -------------------------------------------------------- addresses */

/* From the RAM segments only, not the kernel text one. */
const uint8_t *dump_pa(const struct dump *d, uint64_t pa, uint64_t len)
{
	for (int i = 0; i < d->nload; i++) {
		const struct dump_load *l = &d->load[i];

		if (!dump_load_is_ram(d, l))
			continue;
		if (pa >= l->pa && pa + len <= l->pa + l->len)
			return d->map + l->off + (pa - l->pa);
	}
	return NULL;
}

bool dump_pa_hole(const struct dump *d, uint64_t pa)
{
	for (int i = 0; i < d->nload; i++) {
		const struct dump_load *l = &d->load[i];

		if (dump_load_is_ram(d, l) && pa >= l->pa && pa + d->page_size <= l->pa + l->len) {
			/* a dump page is a hole when each 4K file page of it is */
			for (uint64_t o = 0; o < d->page_size; o += 4096)
				if (!dump_file_hole(d, l->off + (pa - l->pa) + o))
					return false;
			return true;
		}
	}
	return false;
}

/*
 * arm64: bit 0 valid, bit 1 table (or page at the last level), clear
 * for a block; the top table indexes what is left of va_actual;
 * addresses in bits 47:PAGE_SHIFT, or 49:PAGE_SHIFT plus PA[51:50] in
 * bits 9:8 with LPA2, or plus PA[51:48] in bits 15:12 with 64K pages
 * and 52-bit PAs.
 */
static uint64_t a64_addr(const struct dump *d, uint64_t e)
{
	uint64_t low = ~(d->page_size - 1);

	if (d->lpa2)
		return (e & 0x0003ffffffffffffull & low) | ((e >> 8) & 3) << 50;
	if (d->pa52_64k)
		return (e & 0x0000ffffffffffffull & low) | ((e >> 12) & 0xf) << 48;
	return e & 0x0000ffffffffffffull & low;
}

static int vtop_arm64(const struct dump *d, uint64_t va, uint64_t *pa)
{
	uint64_t table = d->pgd;

	for (int l = 0; l < d->levels; l++) {
		int bits = d->page_shift - 3, sh = d->page_shift + bits * (d->levels - 1 - l);
		uint64_t mask = l == 0 ? (1ull << (d->va_actual - sh)) - 1 : (1ull << bits) - 1;
		const uint8_t *p = dump_pa(d, table + ((va >> sh) & mask) * 8, 8);
		uint64_t e;

		if (!p)
			return -1;
		e = kv_le64(p);
		if (!(e & 1) || (sh == d->page_shift && !(e & 2)))
			return -1;
		if (sh == d->page_shift || !(e & 2)) {
			uint64_t m = (1ull << sh) - 1;

			*pa = (a64_addr(d, e) & ~m) | (va & m);
			return 0;
		}
		table = a64_addr(d, e);
	}
	return -1;
}

/* 4 or 5 levels of 512 entries; 1 GiB and 2 MiB leaves have bit 7 (PS) set. */
int dump_vtop(const struct dump *d, uint64_t va, uint64_t *pa)
{
	if (d->arm64)
		return vtop_arm64(d, va, pa);

	static const int l4[] = { 39, 30, 21, 12 }, l5[] = { 48, 39, 30, 21, 12 };
	const int *sh = d->levels == 5 ? l5 : l4;
	uint64_t table = d->pgd;

	for (int l = 0; l < d->levels; l++) {
		const uint8_t *p = dump_pa(d, table + ((va >> sh[l]) & 511) * 8, 8);
		uint64_t e;

		if (!p)
			return -1;
		e = kv_le64(p);
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

const uint8_t *dump_va(const struct dump *d, uint64_t va, uint64_t len)
{
	uint64_t pa;

	if ((va & (d->page_size - 1)) + len > d->page_size || dump_vtop(d, va, &pa) < 0)
		return NULL;
	return dump_pa(d, pa, len);
}

bool dump_read_va(const struct dump *d, uint64_t va, void *buf, size_t len)
{
	uint8_t *b = buf;

	while (len) {
		size_t n = d->page_size - (va & (d->page_size - 1));
		const uint8_t *p;

		if (n > len)
			n = len;
		if (!(p = dump_va(d, va, n)))
			return false;
		memcpy(b, p, n);
		b += n;
		va += n;
		len -= n;
	}
	return true;
}
