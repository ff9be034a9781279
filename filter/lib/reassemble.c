/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --reassemble: join the parts of a split kdump dump into one file.
 * The parts share the header and both bitmaps; each holds descriptors
 * and page data for its PFN range. The result has every part's
 * descriptors in PFN order, pointing at their data moved behind one
 * another. With dump level bit 1 each part starts its data with a zero
 * page; only the first is kept and every zero descriptor points at it,
 * so the result is the file a direct, unsplit run writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kcf-internal.h"
#include "format-kdump.h"

#define COPY_CHUNK (1u << 20)

struct part {
	const char *path;
	int fd;
	uint64_t size;
	uint64_t start, end;
	uint64_t ndesc;
	uint64_t off_data;
};


static int cmp_part(const void *a, const void *b)
{
	const struct part *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

struct layout {
	uint8_t hdr[KDH_SIZE];
	uint64_t block, sub_blocks, bitmap_blocks, max_mapnr, off_desc;
	struct kdump_geometry geo;
	unsigned dump_level;
};

static int read_part(struct kcf_ctx *ctx, struct part *p, struct layout *first, bool is_first)
{
	uint8_t h[KDH_SIZE], sub[KDSH_SIZE];
	struct layout l;
	off_t end;

	p->fd = open(p->path, O_RDONLY | O_CLOEXEC);
	if (p->fd < 0)
		return kcf_err(ctx, errno, "cannot open %s: %s", p->path, strerror(errno));
	end = lseek(p->fd, 0, SEEK_END);
	p->size = end < 0 ? 0 : (uint64_t)end;
	if (kcf_pread_all(p->fd, h, sizeof(h), 0) < 0 || memcmp(h, KDUMP_SIGNATURE, KDUMP_SIGNATURE_LEN))
		return kcf_err(ctx, EINVAL, "%s is not a kdump-compressed dump", p->path);
	l.block = kcf_get32(h + KDH_BLOCK_SIZE);
	if (l.block < 4096 || l.block > 65536 || (l.block & (l.block - 1)) ||
	    kcf_get32(h + KDH_VERSION) != KDUMP_HEADER_VERSION)
		return kcf_err(ctx, EINVAL, "%s: only header version 6 split dumps can be reassembled", p->path);
	if (kcf_pread_all(p->fd, sub, sizeof(sub), l.block) < 0 || kcf_get32(sub + KDSH_SPLIT) != 1)
		return kcf_err(ctx, EINVAL, "%s is not part of a split dump (its split flag is 0)", p->path);
	if (!is_first && memcmp(h, first->hdr, KDH_SIZE))
		return kcf_err(ctx, EINVAL, "%s and %s come from different dumps (their headers differ)",
			       p->path, "the first part");
	memcpy(l.hdr, h, KDH_SIZE);
	l.sub_blocks = kcf_get32(h + KDH_SUB_HDR_SIZE);
	l.bitmap_blocks = kcf_get32(h + KDH_BITMAP_BLOCKS);
	l.max_mapnr = kcf_get64(sub + KDSH_MAX_MAPNR_64);
	l.dump_level = kcf_get32(sub + KDSH_DUMP_LEVEL);
	l.geo = kdump_geometry(l.block, l.sub_blocks, l.bitmap_blocks * l.block / 2);
	l.off_desc = l.geo.off_desc;
	p->start = kcf_get64(sub + KDSH_START_PFN_64);
	p->end = kcf_get64(sub + KDSH_END_PFN_64);
	if (p->start > p->end || p->end > l.max_mapnr || l.off_desc > p->size)
		return kcf_err(ctx, EINVAL, "%s: its PFN range or layout is corrupt", p->path);
	if (is_first)
		*first = l;
	return 0;
}

/* Count bitmap-2 bits in each part's range (the parts' bitmaps are the same). */
static int count_descs(struct kcf_ctx *ctx, struct part *parts, unsigned n, const struct layout *l)
{
	uint64_t bitmap_len = l->geo.bitmap_len;
	uint64_t off2 = l->geo.off_bitmap2;
	uint8_t *buf = malloc(COPY_CHUNK);
	unsigned cur = 0;

	if (!buf)
		return -ENOMEM;
	for (uint64_t off = 0; off < bitmap_len; off += COPY_CHUNK) {
		size_t len = (size_t)KCF_MIN((uint64_t)COPY_CHUNK, bitmap_len - off);
		if (kcf_pread_all(parts[0].fd, buf, len, off2 + off) < 0) {
			free(buf);
			return kcf_err(ctx, EIO, "%s: cannot read bitmap 2", parts[0].path);
		}
		for (uint64_t i = 0; i < len * 8; i++) {
			uint64_t pfn = off * 8 + i;
			if (pfn >= l->max_mapnr)
				break;
			if (!((buf[i >> 3] >> (i & 7)) & 1))
				continue;
			while (cur < n && pfn >= parts[cur].end)
				cur++;
			if (cur < n)
				parts[cur].ndesc++;
		}
	}
	free(buf);
	return 0;
}

static int copy_range(struct kcf_ctx *ctx, const struct part *p, int out, uint64_t from, uint64_t len,
		      uint64_t to, uint8_t *buf)
{
	for (uint64_t done = 0; done < len;) {
		size_t n = (size_t)KCF_MIN((uint64_t)COPY_CHUNK, len - done);
		if (kcf_pread_all(p->fd, buf, n, from + done) < 0)
			return kcf_err(ctx, EIO, "%s: cannot read at %llu (truncated?)", p->path,
				       (unsigned long long)(from + done));
		int r = kcf_pwrite_all(out, buf, n, to + done);
		if (r < 0)
			return kcf_err(ctx, r, "cannot write the reassembled dump: %s", strerror(-r));
		done += n;
	}
	return 0;
}

static int join(struct kcf_ctx *ctx, struct part *parts, unsigned n, const struct layout *l, int out,
		uint64_t *bytes, uint8_t *buf)
{
	uint64_t total = 0, desc_out = 0;
	bool zero = l->dump_level & KCF_DL_ZERO;
	int r;

	for (unsigned i = 0; i < n; i++) {
		parts[i].off_data = l->off_desc + parts[i].ndesc * KDUMP_DESC_SIZE;
		total += parts[i].ndesc;
	}
	uint64_t off_data = l->off_desc + total * KDUMP_DESC_SIZE, cursor = off_data;

	/* header (incomplete until the end), sub header and bitmaps from the first part */
	r = copy_range(ctx, &parts[0], out, 0, l->off_desc, 0, buf);
	if (r < 0)
		return r;
	uint8_t sub[KDSH_SIZE];
	if (kcf_pread_all(parts[0].fd, sub, sizeof(sub), l->block) < 0)
		return -EIO;
	kcf_put32(sub + KDSH_SPLIT, 0);
	kcf_put64(sub + KDSH_START_PFN, 0);
	kcf_put64(sub + KDSH_END_PFN, 0);
	kcf_put64(sub + KDSH_START_PFN_64, 0);
	kcf_put64(sub + KDSH_END_PFN_64, 0);
	uint32_t status = kcf_get32(l->hdr + KDH_STATUS) | KDUMP_INCOMPLETE;
	if ((r = kcf_pwrite_all(out, sub, sizeof(sub), l->block)) < 0 ||
	    (r = kcf_pwrite_all(out, &status, 4, KDH_STATUS)) < 0)
		return kcf_err(ctx, r, "cannot write the reassembled dump: %s", strerror(-r));
	if (zero) {
		memset(buf, 0, l->block);
		if ((r = kcf_pwrite_all(out, buf, l->block, cursor)) < 0)
			return kcf_err(ctx, r, "cannot write the reassembled dump: %s", strerror(-r));
		cursor += l->block;
	}
	for (unsigned i = 0; i < n; i++) {
		const struct part *p = &parts[i];
		uint64_t skip = zero ? l->block : 0;            /* the part's own zero page */
		if (p->off_data + skip > p->size)
			return kcf_err(ctx, EINVAL, "%s is truncated", p->path);
		/* Only what descriptors reference: a part may carry trailing bytes. */
		uint64_t data_end = p->off_data + skip;
		int64_t delta = (int64_t)(cursor - (p->off_data + skip));
		for (uint64_t d = 0; d < p->ndesc; d += COPY_CHUNK / KDUMP_DESC_SIZE) {
			uint64_t cnt = KCF_MIN((uint64_t)COPY_CHUNK / KDUMP_DESC_SIZE, p->ndesc - d);
			if (kcf_pread_all(p->fd, buf, cnt * KDUMP_DESC_SIZE, l->off_desc + d * KDUMP_DESC_SIZE) < 0)
				return kcf_err(ctx, EIO, "%s: cannot read its page descriptors", p->path);
			for (uint64_t k = 0; k < cnt; k++) {
				uint8_t *desc = buf + k * KDUMP_DESC_SIZE;
				uint64_t o = kdump_desc_offset(desc);
				uint32_t size = kdump_desc_size(desc);
				if (o > p->off_data && size <= l->block && o + size <= p->size)
					data_end = KCF_MAX(data_end, o + size);
				else if (o && !(zero && o == p->off_data))
					return kcf_err(ctx, EINVAL, "%s: page descriptor %llu is corrupt", p->path,
						       (unsigned long long)(d + k));
				if (zero && o == p->off_data)
					o = off_data;
				else if (o != 0)            /* 0: lost in an incomplete part */
					o = (uint64_t)((int64_t)o + delta);
				kcf_put64(desc, o);
			}
			r = kcf_pwrite_all(out, buf, cnt * KDUMP_DESC_SIZE, l->off_desc + (desc_out + d) * KDUMP_DESC_SIZE);
			if (r < 0)
				return kcf_err(ctx, r, "cannot write the reassembled dump: %s", strerror(-r));
		}
		desc_out += p->ndesc;
		uint64_t data_len = data_end - (p->off_data + skip);
		r = copy_range(ctx, p, out, p->off_data + skip, data_len, cursor, buf);
		if (r < 0)
			return r;
		cursor += data_len;
	}
	if (fdatasync(out) < 0 && errno != EINVAL)
		return kcf_err(ctx, errno, "cannot flush the reassembled dump: %s", strerror(errno));
	status &= ~(uint32_t)KDUMP_INCOMPLETE;
	status |= kcf_get32(l->hdr + KDH_STATUS) & KDUMP_INCOMPLETE;
	if ((r = kcf_pwrite_all(out, &status, 4, KDH_STATUS)) < 0)
		return kcf_err(ctx, r, "cannot write the reassembled dump: %s", strerror(-r));
	*bytes = cursor;
	return 0;
}

KCF_EXPORT int kcf_reassemble(struct kcf_ctx *ctx, const char *const *paths, unsigned n, int out,
			      uint64_t *bytes)
{
	struct part *parts = calloc(n, sizeof(*parts));
	uint8_t *buf = malloc(COPY_CHUNK);
	struct layout l = { 0 };
	int r = 0;

	*bytes = 0;
	if (!parts || !buf) {
		r = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < n; i++)
		parts[i].fd = -1;
	if (n < 2) {
		r = kcf_err(ctx, EINVAL, "--reassemble needs at least two parts");
		goto out;
	}
	for (unsigned i = 0; i < n && r == 0; i++) {
		parts[i].path = paths[i];
		r = read_part(ctx, &parts[i], &l, i == 0);
	}
	if (r < 0)
		goto out;
	qsort(parts, n, sizeof(*parts), cmp_part);
	for (unsigned i = 0; i < n; i++) {
		uint64_t want = i ? parts[i - 1].end : 0;
		if (parts[i].start != want) {
			r = kcf_err(ctx, EINVAL, "the parts do not cover the dump: %s starts at PFN %#llx, expected %#llx (a part is missing?)",
				    parts[i].path, (unsigned long long)parts[i].start, (unsigned long long)want);
			goto out;
		}
	}
	if (parts[n - 1].end != l.max_mapnr) {
		r = kcf_err(ctx, EINVAL, "the parts end at PFN %#llx, not at the dump's end %#llx (a part is missing?)",
			    (unsigned long long)parts[n - 1].end, (unsigned long long)l.max_mapnr);
		goto out;
	}
	r = count_descs(ctx, parts, n, &l);
	if (r == 0)
		r = join(ctx, parts, n, &l, out, bytes, buf);
out:
	for (unsigned i = 0; parts && i < n; i++)
		if (parts[i].fd >= 0)
			close(parts[i].fd);
	free(parts);
	free(buf);
	return r;
}
