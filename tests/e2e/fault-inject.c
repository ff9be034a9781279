/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * LD_PRELOAD library for test-agent-faults.sh: a dump target that fails.
 * KCATCH_FAULT holds rules separated by ';', each OP:NAME:ERRNO[:AFTER]:
 *
 *   write      write/pwrite/pwritev/writev to a file named NAME fails once
 *              AFTER bytes (default 0) have been written to such files
 *   fsync      fsync() of NAME fails          fdatasync  fdatasync() of NAME fails
 *   close      close() of NAME closes it and fails (as NFS reports late write errors)
 *   rename     rename*() of NAME (the source) fails
 *   open       open*() of NAME fails
 *   die-after-close, die-after-rename
 *              once NAME was closed / renamed, the target is dead: every
 *              later open for writing, mkdir, rename, unlink, and every
 *              write, fsync and fdatasync of a file opened through here
 *              fails (an NFS server gone between the dump and kcatch.json)
 *
 * NAME is a base name; ERRNO is EIO, ENOSPC, EDQUOT or EROFS. Files are
 * known by the name they were opened with (open, openat); descriptors
 * opened otherwise (stdio, the console) are never touched.
 */
/* both open() and open64() are defined here: no redirection of one to the other */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_FD 4096
#define MAX_RULES 8

enum op { OP_WRITE, OP_FSYNC, OP_FDATASYNC, OP_CLOSE, OP_RENAME, OP_OPEN, OP_DIE_CLOSE, OP_DIE_RENAME };

struct rule {
	enum op op;
	char name[64];
	int err;
	unsigned long long after, written;
};

static struct {
	pthread_mutex_t lock;
	bool loaded, dead;
	int dead_err;
	struct rule rules[MAX_RULES];
	int n;
	char names[MAX_FD][64];  /* base name a descriptor was opened with, "" when unknown */
} st = { .lock = PTHREAD_MUTEX_INITIALIZER };

static const char *const op_names[] = { "write", "fsync", "fdatasync", "close", "rename", "open",
					"die-after-close", "die-after-rename" };

static void load(void)
{
	const char *env = getenv("KCATCH_FAULT");
	char buf[1024], *save = NULL;

	st.loaded = true;
	if (!env)
		return;
	snprintf(buf, sizeof(buf), "%s", env);
	for (char *r = strtok_r(buf, ";", &save); r && st.n < MAX_RULES; r = strtok_r(NULL, ";", &save)) {
		char op[32], name[64], err[16];
		unsigned long long after = 0;
		struct rule *ru = &st.rules[st.n];
		if (sscanf(r, "%31[^:]:%63[^:]:%15[^:]:%llu", op, name, err, &after) < 3)
			continue;
		for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
			if (!strcmp(op, op_names[i]))
				ru->op = (enum op)i, st.n++;
		snprintf(ru->name, sizeof(ru->name), "%s", name);
		ru->err = !strcmp(err, "ENOSPC") ? ENOSPC : !strcmp(err, "EDQUOT") ? EDQUOT :
			  !strcmp(err, "EROFS") ? EROFS : EIO;
		ru->after = after;
	}
}

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static const char *fd_name(int fd)
{
	return fd >= 0 && fd < MAX_FD ? st.names[fd] : "";
}

/* The errno a call must fail with (0: let it through); bytes for writes. */
static int check(enum op op, const char *name, unsigned long long bytes)
{
	int r = 0;

	pthread_mutex_lock(&st.lock);
	if (!st.loaded)
		load();
	if (st.dead && name[0] && op != OP_CLOSE && op != OP_OPEN)  /* opens: open_check() */
		r = st.dead_err;
	for (int i = 0; i < st.n && !r; i++) {
		struct rule *ru = &st.rules[i];
		if (ru->op != op || strcmp(ru->name, name))
			continue;
		if (op == OP_WRITE && ru->written < ru->after) {
			ru->written += bytes;
			continue;
		}
		r = ru->err;
	}
	pthread_mutex_unlock(&st.lock);
	return r;
}

/* After a successful close or rename of name: does the target die now? */
static void maybe_die(enum op op, const char *name)
{
	pthread_mutex_lock(&st.lock);
	for (int i = 0; i < st.n; i++)
		if (st.rules[i].op == op && !strcmp(st.rules[i].name, name)) {
			st.dead = true;
			st.dead_err = st.rules[i].err;
		}
	pthread_mutex_unlock(&st.lock);
}

#define REAL(ret, fn, ...) \
	static ret (*real)(__VA_ARGS__); \
	if (!real) \
		real = (ret (*)(__VA_ARGS__))dlsym(RTLD_NEXT, fn)

static int track(int fd, const char *path)
{
	if (fd >= 0 && fd < MAX_FD)
		snprintf(st.names[fd], sizeof(st.names[fd]), "%s", base(path));
	return fd;
}

static int open_check(const char *path, int flags)
{
	int e = check(OP_OPEN, base(path), 0);
	bool writing = (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) != 0;
	if (!e && writing) {
		pthread_mutex_lock(&st.lock);
		e = st.dead ? st.dead_err : 0;
		pthread_mutex_unlock(&st.lock);
	}
	return e;
}

