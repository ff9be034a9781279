// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kdump-verify: block 0 (disk_dump_header), block 1 (kdump_sub_header),
 * the copied ELF notes and VMCOREINFO.
 *
 * Field offsets (x86_64 and aarch64 alike: LP64, little endian) are spelled out here on
 * purpose instead of using a struct shared with the writer.
 */
#include "kv.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define DDH_SIZE 464      /* sizeof(struct disk_dump_header) */
#define KSH_SIZE 104      /* sizeof(struct kdump_sub_header), version 6 */
#define DESC_SIZE 24

static const char *const uts_names[6] = {
	"sysname", "nodename", "release", "version", "machine", "domainname"
};

/* bytes of kdump_sub_header defined by each header version */
static uint64_t ksh_len(int32_t v)
{
	static const uint64_t len[7] = { 0, 16, 32, 48, 64, 80, 104 };

	return v >= 6 ? 104 : v >= 1 ? len[v] : 0;
}

static void parse_block0(struct kv_dump *d, const unsigned char *h)
{
	d->version = (int32_t)kv_le32(h + 8);
	for (int i = 0; i < 6; i++) {
		memcpy(d->uts[i], h + 12 + 65 * i, 65);
		d->uts[i][65] = '\0';
	}
	d->tv_sec = kv_le64(h + 408);
	d->tv_usec = kv_le64(h + 416);
	d->status = kv_le32(h + 424);
	d->block_size = (int32_t)kv_le32(h + 428);
	d->sub_hdr_size = (int32_t)kv_le32(h + 432);
	d->bitmap_blocks = kv_le32(h + 436);
	d->max_mapnr32 = kv_le32(h + 440);
	d->nr_cpus = (int32_t)kv_le32(h + 460);
}

static void parse_block1(struct kv_dump *d, const unsigned char *k)
{
	d->phys_base = kv_le64(k + 0);
	d->dump_level = (int32_t)kv_le32(k + 8);
	d->split = (int32_t)kv_le32(k + 12);
	d->start_pfn = kv_le64(k + 16);
	d->end_pfn = kv_le64(k + 24);
	d->off_vmci = kv_le64(k + 32);
	d->size_vmci = kv_le64(k + 40);
	d->off_note = kv_le64(k + 48);
	d->size_note = kv_le64(k + 56);
	d->off_erase = kv_le64(k + 64);
	d->size_erase = kv_le64(k + 72);
	d->start_pfn64 = kv_le64(k + 80);
	d->end_pfn64 = kv_le64(k + 88);
	d->max_mapnr64 = kv_le64(k + 96);
}

static void check_vmcoreinfo(struct kv_dump *d, const char *t, size_t n)
{
	char v[128];

	if (!kv_vmci_get(t, n, "PAGESIZE", v, sizeof(v)))
		kv_error("vmcoreinfo.PAGESIZE", "missing");
	else if (strtoull(v, NULL, 10) != d->bs)
		kv_error("vmcoreinfo.PAGESIZE", "%s != header.block_size %" PRIu64, v, d->bs);
	if (!kv_vmci_get(t, n, "OSRELEASE", v, sizeof(v)))
		kv_error("vmcoreinfo.OSRELEASE", "missing");
	else if (strcmp(v, d->uts[2]))
		kv_warn("header.utsname.release", "\"%s\" != VMCOREINFO OSRELEASE \"%s\"",
			d->uts[2], v);
	if (!kv_vmci_get(t, n, "CRASHTIME", v, sizeof(v)))
		kv_warn("vmcoreinfo.CRASHTIME", "missing (not a panic dump?)");
	else if (strtoull(v, NULL, 10) != d->tv_sec)
		kv_warn("header.timestamp", "tv_sec %" PRIu64 " != VMCOREINFO CRASHTIME %s",
			d->tv_sec, v);
	if (kv_vmci_get(t, n, "NUMBER(phys_base)", v, sizeof(v)) &&
	    (uint64_t)strtoll(v, NULL, 0) != d->phys_base)
		kv_warn("sub_header.phys_base", "%#" PRIx64 " != VMCOREINFO NUMBER(phys_base) %s",
			d->phys_base, v);
	/* arm64: makedumpfile writes PHYS_OFFSET there, and crash takes it from there */
	if (!strcmp(d->uts[4], "aarch64") && kv_vmci_get(t, n, "NUMBER(PHYS_OFFSET)", v, sizeof(v)) &&
	    strtoull(v, NULL, 0) != d->phys_base)
		kv_error("sub_header.phys_base", "%#" PRIx64 " != VMCOREINFO NUMBER(PHYS_OFFSET) %s (aarch64)",
			 d->phys_base, v);
	if (strcmp(d->uts[4], "x86_64") && strcmp(d->uts[4], "aarch64"))
		kv_warn("header.utsname.machine", "\"%s\" is neither x86_64 nor aarch64", d->uts[4]);
}

