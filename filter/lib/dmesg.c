/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The crashed kernel's log, read out of its printk buffer: the lockless
 * ring of 5.10+ (descriptors + text data ring) or the record ring of
 * 3.5 .. 5.9 (log_buf of struct printk_log). The log is the first thing
 * an operator reads, and it may be exactly what got corrupted: every
 * index is reduced modulo its ring, every length clamped, and every
 * walk bounded by the ring's capacity so that no loop can spin.
 * What a walk allocates is bounded too (the agent is PID 1 of a kernel
 * with little memory, and PID 1 cannot be OOM-killed): sizes are capped
 * by what a kernel's ring can be, then by half of this kernel's memory.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "kcf-internal.h"

#define MAX_DESC_BITS 22          /* 4M records */
#define MAX_TEXT_RING (64u << 20)
/* struct prb_desc is 24 bytes on 64-bit, struct printk_info 88 (5.10 to
 * 7.x); room for growth, but not for a VMCOREINFO that asks for more. */
#define MAX_SIZE_DESC 64
#define MAX_SIZE_INFO 512
/* The most a walk allocates: a 32 MiB ring (CONFIG_LOG_BUF_SHIFT's
 * largest) with its 2^20 descriptors and infos needs 144 MiB. */
#define MAX_ALLOC (160ull << 20)
#define DESC_STATE(sv) (((sv) >> 62) & 3)
#define DESC_ID_MASK (~(3ULL << 62))
enum { DESC_COMMITTED = 1, DESC_FINALIZED = 2 };

struct vi_num {
	const char *key;
	int64_t val;
};

/* Read the VMCOREINFO numbers a walker needs; -ENODATA names the first missing one. */
static int need(struct kcf_vmcore *vm, struct vi_num *n, size_t count, bool hex_symbols)
{
	for (size_t i = 0; i < count; i++) {
		const char *v = kcf_vmcoreinfo_get(&vm->vi, n[i].key);
		char *end;
		if (!v)
			return kcf_err(vm->ctx, ENODATA, "%s: VMCOREINFO lacks %s, needed to read the kernel log",
				       vm->path, n[i].key);
		bool sym = !strncmp(n[i].key, "SYMBOL(", 7);
		n[i].val = sym && hex_symbols ? (int64_t)strtoull(v, &end, 16) : strtoll(v, &end, 0);
		if (*end)
			return kcf_err(vm->ctx, EINVAL, "%s: VMCOREINFO %s=%s is garbled", vm->path, n[i].key, v);
	}
	return 0;
}


/*
 * OFFSET(key) of the caller id, when VMCOREINFO has it and it lies inside
 * a record of size bytes; -1 otherwise (then no record has a caller id).
 */
static int64_t caller_offset(struct kcf_vmcore *vm, const char *key, int64_t size)
{
	const char *v = kcf_vmcoreinfo_get(&vm->vi, key);
	char *end;
	if (!v)
		return -1;
	int64_t off = strtoll(v, &end, 0);
	return *end || off < 0 || off + 4 > size ? -1 : off;
}

/*
 * Whether the walk may allocate bytes (for what, in words): 0, or -EFBIG
 * beyond what any kernel's log needs, -ENOMEM beyond half of this
 * kernel's memory (the log stays in the dump either way).
 */
static int alloc_budget(struct kcf_vmcore *vm, uint64_t bytes, const char *what)
{
	struct sysinfo si;
	uint64_t half;

	if (bytes > MAX_ALLOC)
		return kcf_err(vm->ctx, EFBIG, "%s: reading the printk ring would take %llu MiB (%s): more than any "
			       "kernel's log needs (%llu MiB); VMCOREINFO or the ring header is corrupt", vm->path,
			       (unsigned long long)(bytes >> 20), what, MAX_ALLOC >> 20);
	if (sysinfo(&si) == 0 && si.mem_unit && (half = (uint64_t)si.totalram * si.mem_unit / 2) < bytes)
		return kcf_err(vm->ctx, ENOMEM, "%s: reading the printk ring takes %llu MiB (%s), more than half of "
			       "this kernel's memory (%llu MiB); the log is still in the dump: kcatch-filter "
			       "--dump-dmesg on a larger machine reads it", vm->path, (unsigned long long)(bytes >> 20),
			       what, (unsigned long long)(half >> 20));
	return 0;
}

