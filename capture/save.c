/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Save one crash to one target:
 *   <target>/<path>/<id>/vmcore-dmesg.txt   first, so a failed dump still leaves the log
 *   <target>/<path>/<id>/vmcore.incomplete  while writing; renamed to vmcore when complete
 *   <target>/<path>/<id>/kcatch.json        last: what happened
 * Retention (keep) runs before, the free-space check (min_free) before the
 * dump, and RLIMIT_FSIZE caps the dump so that it can never eat into
 * min_free: the write fails with EFBIG instead and the file stays
 * vmcore.incomplete, marked incomplete by the library.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "agent.h"

#define RESERVE_BYTES (1u << 20)  /* for kcatch.json and file system metadata */

void kc_join(char *out, size_t len, const char *a, const char *b)
{
	size_t n = strlen(a);
	while (n && a[n - 1] == '/')
		n--;
	while (*b == '/' && b[1] == '/')
		b++;
	snprintf(out, len, "%.*s%s%s", (int)n, a, *b == '/' || !*b ? "" : "/", *b || n ? b : "/");
}

int kc_mkdir_p(const char *path, unsigned mode)
{
	char buf[PATH_MAX];
	struct stat st;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *s = buf + 1;; s++) {
		if (*s != '/' && *s)
			continue;
		char c = *s;
		*s = 0;
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		if (stat(buf, &st) < 0)
			return -errno;
		if (!S_ISDIR(st.st_mode))
			return -ENOTDIR;
		if (!c)
			return 0;
		*s = c;
	}
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Record why this attempt failed (fmt may use %m for r), log it, return r. */
static int fail(struct save_result *res, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct save_result *res, int r, const char *fmt, ...)
{
	va_list ap;
	errno = -r;
	va_start(ap, fmt);
	vsnprintf(res->error, sizeof(res->error), fmt, ap);
	va_end(ap);
	kc_log("%s", res->error);
	return r;
}

/* ---- retention ---- */

static bool dump_dir_name(const char *n)
{
	static const char pat[] = "dddd-dd-dd-dd:dd:dd";
	for (size_t i = 0; i < sizeof(pat) - 1; i++)
		if (pat[i] == 'd' ? (n[i] < '0' || n[i] > '9') : n[i] != pat[i])
			return false;
	return true;
}

struct old_dump {
	char *name;
	struct timespec mtime;
};

/* By crash time (the name's first 19 characters), then by when it was written. */
static int cmp_dump(const void *x, const void *y)
{
	const struct old_dump *a = x, *b = y;
	int c = strncmp(a->name, b->name, 19);
	if (c)
		return c;
	if (a->mtime.tv_sec != b->mtime.tv_sec)
		return a->mtime.tv_sec < b->mtime.tv_sec ? -1 : 1;
	if (a->mtime.tv_nsec != b->mtime.tv_nsec)
		return a->mtime.tv_nsec < b->mtime.tv_nsec ? -1 : 1;
	return strcmp(a->name, b->name);
}

static void remove_dump(const char *base, const char *name)
{
	/* "reported": the marker kcatch report --journal leaves in the dump's directory. */
	static const char *const files[] = { "vmcore", "vmcore.incomplete", "vmcore-dmesg.txt",
					     "kcatch.json", "kcatch.json.tmp", "reported" };
	char dir[PATH_MAX], f[PATH_MAX + 32];

	kc_join(dir, sizeof(dir), base, name);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(f, sizeof(f), "%s/%s", dir, files[i]);
		unlink(f);
	}
	if (rmdir(dir) < 0)
		kc_log("keep: %s holds files kcatch did not write; left in place", dir);
	else
		kc_log("keep: removed the old dump %s", name);
}

