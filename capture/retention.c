/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * keep N: after a complete save (never before, never after a failed one:
 * a capture that fails deletes nothing), delete the oldest dumps of this
 * host so that N remain, the new one included.
 *
 * The dump path may be shared: a world-writable /var/crash with the
 * sticky bit, an nfs:// export that many hosts write to. Every entry is
 * hostile until proven to be a dump this agent wrote for this host:
 *  - a directory (never a symlink: nothing here follows one), owned by
 *    the uid the new dump's directory got (root, or the squashed uid of
 *    an NFS export), opened relative to the dump path;
 *  - holding a regular kcatch.json, owned likewise, of at most 64 KiB,
 *    checked with fstatat() before it is opened (O_NOFOLLOW|O_NONBLOCK,
 *    so a FIFO swapped in cannot block) and with fstat() after;
 *  - that kcatch-agent wrote (kcatch_version, crash_time_epoch) under this
 *    very name (id), for this host: the same machine-id as the image's
 *    /etc/machine-id; when the image has none, the same crashed host name
 *    and no machine-id, and never on an nfs:// target, where two hosts
 *    may share a name.
 * Those are ordered by the crash time recorded in kcatch.json (then by
 * name, for captures of the same crash), never by a name someone chose.
 * A dump is proven again just before it is removed; only the regular
 * files the agent and kcatch report write are unlinked, so a directory
 * holding anything else stays. Names are escaped when printed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "dumpinfo.h"

#define MAX_OWN 4096         /* dumps of this host considered */
#define MAX_ENTRIES 65536    /* entries of the dump path looked at */

struct own_dump {
	char name[256];
	uint64_t crash_time;
};

/* kcatch.json of the directory dfd into buf: its length, or a negative errno. */
static ssize_t read_json(int dfd, unsigned owner, char *buf, size_t len)
{
	struct stat st, st2;
	ssize_t n, got = 0;
	int fd;

	if (fstatat(dfd, "kcatch.json", &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != owner || st.st_size > (off_t)len)
		return -EPERM;
	fd = openat(dfd, "kcatch.json", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st2) < 0 || st2.st_ino != st.st_ino || st2.st_dev != st.st_dev || !S_ISREG(st2.st_mode)) {
		close(fd);
		return -EPERM;
	}
	while ((size_t)got < len && (n = read(fd, buf + got, len - (size_t)got)) > 0)
		got += n;
	close(fd);
	return got;
}

/*
 * The directory fd of name when it is a dump this agent wrote for this
 * host (its crash time in *crash_time), else -1.
 */
static int prove(struct agent *a, bool nfs, int base_fd, const char *name, unsigned owner, uint64_t *crash_time,
		 char *buf)
{
	struct kc_dumpinfo info;
	struct stat st;
	ssize_t n;
	int dfd = openat(base_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (dfd < 0)
		return -1;
	if (fstat(dfd, &st) < 0 || st.st_uid != owner ||
	    (n = read_json(dfd, owner, buf, KC_DUMPINFO_MAX)) < 0 ||
	    kc_dumpinfo_parse(buf, (size_t)n, &info) < 0 ||
	    !info.version[0] || !info.has_crash_time || strcmp(info.id, name))
		goto no;
	if (a->machine_id[0] ? strcmp(info.machine_id, a->machine_id) :
	    info.machine_id[0] || nfs || !a->info.hostname[0] || strcmp(info.hostname, a->info.hostname))
		goto no;
	*crash_time = info.crash_time;
	return dfd;
no:
	close(dfd);
	return -1;
}

static int cmp_own(const void *x, const void *y)
{
	const struct own_dump *a = x, *b = y;
	if (a->crash_time != b->crash_time)
		return a->crash_time < b->crash_time ? -1 : 1;
	return strverscmp(a->name, b->name);  /* same crash: <id>, <id>-2, ... <id>-10 */
}

static void remove_dump(struct agent *a, bool nfs, int base_fd, const struct own_dump *d, unsigned owner,
			char *buf)
{
	/* kcatch.json last: what is left of a dump interrupted here still proves whose it is */
	static const char *const files[] = { "vmcore", "vmcore.incomplete", "vmcore-dmesg.txt", "kcatch.json.tmp",
					     "reported", "kcatch.json" };
	char esc[1100];
	uint64_t t;
	struct stat st;
	int dfd = prove(a, nfs, base_fd, d->name, owner, &t, buf);

	kc_escape(d->name, esc, sizeof(esc));
	if (dfd < 0 || t != d->crash_time) {
		kc_log("keep: %s changed since it was looked at; left in place", esc);
		if (dfd >= 0)
			close(dfd);
		return;
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (fstatat(dfd, files[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) && st.st_uid == owner)
			unlinkat(dfd, files[i], 0);
	close(dfd);
	if (unlinkat(base_fd, d->name, AT_REMOVEDIR) < 0)
		kc_log("keep: %s holds files kcatch did not write; left in place", esc);
	else
		kc_log("keep: removed the old dump %s", esc);
}

/* This host's dumps in base_fd but the new one; their count, or -1. */
static long collect(struct agent *a, bool nfs, int base_fd, const char *skip, unsigned owner,
		    struct own_dump *v, char *buf, unsigned *foreign)
{
	struct dirent *e;
	struct stat st;
	long n = 0;
	unsigned seen = 0;
	int fd = dup(base_fd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);

	if (!d) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((e = readdir(d)) && seen++ < MAX_ENTRIES) {
		uint64_t t;
		int dfd;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, skip))
			continue;
		if (fstatat(base_fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
		    (dfd = prove(a, nfs, base_fd, e->d_name, owner, &t, buf)) < 0) {
			(*foreign)++;
			continue;
		}
		close(dfd);
		if (n == MAX_OWN)
			break;
		snprintf(v[n].name, sizeof(v[n].name), "%s", e->d_name);
		v[n++].crash_time = t;
	}
	closedir(d);
	return n;
}

void kc_retention(struct agent *a, const struct kc_target_spec *t, int base_fd, const struct save_result *res,
		  unsigned owner)
{
	bool nfs = t->kind == KC_TARGET_NFS;
	unsigned keep = a->cfg.keep, foreign = 0;
	struct own_dump *v;
	char *buf;
	long n;

	if (!keep)
		return;
	kc_watchdog_phase(a, "removing old dumps (keep)");
	if (!a->machine_id[0] && (nfs || !a->info.hostname[0])) {
		kc_log("keep %u: not applied: without /etc/machine-id in the image %s", keep,
		       nfs ? "this host's dumps on a shared nfs:// export cannot be told from another's"
			   : "and without the crashed host's name no dump can be proven this host's");
		return;
	}
	v = malloc(MAX_OWN * sizeof(*v));
	buf = malloc(KC_DUMPINFO_MAX);
	n = v && buf ? collect(a, nfs, base_fd, res->id, owner, v, buf, &foreign) : -1;
	if (n < 0) {
		kc_log("keep %u: cannot list the dump directory: %m; nothing removed", keep);
	} else {
		qsort(v, (size_t)n, sizeof(*v), cmp_own);
		if (foreign)
			kc_log("keep %u: %u entr%s of the dump directory are not dumps this agent wrote for this host; "
			       "left alone", keep, foreign, foreign == 1 ? "y" : "ies");
		/* The new dump counts: keep N leaves N-1 old ones. */
		for (long i = 0; i + (long)keep - 1 < n; i++)
			remove_dump(a, nfs, base_fd, &v[i], owner, buf);
	}
	free(v);
	free(buf);
}
