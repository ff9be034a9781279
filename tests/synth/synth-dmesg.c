/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * synth: the kernel log as the lockless printk ring buffer of Linux 5.10+
 * (kernel/printk/printk_ringbuffer.[ch]) holds it, in kernel data, and the
 * text a dmesg extractor must print from it, in two forms: makedumpfile
 * 1.7.2's, "[%5llu.%06lu] " + text, '\n' inside a record continued with
 * the prefix's width of spaces, other non-printable bytes as \xNN; and
 * 1.7.5's, with "[%8s] " of the caller id (T<pid>, or C<cpu> when bit 31
 * is set) after the timestamp, for records that carry one.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth-internal.h"

#define DESC_SIZE 24
#define INFO_SIZE 88
#define DESC_ID_MASK (~(3ull << 62))
#define SV(id, state) (((uint64_t)(state) << 62) | ((id) & DESC_ID_MASK))
#define ST_FINALIZED 2
#define ST_REUSABLE 3
#define FAILED_LPOS 1ull

static const char *const default_log[] = {
	("Linux version {R} (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0) "
	 "#1 SMP PREEMPT_DYNAMIC Debian synth"),
	"Command line: BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro console=ttyS0 crashkernel=256M",
	"x86/fpu: Supporting XSAVE feature 0x001: 'x87 floating point registers'",
	"BIOS-provided physical RAM map:",
	"Memory: 123456K/131072K available (14336K kernel code, 2345K rwdata)",
	"a record with a tab\there and a control byte \x01 and DEL \x7f",
	"a record spanning\ntwo lines",
	"sysrq: Trigger a crash",
	"Kernel panic - not syncing: sysrq triggered crash",
	"CPU: 0 PID: 1234 Comm: bash Not tainted {R} #1",
};

/* Interpret \n \t \\ \xNN in a spec's dmesg text. */
static int unescape(const char *in, char *out, size_t cap, size_t *len)
{
	size_t n = 0;

	for (const char *p = in; *p; p++) {
		char c = *p;

		if (c == '\\' && p[1]) {
			p++;
			if (*p == 'n')
				c = '\n';
			else if (*p == 't')
				c = '\t';
			else if (*p == 'x' && isxdigit((unsigned char)p[1]) &&
				 isxdigit((unsigned char)p[2])) {
				char hex[3] = { p[1], p[2], 0 };

				c = (char)strtoul(hex, NULL, 16);
				p += 2;
			} else {
				c = *p;
			}
		}
		if (n + 1 >= cap)
			return -E2BIG;
		out[n++] = c;
	}
	out[n] = '\0';
	*len = n;
	return 0;
}

int synth_dmesg_add(struct synth *s, const char *text)
{
	char buf[1100];
	struct synth_msg *m;
	uint64_t ts = 0;
	size_t len;
	int consumed = 0;
	unsigned long long sec, usec;

	/* optional "[SECONDS.MICROS] " timestamp */
	if (sscanf(text, "[%llu.%6llu] %n", &sec, &usec, &consumed) == 2 && consumed) {
		ts = sec * 1000000000ull + usec * 1000ull + 1;
		text += consumed;
	}
	if (unescape(text, buf, 1001, &len) < 0)
		return synth_fail(s, -EINVAL, "line %d: dmesg text longer than 1000 bytes",
				  s->cur_line);
	if (s->nmsg == s->amsg) {
		size_t na = s->amsg ? s->amsg * 2 : 32;
		struct synth_msg *p = realloc(s->msg, na * sizeof(*p));

		if (!p)
			return synth_fail(s, -ENOMEM, "out of memory");
		s->msg = p;
		s->amsg = na;
	}
	m = &s->msg[s->nmsg];
	m->text = malloc(len + 1);
	if (!m->text)
		return synth_fail(s, -ENOMEM, "out of memory");
	memcpy(m->text, buf, len + 1);
	m->len = len;
	m->ts = ts;
	s->nmsg++;
	return 0;
}

static int add_defaults(struct synth *s)
{
	int r;

	for (size_t i = 0; i < sizeof(default_log) / sizeof(default_log[0]); i++) {
		char esc[1100], *o = esc;

		/* "{R}" stands for the release; synth_dmesg_add unescapes: protect backslashes */
		for (const char *p = default_log[i]; *p && o < esc + sizeof(esc) - 70; p++) {
			if (!strncmp(p, "{R}", 3)) {
				o += snprintf(o, 66, "%s", s->osrelease);
				p += 2;
				continue;
			}
			if (*p == '\\')
				*o++ = '\\';
			*o++ = *p;
		}
		*o = '\0';
		if ((r = synth_dmesg_add(s, esc)) < 0)
			return r;
	}
	return 0;
}

