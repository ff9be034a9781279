/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdump-compressed input: re-filter a dump at a higher level, or change
 * its compression. RAM is what bitmap 1 says; a page's data exists only
 * when bitmap 2 has it, and is found through its descriptor, whose
 * index is the number of bitmap-2 bits before it. A per-chunk count of
 * bitmap-2 bits (8 bytes per 128 MiB of RAM) makes that lookup cheap
 * without holding the bitmaps in memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kcf-internal.h"
#include "format-kdump.h"

#define RANK_CHUNK_BITS 15                  /* PFNs per rank entry: 32768 */
#define MAX_RUNS (1u << 20)

struct kdump_in {
	uint64_t block;
	uint64_t max_mapnr;
	uint64_t off_bitmap1, off_bitmap2, bitmap_len, off_desc;
	uint64_t *rank;               /* bitmap-2 bits before each chunk */
	uint64_t nr_chunks;
	bool incomplete;
	/* a cached chunk of bitmap 2 */
	uint8_t bm[1u << (RANK_CHUNK_BITS - 3)];
	uint64_t bm_chunk;
	bool bm_valid;
	/* per window: one decompressed page */
	uint8_t *page[KCF_WIN_COUNT];
	uint64_t page_pfn[KCF_WIN_COUNT];
	uint8_t *cbuf;
};


static int bad(struct kcf_vmcore *vm, const char *what)
{
	return kcf_err(vm->ctx, EINVAL, "%s: not a usable kdump-compressed dump: %s", vm->path, what);
}

static int load_bm_chunk(struct kcf_vmcore *vm, struct kdump_in *k, uint64_t chunk)
{
	if (k->bm_valid && k->bm_chunk == chunk)
		return 0;
	uint64_t off = chunk * sizeof(k->bm);
	size_t len = (size_t)KCF_MIN((uint64_t)sizeof(k->bm), k->bitmap_len - off);
	memset(k->bm, 0, sizeof(k->bm));
	int r = kcf_pread_all(vm->fd, k->bm, len, k->off_bitmap2 + off);
	if (r < 0)
		return kcf_err(vm->ctx, r, "%s: cannot read bitmap 2", vm->path);
	k->bm_chunk = chunk;
	k->bm_valid = true;
	return 0;
}

static bool kd_present(struct kcf_vmcore *vm, uint64_t pfn)
{
	struct kdump_in *k = vm->in_state;
	if (pfn >= k->max_mapnr || load_bm_chunk(vm, k, pfn >> RANK_CHUNK_BITS) < 0)
		return false;
	uint64_t bit = pfn & ((1u << RANK_CHUNK_BITS) - 1);
	return (k->bm[bit >> 3] >> (bit & 7)) & 1;
}

static uint64_t desc_index(struct kdump_in *k, uint64_t pfn)
{
	uint64_t bit = pfn & ((1u << RANK_CHUNK_BITS) - 1), n = k->rank[pfn >> RANK_CHUNK_BITS];
	for (uint64_t i = 0; i < bit >> 3; i++)
		n += (uint64_t)__builtin_popcount(k->bm[i]);
	return n + (uint64_t)__builtin_popcount(k->bm[bit >> 3] & ((1u << (bit & 7)) - 1));
}

