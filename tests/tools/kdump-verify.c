// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kdump-verify: independent reader/verifier for kdump-compressed
 * ("diskdump", makedumpfile -c/-l/-p/-z) files.  See README.md.
 */
#include "kv.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DESC_SIZE 24
#define CHUNK (256u << 10)          /* bitmap bytes per read */
#define DESC_BUF 4096               /* descriptors per read */

static const char usage_text[] =
"usage: kdump-verify [options] DUMPFILE\n"
"\n"
"Checks every structural invariant of a kdump-compressed dump (header,\n"
"sub header, ELF notes + VMCOREINFO, both bitmaps, page descriptors, page\n"
"data) and decompresses every page.  Exit status: 0 valid, 1 invalid,\n"
"2 usage or I/O error.  Errors and warnings go to stderr, one line each,\n"
"\"kdump-verify: ERROR: <field>: <details>\" (at most 10 per field).\n"
"\n"
"  --vmcore ELF     also compare with the ELF vmcore the dump was made from:\n"
"                   every dumped page must equal the vmcore page at its PFN\n"
"                   (bytes past p_filesz read as zero); bitmap 1 must have\n"
"                   exactly the PFNs that lie in a PT_LOAD (a page only\n"
"                   partly inside one may be either); max_mapnr must cover\n"
"                   the PT_LOADs.\n"
"  --list           print the page map to stdout, run-length encoded:\n"
"                     FIRST-LAST STATUS   or   PFN STATUS   (hex, 0x...)\n"
"                   one line per run of consecutive PFNs with the same\n"
"                   status, for PFNs whose bit is set in bitmap 1 (or, an\n"
"                   error, only in bitmap 2).  STATUS is one of\n"
"                     kept      dumped, data not all zero\n"
"                     zero      dumped, data decompresses to all zero bytes\n"
"                               (whether or not it is the shared zero page)\n"
"                     excluded  bit clear in bitmap 2\n"
"                     lost      incomplete dump: descriptor offset 0 or data\n"
"                               missing\n"
"                     bad       descriptor or data invalid (see errors)\n"
"                   With --list the info lines and summary go to stderr.\n"
"  --list-pfns      like --list, one line per PFN (no ranges)\n"
"  --flattened      DUMPFILE is a makedumpfile -F stream (\"-\" = stdin);\n"
"                   it is rebuilt into a temporary file ($TMPDIR) first\n"
"  --rebuild FILE   with --flattened: keep the rebuilt dump in FILE\n"
"  --strict         warnings (deviations from makedumpfile's layout that\n"
"                   readers tolerate) also fail\n"
"  --quiet          no info lines, no summary\n"
"  --help\n"
"\n"
"Summary line:\n"
"  pages: in-memory N, dumped N (zero N[, lost N]), excluded N; compression:\n"
"  METHOD N ... raw N; file N bytes; incomplete: yes|no\n"
"in-memory = bits in bitmap 1, dumped = descriptors, zero = dumped pages\n"
"whose data is all zero, lost = descriptors of an incomplete dump whose\n"
"data is missing (shown only for incomplete dumps), excluded = in-memory -\n"
"dumped; compression counts valid descriptors per method (methods that\n"
"occur, raw always).\n";

static struct kv_dump D;
static struct kv_elf V;
static int have_vmcore;
static int list_mode;               /* 0 none, 1 runs, 2 one per PFN */

/* counters */
static uint64_t n_mem, n_dumped, n_zero, n_lost, n_bad, n_method[0x21];
static uint64_t n_cmp, n_mismatch, n_partial_set, n_partial_clear;

/* ------------------------------------------------------------------ */
/* bitmaps */

static int bm_short_warned;

static void read_bitmaps(uint64_t off, unsigned char *b1, unsigned char *b2, size_t n)
{
	size_t g1 = kv_pread(&D.f, D.bitmap1_off + off, b1, n);
	size_t g2 = kv_pread(&D.f, D.bitmap2_off + off, b2, n);

	if ((g1 < n || g2 < n) && !bm_short_warned++) {
		if (D.incomplete)
			kv_warn("bitmap", "truncated at file end; missing bits read as clear");
		else
			kv_error("bitmap", "truncated at file end (%" PRIu64 " bytes)", D.f.size);
	}
	memset(b1 + g1, 0, n - g1);
	memset(b2 + g2, 0, n - g2);
}

