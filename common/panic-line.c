/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The panic line of a kernel log (panic-line.h). The log is untrusted:
 * it is only searched, within len, and nothing here allocates.
 */
#include <string.h>

#include "panic-line.h"

/* Past one "[...] " prefix at s, if s has one within the line. */
static const char *skip_prefix(const char *s, const char *end)
{
	const char *close;
	if (s >= end || *s != '[')
		return s;
	close = memchr(s, ']', (size_t)(end - s));
	if (!close || close + 1 >= end || close[1] != ' ')
		return s;
	return close + 2;
}

/* The message of the line holding the match at m. */
static void message_of(const char *log, const char *end, const char *m, const char **line, size_t *line_len)
{
	const char *start = m, *stop = memchr(m, '\n', (size_t)(end - m));
	while (start > log && start[-1] != '\n')
		start--;
	if (!stop)
		stop = end;
	/* the time stamp, then the caller id that makedumpfile 1.7.5+ prints */
	start = skip_prefix(skip_prefix(start, stop), stop);
	/* a match inside a prefix would be odd; never start after it */
	if (start > m)
		start = m;
	*line = start;
	*line_len = (size_t)(stop - start);
}

bool kc_panic_line(const char *log, size_t len, const char **line, size_t *line_len)
{
	/* the cause lines of SIGNATURE.md: with an oops and a capture kernel
	 * loaded, the kernel kexecs before it prints "Kernel panic" */
	static const char *const oops[] = { "BUG: ", "Oops", "general protection fault", "kernel BUG at ",
					    "Unable to handle kernel ", "Internal error: " };
	const char *end = log + len, *m, *first = NULL;

	if (!log || !len)
		return false;
	m = memmem(log, len, "Kernel panic - not syncing", 26);
	for (size_t i = 0; !m && i < sizeof(oops) / sizeof(oops[0]); i++) {
		const char *o = memmem(log, len, oops[i], strlen(oops[i]));
		if (o && (!first || o < first))
			first = o;
	}
	if (!m)
		m = first;
	if (!m)
		return false;
	message_of(log, end, m, line, line_len);
	return true;
}