/* n generated records, numbered on from earlier ones (spec: dmesg_fill). */
int synth_dmesg_fill(struct synth *s, unsigned n)
{
	char buf[128];
	int r;

	for (unsigned i = 0; i < n; i++, s->dmesg_fill++) {
		snprintf(buf, sizeof(buf), "synthetic message %u: %.*s", s->dmesg_fill,
			 (int)(synth_hash(s->seed, s->dmesg_fill, 9) % 60),
			 "the quick brown fox jumps over the lazy dog again and again and again");
		if ((r = synth_dmesg_add(s, buf)) < 0)
			return r;
	}
	return 0;
}

struct rec {
	uint64_t id, begin, next, seq, ts;
	uint32_t caller;
	bool wrapped;
	const struct synth_msg *m;
};

static void append(char **out, size_t *len, size_t *cap, const char *p, size_t n)
{
	if (!*out)
		return;
	if (*len + n + 1 > *cap) {
		size_t nc = (*cap + n + 1) * 2;
		char *q = realloc(*out, nc);

		if (!q) {
			free(*out);
			*out = NULL;
			return;
		}
		*out = q;
		*cap = nc;
	}
	memcpy(*out + *len, p, n);
	*len += n;
	(*out)[*len] = '\0';
}

/* makedumpfile's rendering of one record: 1.7.2's, or 1.7.5's when caller >= 0. */
static void render_msg(char **out, size_t *len, size_t *cap, uint64_t ts, int64_t caller,
		       const struct synth_msg *m)
{
	char pre[64], id[16];
	int plen = snprintf(pre, sizeof(pre), "[%5llu.%06lu] ",
			    (unsigned long long)(ts / 1000000000ull),
			    (unsigned long)(ts % 1000000000ull / 1000));

	if (caller >= 0) {
		snprintf(id, sizeof(id), "%c%u", caller & 0x80000000 ? 'C' : 'T',
			 (unsigned)(caller & 0x7fffffff));
		plen += snprintf(pre + plen, sizeof(pre) - (size_t)plen, "[%8s] ", id);
	}

	append(out, len, cap, pre, (size_t)plen);
	for (size_t i = 0; i < m->len; i++) {
		unsigned char c = (unsigned char)m->text[i];
		char tmp[80];

		if (c == '\n') {
			snprintf(tmp, sizeof(tmp), "\n%-*s", plen, "");
			append(out, len, cap, tmp, strlen(tmp));
		} else if (isprint(c) || isspace(c)) {
			append(out, len, cap, (const char *)&c, 1);
		} else {
			/* as makedumpfile: a signed char, so bytes >= 0x80 sign-extend */
			snprintf(tmp, sizeof(tmp), c < 0x80 ? "\\x%02x" : "\\xffffff%02x", c);
			append(out, len, cap, tmp, strlen(tmp));
		}
	}
	append(out, len, cap, "\n", 1);
}

/* Who printed record i: mostly tasks, every 7th a CPU, every 13th the largest pid. */
static uint32_t caller_of(const struct synth *s, size_t i)
{
	if (i % 13 == 12)
		return 4194304;                 /* PID_MAX_LIMIT: 8 characters with the T */
	return i % 7 == 6 ? 0x80000000u | (uint32_t)(i % (size_t)s->cpus) : 1 + (uint32_t)(i % 5) * 100;
}

/* Both expected texts, record by record (log_add), then stored (log_done). */
struct logtext {
	char *t[2];
	size_t len[2], cap[2];
};

static void log_add(struct logtext *lt, uint64_t ts, int64_t caller, const struct synth_msg *m)
{
	render_msg(&lt->t[0], &lt->len[0], &lt->cap[0], ts, -1, m);
	render_msg(&lt->t[1], &lt->len[1], &lt->cap[1], ts, caller, m);
}

/* A failed allocation leaves a NULL text, which append() keeps and log_done() reports. */
static void log_init(struct logtext *lt)
{
	for (int i = 0; i < 2; i++) {
		lt->cap[i] = 4096;
		lt->len[i] = 0;
		lt->t[i] = calloc(1, lt->cap[i]);
	}
}

