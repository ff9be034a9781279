/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading back the few fields of a kcatch.json that retention needs.
 * The file comes from a shared directory: any bytes. Pure (no I/O, no
 * allocation), so it is fuzzed as it is (tests/fuzz/fuzz-dumpinfo.c).
 */
#ifndef KCATCH_DUMPINFO_H
#define KCATCH_DUMPINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KC_DUMPINFO_MAX (64 * 1024)  /* a kcatch.json the agent writes is about 2 KiB */

struct kc_dumpinfo {
	char version[32];            /* kcatch_version: "" when absent (not written by kcatch-agent) */
	char status[16];             /* complete, incomplete, failed */
	char id[128];                /* the directory name it was written into */
	char hostname[65];           /* the crashed host's name, "" when null or absent */
	char machine_id[33];         /* the writer's /etc/machine-id, "" when null or absent */
	uint64_t crash_time;         /* crash_time_epoch */
	bool has_crash_time;
};

/*
 * Parse a whole kcatch.json of len bytes (no NUL needed). 0 when it is one
 * valid JSON object whose fields above, when present, have the right type
 * and fit (a value too long for its field is an error, never truncated,
 * so that it cannot pass for a shorter one); -EBADMSG otherwise (also for
 * a key given twice, nesting deeper than 16, or more than KC_DUMPINFO_MAX
 * bytes).
 */
int kc_dumpinfo_parse(const char *buf, size_t len, struct kc_dumpinfo *out);

#endif