static int read_page(struct kcf_vmcore *vm, struct kdump_in *k, uint64_t pfn, uint8_t *out)
{
	uint8_t d[KDUMP_DESC_SIZE];
	int r;

	if (!kd_present(vm, pfn))
		return kcf_err(vm->ctx, EFAULT, "%s: page %#llx is not in the dump", vm->path,
			       (unsigned long long)pfn);
	uint64_t idx = desc_index(k, pfn);
	r = kcf_pread_all(vm->fd, d, sizeof(d), k->off_desc + idx * KDUMP_DESC_SIZE);
	if (r < 0)
		return kcf_err(vm->ctx, r, "%s: cannot read the descriptor of page %#llx", vm->path,
			       (unsigned long long)pfn);
	uint64_t off = kdump_desc_offset(d);
	uint32_t size = kdump_desc_size(d), flags = kdump_desc_flags(d);
	if (off == 0 && k->incomplete)
		return kcf_err(vm->ctx, EFAULT, "%s: page %#llx was lost when the dump was cut short",
			       vm->path, (unsigned long long)pfn);
	if (size == 0 || size > k->block || off < k->off_desc || off > vm->file_size ||
	    size > vm->file_size - off)
		return kcf_err(vm->ctx, EINVAL, "%s: the descriptor of page %#llx is corrupt (offset %#llx, size %u)",
			       vm->path, (unsigned long long)pfn, (unsigned long long)off, size);
	if (flags == 0) {
		if (size != k->block)
			return kcf_err(vm->ctx, EINVAL, "%s: raw page %#llx has size %u", vm->path,
				       (unsigned long long)pfn, size);
		r = kcf_pread_all(vm->fd, out, size, off);
		return r < 0 ? kcf_err(vm->ctx, r, "%s: cannot read page %#llx", vm->path, (unsigned long long)pfn) : 0;
	}
	const struct kcf_compressor_ops *c = kcf_compressor_by_flag(flags);
	if (!c)
		return kcf_err(vm->ctx, ENOTSUP, "%s: page %#llx is compressed with method %#x, which this build cannot read",
			       vm->path, (unsigned long long)pfn, flags);
	r = kcf_pread_all(vm->fd, k->cbuf, size, off);
	if (r < 0)
		return kcf_err(vm->ctx, r, "%s: cannot read page %#llx", vm->path, (unsigned long long)pfn);
	if (c->decompress(k->cbuf, size, out, k->block) < 0)
		return kcf_err(vm->ctx, EBADMSG, "%s: page %#llx does not decompress (%s)", vm->path,
			       (unsigned long long)pfn, c->name);
	return 0;
}

static const void *kd_map(struct kcf_vmcore *vm, int win, uint64_t paddr, size_t len)
{
	struct kdump_in *k = vm->in_state;
	uint64_t pfn = paddr / k->block, in = paddr % k->block;

	if (len > k->block - in) {
		kcf_err(vm->ctx, EINVAL, "internal: read across a page of a kdump input");
		return NULL;
	}
	if (k->page_pfn[win] != pfn) {
		k->page_pfn[win] = UINT64_MAX;
		if (read_page(vm, k, pfn, k->page[win]) < 0)
			return NULL;
		k->page_pfn[win] = pfn;
	}
	return k->page[win] + in;
}

/* Runs of bitmap 1 become the "loads": the RAM the crashed kernel had. */
static int build_loads(struct kcf_vmcore *vm, struct kdump_in *k)
{
	uint8_t *buf = malloc(1u << 16);
	size_t cap = 16;
	uint64_t run_start = 0;
	bool in_run = false;
	int r = 0;

	vm->loads = calloc(cap, sizeof(*vm->loads));
	if (!buf || !vm->loads) {
		free(buf);
		return -ENOMEM;
	}
	for (uint64_t off = 0; off < k->bitmap_len && r == 0; off += 1u << 16) {
		size_t len = (size_t)KCF_MIN((uint64_t)1 << 16, k->bitmap_len - off);
		r = kcf_pread_all(vm->fd, buf, len, k->off_bitmap1 + off);
		if (r < 0) {
			r = kcf_err(vm->ctx, r, "%s: cannot read bitmap 1", vm->path);
			break;
		}
		/*
		 * One step past the bitmap's last bit closes a run that ends
		 * there: RAM up to max_mapnr exactly, and a bitmap without
		 * padding (max_mapnr a multiple of 8 * block, such as 2 GiB
		 * of 4 KiB pages).
		 */
		bool last = off + len >= k->bitmap_len;
		for (uint64_t i = 0; i < len * 8 + last && r == 0; i++) {
			uint64_t pfn = off * 8 + i;
			bool set = i < len * 8 && pfn < k->max_mapnr && ((buf[i >> 3] >> (i & 7)) & 1);
			if (set && !in_run) {
				run_start = pfn;
				in_run = true;
			} else if (!set && in_run) {
				in_run = false;
				if (vm->nr_loads == MAX_RUNS) {
					r = bad(vm, "bitmap 1 has too many RAM ranges");
					break;
				}
				if (vm->nr_loads == cap) {
					struct kcf_load *n = realloc(vm->loads, 2 * cap * sizeof(*n));
					if (!n) {
						r = -ENOMEM;
						break;
					}
					vm->loads = n;
					cap *= 2;
				}
				vm->loads[vm->nr_loads++] = (struct kcf_load){
					.paddr = run_start * k->block,
					.memsz = (pfn - run_start) * k->block,
					.filesz = (pfn - run_start) * k->block,
				};
			}
		}
	}
	free(buf);
	if (r == 0 && !vm->nr_loads)
		r = bad(vm, "bitmap 1 describes no RAM");
	return r;
}