static void check_notes(struct kv_dump *d)
{
	uint64_t area_lo = d->bs + ksh_len(d->version);
	uint64_t area_hi = d->bs * (1 + (uint64_t)d->sub_hdr_size);
	char why[200];

	if (d->version < 4) {
		kv_warn("header.header_version", "%d < 4: no ELF note copy to check", d->version);
		return;
	}
	if (!d->size_note) {
		kv_error("sub_header.size_note", "0: no ELF notes (PRSTATUS, VMCOREINFO) in the dump");
		return;
	}
	if (d->off_note < area_lo || d->off_note + d->size_note > area_hi ||
	    d->off_note + d->size_note < d->off_note) {
		kv_error("sub_header.offset_note",
			 "notes [%" PRIu64 ", +%" PRIu64 ") not inside the sub header area [%" PRIu64 ", %" PRIu64 ")",
			 d->off_note, d->size_note, area_lo, area_hi);
		return;
	}
	if (d->off_note + d->size_note > d->f.size) {
		kv_error("sub_header.size_note", "notes end at %" PRIu64 ", beyond end of file (%" PRIu64 ")",
			 d->off_note + d->size_note, d->f.size);
		return;
	}
	if (d->version >= 6 && d->off_note != d->bs + KSH_SIZE)
		kv_warn("sub_header.offset_note", "%" PRIu64 ", makedumpfile puts the notes at %" PRIu64,
			d->off_note, d->bs + KSH_SIZE);
	if (d->version >= 6 &&
	    (uint64_t)d->sub_hdr_size != (KSH_SIZE + d->size_note + d->bs - 1) / d->bs)
		kv_warn("header.sub_hdr_size", "%d blocks, minimum for %" PRIu64 " note bytes is %" PRIu64,
			d->sub_hdr_size, d->size_note,
			(KSH_SIZE + d->size_note + d->bs - 1) / d->bs);
	if (d->size_note > (256u << 20)) {
		kv_error("sub_header.size_note", "%" PRIu64 " bytes: implausibly large", d->size_note);
		return;
	}
	d->note_buf = malloc(d->size_note);
	if (!d->note_buf)
		kv_die("out of memory");
	kv_pread(&d->f, d->off_note, d->note_buf, d->size_note);
	if (kv_parse_notes(d->note_buf, d->size_note, &d->notes, why, sizeof(why))) {
		kv_error("sub_header.note", "not a valid ELF note list: %s", why);
		return;
	}
	if (d->notes.nr_prstatus != (unsigned)d->nr_cpus)
		kv_error("header.nr_cpus", "%d, but the notes hold %u NT_PRSTATUS", d->nr_cpus,
			 d->notes.nr_prstatus);
	if (!d->notes.have_vmcoreinfo) {
		kv_error("sub_header.note", "no VMCOREINFO note among %u notes", d->notes.count);
		return;
	}
	if (d->off_vmci != d->off_note + d->notes.vmci_off || d->size_vmci != d->notes.vmci_size)
		kv_error("sub_header.offset_vmcoreinfo",
			 "[%" PRIu64 ", +%" PRIu64 ") != VMCOREINFO note text [%" PRIu64 ", +%" PRIu64 ")",
			 d->off_vmci, d->size_vmci, d->off_note + d->notes.vmci_off, d->notes.vmci_size);
	check_vmcoreinfo(d, (const char *)d->note_buf + d->notes.vmci_off, d->notes.vmci_size);
}

