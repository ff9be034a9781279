/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Save one crash to one target:
 *   <target>/<path>/<id>/vmcore-dmesg.txt   first, so a failed dump still leaves the log
 *   <target>/<path>/<id>/vmcore.incomplete  while writing; renamed to vmcore when complete
 *   <target>/<path>/<id>/kcatch.json        last: what happened
 * The free-space check (min_free) comes before the dump, and RLIMIT_FSIZE
 * caps the dump so that it can never eat into min_free: the write fails
 * with EFBIG instead and the file stays vmcore.incomplete, marked
 * incomplete by the library. Retention (keep, retention.c) runs last,
 * after a complete save only.
 *
 * Once kcf_dump() has returned 0 every page is in the file, and nothing
 * that fails afterwards (fsync, close, the rename, kcatch.json) deletes
 * it: the name tells whether the disk confirmed it, kcatch.json (when it
 * can still be written) and the console say which step failed.
 * SAVE-FAILURES.md lists every failure point and what is kept.
 * Files in the dump's directory are opened relative to it, never through
 * a symlink.
 */
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

/*
 * Log why step failed (fmt may use %m for r) and return r. The first
 * failing step of the save path is the one kcatch.json reports: a later
 * one (kcatch.json after a failed rename) is only logged.
 */
static int fail(struct save_result *res, const char *step, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(struct save_result *res, const char *step, int r, const char *fmt, ...)
{
	char msg[sizeof(res->error)];
	va_list ap;

	errno = r < 0 ? -r : r;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kc_log("%s", msg);
	if (!res->failed_step[0]) {
		memcpy(res->error, msg, sizeof(msg));
		snprintf(res->failed_step, sizeof(res->failed_step), "%s", step);
	}
	return r;
}

/* ---- the files ---- */

static int make_dump_dir(struct agent *a, int base_fd, const char *base, struct save_result *res)
{
	char id[sizeof(res->id)];
	int fd;

	kc_dump_id(a, id, sizeof(id));
	for (int i = 1; i < 100; i++) {
		if (i == 1)
			snprintf(res->id, sizeof(res->id), "%s", id);
		else
			snprintf(res->id, sizeof(res->id), "%.100s-%d", id, i);
		kc_join(res->dir, sizeof(res->dir), base, res->id);
		if (mkdirat(base_fd, res->id, 0700) == 0)
			break;
		if (errno != EEXIST || i == 99) {
			int r = errno == EEXIST ? -EEXIST : -errno;
			res->dir[0] = 0;
			return fail(res, "directory", r, "cannot create a dump directory in %s: %m", base);
		}
	}
	fd = openat(base_fd, res->id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fail(res, "directory", -errno, "cannot open %s: %m", res->dir);
	return fd;
}

static int write_dmesg(struct agent *a, int dfd, struct save_result *res)
{
	double t0 = kc_now();
	struct stat st;
	int fd, r;

	kc_watchdog_phase(a, "writing vmcore-dmesg.txt");
	fd = openat(dfd, "vmcore-dmesg.txt", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return kc_log_errno(-errno, "cannot create %s/vmcore-dmesg.txt: %m", res->dir);
	r = kc_log_copy(a, fd);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (fstat(fd, &st) == 0)
		res->dmesg_bytes = (uint64_t)st.st_size;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	res->dmesg_secs = kc_now() - t0;
	if (r < 0) {
		/* not a step of the dump: recorded unless the dump fails too, and the file is kept */
		snprintf(res->error, sizeof(res->error), "vmcore-dmesg.txt: %s",
			 r == a->log.status && a->log.error[0] ? a->log.error : strerror(-r));
		kc_log("%s (%llu bytes kept)", res->error, (unsigned long long)res->dmesg_bytes);
		return r;
	}
	res->dmesg_ok = true;
	kc_log("wrote %s/vmcore-dmesg.txt (%llu bytes, %.1f s)", res->dir, (unsigned long long)res->dmesg_bytes,
	       res->dmesg_secs);
	return 0;
}

/* Bytes the dump may use: what is available minus min_free and a reserve. */
static int space_budget(struct agent *a, int dfd, struct save_result *res, uint64_t *budget)
{
	struct statvfs sv;
	char b1[32], b2[32], b3[32];

	if (fstatvfs(dfd, &sv) < 0)
		return fail(res, "space", -errno, "statvfs %s: %m", res->dir);
	res->free_before = (uint64_t)sv.f_bavail * sv.f_frsize;
	/* min_free is at most 1 PiB (config.c), page_size at most 64 KiB: no overflow */
	uint64_t need = a->cfg.min_free + RESERVE_BYTES + 16 * a->info.page_size;
	if (res->free_before < need)
		return fail(res, "space", -ENOSPC, "not enough space on the target: %s available, min_free is %s",
			    kc_format_bytes(res->free_before, b1, sizeof(b1)),
			    kc_format_bytes(a->cfg.min_free, b2, sizeof(b2)));
	*budget = (res->free_before - a->cfg.min_free - RESERVE_BYTES) / a->info.page_size * a->info.page_size;
	kc_log("target has %s available; the dump may use %s (min_free %s)",
	       kc_format_bytes(res->free_before, b1, sizeof(b1)), kc_format_bytes(*budget, b2, sizeof(b2)),
	       kc_format_bytes(a->cfg.min_free, b3, sizeof(b3)));
	return 0;
}

/* kcf_dump failed: keep what the library marked incomplete, drop a file without a page. */
static int dump_failed(struct agent *a, int dfd, struct save_result *res, int r, uint64_t budget)
{
	char b[32], m[32];
	const char *why = kcf_ctx_error(a->kcf)[0] ? kcf_ctx_error(a->kcf) : strerror(-r);

	if (r == -EFBIG)  /* RLIMIT_FSIZE: the budget from space_budget() */
		fail(res, "dump", r, "dump failed: the target is too small: %s was the room for the dump "
		     "(min_free %s and 1 MiB for kcatch.json kept free)",
		     kc_format_bytes(budget, b, sizeof(b)), kc_format_bytes(a->cfg.min_free, m, sizeof(m)));
	else
		fail(res, "dump", r, "dump failed: %s", why);
	if (res->stats.incomplete) {
		snprintf(res->dump_file, sizeof(res->dump_file), "vmcore.incomplete");
		kc_log("%s/vmcore.incomplete kept, marked incomplete (%llu pages not written)", res->dir,
		       (unsigned long long)res->stats.pages_lost);
	} else if (unlinkat(dfd, "vmcore.incomplete", 0) == 0) {
		kc_log("no page was written; %s/vmcore.incomplete removed", res->dir);
	}
	fsync(dfd);
	return r;
}

static int write_dump(struct agent *a, int dfd, struct save_result *res)
{
	struct kcf_dump_options o = {
		.dump_level = a->cfg.dump_level,
		.compress = a->cfg.compress,
		.format = KCF_FORMAT_KDUMP,
		.num_threads = a->threads,
	};
	struct kc_progress p = { .a = a };
	struct rlimit old, lim;
	uint64_t budget = 0;
	int fd, r;

	r = space_budget(a, dfd, res, &budget);
	if (r < 0)
		return r;
	fd = openat(dfd, "vmcore.incomplete", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(res, "dump", -errno, "cannot create %s/vmcore.incomplete: %m", res->dir);
	kc_watchdog_phase(a, "writing the dump");
	kc_log("writing %s/vmcore.incomplete: dump level %u, %s compression", res->dir, o.dump_level,
	       kcf_compress_name(o.compress));
	p.start = p.last = kc_now();
	o.progress = kc_progress;
	o.progress_arg = &p;
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = old.rlim_max == RLIM_INFINITY || budget < old.rlim_max ? budget : old.rlim_max;
	setrlimit(RLIMIT_FSIZE, &lim);
	res->dump_started = true;
	r = kcf_dump(a->vm, &o, fd, &res->stats);
	setrlimit(RLIMIT_FSIZE, &old);
	res->dump_secs = kc_now() - p.start;
	if (r < 0) {
		close(fd);
		return dump_failed(a, dfd, res, r, budget);
	}
	/* Every page is in the file: from here on it is kept whatever fails. */
	res->filter_finished = true;
	snprintf(res->dump_file, sizeof(res->dump_file), "vmcore.incomplete");
	kc_watchdog_phase(a, "syncing the dump");
	if (fsync(fd) < 0) {
		r = fail(res, "fsync", -errno, "the dump is written but fsync failed: %m; kept as %s/vmcore.incomplete "
			 "(the disk did not confirm that every page reached it)", res->dir);
		close(fd);
		return r;
	}
	if (close(fd) < 0)
		return fail(res, "close", -errno, "the dump is written but close failed: %m; kept as "
			    "%s/vmcore.incomplete (the target may not hold every page)", res->dir);
	if (renameat(dfd, "vmcore.incomplete", dfd, "vmcore") < 0)
		return fail(res, "rename", -errno, "the dump is written and synced, but renaming it to vmcore failed: "
			    "%m; kept as %s/vmcore.incomplete", res->dir);
	snprintf(res->dump_file, sizeof(res->dump_file), "vmcore");
	if (fsync(dfd) < 0)
		return fail(res, "sync-directory", -errno, "%s/vmcore is written, but syncing its directory failed: %m; "
			    "the name vmcore may not survive a power loss", res->dir);
	return 0;
}

/* kcatch.json through kcatch.json.tmp; whatever was written of either is left in place. */
static int write_json(struct agent *a, int dfd, struct save_result *res)
{
	int fd, r;

	kc_watchdog_phase(a, "writing kcatch.json");
	fd = openat(dfd, "kcatch.json.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	r = kc_json_write(a, res, fd);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat(dfd, "kcatch.json.tmp", dfd, "kcatch.json") < 0)
		r = -errno;
	if (r == 0 && fsync(dfd) < 0)
		r = -errno;
	return r;
}

static const char *json_hint(const struct save_result *res)
{
	if (res->status == SAVE_COMPLETE)
		return "; the dump itself is complete";
	if (res->filter_finished)
		return "; every page of the dump is in it all the same";
	return "";
}

int kc_save(struct agent *a, const struct kc_target_spec *t, const char *path, struct save_result *res)
{
	return kc_target_ops(t->kind)->save(a, t, path, res);
}

int kc_save_mounted(struct agent *a, const struct kc_target_spec *t, const char *path, struct save_result *res)
{
	const struct kc_target_ops *ops = kc_target_ops(t->kind);
	char mnt[PATH_MAX], base[PATH_MAX];
	struct stat st;
	int r, base_fd, dfd;

	res->status = SAVE_FAILED;
	r = kc_target_acquire(a, t, mnt, sizeof(mnt), res);
	if (r < 0) {
		if (!res->error[0])
			snprintf(res->error, sizeof(res->error), "target %s: %s", t->text ? t->text : "(none)",
				 strerror(-r));
		snprintf(res->failed_step, sizeof(res->failed_step), "target");
		return r;
	}
	kc_join(base, sizeof(base), mnt, ops->names_dir ? "/" : path);
	r = kc_mkdir_p(base, 0700);
	if (r < 0)
		return fail(res, "directory", r, "cannot create %s: %m", base);
	base_fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (base_fd < 0)
		return fail(res, "directory", -errno, "cannot open %s: %m", base);
	dfd = make_dump_dir(a, base_fd, base, res);
	if (dfd < 0) {
		close(base_fd);
		return dfd;
	}
	write_dmesg(a, dfd, res);  /* a failure is recorded; the dump may still work */
	r = write_dump(a, dfd, res);
	if (r == 0) {
		char b1[32], b2[32];
		res->status = SAVE_COMPLETE;
		if (res->dmesg_ok)
			res->error[0] = 0;
		kc_log("saved %s/vmcore: %s for %s of memory, %.1f s", res->dir,
		       kc_format_bytes(res->stats.bytes_written, b1, sizeof(b1)),
		       kc_format_bytes(a->info.mem_bytes, b2, sizeof(b2)), res->dump_secs);
	} else if (res->stats.incomplete || res->filter_finished) {
		res->status = SAVE_INCOMPLETE;
	}
	int rj = write_json(a, dfd, res);
	if (rj < 0) {
		errno = -rj;
		kc_log("cannot write %s/kcatch.json: %m%s", res->dir, json_hint(res));
		if (res->status == SAVE_COMPLETE) {  /* undocumented: failure_action, and no retention */
			res->status = SAVE_INCOMPLETE;
			r = fail(res, "kcatch.json", rj, "kcatch.json could not be written (%m); %s/vmcore is complete",
				 res->dir);
		}
	}
	if (res->status == SAVE_COMPLETE && fstat(dfd, &st) == 0)
		kc_retention(a, t, base_fd, res, st.st_uid);
	close(dfd);
	close(base_fd);
	return r;
}