static int build_rank(struct kcf_vmcore *vm, struct kdump_in *k)
{
	k->nr_chunks = (k->max_mapnr >> RANK_CHUNK_BITS) + 1;
	k->rank = calloc(k->nr_chunks + 1, sizeof(uint64_t));
	if (!k->rank)
		return -ENOMEM;
	uint64_t total = 0;
	for (uint64_t c = 0; c < k->nr_chunks; c++) {
		k->rank[c] = total;
		if (c * sizeof(k->bm) >= k->bitmap_len)
			continue;
		int r = load_bm_chunk(vm, k, c);
		if (r < 0)
			return r;
		for (size_t i = 0; i < sizeof(k->bm); i++)
			total += (uint64_t)__builtin_popcount(k->bm[i]);
	}
	k->rank[k->nr_chunks] = total;
	if (k->incomplete)
		return 0;     /* lost pages are expected, and reported page by page */
	if (k->off_desc + total * KDUMP_DESC_SIZE > vm->file_size)
		return bad(vm, "the page descriptors run past the end of the file: it is truncated");
	/* Data is written in PFN order: the last descriptor's page ends the file. */
	uint8_t d[KDUMP_DESC_SIZE];
	if (total && kcf_pread_all(vm->fd, d, sizeof(d), k->off_desc + (total - 1) * KDUMP_DESC_SIZE) == 0 &&
	    kdump_desc_offset(d) + kdump_desc_size(d) > vm->file_size)
		return kcf_err(vm->ctx, EINVAL,
			       "%s: the dump is truncated: its last page lies at offset %llu, beyond the end of the file (%llu bytes)",
			       vm->path, (unsigned long long)kdump_desc_offset(d), (unsigned long long)vm->file_size);
	return 0;
}

