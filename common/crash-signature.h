/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The crash signature: what makes two crashes the same bug, read from the
 * kernel log as kcatch-filter --dump-dmesg writes it (vmcore-dmesg.txt),
 * and a short stable hash of it, so that a fleet's dumps group by bug
 * (kcatch.json, kcatch list/report). Exactly what goes in and what is
 * normalised away is common/SIGNATURE.md; change it only with a new
 * version there, or every stored signature stops matching.
 *
 * Pure: no I/O, no globals, no allocation; the log is bytes (NULs and
 * lines of any length allowed) and the time is linear in its length.
 * Fields longer than their buffer are cut (documented per field).
 */
#ifndef KCATCH_CRASH_SIGNATURE_H
#define KCATCH_CRASH_SIGNATURE_H

#include <stddef.h>

#define KC_SIG_VERSION 1
#define KC_SIG_CAUSE_MAX 128    /* cause, cut to 127 bytes */
#define KC_SIG_FUNC_MAX 96      /* "func [module]", cut to 95 bytes */
#define KC_SIG_FRAMES 5         /* call-trace frames kept */
#define KC_SIG_FAMILY_MAX 16    /* "6.12" */
#define KC_SIG_HASH_LEN 16      /* hex digits */

struct kc_signature {
	char cause[KC_SIG_CAUSE_MAX];    /* "BUG: kernel NULL pointer dereference, address: #" */
	char function[KC_SIG_FUNC_MAX];  /* "foo_write [crashmod]" or "" */
	char frames[KC_SIG_FRAMES][KC_SIG_FUNC_MAX];
	unsigned nframes;
	char family[KC_SIG_FAMILY_MAX];  /* "6.12", or "" when the release has none */
	char hash[KC_SIG_HASH_LEN + 1];  /* 16 lower-case hex digits, "" without a crash */
};

/*
 * The signature of the first crash in log (len bytes, need not be
 * NUL-terminated) of a kernel of release (e.g. "6.12.117+deb13-amd64";
 * NULL or "" for unknown). Returns 0 with *sig filled; -ENODATA when the
 * log holds no crash line that SIGNATURE.md names (*sig then has the
 * family only and an empty hash: such dumps do not group); -EINVAL when
 * sig is NULL or log is NULL with len > 0.
 */
int kc_signature(const char *log, size_t len, const char *release, struct kc_signature *sig);

/* The canonical text that is hashed (SIGNATURE.md), into buf (always
 * NUL-terminated when len > 0); returns its full length like snprintf. */
size_t kc_signature_canonical(const struct kc_signature *sig, char *buf, size_t len);

#endif
