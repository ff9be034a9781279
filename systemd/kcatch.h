/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kcatch: the setup command on the production host (see kcatch.c). */
#ifndef KCATCH_CMD_H
#define KCATCH_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kcatch-config.h"

#define KC_EXIT_NOT_ARMED 3
#define KC_IMAGE_DIR "/var/lib/kcatch"

struct opts {
	const char *root;     /* never ends in '/' unless it is "/" */
	const char *config;   /* NULL: <root>/etc/kcatch.conf */
	bool dry_run;
	bool journal;
	const char *id;       /* report ID */
};

/* <root> + path into buf (path absolute); returns buf. */
const char *rpath(const struct opts *o, const char *path, char *buf, size_t len);
/* Whole small file, trailing newlines cut; NULL with errno set. Caller frees. */
char *read_text(const char *path);
const char *config_path(const struct opts *o, char *buf, size_t len);
/* Load the config; prints the error and returns < 0 when it is invalid. */
int load_config(const struct opts *o, struct kc_config *c, bool quiet);
/* Directory that holds the dumps, with <root> in front. */
const char *dump_dir(const struct opts *o, const struct kc_config *c, char *buf, size_t len);

int cmd_list(const struct opts *o);
int cmd_report(const struct opts *o);

/* dumps.c: a small JSON reader for kcatch.json. */
struct json_field {
	char *key;    /* "dump.file" */
	char *value;  /* string unescaped, or the literal (number, true, null) */
	bool is_string;
};
struct json_doc {
	struct json_field *f;
	size_t n;
};
int json_parse(const char *text, struct json_doc *doc);
const char *json_get(const struct json_doc *doc, const char *key);  /* NULL if absent or null */
void json_free(struct json_doc *doc);

#endif