static int kd_open(struct kcf_vmcore *vm)
{
	struct kdump_in *k = calloc(1, sizeof(*k));
	uint8_t h[4096];
	int r;

	if (!k)
		return -ENOMEM;
	vm->in_state = k;
	if (vm->file_size < 2 * sizeof(h))
		return bad(vm, "the file is shorter than its headers");
	r = kcf_pread_all(vm->fd, h, sizeof(h), 0);
	if (r < 0)
		return kcf_err(vm->ctx, r, "%s: cannot read the header", vm->path);
	int32_t version = (int32_t)kcf_get32(h + KDH_VERSION);
	uint32_t status = kcf_get32(h + KDH_STATUS);
	int64_t block = (int32_t)kcf_get32(h + KDH_BLOCK_SIZE);
	int64_t sub_blocks = (int32_t)kcf_get32(h + KDH_SUB_HDR_SIZE);
	uint64_t bitmap_blocks = kcf_get32(h + KDH_BITMAP_BLOCKS);
	if (version < 3 || version > 6)
		return bad(vm, "header version is not 3 to 6 (older dumps carry no VMCOREINFO)");
	if (block < 4096 || block > 65536 || (block & (block - 1)))
		return bad(vm, "block_size is not a page size");
	if (sub_blocks < 1 || sub_blocks > 4096 || bitmap_blocks < 2 || bitmap_blocks % 2)
		return bad(vm, "sub header or bitmap sizes are implausible");
	k->block = (uint64_t)block;
	k->incomplete = status & KDUMP_INCOMPLETE;
	k->cbuf = malloc(k->block);
	for (int w = 0; w < KCF_WIN_COUNT; w++) {
		k->page[w] = malloc(k->block);
		k->page_pfn[w] = UINT64_MAX;
	}
	if (!k->cbuf || !k->page[0] || !k->page[1])
		return -ENOMEM;

	uint8_t sub[KDSH_SIZE];
	r = kcf_pread_all(vm->fd, sub, sizeof(sub), k->block);
	if (r < 0)
		return kcf_err(vm->ctx, r, "%s: cannot read the sub header", vm->path);
	if ((int32_t)kcf_get32(sub + KDSH_SPLIT))
		return kcf_err(vm->ctx, ENOTSUP, "%s is one part of a split dump: reassemble the parts first (--reassemble)",
			       vm->path);
	k->max_mapnr = version >= 6 ? kcf_get64(sub + KDSH_MAX_MAPNR_64) : kcf_get32(h + KDH_MAX_MAPNR);
	uint64_t off_vi = kcf_get64(sub + KDSH_OFF_VMCOREINFO), size_vi = kcf_get64(sub + KDSH_SIZE_VMCOREINFO);
	uint64_t off_note = version >= 4 ? kcf_get64(sub + KDSH_OFF_NOTE) : 0;
	uint64_t size_note = version >= 4 ? kcf_get64(sub + KDSH_SIZE_NOTE) : 0;
	struct kdump_geometry g = kdump_geometry(k->block, (uint64_t)sub_blocks, bitmap_blocks * k->block / 2);
	k->bitmap_len = g.bitmap_len;
	k->off_bitmap1 = g.off_bitmap1;
	k->off_bitmap2 = g.off_bitmap2;
	k->off_desc = g.off_desc;
	/* (max_mapnr + 7) / 8 would wrap for a max_mapnr near 2^64 */
	if (k->max_mapnr == 0 || k->max_mapnr > k->bitmap_len * 8 || k->off_desc > vm->file_size)
		return bad(vm, "max_mapnr does not fit the bitmaps, or the bitmaps run past the end of the file");

	/* The notes (VMCOREINFO among them), or VMCOREINFO alone in v3. */
	if (!size_note) {
		off_note = off_vi;
		size_note = size_vi;
	}
	if (size_note == 0 || size_note > (64u << 20) || off_note > vm->file_size ||
	    size_note > vm->file_size - off_note)
		return bad(vm, "the ELF notes / VMCOREINFO lie outside the file");
	vm->notes = malloc(size_note + 1);
	if (!vm->notes)
		return -ENOMEM;
	r = kcf_pread_all(vm->fd, vm->notes, size_note, off_note);
	if (r < 0)
		return kcf_err(vm->ctx, r, "%s: cannot read the notes", vm->path);
	vm->notes_len = size_note;
	vm->notes[size_note] = 0;
	if (version == 3) {
		/* Wrap the bare VMCOREINFO text so that writers can copy "notes". */
		return bad(vm, "header version 3 dumps are not supported yet");
	}
	for (int i = 0; i < 6; i++) {
		memcpy(vm->utsname[i], h + KDH_UTSNAME + KDH_UTS_LEN * i, KDH_UTS_LEN);
		vm->utsname[i][64] = 0;
	}
	vm->utsname_from_input = true;
	vm->max_pfn = k->max_mapnr;
	r = build_loads(vm, k);
	if (r == 0)
		r = build_rank(vm, k);
	return r;
}

static void kd_close(struct kcf_vmcore *vm)
{
	struct kdump_in *k = vm->in_state;
	if (!k)
		return;
	free(k->rank);
	free(k->cbuf);
	for (int w = 0; w < KCF_WIN_COUNT; w++)
		free(k->page[w]);
	free(k);
	vm->in_state = NULL;
}

const struct kcf_input_ops kcf_input_kdump = {
	.name = "kdump-compressed",
	.open = kd_open, .close = kd_close,
	.no_vaddrs = true,
	.map = kd_map,
	.page_present = kd_present,
};
