/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How many filter threads the agent uses (issue 16). The filter's output
 * is byte-identical at any thread count (tests/synth/test-threads.sh), so
 * the only questions are CPUs and memory:
 *
 *  - one thread per online CPU of the capture kernel (nr_cpus= bounds it);
 *  - each thread costs its share of the pipeline's ring (filter/lib/
 *    pipeline.c: 2 * threads + 1 batches of 64 pages in and 64 out, so two
 *    batches per thread) plus a compressor state and a stack: budgeted
 *    here as 2 * 2 * 64 pages + 2 MiB;
 *  - the threads may take at most half of MemAvailable: the rest is for
 *    the bitmaps, the page cache of the file written and the network.
 *
 * The configuration's "threads N" overrides the choice. In test mode the
 * CPU count and memory come from DIR/sys/devices/system/cpu/online and
 * DIR/proc/meminfo (--root DIR), so that tests can fake them; without
 * those files test mode uses one thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

#define COMP_STATE_BYTES (2u << 20)  /* a compressor's state and a stack, rounded up */

/* CPUs in a cpulist ("0-3,5"), 0 when unreadable. */
static unsigned cpus_online(const char *path)
{
	char buf[256], *s, *end;
	unsigned n = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return 0;
	s = fgets(buf, sizeof(buf), f);
	fclose(f);
	while (s && *s && *s != '\n') {
		unsigned long a = strtoul(s, &end, 10), b = a;
		if (end == s)
			return 0;
		if (*end == '-') {
			s = end + 1;
			b = strtoul(s, &end, 10);
			if (end == s || b < a)
				return 0;
		}
		n += (unsigned)(b - a + 1 > 4096 ? 4096 : b - a + 1);
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',' && *end != '\n')
			return 0;
	}
	return n;
}

uint64_t kc_meminfo_kib(const char *path, const char *key)
{
	char line[128];
	unsigned long long v = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key))) {
			v = strtoull(line + strlen(key), NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

uint64_t kc_thread_bytes(uint64_t page_size)
{
	return 2 * 2 * 64 * (page_size ? page_size : 4096) + COMP_STATE_BYTES;
}

void kc_choose_threads(struct agent *a)
{
	char path[PATH_MAX];
	unsigned cpus, by_mem;
	uint64_t avail_kib, need = kc_thread_bytes(a->info.page_size);

	if (a->cfg.threads) {
		a->threads = a->cfg.threads;
		kc_log("filter threads: %u (threads %u in the configuration)", a->threads, a->cfg.threads);
		return;
	}
	kc_join(path, sizeof(path), a->root, "/sys/devices/system/cpu/online");
	cpus = cpus_online(path);
	kc_join(path, sizeof(path), a->root, "/proc/meminfo");
	avail_kib = kc_meminfo_kib(path, "MemAvailable:");
	if (!cpus && !a->test_mode) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		cpus = n > 0 ? (unsigned)n : 1;
	}
	if (!cpus) {
		a->threads = 1;
		kc_log("filter threads: 1 (test mode without %s%s)", a->root, "/sys/devices/system/cpu/online");
		return;
	}
	if (cpus == 1) {
		a->threads = 1;
		kc_log("filter threads: 1 (1 CPU online)");
		return;
	}
	if (!avail_kib) {
		a->threads = 1;
		kc_log("filter threads: 1 of %u CPUs (MemAvailable unknown: no %s)", cpus, path);
		return;
	}
	by_mem = (unsigned)(avail_kib * 1024 / 2 / need > KC_MAX_CPUS ? KC_MAX_CPUS : avail_kib * 1024 / 2 / need);
	if (!by_mem)
		by_mem = 1;
	a->threads = cpus < by_mem ? cpus : by_mem;
	if (a->threads > KC_MAX_CPUS)
		a->threads = KC_MAX_CPUS;
	kc_log("filter threads: %u (%u CPUs online; %llu MiB available, half of it allows %u at %llu KiB each)",
	       a->threads, cpus, (unsigned long long)avail_kib / 1024, by_mem,
	       (unsigned long long)(need / 1024));
}
