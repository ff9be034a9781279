/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Console output. In the capture kernel stderr is /dev/console (a serial
 * line at 115200 baud takes about 11 KB/s), so every line is short and
 * written at once; the time since start makes a slow step obvious.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

static struct timespec t_start;

void kc_log_init(void)
{
	clock_gettime(CLOCK_MONOTONIC, &t_start);
	setvbuf(stderr, NULL, _IONBF, 0);
}

double kc_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t_start.tv_sec) + (double)(t.tv_nsec - t_start.tv_nsec) / 1e9;
}

static void vlog(const char *fmt, va_list ap)
{
	char line[1024];
	int saved = errno;
	int n = snprintf(line, sizeof(line), "kcatch: [%6.1f] ", kc_now());
	if (n < 0)
		return;
	errno = saved;
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	size_t len = strlen(line);
	line[len++] = '\n';
	(void)!write(STDERR_FILENO, line, len);
}

void kc_log(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
	errno = saved;
}

int kc_log_errno(int r, const char *fmt, ...)
{
	va_list ap;
	errno = r < 0 ? -r : r;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
	return r;
}

void kc_progress(void *arg, uint64_t done, uint64_t total)
{
	struct kc_progress *p = arg;
	double now = kc_now(), el = now - p->start;

	if (done != total && done && now - p->last < p->a->cfg.progress_interval)
		return;
	if (!done && (!total || p->stream))
		return;
	p->last = now;
	if (!done) {
		kc_log("dump: %llu pages to write", (unsigned long long)total);
		return;
	}
	double mb = (double)done * (double)p->a->info.page_size / 1e6;
	double rate = el > 0.05 ? mb / el : 0;
	double pct = total ? 100.0 * (double)done / (double)total : 100.0;
	if (p->stream) {
		kc_log("stream %5.1f%%  %llu of %llu pages  %.0f MB/s of pages", pct,
		       (unsigned long long)done, (unsigned long long)total, rate);
		return;
	}
	double eta = total > done ? el * (double)(total - done) / (double)done : 0;
	kc_log("dump %5.1f%%  %llu of %llu pages  %.0f MB/s  ETA %.0f s", pct,
	       (unsigned long long)done, (unsigned long long)total, rate, eta);
}