/* ---- lockless ring (5.10+) ---- */

enum {
	L_PRB, L_DESC_RING, L_TEXT_RING, L_COUNT_BITS, L_DESCS, L_INFOS, L_HEAD, L_TAIL,
	L_SIZE_DESC, L_STATE, L_TEXT_LPOS, L_BEGIN, L_NEXT, L_SIZE_INFO, L_SEQ, L_TS, L_TEXT_LEN,
	L_SIZE_BITS, L_DATA, L_COUNTER, L_NUM
};

static int walk_lockless(struct kcf_vmcore *vm, unsigned flags, kcf_log_record_fn fn, void *arg)
{
	struct vi_num n[L_NUM] = {
		{ "SYMBOL(prb)", 0 }, { "OFFSET(printk_ringbuffer.desc_ring)", 0 },
		{ "OFFSET(printk_ringbuffer.text_data_ring)", 0 }, { "OFFSET(prb_desc_ring.count_bits)", 0 },
		{ "OFFSET(prb_desc_ring.descs)", 0 }, { "OFFSET(prb_desc_ring.infos)", 0 },
		{ "OFFSET(prb_desc_ring.head_id)", 0 }, { "OFFSET(prb_desc_ring.tail_id)", 0 },
		{ "SIZE(prb_desc)", 0 }, { "OFFSET(prb_desc.state_var)", 0 }, { "OFFSET(prb_desc.text_blk_lpos)", 0 },
		{ "OFFSET(prb_data_blk_lpos.begin)", 0 }, { "OFFSET(prb_data_blk_lpos.next)", 0 },
		{ "SIZE(printk_info)", 0 }, { "OFFSET(printk_info.seq)", 0 }, { "OFFSET(printk_info.ts_nsec)", 0 },
		{ "OFFSET(printk_info.text_len)", 0 }, { "OFFSET(prb_data_ring.size_bits)", 0 },
		{ "OFFSET(prb_data_ring.data)", 0 }, { "OFFSET(atomic_long_t.counter)", 0 },
	};
	uint8_t rb[256];
	uint64_t rb_addr, clear_seq = 0;
	uint8_t *descs = NULL, *infos = NULL, *text = NULL;
	int r = need(vm, n, L_NUM, true);

	if (r < 0)
		return r;
	for (int i = L_DESC_RING; i < L_NUM; i++)
		if (n[i].val < 0 || n[i].val > 4096)
			return kcf_err(vm->ctx, EINVAL, "%s: VMCOREINFO %s=%lld is implausible", vm->path,
				       n[i].key, (long long)n[i].val);
	/* every field read must lie inside the struct it is read from */
	int64_t ctr = n[L_COUNTER].val, dr_off = n[L_DESC_RING].val, tr_off = n[L_TEXT_RING].val;
	int64_t rbsz = (int64_t)sizeof(rb), sd_sz = n[L_SIZE_DESC].val, si_sz = n[L_SIZE_INFO].val;
	int64_t lpos = n[L_TEXT_LPOS].val;
	if (dr_off + n[L_COUNT_BITS].val + 4 > rbsz || dr_off + n[L_DESCS].val + 8 > rbsz ||
	    dr_off + n[L_INFOS].val + 8 > rbsz || dr_off + n[L_HEAD].val + ctr + 8 > rbsz ||
	    dr_off + n[L_TAIL].val + ctr + 8 > rbsz || tr_off + n[L_SIZE_BITS].val + 4 > rbsz ||
	    tr_off + n[L_DATA].val + 8 > rbsz ||
	    n[L_STATE].val + ctr + 8 > sd_sz || lpos + n[L_BEGIN].val + 8 > sd_sz ||
	    lpos + n[L_NEXT].val + 8 > sd_sz || n[L_SEQ].val + 8 > si_sz || n[L_TS].val + 8 > si_sz ||
	    n[L_TEXT_LEN].val + 2 > si_sz)
		return kcf_err(vm->ctx, EINVAL, "%s: printk ring layout in VMCOREINFO is implausible", vm->path);
	if (kcf_read_u64_virt(vm, (uint64_t)n[L_PRB].val, &rb_addr) < 0 ||
	    kcf_virt_read(vm, rb_addr, rb, sizeof(rb)) < 0)
		return kcf_err(vm->ctx, EFAULT, "%s: the printk ring buffer is not in the dump", vm->path);

	const uint8_t *dr = rb + n[L_DESC_RING].val, *tr = rb + n[L_TEXT_RING].val;
	uint32_t count_bits = kcf_get32(dr + n[L_COUNT_BITS].val);
	uint32_t size_bits = kcf_get32(tr + n[L_SIZE_BITS].val);
	if (count_bits > MAX_DESC_BITS || size_bits > 26 || size_bits < 4)
		return kcf_err(vm->ctx, EINVAL, "%s: printk ring sizes (2^%u records, 2^%u bytes) are implausible",
			       vm->path, count_bits, size_bits);
	uint64_t count = 1ULL << count_bits, ring = 1ULL << size_bits;
	uint64_t sd = (uint64_t)n[L_SIZE_DESC].val, si = (uint64_t)n[L_SIZE_INFO].val;
	int64_t cid = caller_offset(vm, "OFFSET(printk_info.caller_id)", si_sz);
	char what[160];
	/* a kernel sizes its descriptors from its text ring (2^(size_bits - 5) of them) */
	if (sd > MAX_SIZE_DESC || si > MAX_SIZE_INFO || count_bits > size_bits)
		return kcf_err(vm->ctx, EINVAL, "%s: printk ring of 2^%u records of %llu + %llu bytes for 2^%u bytes "
			       "of text is implausible (at most %u + %u bytes, no more records than bytes)", vm->path,
			       count_bits, (unsigned long long)sd, (unsigned long long)si, size_bits, MAX_SIZE_DESC,
			       MAX_SIZE_INFO);
	snprintf(what, sizeof(what), "2^%u records of %llu + %llu bytes, 2^%u bytes of text", count_bits,
		 (unsigned long long)sd, (unsigned long long)si, size_bits);
	if ((r = alloc_budget(vm, count * (sd + si) + ring, what)) < 0)
		return r;
	descs = malloc(count * sd);
	infos = malloc(count * si);
	text = malloc(ring);
	if (!descs || !infos || !text) {
		r = -ENOMEM;
		goto out;
	}
	if (kcf_virt_read(vm, kcf_get64(dr + n[L_DESCS].val), descs, count * sd) < 0 ||
	    kcf_virt_read(vm, kcf_get64(dr + n[L_INFOS].val), infos, count * si) < 0 ||
	    kcf_virt_read(vm, kcf_get64(tr + n[L_DATA].val), text, ring) < 0) {
		r = kcf_err(vm->ctx, EFAULT, "%s: the printk ring's records are not in the dump", vm->path);
		goto out;
	}
	if (flags & KCF_DMESG_PARTIAL) {
		/*
		 * 5.10 .. 5.12: clear_seq is a u64. 5.13+: a latched_seq, whose
		 * first word is the latch count; its low bit picks val[0] or val[1].
		 */
		const char *cs = kcf_vmcoreinfo_get(&vm->vi, "SYMBOL(clear_seq)");
		const char *val = kcf_vmcoreinfo_get(&vm->vi, "OFFSET(latched_seq.val)");
		uint64_t cs_addr = cs ? strtoull(cs, NULL, 16) : 0, latch;
		if (cs && val && kcf_read_u64_virt(vm, cs_addr, &latch) == 0)
			kcf_read_u64_virt(vm, cs_addr + strtoull(val, NULL, 0) + (latch & 1) * 8, &clear_seq);
		else if (cs && !val)
			kcf_read_u64_virt(vm, cs_addr, &clear_seq);
	}

	uint64_t tail = kcf_get64(dr + n[L_TAIL].val + ctr) & DESC_ID_MASK;
	uint64_t head = kcf_get64(dr + n[L_HEAD].val + ctr) & DESC_ID_MASK;
	/* tail..head inclusive, never more than the ring holds */
	for (uint64_t id = tail, steps = 0; steps <= count; id = (id + 1) & DESC_ID_MASK, steps++) {
		const uint8_t *d = descs + (id % count) * sd, *in = infos + (id % count) * si;
		uint64_t sv = kcf_get64(d + n[L_STATE].val + ctr);
		bool last = id == head;
		if ((sv & DESC_ID_MASK) == id &&
		    (DESC_STATE(sv) == DESC_COMMITTED || DESC_STATE(sv) == DESC_FINALIZED)) {
			uint64_t begin = kcf_get64(d + n[L_TEXT_LPOS].val + n[L_BEGIN].val) % ring;
			uint64_t next = kcf_get64(d + n[L_TEXT_LPOS].val + n[L_NEXT].val) % ring;
			struct kcf_log_record rec = {
				.seq = kcf_get64(in + n[L_SEQ].val),
				.ts_nsec = kcf_get64(in + n[L_TS].val),
				.has_caller_id = cid >= 0,
				.caller_id = cid >= 0 ? kcf_get32(in + cid) : 0,
			};
			size_t len = kcf_get16(in + n[L_TEXT_LEN].val);
			if (begin != next && rec.seq >= clear_seq) {
				if (begin > next)
					begin = 0;          /* the block wrapped: text starts the ring */
				begin += 8;                 /* the block starts with its id */
				if (begin > next)
					len = 0;
				else if (len > next - begin)
					len = next - begin;
				rec.text = (const char *)text + begin;
				rec.len = len;
				r = fn(arg, &rec);
				if (r < 0)
					goto out;
			}
		}
		if (last)
			break;
	}
	r = 0;
out:
	free(descs);
	free(infos);
	free(text);
	return r;
}

