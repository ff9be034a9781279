/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kcatch.json: what happened to one crash, for people and for the
 * report service on the next boot. A tiny writer: objects, strings
 * (escaped; bytes outside printable ASCII become \u00XX), numbers.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

struct jw {
	FILE *f;
	int depth;
	bool first;
};

static void indent(struct jw *w)
{
	fputs(w->first ? "\n" : ",\n", w->f);
	for (int i = 0; i < w->depth; i++)
		fputs("  ", w->f);
	w->first = false;
}

static void put_string(struct jw *w, const char *s)
{
	fputc('"', w->f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(w->f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", w->f);
		else if (c < 0x20 || c > 0x7e)
			fprintf(w->f, "\\u%04x", c);
		else
			fputc(c, w->f);
	}
	fputc('"', w->f);
}

static void key(struct jw *w, const char *k)
{
	indent(w);
	put_string(w, k);
	fputs(": ", w->f);
}

static void open_obj(struct jw *w, const char *k)
{
	if (k)
		key(w, k);
	fputc('{', w->f);
	w->depth++;
	w->first = true;
}

static void close_obj(struct jw *w)
{
	w->depth--;
	if (!w->first) {
		fputc('\n', w->f);
		for (int i = 0; i < w->depth; i++)
			fputs("  ", w->f);
	}
	fputc('}', w->f);
	w->first = false;
}

static void str(struct jw *w, const char *k, const char *v)
{
	key(w, k);
	if (v)
		put_string(w, v);
	else
		fputs("null", w->f);
}

static void u64(struct jw *w, const char *k, uint64_t v)
{
	key(w, k);
	fprintf(w->f, "%llu", (unsigned long long)v);
}

static void secs(struct jw *w, const char *k, double v)
{
	key(w, k);
	fprintf(w->f, "%.3f", v);
}

static void boolean(struct jw *w, const char *k, bool v)
{
	key(w, k);
	fputs(v ? "true" : "false", w->f);
}

static const char *status_name(enum save_status s)
{
	return s == SAVE_COMPLETE ? "complete" : s == SAVE_INCOMPLETE ? "incomplete" : "failed";
}

static void iso_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm))
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(buf, len, "unknown");
}

static void pages(struct jw *w, const struct kcf_vmcore *vm, const struct kcf_stats *s)
{
	open_obj(w, "pages");
	u64(w, "in_memory", s->pages_in_memory);
	for (int c = 0; c < KCF_CLASS_MAX; c++)
		u64(w, kcf_class_name((enum kcf_page_class)c), s->pages[c]);
	u64(w, "kept_unsure", s->pages_unsure);
	u64(w, "kept_no_memmap", s->pages_no_memmap);
	/* a kernel newer than kcatch: what its VMCOREINFO lacked, and what that kept */
	if (s->missing) {
		open_obj(w, "kept_missing_vmcoreinfo");
		for (int m = 0; m < KCF_MISSING_MAX; m++)
			if (s->missing & (1u << m))
				u64(w, kcf_vmcore_missing(vm, (enum kcf_missing)m), s->pages_missing[m]);
		close_obj(w);
	}
	u64(w, "lost", s->pages_lost);
	close_obj(w);
}

