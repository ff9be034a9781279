/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /etc/kcatch.conf: kdump.conf-style "key value" lines. Shared by the
 * capture agent (which acts on it) and kcatch-mkinitramfs (which checks
 * it before building an image and reads extra_modules / fstype from it).
 * No dependency on libkcatch-filter: compressor names are checked here
 * by spelling, availability by the agent.
 */
#ifndef KCATCH_CONFIG_H
#define KCATCH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum kc_action {
	KC_ACTION_REBOOT = 0,
	KC_ACTION_POWEROFF,
	KC_ACTION_HALT,
	KC_ACTION_SHELL,      /* failure_action only: /bin/sh if the image has one */
	KC_ACTION_FALLBACK,   /* failure_action only: save again to fallback_target */
};

enum kc_target_kind {
	KC_TARGET_NONE = 0,
	KC_TARGET_UUID,       /* UUID=... of a file system */
	KC_TARGET_LABEL,      /* LABEL=... */
	KC_TARGET_PARTUUID,   /* PARTUUID=... of a GPT/MBR partition */
	KC_TARGET_PARTLABEL,  /* PARTLABEL=... */
	KC_TARGET_DEVICE,     /* /dev/... */
	KC_TARGET_DIR,        /* any other absolute path: an already mounted directory */
};

struct kc_target_spec {
	enum kc_target_kind kind;
	char *value;          /* what follows "UUID=" etc., or the path */
	char *text;           /* as written in the file */
};

/* Must match enum kcf_compress of kcatch-filter.h. */
enum kc_compress { KC_COMPRESS_NONE = 0, KC_COMPRESS_ZLIB, KC_COMPRESS_LZO,
		   KC_COMPRESS_SNAPPY, KC_COMPRESS_ZSTD };

#define KC_DEFAULT_PATH "/var/crash"

struct kc_config {
	struct kc_target_spec target;
	char *fstype;                /* NULL: detect with libblkid */
	char *mount_options;         /* NULL: none */
	char *path;                  /* directory on the target; NULL: KC_DEFAULT_PATH */
	unsigned dump_level;         /* 0-31, default 31 */
	enum kc_compress compress;   /* default zstd */
	unsigned keep;               /* dumps kept, new one included; 0 = all */
	uint64_t min_free;           /* bytes left free on the target */
	enum kc_action failure_action;
	enum kc_action final_action;
	struct kc_target_spec fallback_target;
	char *fallback_path;         /* NULL: same as path */
	char **extra_modules;        /* NULL-terminated */
	size_t n_extra_modules;
	unsigned target_timeout;     /* seconds to wait for the target device */
	unsigned watchdog;           /* seconds for the whole run; 0 = off */
	unsigned progress_interval;  /* seconds between progress lines */
};

/* Defaults; must be followed by kc_config_free(). */
void kc_config_init(struct kc_config *c);
void kc_config_free(struct kc_config *c);

/*
 * Parse a file into c (on top of the defaults). On failure returns a
 * negative errno and writes "FILE:LINE: what is wrong" about the first
 * bad line into err; the valid lines are still applied to c.
 */
int kc_config_load(struct kc_config *c, const char *path, char *err, size_t errlen);
/* Same, from a string (for tests); name is used in messages. */
int kc_config_parse(struct kc_config *c, const char *name, const char *text, char *err, size_t errlen);

int kc_target_spec_parse(struct kc_target_spec *t, const char *text);
void kc_target_spec_free(struct kc_target_spec *t);

const char *kc_action_name(enum kc_action a);
const char *kc_compress_name(enum kc_compress c);
/* "64M" style: 1.0 GiB etc. for messages; returns buf. */
const char *kc_format_bytes(uint64_t bytes, char *buf, size_t len);

/* Print the effective settings, one "key value" line each. */
void kc_config_dump(const struct kc_config *c, FILE *f);

#endif
