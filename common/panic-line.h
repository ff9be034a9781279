/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The panic line of a kernel log as vmcore-dmesg.txt holds it: what the
 * agent writes into kcatch.json and what `kcatch list` shows for a dump
 * without one, found by the same code.
 */
#ifndef KCATCH_PANIC_LINE_H
#define KCATCH_PANIC_LINE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The first "Kernel panic - not syncing" message of log (len bytes, any
 * bytes, not NUL-terminated), else the first oops line ("BUG: ", "Oops",
 * "general protection fault", "kernel BUG at ", arm64's "Unable to handle
 * kernel " and "Internal error: "): *line points into log at the message, past
 * the "[seconds.micros] " and "[    T123] " prefixes, *line_len bytes up
 * to the end of that line. False when the log has neither.
 */
bool kc_panic_line(const char *log, size_t len, const char **line, size_t *line_len);

#endif