int kv_header_check(struct kv_dump *d)
{
	unsigned char h[DDH_SIZE], k[KSH_SIZE];
	uint64_t need, bm_bytes, fixed_end;
	unsigned m;

	if (kv_pread(&d->f, 0, h, sizeof(h)) != sizeof(h)) {
		kv_error("header", "file is %" PRIu64 " bytes, shorter than the %d-byte disk_dump_header",
			 d->f.size, DDH_SIZE);
		return -1;
	}
	if (memcmp(h, "KDUMP   ", 8)) {
		kv_error("header.signature", "\"%.8s\", expected \"KDUMP   \"%s", (const char *)h,
			 !memcmp(h, "makedumpfile", 12) ? " (flattened stream? use --flattened)" :
			 !memcmp(h, "DISKDUMP", 8) ? " (old diskdump format unsupported)" : "");
		return -1;
	}
	parse_block0(d, h);
	if (d->version < 1 || d->version > 6) {
		kv_error("header.header_version", "%d, expected 1..6", d->version);
		if (d->version < 1)
			return -1;
	}
	if (d->block_size < 4096 || d->block_size > (1 << 20) ||
	    (d->block_size & (d->block_size - 1))) {
		kv_error("header.block_size", "%d is not a power of two in [4096, 1 MiB]", d->block_size);
		return -1;
	}
	d->bs = (uint64_t)d->block_size;
	for (int i = 0; i < 6; i++)
		if (!memchr(h + 12 + 65 * i, 0, 65))
			kv_warn("header.utsname", "%s not NUL-terminated", uts_names[i]);
	if (!kv_is_zero(h + 402, 6))
		kv_warn("header", "padding at 402..407 not zero");
	if (d->status & ~(KV_METHODS | KV_INCOMPLETE | KV_EXCL_VMEMMAP))
		kv_error("header.status", "%#x has unknown bits %#x", d->status,
			 d->status & ~(KV_METHODS | KV_INCOMPLETE | KV_EXCL_VMEMMAP));
	m = d->status & KV_METHODS;
	if (m & (m - 1)) {
		kv_error("header.status", "%#x names several compression methods", d->status);
		d->method = ~0u;
	} else {
		d->method = m;
	}
	d->incomplete = !!(d->status & KV_INCOMPLETE);
	if (d->sub_hdr_size < 1) {
		kv_error("header.sub_hdr_size", "%d, must be >= 1", d->sub_hdr_size);
		return -1;
	}
	if (d->sub_hdr_size > (1 << 20)) {
		kv_error("header.sub_hdr_size", "%d blocks: implausibly large", d->sub_hdr_size);
		return -1;
	}
	if (d->bs > DDH_SIZE) {
		unsigned char *rest = calloc(1, d->bs - DDH_SIZE);

		if (!rest)
			kv_die("out of memory");
		kv_pread(&d->f, DDH_SIZE, rest, d->bs - DDH_SIZE);
		if (!kv_is_zero(rest, d->bs - DDH_SIZE))
			kv_warn("header", "bytes %d..%" PRIu64 " of block 0 are not zero", DDH_SIZE, d->bs - 1);
		free(rest);
	}

	memset(k, 0, sizeof(k));
	if (kv_pread(&d->f, d->bs, k, ksh_len(d->version)) != ksh_len(d->version)) {
		kv_error("sub_header", "truncated: file is %" PRIu64 " bytes", d->f.size);
		return -1;
	}
	parse_block1(d, k);

	/* max_mapnr and the bitmaps */
	if (d->version >= 6) {
		uint32_t clamp = d->max_mapnr64 > UINT32_MAX ? UINT32_MAX : (uint32_t)d->max_mapnr64;

		d->max_mapnr = d->max_mapnr64;
		if (d->max_mapnr32 != clamp) {
			if (d->max_mapnr32 == (uint32_t)d->max_mapnr64)
				kv_warn("header.max_mapnr", "%u is max_mapnr_64 %" PRIu64 " truncated, makedumpfile clamps to %u",
					d->max_mapnr32, d->max_mapnr64, clamp);
			else
				kv_error("header.max_mapnr", "%u inconsistent with sub_header.max_mapnr_64 %" PRIu64,
					 d->max_mapnr32, d->max_mapnr64);
		}
	} else {
		d->max_mapnr = d->max_mapnr32;
	}
	if (d->max_mapnr == 0) {
		kv_error("header.max_mapnr", "0");
		return -1;
	}
	bm_bytes = (d->max_mapnr + 8 * d->bs - 1) / (8 * d->bs);   /* blocks per bitmap */
	if ((uint64_t)d->bitmap_blocks != 2 * bm_bytes) {
		kv_error("header.bitmap_blocks", "%u, expected 2 x %" PRIu64 " for max_mapnr %" PRIu64
			 " and block_size %" PRIu64, d->bitmap_blocks, bm_bytes, d->max_mapnr, d->bs);
		if (d->bitmap_blocks % 2 || d->bitmap_blocks / 2 < bm_bytes)
			return -1;
	}
	d->bitmap_len = (uint64_t)d->bitmap_blocks / 2 * d->bs;
	d->bitmap1_off = d->bs * (1 + (uint64_t)d->sub_hdr_size);
	d->bitmap2_off = d->bitmap1_off + d->bitmap_len;
	d->desc_off = d->bitmap2_off + d->bitmap_len;
	if (d->desc_off > d->f.size) {
		if (d->incomplete)
			kv_warn("file", "%" PRIu64 " bytes ends inside the bitmaps (end %" PRIu64 "); incomplete dump",
				d->f.size, d->desc_off);
		else
			kv_error("file", "%" PRIu64 " bytes ends inside the bitmaps (end %" PRIu64 ")",
				 d->f.size, d->desc_off);
	}

	/* split dumps: descriptors only for [start, end) */
	d->pfn_lo = 0;
	d->pfn_hi = d->max_mapnr;
	if (d->version >= 2 && d->split) {
		d->pfn_lo = d->version >= 6 ? d->start_pfn64 : d->start_pfn;
		d->pfn_hi = d->version >= 6 ? d->end_pfn64 : d->end_pfn;
		if (d->pfn_lo >= d->pfn_hi || d->pfn_hi > d->max_mapnr) {
			kv_error("sub_header.start_pfn", "split range [%" PRIu64 ", %" PRIu64 ") invalid (max_mapnr %" PRIu64 ")",
				 d->pfn_lo, d->pfn_hi, d->max_mapnr);
			return -1;
		}
	} else if (d->version >= 6 && (d->start_pfn64 || d->end_pfn64)) {
		kv_warn("sub_header.start_pfn_64", "non-zero (%" PRIu64 ", %" PRIu64 ") in a non-split dump",
			d->start_pfn64, d->end_pfn64);
	}
	if (d->dump_level < 0 || d->dump_level > 31)
		kv_warn("sub_header.dump_level", "%d outside 0..31", d->dump_level);

	check_notes(d);

	fixed_end = d->desc_off;
	if (d->version >= 5 && d->size_erase) {
		need = d->off_erase + d->size_erase;
		if (d->off_erase < fixed_end || need > d->f.size || need < d->off_erase)
			kv_error("sub_header.offset_eraseinfo", "[%" PRIu64 ", +%" PRIu64 ") outside the data area [%" PRIu64 ", %" PRIu64 ")",
				 d->off_erase, d->size_erase, fixed_end, d->f.size);
	}
	return 0;
}