/* pass A: counts, bitmap2 subset of bitmap1, bits past max_mapnr */
static uint64_t count_bitmaps(unsigned char *b1, unsigned char *b2)
{
	uint64_t ndesc = 0, off, pfn;
	size_t i, n;
	int bit;

	for (off = 0; off < D.bitmap_len; off += n) {
		n = D.bitmap_len - off < CHUNK ? (size_t)(D.bitmap_len - off) : CHUNK;
		read_bitmaps(off, b1, b2, n);
		for (i = 0; i < n; i++) {
			unsigned char x1 = b1[i], x2 = b2[i];

			if (!(x1 | x2))
				continue;
			pfn = (off + i) * 8;
			if (pfn + 8 <= D.max_mapnr && pfn >= D.pfn_lo && pfn + 8 <= D.pfn_hi &&
			    !(x2 & ~x1)) {
				n_mem += (uint64_t)__builtin_popcount(x1);
				ndesc += (uint64_t)__builtin_popcount(x2);
				continue;
			}
			for (bit = 0; bit < 8; bit++, pfn++) {
				int s1 = x1 >> bit & 1, s2 = x2 >> bit & 1;

				if (pfn >= D.max_mapnr) {
					if (s1 | s2)
						kv_error("bitmap", "bit for PFN 0x%" PRIx64 " >= max_mapnr %#" PRIx64 " is set (bitmap%s)",
							 pfn, D.max_mapnr, s1 && s2 ? "s 1 and 2" : s1 ? " 1" : " 2");
					continue;
				}
				n_mem += (uint64_t)s1;
				if (s2 && !s1)
					kv_error("bitmap2", "PFN 0x%" PRIx64 " is dumped (bitmap 2) but not in memory (bitmap 1)", pfn);
				if (s2 && pfn >= D.pfn_lo && pfn < D.pfn_hi)
					ndesc++;
			}
		}
	}
	return ndesc;
}

/* ------------------------------------------------------------------ */
/* descriptors */

struct desc {
	uint64_t off;
	uint32_t size, flags;
	uint64_t page_flags;
	int beyond_eof;
};

struct desc_reader {
	unsigned char buf[DESC_BUF * DESC_SIZE];
	uint64_t first, count, avail;      /* avail: bytes actually read */
};

static void desc_get(struct desc_reader *r, uint64_t idx, struct desc *d)
{
	const unsigned char *p;
	uint64_t k;

	if (idx < r->first || idx >= r->first + r->count) {
		r->first = idx;
		r->count = DESC_BUF;
		r->avail = kv_pread(&D.f, D.desc_off + idx * DESC_SIZE, r->buf, sizeof(r->buf));
	}
	k = (idx - r->first) * DESC_SIZE;
	if (k + DESC_SIZE > r->avail) {
		memset(d, 0, sizeof(*d));
		d->beyond_eof = 1;
		return;
	}
	p = r->buf + k;
	d->off = kv_le64(p);
	d->size = kv_le32(p + 8);
	d->flags = kv_le32(p + 12);
	d->page_flags = kv_le64(p + 16);
	d->beyond_eof = 0;
}

enum dclass { D_OK, D_LOST, D_BAD };

/* pure classification, shared by both passes; why set unless D_OK */
static enum dclass classify(const struct desc *d, uint64_t data_start, const char **key,
			    char *why, size_t wl)
{
	*key = "desc";
	if (d->beyond_eof) {
		snprintf(why, wl, "descriptor beyond end of file");
		return D.incomplete ? D_LOST : D_BAD;
	}
	if (d->off == 0) {
		*key = "desc.offset";
		snprintf(why, wl, "offset 0 (size %u flags %#x)%s", d->size, d->flags,
			 D.incomplete ? "" : " in a complete dump");
		return D.incomplete ? D_LOST : D_BAD;
	}
	if (d->flags & ~KV_METHODS || (d->flags & (d->flags - 1))) {
		*key = "desc.flags";
		snprintf(why, wl, "%#x is not 0 or a single compression bit", d->flags);
		return D_BAD;
	}
	if (d->size == 0 || d->size > D.bs) {
		*key = "desc.size";
		snprintf(why, wl, "%u not in [1, block_size %" PRIu64 "]", d->size, D.bs);
		return D_BAD;
	}
	if (d->flags == 0 && d->size != D.bs) {
		*key = "desc.size";
		snprintf(why, wl, "%u for a raw page (flags 0), must be block_size %" PRIu64, d->size, D.bs);
		return D_BAD;
	}
	if (d->off < data_start) {
		*key = "desc.offset";
		snprintf(why, wl, "%#" PRIx64 " points before the end of the descriptor array %#" PRIx64,
			 d->off, data_start);
		return D_BAD;
	}
	if (d->off + d->size > D.f.size) {
		*key = "desc.offset";
		snprintf(why, wl, "data [%#" PRIx64 ", +%u) beyond end of file (%" PRIu64 " bytes)",
			 d->off, d->size, D.f.size);
		return D.incomplete ? D_LOST : D_BAD;
	}
	return D_OK;
}