int kc_json_write(const struct agent *a, const struct save_result *res, int fd)
{
	const struct crash_info *ci = &a->info;
	char when[40], now[40];
	struct jw w = { .first = true };
	int r;

	w.f = fdopen(dup(fd), "w");
	if (!w.f)
		return -errno;
	iso_time(ci->crash_time, when, sizeof(when));
	iso_time((int64_t)time(NULL), now, sizeof(now));

	open_obj(&w, NULL);
	str(&w, "kcatch_version", KC_VERSION);
	str(&w, "status", status_name(res->status));
	str(&w, "error", res->error[0] ? res->error : NULL);
	/* the step of the save path that failed first (capture/SAVE-FAILURES.md) */
	str(&w, "failed_step", res->failed_step[0] ? res->failed_step : NULL);
	str(&w, "id", res->id);
	str(&w, "kernel_release", ci->release);
	str(&w, "hostname", ci->hostname[0] ? ci->hostname : NULL);
	/* who wrote it: retention deletes only dumps with this host's machine-id (retention.c) */
	str(&w, "machine_id", a->machine_id[0] ? a->machine_id : NULL);
	str(&w, "panic_message", ci->panic[0] ? ci->panic : NULL);
	if (ci->signature_ok) {
		/* what makes two crashes the same bug: common/SIGNATURE.md */
		char summary[KC_SIG_CAUSE_MAX + KC_SIG_FUNC_MAX + 8];
		snprintf(summary, sizeof(summary), "%s%s%s", ci->signature.cause,
			 ci->signature.function[0] ? " in " : "", ci->signature.function);
		open_obj(&w, "signature");
		u64(&w, "version", KC_SIG_VERSION);
		str(&w, "hash", ci->signature.hash);
		str(&w, "summary", summary);
		str(&w, "cause", ci->signature.cause);
		str(&w, "function", ci->signature.function[0] ? ci->signature.function : NULL);
		str(&w, "family", ci->signature.family[0] ? ci->signature.family : NULL);
		close_obj(&w);
	}
	str(&w, "crash_time", when);
	boolean(&w, "crash_time_from_dump", ci->crash_time_known);
	u64(&w, "crash_time_epoch", (uint64_t)ci->crash_time);
	str(&w, "written_at", now);

	/* An ssh target receives the flattened stream (kcatch-filter -R makes it a vmcore). */
	bool flat = strcmp(res->fstype, "ssh") == 0;
	open_obj(&w, "dump");
	str(&w, "file", res->dump_file[0] ? res->dump_file : NULL);
	str(&w, "format", flat ? "flattened" : "kdump-compressed");
	/* every page is in the file, though a later step (fsync, rename...) failed */
	boolean(&w, "filter_finished", res->filter_finished);
	u64(&w, "dump_level", a->cfg.dump_level);
	u64(&w, "threads", a->threads ? a->threads : 1);  /* filter threads (threads.c) */
	str(&w, "compressor", kcf_compress_name(a->cfg.compress));
	u64(&w, "page_size", ci->page_size);
	boolean(&w, "incomplete_flag", res->stats.incomplete);
	close_obj(&w);

	open_obj(&w, "dmesg");
	str(&w, "file", res->dmesg_ok ? "vmcore-dmesg.txt" : NULL);
	u64(&w, "bytes", res->dmesg_bytes);
	close_obj(&w);

	pages(&w, a->vm, &res->stats);

	open_obj(&w, "bytes");
	u64(&w, "memory", ci->mem_bytes);
	u64(&w, "vmcore", a->vmcore_bytes);
	u64(&w, "dump", res->stats.bytes_written);
	u64(&w, "target_available_before", res->free_before);
	u64(&w, "min_free", a->cfg.min_free);
	close_obj(&w);

	open_obj(&w, "durations");
	secs(&w, "modules", a->modules_secs);
	secs(&w, "target", res->target_secs);
	secs(&w, "dmesg", res->dmesg_secs);
	secs(&w, "dump", res->dump_secs);
	secs(&w, "since_start", kc_now());
	close_obj(&w);

	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	open_obj(&w, "agent");
	u64(&w, "peak_rss_kib", (uint64_t)ru.ru_maxrss);
	u64(&w, "mem_available_kib_at_start", a->mem_available_kib);
	boolean(&w, "test_mode", a->test_mode);
	close_obj(&w);

	open_obj(&w, "target");
	str(&w, "role", res->role);
	str(&w, "spec", res->spec);
	str(&w, "device", res->device[0] ? res->device : NULL);
	str(&w, "fstype", res->fstype[0] ? res->fstype : NULL);
	close_obj(&w);

	close_obj(&w);
	fputc('\n', w.f);
	r = ferror(w.f) ? -EIO : 0;
	if (fclose(w.f) != 0 && r == 0)
		r = -errno;
	return r;
}