/* ---- record ring (3.5 .. 5.9) ---- */

enum { O_BUF, O_BUF_LEN, O_FIRST, O_NEXT, O_SIZE, O_TS, O_LEN, O_TEXT_LEN, O_NUM };

static int walk_log_buf(struct kcf_vmcore *vm, unsigned flags, kcf_log_record_fn fn, void *arg)
{
	struct vi_num n[O_NUM] = {
		{ "SYMBOL(log_buf)", 0 }, { "SYMBOL(log_buf_len)", 0 },
		{ (flags & KCF_DMESG_PARTIAL) ? "SYMBOL(clear_idx)" : "SYMBOL(log_first_idx)", 0 },
		{ "SYMBOL(log_next_idx)", 0 }, { "SIZE(printk_log)", 0 }, { "OFFSET(printk_log.ts_nsec)", 0 },
		{ "OFFSET(printk_log.len)", 0 }, { "OFFSET(printk_log.text_len)", 0 },
	};
	uint64_t buf_addr;
	uint32_t buf_len, first, next;
	uint8_t *buf;
	int r = need(vm, n, O_NUM, true);

	if (r < 0)
		return r;
	if (n[O_SIZE].val < 8 || n[O_SIZE].val > 256 || n[O_TS].val < 0 || n[O_TS].val + 8 > n[O_SIZE].val ||
	    n[O_LEN].val < 0 || n[O_LEN].val + 2 > n[O_SIZE].val ||
	    n[O_TEXT_LEN].val < 0 || n[O_TEXT_LEN].val + 2 > n[O_SIZE].val)
		return kcf_err(vm->ctx, EINVAL, "%s: printk_log layout in VMCOREINFO is implausible", vm->path);
	if (kcf_read_u64_virt(vm, (uint64_t)n[O_BUF].val, &buf_addr) < 0 ||
	    kcf_virt_read(vm, (uint64_t)n[O_BUF_LEN].val, &buf_len, 4) < 0 ||
	    kcf_virt_read(vm, (uint64_t)n[O_FIRST].val, &first, 4) < 0 ||
	    kcf_virt_read(vm, (uint64_t)n[O_NEXT].val, &next, 4) < 0)
		return kcf_err(vm->ctx, EFAULT, "%s: the kernel log variables are not in the dump", vm->path);
	/* shorter than one record header: nothing to read, and buf_len - hs would wrap */
	if (buf_len < n[O_SIZE].val || buf_len > MAX_TEXT_RING)
		return kcf_err(vm->ctx, EINVAL, "%s: log_buf_len %u is implausible", vm->path, buf_len);
	if ((r = alloc_budget(vm, buf_len, "log_buf")) < 0)
		return r;
	buf = malloc(buf_len);
	if (!buf)
		return -ENOMEM;
	if (kcf_virt_read(vm, buf_addr, buf, buf_len) < 0) {
		free(buf);
		return kcf_err(vm->ctx, EFAULT, "%s: log_buf is not in the dump", vm->path);
	}
	uint32_t hs = (uint32_t)n[O_SIZE].val, idx = first, wraps = 0;
	int64_t cid = caller_offset(vm, "OFFSET(printk_log.caller_id)", n[O_SIZE].val);
	/* Each record is at least a header long: that bounds the walk. */
	for (uint64_t steps = 0; idx != next && steps <= buf_len / hs + 1; steps++) {
		if (idx > buf_len - hs) {
			r = kcf_err(vm->ctx, EINVAL, "%s: log record index %u is outside log_buf", vm->path, idx);
			break;
		}
		uint16_t len = kcf_get16(buf + idx + n[O_LEN].val);
		if (len == 0) {                     /* wrap marker */
			if (idx == 0 || ++wraps > 1)
				break;
			idx = 0;
			continue;
		}
		if (len < hs || len > buf_len - idx) {
			r = kcf_err(vm->ctx, EINVAL, "%s: log record at %u has a bad length %u", vm->path, idx, len);
			break;
		}
		struct kcf_log_record rec = {
			.ts_nsec = kcf_get64(buf + idx + n[O_TS].val), .text = (char *)buf + idx + hs,
			.has_caller_id = cid >= 0, .caller_id = cid >= 0 ? kcf_get32(buf + idx + cid) : 0,
		};
		rec.len = KCF_MIN(kcf_get16(buf + idx + n[O_TEXT_LEN].val), (uint16_t)(len - hs));
		r = fn(arg, &rec);
		if (r < 0)
			break;
		idx += len;
	}
	free(buf);
	return r < 0 ? r : 0;
}

