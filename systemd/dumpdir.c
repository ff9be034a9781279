/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dump directory as hostile input (dumpdir.h): opened relative to
 * its directory, never through a symbolic link, never blocking, only
 * regular files of bounded size; names and values escaped for printing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dumpdir.h"

int dd_open_dir(int dir, const char *name)
{
	struct stat st;
	int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	/* O_DIRECTORY says ENOTDIR for a link too: say which */
	if ((errno == ENOTDIR || errno == ELOOP) && fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return S_ISLNK(st.st_mode) ? -ELOOP : -ENOTDIR;
	return -errno;
}

static int kind(const struct stat *st)
{
	if (S_ISREG(st->st_mode))
		return 0;
	if (S_ISLNK(st->st_mode))
		return -ELOOP;
	return S_ISDIR(st->st_mode) ? -EISDIR : -EBADFD;
}

int dd_open_file(int dir, const char *name, long long max, struct stat *st)
{
	int fd, r;
	/* look first: a device is never opened (opening one can act, a tape rewinds) */
	if (fstatat(dir, name, st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if ((r = kind(st)) < 0)
		return r;
	/* then open without following or blocking, and check what was opened:
	 * the name may have been swapped in between */
	fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0)
		r = -errno;
	else if ((r = kind(st)) == 0 && st->st_size > max)
		r = -EFBIG;
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

char *dd_read_file(int dir, const char *name, long long max, size_t *len, int *err)
{
	struct stat st;
	int fd = dd_open_file(dir, name, max, &st);
	size_t got = 0, cap;
	char *buf;
	*len = 0;
	*err = 0;
	if (fd < 0) {
		*err = fd;
		return NULL;
	}
	/* the size may grow while read: never past max */
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	while (buf) {
		ssize_t n;
		if (got + 1 == cap) {
			size_t grow = cap * 2 > (size_t)max + 2 ? (size_t)max + 2 : cap * 2;
			char *b = got > (size_t)max ? NULL : realloc(buf, grow);
			if (!b) {
				*err = got > (size_t)max ? -EFBIG : -ENOMEM;
				free(buf);
				buf = NULL;
				break;
			}
			buf = b;
			cap = grow;
		}
		n = read(fd, buf + got, cap - 1 - got);
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*err = -errno;
			free(buf);
			buf = NULL;
			break;
		}
		got += (size_t)n;
	}
	if (!buf && !*err)
		*err = -ENOMEM;
	close(fd);
	if (buf) {
		buf[got] = 0;
		*len = got;
	}
	return buf;
}

int dd_regular(int dir, const char *name, unsigned long long *bytes)
{
	struct stat st;
	int r;
	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if ((r = kind(&st)) < 0)
		return r;
	if (bytes)
		*bytes += (unsigned long long)st.st_size;
	return 1;
}

int dd_mark(int dir, const char *name)
{
	/* O_EXCL: whatever is there (a symbolic link included) stays untouched */
	int fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	return close(fd) < 0 ? -errno : 0;
}

const char *dd_strerror(int r)
{
	switch (r) {
	case -ELOOP: return "a symbolic link (not followed)";
	case -EISDIR: return "a directory, not a file";
	case -EBADFD: return "a FIFO, socket or device, not a regular file (not opened)";
	case -EFBIG: return "larger than kcatch reads (a planted file?)";
	case -ENOTDIR: return "not a directory";
	case -EEXIST: return "something already there (not replaced)";
	default: return strerror(-r);
	}
}