static int log_done(struct synth *s, struct logtext *lt, size_t records)
{
	free(s->dmesg_text);
	free(s->dmesg_caller_text);
	s->dmesg_text = lt->t[0];
	s->dmesg_caller_text = lt->t[1];
	s->dmesg_len = lt->len[0];
	s->dmesg_caller_len = lt->len[1];
	s->dmesg_records = records;
	if (!lt->t[0] || !lt->t[1])
		return synth_fail(s, -ENOMEM, "out of memory");
	return 0;
}

/*
 * ---- the record ring of 3.5 .. 5.9 (kernel/printk/printk.c, as of 5.4) ----
 *
 * log_buf holds struct printk_log records back to back: { u64 ts_nsec;
 * u16 len; u16 text_len; u16 dict_len; u8 facility; u8 flags:5, level:3;
 * u32 caller_id with CONFIG_PRINTK_CALLER (5.1+) }, __packed __aligned(4)
 * on x86_64 (16 bytes, or 20 with the caller id: spec dmesg_caller yes),
 * then the text, the dict and zero padding to LOG_ALIGN (4 with
 * CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS). A header with len 0 marks the
 * end of the used part of the buffer: the next record is at index 0. The
 * writer below is log_store()/log_make_free_space() of 5.4, including its
 * quirks (log_first_idx may come to rest on a wrap marker); what the
 * extractor must print is tracked by sequence number, not by walking.
 */
#define PL_HDR 16u
#define PL_HDR_CALLER 20u
#define PL_ALIGN 4u
#define LOG_NEWLINE 2u

struct logbuf {
	uint8_t *buf;
	uint32_t len, first, next;
	uint32_t hdr;                    /* sizeof(struct printk_log) */
	uint64_t first_seq, next_seq;
};

static uint16_t lb_reclen(const struct logbuf *l, uint32_t idx)
{
	return (uint16_t)(l->buf[idx + 8] | l->buf[idx + 9] << 8);
}

/* log_next(): a len 0 header is read as the record at 0 */
static uint32_t lb_next(const struct logbuf *l, uint32_t idx)
{
	uint16_t n = lb_reclen(l, idx);

	return n ? idx + n : lb_reclen(l, 0);
}