static void retention(struct agent *a, const char *base)
{
	unsigned keep = a->cfg.keep;
	struct old_dump *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	struct stat st;
	char p[PATH_MAX];
	DIR *d;

	if (!keep || !(d = opendir(base)))
		return;
	while ((e = readdir(d))) {
		kc_join(p, sizeof(p), base, e->d_name);
		if (!dump_dir_name(e->d_name) || lstat(p, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			struct old_dump *nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		if (!(v[n].name = strdup(e->d_name)))
			break;
		v[n++].mtime = st.st_mtim;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_dump);
	/* The new dump counts: keep N leaves N-1 old ones. */
	for (size_t i = 0; i + keep - 1 < n; i++)
		remove_dump(base, v[i].name);
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/* ---- the files ---- */

static int make_dump_dir(struct agent *a, const char *base, struct save_result *res)
{
	char id[sizeof(res->id)];

	kc_dump_id(a, id, sizeof(id));
	for (int i = 1; i < 100; i++) {
		if (i == 1)
			snprintf(res->id, sizeof(res->id), "%s", id);
		else
			snprintf(res->id, sizeof(res->id), "%.100s-%d", id, i);
		kc_join(res->dir, sizeof(res->dir), base, res->id);
		if (mkdir(res->dir, 0700) == 0)
			return 0;
		if (errno != EEXIST)
			return fail(res, -errno, "cannot create %s: %m", res->dir);
	}
	return fail(res, -EEXIST, "%s: too many dumps of the same second", base);
}

static int write_dmesg(struct agent *a, struct save_result *res)
{
	char path[PATH_MAX + 32];
	double t0 = kc_now();
	struct stat st;
	int fd, r;

	kc_watchdog_phase("writing vmcore-dmesg.txt");
	snprintf(path, sizeof(path), "%s/vmcore-dmesg.txt", res->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(res, -errno, "cannot create %s: %m", path);
	r = kcf_dmesg_write(a->vm, 0, fd);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (fstat(fd, &st) == 0)
		res->dmesg_bytes = (uint64_t)st.st_size;
	close(fd);
	res->dmesg_secs = kc_now() - t0;
	if (r < 0) {
		snprintf(res->error, sizeof(res->error), "vmcore-dmesg.txt: %s",
			 kcf_ctx_error(a->kcf)[0] ? kcf_ctx_error(a->kcf) : strerror(-r));
		kc_log("%s", res->error);
		return r;
	}
	res->dmesg_ok = true;
	kc_log("wrote %s (%llu bytes, %.1f s)", path, (unsigned long long)res->dmesg_bytes, res->dmesg_secs);
	return 0;
}

struct progress {
	struct agent *a;
	double start, last;
};

static void progress_cb(void *arg, uint64_t done, uint64_t total)
{
	struct progress *p = arg;
	double now = kc_now(), el = now - p->start;

	if (done != total && done && now - p->last < p->a->cfg.progress_interval)
		return;
	if (done == 0 && total == 0)
		return;
	p->last = now;
	double mb = (double)done * (double)p->a->info.page_size / 1e6;
	double rate = el > 0.05 ? mb / el : 0;
	double eta = done && total > done ? el * (double)(total - done) / (double)done : 0;
	if (!done) {
		kc_log("dump: %llu pages to write", (unsigned long long)total);
		return;
	}
	kc_log("dump %5.1f%%  %llu of %llu pages  %.0f MB/s  ETA %.0f s",
	       total ? 100.0 * (double)done / (double)total : 100.0,
	       (unsigned long long)done, (unsigned long long)total, rate, eta);
}

/* Bytes the dump may use: what is available minus min_free and a reserve. */
static int space_budget(struct agent *a, struct save_result *res, uint64_t *budget)
{
	struct statvfs sv;
	char b1[32], b2[32], b3[32];

	if (statvfs(res->dir, &sv) < 0)
		return fail(res, -errno, "statvfs %s: %m", res->dir);
	res->free_before = (uint64_t)sv.f_bavail * sv.f_frsize;
	uint64_t need = a->cfg.min_free + RESERVE_BYTES + 16 * a->info.page_size;
	if (res->free_before < need) {
		snprintf(res->error, sizeof(res->error),
			 "not enough space on the target: %s available, min_free is %s",
			 kc_format_bytes(res->free_before, b1, sizeof(b1)),
			 kc_format_bytes(a->cfg.min_free, b2, sizeof(b2)));
		kc_log("%s", res->error);
		return -ENOSPC;
	}
	*budget = (res->free_before - a->cfg.min_free - RESERVE_BYTES) / a->info.page_size * a->info.page_size;
	kc_log("target has %s available; the dump may use %s (min_free %s)",
	       kc_format_bytes(res->free_before, b1, sizeof(b1)), kc_format_bytes(*budget, b2, sizeof(b2)),
	       kc_format_bytes(a->cfg.min_free, b3, sizeof(b3)));
	return 0;
}

static int write_dump(struct agent *a, struct save_result *res)
{
	char tmp[PATH_MAX + 32], fin[PATH_MAX + 32];
	struct kcf_dump_options o = {
		.dump_level = a->cfg.dump_level,
		.compress = (enum kcf_compress)a->cfg.compress,
		.format = KCF_FORMAT_KDUMP,
	};
	struct progress p = { .a = a };
	struct rlimit old, lim;
	uint64_t budget = 0;
	int fd, r;

	r = space_budget(a, res, &budget);
	if (r < 0)
		return r;
	snprintf(tmp, sizeof(tmp), "%s/vmcore.incomplete", res->dir);
	snprintf(fin, sizeof(fin), "%s/vmcore", res->dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(res, -errno, "cannot create %s: %m", tmp);
	kc_watchdog_phase("writing the dump");
	kc_log("writing %s: dump level %u, %s compression", tmp, o.dump_level, kcf_compress_name(o.compress));
	p.start = p.last = kc_now();
	o.progress = progress_cb;
	o.progress_arg = &p;
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = old.rlim_max == RLIM_INFINITY || budget < old.rlim_max ? budget : old.rlim_max;
	setrlimit(RLIMIT_FSIZE, &lim);
	res->dump_started = true;
	r = kcf_dump(a->vm, &o, fd, &res->stats);
	setrlimit(RLIMIT_FSIZE, &old);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	res->dump_secs = kc_now() - p.start;
	if (r < 0) {
		char b[32], m[32];
		const char *why = kcf_ctx_error(a->kcf)[0] ? kcf_ctx_error(a->kcf) : strerror(-r);
		if (r == -EFBIG)  /* RLIMIT_FSIZE: the budget from space_budget() */
			snprintf(res->error, sizeof(res->error),
				 "dump failed: the target is too small: %s was the room for the dump "
				 "(min_free %s and 1 MiB for kcatch.json kept free)",
				 kc_format_bytes(budget, b, sizeof(b)), kc_format_bytes(a->cfg.min_free, m, sizeof(m)));
		else
			snprintf(res->error, sizeof(res->error), "dump failed: %s", why);
		kc_log("%s", res->error);
		if (!res->stats.incomplete) {
			unlink(tmp);
			kc_log("nothing usable was written; %s removed", tmp);
		} else {
			kc_log("%s kept, marked incomplete (%llu pages not written)", tmp,
			       (unsigned long long)res->stats.pages_lost);
		}
		fsync_dir(res->dir);
		return r;
	}
	if (rename(tmp, fin) < 0)
		return fail(res, -errno, "rename to %s: %m", fin);
	fsync_dir(res->dir);
	return 0;
}

static int write_json(struct agent *a, struct save_result *res)
{
	char tmp[PATH_MAX + 32], fin[PATH_MAX + 32];
	int fd, r;

	kc_watchdog_phase("writing kcatch.json");
	snprintf(tmp, sizeof(tmp), "%s/kcatch.json.tmp", res->dir);
	snprintf(fin, sizeof(fin), "%s/kcatch.json", res->dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return kc_log_errno(-errno, "cannot create %s: %m", tmp);
	r = kc_json_write(a, res, fd);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, fin) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return kc_log_errno(r, "cannot write %s: %m", fin);
	}
	fsync_dir(res->dir);
	return 0;
}

int kc_save(struct agent *a, const struct kc_target_spec *t, const char *path, struct save_result *res)
{
	char mnt[PATH_MAX], base[PATH_MAX];
	int r;

	if (t->kind == KC_TARGET_SSH)  /* streamed, see ssh.c */
		return kc_ssh_save(a, t, path, res);
	res->status = SAVE_FAILED;
	r = kc_target_acquire(a, t, mnt, sizeof(mnt), res);
	if (r < 0) {
		if (!res->error[0])
			snprintf(res->error, sizeof(res->error), "target %s: %s", t->text ? t->text : "(none)",
				 strerror(-r));
		return r;
	}
	/* nfs://host/export/path names the directory itself: the path key does not apply */
	kc_join(base, sizeof(base), mnt, t->kind == KC_TARGET_NFS ? "/" : path);
	r = kc_mkdir_p(base, 0700);
	if (r < 0)
		return fail(res, r, "cannot create %s: %m", base);
	retention(a, base);
	r = make_dump_dir(a, base, res);
	if (r < 0)
		return r;
	write_dmesg(a, res);  /* a failure is recorded; the dump may still work */
	r = write_dump(a, res);
	if (r == 0) {
		char b1[32], b2[32];
		res->status = SAVE_COMPLETE;
		if (res->dmesg_ok)
			res->error[0] = 0;
		kc_log("saved %s/vmcore: %s for %s of memory, %.1f s", res->dir,
		       kc_format_bytes(res->stats.bytes_written, b1, sizeof(b1)),
		       kc_format_bytes(a->info.mem_bytes, b2, sizeof(b2)), res->dump_secs);
	} else if (res->stats.incomplete) {
		res->status = SAVE_INCOMPLETE;
	}
	write_json(a, res);
	return r;
}
