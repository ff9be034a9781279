/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading the dump directory as hostile input (kcatch list, report and
 * kcatch-report.service run as root; /var/crash may be world-writable and
 * an nfs:// export is shared by many hosts). Everything under the dump
 * path is opened relative to its directory, never through a symbolic
 * link, only as a regular file of bounded size (or a directory), without
 * blocking; every name and value is escaped before it is printed.
 * No function here prints: they return a negative errno (dd_strerror
 * says it in words), so that the fuzz targets and the tests link them
 * alone.
 */
#ifndef KCATCH_DUMPDIR_H
#define KCATCH_DUMPDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

#include "kcatch-util.h"

/* kcatch.json: the agent writes a few KiB. */
#define DD_JSON_MAX (1024 * 1024)
/* vmcore-dmesg.txt: a kernel's ring is 32 MiB at most by its config
 * (CONFIG_LOG_BUF_SHIFT <= 25), the text of it a little more. */
#define DD_DMESG_MAX (64LL << 20)
/* Dump directories looked at in one run. */
#define DD_MAX_DUMPS 10000

/* kc_escape, kc_escape_n: common/kcatch-util.h */

/* A directory at dir (O_DIRECTORY|O_NOFOLLOW): fd, or -ELOOP for a symbolic link, -ENOTDIR... */
int dd_open_dir(int dir, const char *name);
/* A regular file at dir of at most max bytes: fd (blocking reads are safe
 * on it), st filled; -ENOENT, -ELOOP (symbolic link), -EISDIR, -EBADFD (a
 * FIFO, socket or device: not opened), -EFBIG (larger than max). */
int dd_open_file(int dir, const char *name, long long max, struct stat *st);
/* The whole file (dd_open_file's rules), NUL-terminated, its length in *len; NULL with *err. */
char *dd_read_file(int dir, const char *name, long long max, size_t *len, int *err);
/* 1 and its size added to *bytes when name is a regular file; 0 when absent; -errno for anything else. */
int dd_regular(int dir, const char *name, unsigned long long *bytes);
/* Create the empty file name (0600) without following or replacing anything there. */
int dd_mark(int dir, const char *name);
/* r (a negative errno of the functions above) in words. */
const char *dd_strerror(int r);

/* ---- dumpjson.c: kcatch.json through json-c ---- */

struct json_object;
/* text of len bytes as a JSON object; 0, or -EINVAL with why in err. *out: json_object_put() it. */
int dd_json_parse(const char *text, size_t len, struct json_object **out, char *err, size_t errlen);
/* The value at a dotted path ("dump.file"), a string, number or boolean,
 * escaped into buf; NULL when absent, null, an object or an array. */
const char *dd_json_get(struct json_object *root, const char *path, char *buf, size_t len);

/* ---- crashlog.c ---- */

/* Panic, cause, task, taint, modules and call trace from a kernel log
 * (vmcore-dmesg.txt, read from log; name is what the messages call it);
 * every line printed escaped. */
void crash_summary(FILE *out, FILE *log, const char *name);

#endif
