/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel image, config and System.map of a release, in /boot or in
 * its module directory (see kernel-files.h). /boot comes first: it holds
 * what the boot loader starts, and where a site re-signs its kernels for
 * Secure Boot (sbsign writes the signed image there); on Debian 14 and on
 * kernel-install systems it is a copy of the module directory's file
 * (linux-base's 00-legacy-boot hook), so the two agree when both exist.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel-files.h"

static const struct {
	const char *what, *boot, *moddir;
	uint64_t max;
} kinds[KC_KFILE_COUNT] = {
	[KC_KFILE_IMAGE] = { "kernel image", "vmlinuz", "vmlinuz", KC_KFILE_MAX_IMAGE },
	[KC_KFILE_CONFIG] = { "kernel config", "config", "config", KC_KFILE_MAX_TEXT },
	[KC_KFILE_SYSTEM_MAP] = { "System.map", "System.map", "System.map", KC_KFILE_MAX_TEXT },
};

const char *kc_kfile_what(enum kc_kfile_kind what)
{
	return what < KC_KFILE_COUNT ? kinds[what].what : "?";
}

static const char *root_prefix(const char *root)
{
	return strcmp(root, "/") ? root : "";
}

int kc_open_beneath(const char *root, const char *path, uint64_t max, struct stat *st)
{
	char comp[256];
	struct stat sb;
	int dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC), fd, r;
	const char *p = path;

	if (dfd < 0)
		return -errno;
	for (;;) {
		p += strspn(p, "/");
		size_t n = strcspn(p, "/");
		if (n == 0 || n >= sizeof(comp) || (n <= 2 && !strncmp(p, "..", n))) {
			close(dfd);
			return -EINVAL;    /* empty, too long, "." or ".." */
		}
		memcpy(comp, p, n);
		comp[n] = 0;
		p += n;
		bool last = !p[strspn(p, "/")];
		/* never open a device or FIFO: look before opening, and check after */
		if (last && fstatat(dfd, comp, &sb, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(sb.st_mode)) {
			close(dfd);
			return S_ISLNK(sb.st_mode) ? -ELOOP : -EINVAL;
		}
		/* O_NOFOLLOW: a symbolic link fails with ELOOP (a directory
		 * opened O_PATH gives ENOTDIR: the same refusal, said better) */
		fd = openat(dfd, comp, last ? O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC
					    : O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		r = fd < 0 ? -errno : 0;
		if (r == -ENOTDIR && !last && fstatat(dfd, comp, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(sb.st_mode))
			r = -ELOOP;
		close(dfd);
		if (r < 0)
			return r;
		if (last)
			break;
		dfd = fd;
	}
	r = fstat(fd, &sb) < 0 ? -errno : !S_ISREG(sb.st_mode) ? -EINVAL : (uint64_t)sb.st_size > max ? -EFBIG : 0;
	if (r < 0) {
		close(fd);
		return r;
	}
	/* O_NONBLOCK kept a FIFO from blocking the open; reads want blocking */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if (st)
		*st = sb;
	return fd;
}

/* ID and ID_LIKE of the root's os-release, for naming the package. */
static void os_ids(const char *root, char *ids, size_t len)
{
	static const char *const files[] = { "/etc/os-release", "/usr/lib/os-release" };
	char buf[4096];
	ids[0] = 0;
	for (size_t i = 0; i < 2 && !ids[0]; i++) {
		int fd = kc_open_beneath(root, files[i], 64 << 10, NULL);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = 0;
		char *save = NULL;
		for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			if (!strncmp(l, "ID=", 3) || !strncmp(l, "ID_LIKE=", 8))
				snprintf(ids + strlen(ids), len - strlen(ids), " %s ", strchr(l, '=') + 1);
	}
}

static bool has_id(const char *ids, const char *id)
{
	for (const char *s = ids; (s = strstr(s, id)); s++)
		if ((s == ids || strchr(" \"", s[-1])) && strchr(" \"", s[strlen(id)]))
			return true;
	return false;
}

/* Which package holds the file on the root's distribution. */
static void package_hint(const char *root, const char *kver, enum kc_kfile_kind what, char *out, size_t len)
{
	char ids[512];
	os_ids(root, ids, sizeof(ids));
	if (has_id(ids, "debian") || has_id(ids, "ubuntu"))
		snprintf(out, len, "install linux-image-%s (on Debian 14 and later it pulls in %s-%s, which "
			 "puts %s in /usr/lib/modules/%s/)", kver,
			 what == KC_KFILE_IMAGE ? "linux-binary" : "linux-base", kver,
			 what == KC_KFILE_IMAGE ? "vmlinuz" : "config and System.map", kver);
	else if (has_id(ids, "fedora") || has_id(ids, "rhel") || has_id(ids, "centos"))
		snprintf(out, len, "install kernel-core-%s", kver);
	else if (has_id(ids, "arch"))
		snprintf(out, len, "install the kernel package whose module directory is /usr/lib/modules/%s "
			 "(linux, linux-lts...)", kver);
	else if (has_id(ids, "suse") || has_id(ids, "opensuse"))
		snprintf(out, len, "install the kernel-default package of %s", kver);
	else
		snprintf(out, len, "install the kernel package of Linux %s", kver);
}

static const char *skip_reason(int r)
{
	switch (r) {
	case -ENOENT: return "missing";
	case -ELOOP: return "a symbolic link on the way, not followed";
	case -EINVAL: return "not a regular file";
	case -EFBIG: return "too large";
	case -EACCES: return "permission denied";
	default: return strerror(-r);
	}
}

int kc_kfile_open(const char *root, const char *kver, enum kc_kfile_kind what, struct kc_kfile *f,
		  char *why, size_t whylen)
{
	char tried[3][sizeof(f->path)], pkg[400];
	int r[3] = { -ENOENT, -ENOENT, -ENOENT };
	struct kc_kfile tmp;

	if (!f)
		f = &tmp;
	if (what >= KC_KFILE_COUNT)
		return -EINVAL;
	if (!*kver || strlen(kver) > 200 || strchr(kver, '/') || !strcmp(kver, ".") || !strcmp(kver, "..")) {
		snprintf(why, whylen, "kernel release \"%s\" is not a file name", kver);
		return -EINVAL;
	}
	snprintf(tried[0], sizeof(tried[0]), "/boot/%s-%s", kinds[what].boot, kver);
	snprintf(tried[1], sizeof(tried[1]), "/usr/lib/modules/%s/%s", kver, kinds[what].moddir);
	snprintf(tried[2], sizeof(tried[2]), "/lib/modules/%s/%s", kver, kinds[what].moddir);
	for (int i = 0; i < 3; i++) {
		int fd = kc_open_beneath(root, tried[i], kinds[what].max, &f->st);
		if (fd >= 0) {
			memcpy(f->path, tried[i], sizeof(f->path));
			snprintf(f->abs, sizeof(f->abs), "%s%s", root_prefix(root), tried[i]);
			return fd;
		}
		r[i] = fd;
	}
	package_hint(root, kver, what, pkg, sizeof(pkg));
	const char *rp = root_prefix(root);
	snprintf(why, whylen, "no %s for Linux %s: tried %s%s (%s), %s%s (%s), %s%s (%s); %s", kinds[what].what,
		 kver, rp, tried[0], skip_reason(r[0]), rp, tried[1], skip_reason(r[1]), rp, tried[2],
		 skip_reason(r[2]), pkg);
	f->path[0] = f->abs[0] = 0;
	/* the first failure that is not "missing" says most */
	for (int i = 0; i < 3; i++)
		if (r[i] != -ENOENT)
			return r[i];
	return -ENOENT;
}

int kc_moddir(const char *root, const char *kver, char *buf, size_t len)
{
	static const char *const dirs[] = { "lib/modules", "usr/lib/modules" };
	struct stat st;
	for (int i = 0; i < 2; i++) {
		snprintf(buf, len, "%s/%s/%s", root_prefix(root), dirs[i], kver);
		if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
			return 0;
	}
	snprintf(buf, len, "%s/%s/%s", root_prefix(root), dirs[0], kver);
	return -ENOENT;
}