KCF_EXPORT int kcf_dmesg_foreach(struct kcf_vmcore *vm, unsigned flags, kcf_log_record_fn fn, void *arg)
{
	if (kcf_vmcoreinfo_get(&vm->vi, "SYMBOL(prb)"))
		return walk_lockless(vm, flags, fn, arg);
	if (kcf_vmcoreinfo_get(&vm->vi, "SYMBOL(log_buf)"))
		return walk_log_buf(vm, flags, fn, arg);
	return kcf_err(vm->ctx, ENODATA, "%s: VMCOREINFO describes no printk buffer (neither prb nor log_buf)",
		       vm->path);
}

/* ---- text form, as makedumpfile --dump-dmesg ---- */

struct text_out {
	struct kcf_ctx *ctx;
	int fd;
	unsigned flags;
	size_t len;
	char buf[8192];
};

static int out_flush(struct text_out *o)
{
	size_t off = 0;
	while (off < o->len) {
		ssize_t n = write(o->fd, o->buf + off, o->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return kcf_err(o->ctx, n < 0 ? errno : EIO, "cannot write the kernel log: %s",
				       strerror(n < 0 ? errno : EIO));
		off += (size_t)n;
	}
	o->len = 0;
	return 0;
}

/*
 * A record in pieces, so that no record, however long or full of line
 * breaks (each one repeats the prefix's width), needs a buffer of its own.
 */
int kcf_format_record(const struct kcf_log_record *rec, unsigned flags, kcf_put_fn put, void *arg)
{
	char pre[64], esc[16];
	int indent = snprintf(pre, sizeof(pre), "[%5llu.%06llu] ", (unsigned long long)(rec->ts_nsec / 1000000000),
			      (unsigned long long)(rec->ts_nsec % 1000000000 / 1000));
	int r;

	if ((flags & KCF_DMESG_CALLER_ID) && rec->has_caller_id) {
		/* makedumpfile 1.7.5+: "[%*s] " of "T<task>" or "C<cpu>" (bit 31), 8 wide */
		snprintf(esc, sizeof(esc), "%c%u", rec->caller_id & 0x80000000u ? 'C' : 'T',
			 rec->caller_id & ~0x80000000u);
		indent += snprintf(pre + indent, sizeof(pre) - (size_t)indent, "[%8s] ", esc);
	}
	if ((r = put(arg, pre, (size_t)indent)) < 0)
		return r;
	memset(pre, ' ', (size_t)indent);     /* a line break repeats the prefix's width */
	for (size_t i = 0; i < rec->len;) {
		unsigned char c = (unsigned char)rec->text[i];
		size_t run = 0;
		while (i + run < rec->len && (c = (unsigned char)rec->text[i + run]) != '\n' && c < 0x80 &&
		       (isprint(c) || isspace(c)))
			run++;
		if (run) {
			r = put(arg, rec->text + i, run);
			i += run;
		} else if (c == '\n') {
			r = put(arg, "\n", 1);
			if (r == 0)
				r = put(arg, pre, (size_t)indent);
			i++;
		} else {
			/* makedumpfile formats a signed char: 0xc3 prints as \xffffffc3 */
			r = put(arg, esc, (size_t)snprintf(esc, sizeof(esc), c < 0x80 ? "\\x%02x" : "\\xffffff%02x", c));
			i++;
		}
		if (r < 0)
			return r;
	}
	return put(arg, "\n", 1);
}

static int put_out(void *arg, const char *s, size_t n)
{
	struct text_out *o = arg;
	int r;
	while (n) {
		size_t chunk = KCF_MIN(n, sizeof(o->buf) - o->len);
		memcpy(o->buf + o->len, s, chunk);
		o->len += chunk;
		s += chunk;
		n -= chunk;
		if (o->len == sizeof(o->buf) && (r = out_flush(o)) < 0)
			return r;
	}
	return 0;
}

static int write_record(void *arg, const struct kcf_log_record *rec)
{
	struct text_out *o = arg;
	return kcf_format_record(rec, o->flags, put_out, o);
}

KCF_EXPORT int kcf_dmesg_write(struct kcf_vmcore *vm, unsigned flags, int fd)
{
	struct text_out *o = calloc(1, sizeof(*o));
	int r;

	if (!o)
		return -ENOMEM;
	o->ctx = vm->ctx;
	o->fd = fd;
	o->flags = flags;
	r = kcf_dmesg_foreach(vm, flags, write_record, o);
	if (r == 0)
		r = out_flush(o);
	free(o);
	return r;
}
