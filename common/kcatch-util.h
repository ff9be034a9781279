/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small helpers shared by kcatch-agent (capture/), kcatch-mkinitramfs
 * (initramfs/) and kcatch (systemd/): paths, names from a target, text
 * for the console. No program state: each takes what it works on.
 */
#ifndef KCATCH_UTIL_H
#define KCATCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "kcatch-config.h"

/* a + "/" + b as one path: no doubled slash where they meet, "/" for two empty parts. */
void kc_join(char *out, size_t len, const char *a, const char *b);
/* mkdir -p path (absolute); 0, or the negative errno of the first part that failed
 * (-ENOTDIR when a part exists and is not a directory). */
int kc_mkdir_p(const char *path, unsigned mode);
/* Cut s after its first word (NUL over the first space): what follows
 * the spaces after it, for "key value" lines. */
char *kc_cut_word(char *s);
/*
 * s made printable into buf (always NUL-terminated, cut on a whole
 * escape): backslash as \\, newline, tab and CR as \n \t \r, other
 * control bytes and bytes that are not UTF-8 as \xHH, C1 controls and
 * the bidirectional overrides as \u{HHHH}. Returns buf.
 */
const char *kc_escape(const char *s, char *buf, size_t len);
const char *kc_escape_n(const char *s, size_t n, char *buf, size_t len);
/* The tag of a UUID=, LABEL=, PARTUUID= or PARTLABEL= target as written in
 * the config (and in /dev/disk/by-<tag in lower case>); NULL for other kinds. */
const char *kc_target_tag(enum kc_target_kind k);
/* The start of an /etc/machine-id file (n bytes at buf) as id: 32 lower-case
 * hex digits, then the end or a newline. false (id untouched) otherwise.
 * kcatch-mkinitramfs copies it into the image, the agent reads it there. */
bool kc_machine_id_parse(const char *buf, size_t n, char id[33]);

#endif