#define OPEN_BODY(call) \
	mode_t mode = 0; \
	if (flags & (O_CREAT | O_TMPFILE)) { \
		va_list ap; \
		va_start(ap, flags); \
		mode = (mode_t)va_arg(ap, int); \
		va_end(ap); \
	} \
	int e = open_check(path, flags); \
	if (e) { \
		errno = e; \
		return -1; \
	} \
	return track(call, path)

int open(const char *path, int flags, ...)
{
	REAL(int, "open", const char *, int, ...);
	OPEN_BODY(real(path, flags, mode));
}

int open64(const char *path, int flags, ...)
{
	REAL(int, "open64", const char *, int, ...);
	OPEN_BODY(real(path, flags, mode));
}

int openat(int dfd, const char *path, int flags, ...)
{
	REAL(int, "openat", int, const char *, int, ...);
	OPEN_BODY(real(dfd, path, flags, mode));
}

int openat64(int dfd, const char *path, int flags, ...)
{
	REAL(int, "openat64", int, const char *, int, ...);
	OPEN_BODY(real(dfd, path, flags, mode));
}

#define FAIL_IF(op, name, bytes) \
	do { \
		int e_ = check(op, name, bytes); \
		if (e_) { \
			errno = e_; \
			return -1; \
		} \
	} while (0)

ssize_t write(int fd, const void *buf, size_t len)
{
	REAL(ssize_t, "write", int, const void *, size_t);
	FAIL_IF(OP_WRITE, fd_name(fd), len);
	return real(fd, buf, len);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	REAL(ssize_t, "pwrite", int, const void *, size_t, off_t);
	FAIL_IF(OP_WRITE, fd_name(fd), len);
	return real(fd, buf, len, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	REAL(ssize_t, "pwrite64", int, const void *, size_t, off_t);
	FAIL_IF(OP_WRITE, fd_name(fd), len);
	return real(fd, buf, len, off);
}

static unsigned long long iov_len(const struct iovec *iov, int n)
{
	unsigned long long t = 0;
	for (int i = 0; i < n; i++)
		t += iov[i].iov_len;
	return t;
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
	REAL(ssize_t, "writev", int, const struct iovec *, int);
	FAIL_IF(OP_WRITE, fd_name(fd), iov_len(iov, n));
	return real(fd, iov, n);
}

ssize_t pwritev(int fd, const struct iovec *iov, int n, off_t off)
{
	REAL(ssize_t, "pwritev", int, const struct iovec *, int, off_t);
	FAIL_IF(OP_WRITE, fd_name(fd), iov_len(iov, n));
	return real(fd, iov, n, off);
}

ssize_t pwritev64(int fd, const struct iovec *iov, int n, off_t off)
{
	REAL(ssize_t, "pwritev64", int, const struct iovec *, int, off_t);
	FAIL_IF(OP_WRITE, fd_name(fd), iov_len(iov, n));
	return real(fd, iov, n, off);
}

int fsync(int fd)
{
	REAL(int, "fsync", int);
	FAIL_IF(OP_FSYNC, fd_name(fd), 0);
	return real(fd);
}

int fdatasync(int fd)
{
	REAL(int, "fdatasync", int);
	FAIL_IF(OP_FDATASYNC, fd_name(fd), 0);
	return real(fd);
}

int close(int fd)
{
	REAL(int, "close", int);
	char name[64];
	snprintf(name, sizeof(name), "%s", fd_name(fd));
	int e = check(OP_CLOSE, name, 0), r = real(fd);
	if (fd >= 0 && fd < MAX_FD)
		st.names[fd][0] = 0;
	if (r == 0 && name[0])
		maybe_die(OP_DIE_CLOSE, name);
	if (e) {
		errno = e;
		return -1;
	}
	return r;
}

/* mkdir and unlink: as an open for writing (an "open" rule of the name, or a dead target) */
#define FAIL_IF_OPEN(path) \
	do { \
		int e_ = open_check(path, O_CREAT); \
		if (e_) { \
			errno = e_; \
			return -1; \
		} \
	} while (0)

int rename(const char *from, const char *to)
{
	REAL(int, "rename", const char *, const char *);
	FAIL_IF(OP_RENAME, base(from), 0);
	int r = real(from, to);
	if (r == 0)
		maybe_die(OP_DIE_RENAME, base(from));
	return r;
}

int renameat(int fd1, const char *from, int fd2, const char *to)
{
	REAL(int, "renameat", int, const char *, int, const char *);
	FAIL_IF(OP_RENAME, base(from), 0);
	int r = real(fd1, from, fd2, to);
	if (r == 0)
		maybe_die(OP_DIE_RENAME, base(from));
	return r;
}

int mkdir(const char *path, mode_t mode)
{
	REAL(int, "mkdir", const char *, mode_t);
	FAIL_IF_OPEN(path);
	return real(path, mode);
}

int mkdirat(int dfd, const char *path, mode_t mode)
{
	REAL(int, "mkdirat", int, const char *, mode_t);
	FAIL_IF_OPEN(path);
	return real(dfd, path, mode);
}

int unlinkat(int dfd, const char *path, int flags)
{
	REAL(int, "unlinkat", int, const char *, int);
	FAIL_IF_OPEN(path);
	return real(dfd, path, flags);
}