void kv_header_vs_vmcore(struct kv_dump *d, const struct kv_elf *e)
{
	uint64_t want = (e->max_paddr + d->bs - 1) / d->bs;

	if (d->max_mapnr < want)
		kv_error("header.max_mapnr", "%" PRIu64 ", but the vmcore has memory up to PFN %" PRIu64,
			 d->max_mapnr, want);
	else if (d->max_mapnr > want)
		kv_warn("header.max_mapnr", "%" PRIu64 ", vmcore memory ends at PFN %" PRIu64 " (makedumpfile uses that)",
			d->max_mapnr, want);
	if (e->nnotes == 1 && d->note_buf) {
		int same = e->note_size == d->size_note;
		unsigned char *b;

		if (same) {
			b = malloc(e->note_size ? e->note_size : 1);
			if (!b)
				kv_die("out of memory");
			kv_pread(&e->src, e->note_off, b, e->note_size);
			same = !memcmp(b, d->note_buf, e->note_size);
			free(b);
		}
		if (!same)
			kv_warn("sub_header.note", "note copy (%" PRIu64 " bytes) differs from the vmcore's PT_NOTE (%" PRIu64 " bytes)",
				d->size_note, e->note_size);
	}
}

void kv_header_info(const struct kv_dump *d)
{
	kv_info("header: KDUMP v%d, block_size %" PRIu64 ", status %#x (%s%s%s), max_mapnr %" PRIu64
		", dump_level %d, nr_cpus %d, release %s, crashtime %" PRIu64,
		d->version, d->bs, d->status, d->method == ~0u ? "several" : kv_method_name(d->method),
		d->incomplete ? ", incomplete" : "",
		d->status & KV_EXCL_VMEMMAP ? ", excluded-vmemmap" : "",
		d->max_mapnr, d->dump_level, d->nr_cpus, d->uts[2], d->tv_sec);
	kv_info("layout: sub_hdr_size %d block(s), notes %" PRIu64 " bytes at %" PRIu64
		" (%u notes, %u PRSTATUS, VMCOREINFO %" PRIu64 " bytes), bitmaps at %" PRIu64
		" (2 x %" PRIu64 " bytes), descriptors at %" PRIu64,
		d->sub_hdr_size, d->size_note, d->off_note, d->notes.count, d->notes.nr_prstatus,
		d->notes.vmci_size, d->bitmap1_off, d->bitmap_len, d->desc_off);
	if (d->split)
		kv_info("split dump: PFNs [%" PRIu64 ", %" PRIu64 ")", d->pfn_lo, d->pfn_hi);
}