struct replay {
	struct desc_reader r;
	uint64_t idx, n, data_start;
};

static int replay_next(void *ctx, uint64_t *off, uint32_t *size)
{
	struct replay *p = ctx;
	struct desc d;
	const char *key;
	char why[256];

	while (p->idx < p->n) {
		desc_get(&p->r, p->idx++, &d);
		if (classify(&d, p->data_start, &key, why, sizeof(why)) == D_OK) {
			*off = d.off;
			*size = d.size;
			return 1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* the page walk */

enum st { S_NONE, S_KEPT, S_ZERO, S_EXCL, S_LOST, S_BAD };
static const char *const st_name[] = { "", "kept", "zero", "excluded", "lost", "bad" };

static uint64_t run_first, run_last;
static enum st run_st = S_NONE;

static void list_flush(void)
{
	if (run_st == S_NONE)
		return;
	if (run_first == run_last)
		printf("0x%" PRIx64 " %s\n", run_first, st_name[run_st]);
	else
		printf("0x%" PRIx64 "-0x%" PRIx64 " %s\n", run_first, run_last, st_name[run_st]);
	run_st = S_NONE;
}

static void list_emit(uint64_t pfn, enum st s)
{
	if (!list_mode)
		return;
	if (list_mode == 1 && s == run_st && pfn == run_last + 1) {
		run_last = pfn;
		return;
	}
	list_flush();
	run_first = run_last = pfn;
	run_st = s;
}

static struct kv_extents X;
static unsigned char *pagebuf, *rawbuf, *vmbuf;

static void compare_vmcore(uint64_t pfn, const unsigned char *page)
{
	size_t i;

	kv_elf_read_page(&V, pfn * D.bs, D.bs, vmbuf);
	n_cmp++;
	if (!memcmp(page, vmbuf, D.bs))
		return;
	n_mismatch++;
	for (i = 0; i < D.bs && page[i] == vmbuf[i]; i++)
		;
	kv_error("vmcore.page", "PFN 0x%" PRIx64 ": dump differs from vmcore at byte %zu (dump 0x%02x, vmcore 0x%02x)",
		 pfn, i, page[i], vmbuf[i]);
}

static enum st do_page(uint64_t pfn, const struct desc *d, uint64_t data_start)
{
	const char *key;
	char why[256];
	struct kv_ext *e;
	enum dclass c = classify(d, data_start, &key, why, sizeof(why));
	int zero;

	if (c == D_LOST) {
		n_lost++;
		return S_LOST;
	}
	if (c == D_BAD) {
		kv_error(key, "PFN 0x%" PRIx64 ": %s", pfn, why);
		n_bad++;
		return S_BAD;
	}
	n_method[d->flags]++;
	if (d->flags && d->flags != D.method && D.method != ~0u)
		kv_warn("desc.flags", "PFN 0x%" PRIx64 ": %s page in a dump whose header says %s",
			pfn, kv_method_name(d->flags), kv_method_name(D.method));
	if (d->page_flags)
		kv_warn("desc.page_flags", "PFN 0x%" PRIx64 ": %#" PRIx64 ", expected 0", pfn, d->page_flags);
	if (d->flags && !kv_method_built(d->flags)) {
		kv_error("desc.flags", "PFN 0x%" PRIx64 ": %s page, support not built in", pfn,
			 kv_method_name(d->flags));
		n_bad++;
		return S_BAD;
	}

	e = kv_ext_add(&X, d->off, d->size);
	if (e && e->state == 1) {
		/* another reference to a verified zero page */
		n_zero++;
		if (have_vmcore) {
			memset(pagebuf, 0, D.bs);
			compare_vmcore(pfn, pagebuf);
		}
		return S_ZERO;
	}
	kv_pread(&D.f, d->off, rawbuf, d->size);
	if (kv_decompress(d->flags, rawbuf, d->size, pagebuf, D.bs, why, sizeof(why))) {
		kv_error("page", "PFN 0x%" PRIx64 " (%s, %u bytes at %#" PRIx64 "): %s", pfn,
			 kv_method_name(d->flags), d->size, d->off, why);
		if (e)
			e->state = 3;
		n_bad++;
		return S_BAD;
	}
	zero = kv_is_zero(pagebuf, D.bs);
	if (e)
		e->state = zero ? 1 : 2;
	if (have_vmcore)
		compare_vmcore(pfn, pagebuf);
	if (zero) {
		n_zero++;
		return S_ZERO;
	}
	return S_KEPT;
}

static void check_expect(struct kv_expect_walk *w, uint64_t pfn, int s1)
{
	switch (kv_expect_pfn(w, pfn)) {
	case KV_EXP_MUST:
		if (!s1)
			kv_error("vmcore.bitmap1", "PFN 0x%" PRIx64 " is inside a PT_LOAD but clear in bitmap 1", pfn);
		break;
	case KV_EXP_MAY:
		if (s1)
			n_partial_set++;
		else
			n_partial_clear++;
		break;
	case KV_EXP_NO:
		if (s1)
			kv_error("vmcore.bitmap1", "PFN 0x%" PRIx64 " is set in bitmap 1 but in no PT_LOAD", pfn);
		break;
	}
}

static void walk(unsigned char *b1, unsigned char *b2, uint64_t ndesc, uint64_t data_start)
{
	static struct desc_reader r;
	struct kv_expect_walk w;
	uint64_t off, pfn, idx = 0;
	size_t i, n;
	int bit;

	if (have_vmcore)
		kv_expect_init(&w, &V, D.bs);
	r.count = 0;
	for (off = 0; off < D.bitmap_len && off * 8 < D.max_mapnr; off += n) {
		n = D.bitmap_len - off < CHUNK ? (size_t)(D.bitmap_len - off) : CHUNK;
		read_bitmaps(off, b1, b2, n);
		for (i = 0; i < n; i++) {
			unsigned char x1 = b1[i], x2 = b2[i];

			pfn = (off + i) * 8;
			if (pfn >= D.max_mapnr)
				break;
			if (!(x1 | x2) && !have_vmcore) {
				list_flush();
				continue;
			}
			for (bit = 0; bit < 8 && pfn < D.max_mapnr; bit++, pfn++) {
				int s1 = x1 >> bit & 1, s2 = x2 >> bit & 1;
				enum st s = S_NONE;

				if (have_vmcore)
					check_expect(&w, pfn, s1);
				if (s2 && pfn >= D.pfn_lo && pfn < D.pfn_hi && idx < ndesc) {
					struct desc d;

					desc_get(&r, idx++, &d);
					s = do_page(pfn, &d, data_start);
				} else if (s1) {
					s = S_EXCL;
				}
				if (s == S_NONE)
					list_flush();
				else
					list_emit(pfn, s);
			}
		}
	}
	list_flush();
	if (have_vmcore)
		kv_expect_free(&w);
}

/* ------------------------------------------------------------------ */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "vmcore", required_argument, NULL, 'v' },
		{ "list", no_argument, NULL, 'l' },
		{ "list-pfns", no_argument, NULL, 'L' },
		{ "flattened", no_argument, NULL, 'F' },
		{ "rebuild", required_argument, NULL, 'R' },
		{ "strict", no_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *vmcore = NULL, *rebuild = NULL;
	int flattened = 0, c;
	unsigned char *b1, *b2;
	uint64_t ndesc, data_start, end, used_end;
	struct kv_ext_result res;
	double t0 = now();
	char comp[256], lost[64];
	size_t cl = 0;

	kv_out = stdout;
	while ((c = getopt_long(argc, argv, "v:lLFR:sqh", lo, NULL)) != -1) {
		switch (c) {
		case 'v': vmcore = optarg; break;
		case 'l': list_mode = 1; break;
		case 'L': list_mode = 2; break;
		case 'F': flattened = 1; break;
		case 'R': rebuild = optarg; break;
		case 's': kv_strict = 1; break;
		case 'q': kv_quiet = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (list_mode)
		kv_out = stderr;

	if (flattened) {
		struct stat st;

		D.f.fd = kv_flat_rebuild(argv[optind], rebuild);
		D.f.name = rebuild ? rebuild : "<rebuilt flattened stream>";
		if (fstat(D.f.fd, &st) < 0)
			kv_die("stat rebuilt dump failed");
		D.f.size = (uint64_t)st.st_size;
	} else {
		kv_src_open(&D.f, argv[optind]);
	}

	if (kv_header_check(&D) < 0) {
		kv_report_end();
		return 1;
	}
	kv_header_info(&D);
	if (vmcore) {
		kv_elf_open(&V, vmcore);
		have_vmcore = 1;
		kv_header_vs_vmcore(&D, &V);
	}

	b1 = malloc(CHUNK);
	b2 = malloc(CHUNK);
	pagebuf = malloc(D.bs);
	rawbuf = malloc(D.bs);
	vmbuf = malloc(D.bs);
	if (!b1 || !b2 || !pagebuf || !rawbuf || !vmbuf)
		kv_die("out of memory");
	kv_decomp_init(D.bs);

	ndesc = count_bitmaps(b1, b2);
	data_start = D.desc_off + ndesc * DESC_SIZE;
	if (data_start > D.f.size) {
		if (D.incomplete)
			kv_warn("desc", "descriptor array (%" PRIu64 " x 24 bytes) extends beyond end of file", ndesc);
		else
			kv_error("desc", "descriptor array (%" PRIu64 " x 24 bytes, ends at %" PRIu64 ") extends beyond end of file (%" PRIu64 " bytes)",
				 ndesc, data_start, D.f.size);
	}

	kv_ext_init(&X, data_start);
	walk(b1, b2, ndesc, data_start);
	n_dumped = ndesc;

	{
		static struct replay rp;

		rp.n = ndesc;
		rp.data_start = data_start;
		kv_ext_finish(&X, data_start, replay_next, &rp, &res);
	}
	end = X.max_end;
	used_end = end;
	if (D.version >= 5 && D.size_erase) {
		if (D.off_erase < end && D.off_erase + D.size_erase > data_start)
			kv_error("sub_header.offset_eraseinfo", "[%" PRIu64 ", +%" PRIu64 ") overlaps page data (ends at %" PRIu64 ")",
				 D.off_erase, D.size_erase, end);
		if (D.off_erase + D.size_erase > used_end)
			used_end = D.off_erase + D.size_erase;
	}
	if (res.shared_zero_descs)
		kv_info("shared zero page: %" PRIu64 " descriptors share %" PRIu64 " zero-page extent(s)",
			res.shared_zero_descs, res.shared_zero_extents);
	else
		kv_info("shared zero page: none");
	if (end > data_start)
		kv_info("data area: %" PRIu64 " bytes at %" PRIu64 ", %" PRIu64 " unreferenced%s; %" PRIu64 " bytes after it",
			end - data_start, data_start, end - data_start - (res.unique_bytes < end - data_start ? res.unique_bytes : end - data_start),
			X.overflow ? " (approximate)" : "", D.f.size > used_end ? D.f.size - used_end : 0);
	if (have_vmcore) {
		kv_info("vmcore: %zu PT_LOADs; bitmap 1 partial pages %" PRIu64 " set, %" PRIu64 " clear; %" PRIu64 " pages compared, %" PRIu64 " differ",
			V.nloads, n_partial_set, n_partial_clear, n_cmp, n_mismatch);
		kv_elf_close(&V);
	}
	if (n_bad)
		kv_info("bad descriptors/pages: %" PRIu64, n_bad);

	for (c = 1; c <= 0x20; c <<= 1)
		if (n_method[c] && (c & KV_METHODS))
			cl += (size_t)snprintf(comp + cl, sizeof(comp) - cl, "%s %" PRIu64 " ",
					       kv_method_name((unsigned)c), n_method[c]);
	snprintf(comp + cl, sizeof(comp) - cl, "raw %" PRIu64, n_method[0]);
	kv_info("time: %.2f s", now() - t0);
	snprintf(lost, sizeof(lost), ", lost %" PRIu64, n_lost);
	kv_info("pages: in-memory %" PRIu64 ", dumped %" PRIu64 " (zero %" PRIu64 "%s), excluded %" PRIu64
		"; compression: %s; file %" PRIu64 " bytes; incomplete: %s",
		n_mem, n_dumped, n_zero, D.incomplete ? lost : "",
		n_mem >= n_dumped ? n_mem - n_dumped : 0, comp, D.f.size,
		D.incomplete ? "yes" : "no");

	kv_ext_free(&X);
	free(D.note_buf);
	free(b1);
	free(b2);
	free(pagebuf);
	free(rawbuf);
	free(vmbuf);
	return kv_report_end() ? 1 : 0;
}
