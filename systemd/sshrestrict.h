/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The capture key's line in the collector's authorized_keys (kcatch
 * propagate): "restrict" plus a forced command that lets the key do only
 * what kcatch-agent's ssh target does (capture/ssh.c), under one dump
 * directory: make a new <base>/<id>[-N] and write vmcore-dmesg.txt in it,
 * write vmcore.flat.incomplete into such a new directory, rename it to
 * vmcore.flat, write kcatch.json once; and "true" (propagate's login
 * check). Anything else is refused, nothing is overwritten.
 */
#ifndef KCATCH_SSHRESTRICT_H
#define KCATCH_SSHRESTRICT_H

#include <stddef.h>

/* The line for public key pub ("type base64 comment") writing under base;
 * NULL with why in err (a base the forced command cannot name safely).
 * Caller frees. */
char *ssh_restricted_line(const char *pub, const char *base, char *err, size_t errlen);

#endif
