/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A minimal TAP producer for unit tests: meson reads it (protocol: tap). */
#ifndef KCATCH_TAP_H
#define KCATCH_TAP_H
#include <stdarg.h>
#include <stdio.h>

struct tap_state { int planned, run, failed; };
static struct tap_state tap_state_;

static inline void plan(int n)
{
	tap_state_.planned = n;
	printf("1..%d\n", n);
}

__attribute__((format(printf, 2, 3)))
static inline int ok(int cond, const char *fmt, ...)
{
	va_list ap;
	tap_state_.run++;
	if (!cond)
		tap_state_.failed++;
	printf("%s %d - ", cond ? "ok" : "not ok", tap_state_.run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

static inline int done_testing(void)
{
	if (tap_state_.planned && tap_state_.run != tap_state_.planned)
		printf("# planned %d tests but ran %d\n", tap_state_.planned, tap_state_.run);
	return tap_state_.failed || tap_state_.run != tap_state_.planned;
}

/* For a test whose count is known only at the end: the plan goes last. */
static inline int plan_at_end(void)
{
	printf("1..%d\n", tap_state_.run);
	return tap_state_.failed ? 1 : 0;
}
#endif