/* logbuf_has_space() */
static bool lb_has_space(const struct logbuf *l, uint32_t size, bool empty)
{
	uint32_t free;

	if (l->next > l->first || empty)
		free = l->len - l->next > l->first ? l->len - l->next : l->first;
	else
		free = l->first - l->next;
	return free >= size + l->hdr;
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static int build_logbuf(struct synth *s)
{
	struct logbuf l = { .len = 1u << s->dmesg_size_bits, .hdr = s->dmesg_caller ? PL_HDR_CALLER : PL_HDR };
	uint64_t buf_pa, ts = 0, *tss;
	struct logtext lt;
	uint8_t *misc;
	int r;

	l.buf = calloc(1, l.len);
	tss = calloc(s->nmsg ? s->nmsg : 1, sizeof(*tss));
	if (!l.buf || !tss) {
		r = synth_fail(s, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < s->nmsg; i++) {
		const struct synth_msg *m = &s->msg[i];
		char dict[64];
		int dlen = 0;
		uint32_t size, pad;

		/* a dev_printk() dictionary on every 4th record: len covers it, text_len not */
		if (i % 4 == 3)
			dlen = snprintf(dict, sizeof(dict), "SUBSYSTEM=pci%cDEVICE=+pci:0000:00:%02zx.0",
					'\0', i % 32);
		size = l.hdr + (uint32_t)m->len + (uint32_t)dlen;
		pad = (0u - size) & (PL_ALIGN - 1);
		size += pad;
		/* the kernel truncates such a record; refuse it instead */
		if (size + l.hdr > l.len / 2) {
			r = synth_fail(s, -EINVAL, "dmesg record %zu does not fit a %u-byte log_buf", i, l.len);
			goto out;
		}
		/* log_make_free_space() */
		while (l.first_seq < l.next_seq && !lb_has_space(&l, size, false)) {
			l.first = lb_next(&l, l.first);
			l.first_seq++;
		}
		if (!lb_has_space(&l, size, l.first_seq == l.next_seq)) {
			r = synth_fail(s, -EINVAL, "dmesg record %zu finds no room in log_buf", i);
			goto out;
		}
		/* log_store(): a record and an empty header must fit before the end */
		if (l.next + size + l.hdr > l.len) {
			memset(l.buf + l.next, 0, l.hdr);
			l.next = 0;
			s->logbuf_wraps++;
		}
		ts = m->ts ? m->ts : ts + 1000000 + synth_hash(s->seed, i, 10) % 200000000;
		tss[i] = ts;
		uint8_t *h = l.buf + l.next;
		put64(h, ts);
		put16(h + 8, (uint16_t)size);
		put16(h + 10, (uint16_t)m->len);
		put16(h + 12, (uint16_t)dlen);
		h[14] = 0;                                  /* LOG_KERN */
		h[15] = (uint8_t)(LOG_NEWLINE | 6u << 5);   /* flags:5, level:3 */
		if (s->dmesg_caller)
			put32(h + PL_HDR, caller_of(s, i));
		memcpy(h + l.hdr, m->text, m->len);
		memcpy(h + l.hdr + m->len, dict, (size_t)dlen);
		memset(h + l.hdr + m->len + dlen, 0, pad);
		l.next += size;
		l.next_seq++;
	}
	if ((r = synth_data_alloc(s, l.len, 64, &buf_pa)) < 0 ||
	    (r = synth_write_bytes(s, buf_pa, l.buf, l.len)) < 0)
		goto out;
	/* the variables, in the misc page; log_buf points into the direct map as
	 * after setup_log_buf() (log_buf_len= on the command line) */
	misc = synth_pa_ptr(s, s->data_pa, PAGE_SIZE);
	put64(misc + 0x600, dva(s, buf_pa));
	put32(misc + 0x608, l.len);
	put32(misc + 0x60c, l.first);
	put32(misc + 0x610, l.next);
	put32(misc + 0x614, l.first);                    /* clear_idx: never cleared */
	s->sym_log_buf = kva(s, s->data_pa + 0x600);
	s->sym_log_buf_len = kva(s, s->data_pa + 0x608);
	s->sym_log_first_idx = kva(s, s->data_pa + 0x60c);
	s->sym_log_next_idx = kva(s, s->data_pa + 0x610);
	s->sym_clear_idx = kva(s, s->data_pa + 0x614);
	s->logbuf_len = l.len;
	s->logbuf_first = l.first;
	s->logbuf_next = l.next;
	s->logbuf_first_marker = l.first_seq < l.next_seq && !lb_reclen(&l, l.first);
	/* what an extractor prints: the records still in the buffer, by sequence number */
	log_init(&lt);
	for (uint64_t q = l.first_seq; q < l.next_seq; q++)
		log_add(&lt, tss[q], s->dmesg_caller ? (int64_t)caller_of(s, q) : -1, &s->msg[q]);
	r = log_done(s, &lt, (size_t)(l.next_seq - l.first_seq));
out:
	free(l.buf);
	free(tss);
	return r;
}

int synth_build_dmesg(struct synth *s)
{
	const uint64_t count = 1ull << s->dmesg_count_bits, size = 1ull << s->dmesg_size_bits;
	const uint64_t id0 = (0 - (count + 1)) & DESC_ID_MASK;
	uint64_t descs_pa, infos_pa, data_pa, pa, head_id = id0, head_lpos = 0 - size;
	uint64_t ts = 0;
	struct rec *q;
	size_t nq = 0, first = 0;
	struct logtext lt;
	uint8_t *misc;
	int r;

	if (!s->nmsg && (r = add_defaults(s)) < 0)
		return r;
	if (s->dmesg_format == 1)
		return build_logbuf(s);
	if ((r = synth_data_alloc(s, count * DESC_SIZE, 64, &descs_pa)) < 0 ||
	    (r = synth_data_alloc(s, count * INFO_SIZE, 64, &infos_pa)) < 0 ||
	    (r = synth_data_alloc(s, size, PAGE_SIZE, &data_pa)) < 0)
		return r;
	q = calloc(s->nmsg ? s->nmsg : 1, sizeof(*q));
	if (!q)
		return synth_fail(s, -ENOMEM, "out of memory");
	/* lay the records out as the kernel would, dropping the oldest on overflow */
	for (size_t i = 0; i < s->nmsg; i++) {
		const struct synth_msg *m = &s->msg[i];
		uint64_t blk = (8 + m->len + 7) & ~7ull, begin = head_lpos, next = begin + blk;

		if (blk > size / 2) {
			free(q);
			return synth_fail(s, -EINVAL, "dmesg record %zu does not fit a %llu-byte ring",
					  i, (unsigned long long)size);
		}
		/* a block reaching the end of the ring wraps: its data goes to the start */
		bool wrapped = (begin & (size - 1)) + blk >= size;

		if (wrapped)
			next = (begin | (size - 1)) + 1 + blk;
		while (first < nq && next - q[first].begin > size)
			first++;
		while (first < nq && ((head_id + 1 - q[first].id) & DESC_ID_MASK) >= count)
			first++;
		ts = m->ts ? m->ts : ts + 1000000 + synth_hash(s->seed, i, 10) % 200000000;
		q[nq] = (struct rec){
			.id = (head_id + 1) & DESC_ID_MASK, .begin = begin, .next = next,
			.seq = i, .ts = ts, .m = m, .wrapped = wrapped,
			.caller = caller_of(s, i),
		};
		head_id = q[nq].id;
		head_lpos = next;
		nq++;
	}
	/* descriptors: slot of DESC0_ID starts reusable; each slot keeps its last record */
	pa = descs_pa + (id0 % count) * DESC_SIZE;
	if ((r = synth_write64(s, pa, SV(id0, ST_REUSABLE))) < 0 ||
	    (r = synth_write64(s, pa + 8, FAILED_LPOS)) < 0 ||
	    (r = synth_write64(s, pa + 16, FAILED_LPOS)) < 0)
		goto out;
	for (size_t i = 0; i < nq; i++) {
		const struct rec *c = &q[i];
		uint8_t info[INFO_SIZE] = { 0 };
		uint64_t at = c->begin & (size - 1);

		pa = descs_pa + (c->id % count) * DESC_SIZE;
		if ((r = synth_write64(s, pa, SV(c->id, i >= first ? ST_FINALIZED : ST_REUSABLE))) < 0 ||
		    (r = synth_write64(s, pa + 8, c->begin)) < 0 ||
		    (r = synth_write64(s, pa + 16, c->next)) < 0)
			goto out;
		put64(info, c->seq);
		put64(info + 8, c->ts);
		info[16] = (uint8_t)c->m->len;
		info[17] = (uint8_t)(c->m->len >> 8);
		info[19] = 6 << 5;                      /* level 6, no flags */
		put32(info + 20, c->caller);
		r = synth_write_bytes(s, infos_pa + (c->id % count) * INFO_SIZE, info, INFO_SIZE);
		if (r < 0)
			goto out;
		/* block: the id at begin, and again at the ring start when it wraps */
		if ((r = synth_write64(s, data_pa + at, c->id)) < 0)
			goto out;
		if (c->wrapped) {
			at = 0;
			if ((r = synth_write64(s, data_pa, c->id)) < 0)
				goto out;
		}
		if ((r = synth_write_bytes(s, data_pa + at + 8, c->m->text, c->m->len)) < 0)
			goto out;
	}
	/* struct printk_ringbuffer, the prb pointer and clear_seq in the misc page */
	misc = synth_pa_ptr(s, s->data_pa, PAGE_SIZE);
	put32(misc + 0x600, (uint32_t)s->dmesg_count_bits);
	put64(misc + 0x608, kva(s, descs_pa));
	put64(misc + 0x610, kva(s, infos_pa));
	put64(misc + 0x618, head_id);
	put64(misc + 0x620, first < nq ? q[first].id : head_id);
	put64(misc + 0x628, nq ? q[nq - 1].seq : 0);  /* last_finalized_seq */
	put32(misc + 0x630, (uint32_t)s->dmesg_size_bits);
	put64(misc + 0x638, kva(s, data_pa));
	put64(misc + 0x640, head_lpos);
	put64(misc + 0x648, first < nq ? q[first].begin : head_lpos);
	put64(misc + 0x650, 0);
	s->sym_printk_rb_static = kva(s, s->data_pa + 0x600);
	s->sym_prb = kva(s, s->data_pa + 0x660);
	put64(misc + 0x660, s->sym_printk_rb_static);
	s->sym_clear_seq = kva(s, s->data_pa + 0x680);   /* latched_seq, all zero */
	/* what an extractor prints (OFFSET(printk_info.caller_id) is in VMCOREINFO) */
	log_init(&lt);
	for (size_t i = first; i < nq; i++)
		log_add(&lt, q[i].ts, q[i].caller, q[i].m);
	r = log_done(s, &lt, nq - first);
out:
	free(q);
	return r;
}
