/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kcatch: the setup command on the production host. main.c parses the
 * options and dispatches to one cmd_* per command; every path is read
 * under --root so the tests run on a fake tree.
 */
#ifndef KCATCH_CMD_H
#define KCATCH_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kcatch-config.h"
#include "kcatch-util.h"

#define KC_EXIT_NOT_ARMED 3
#define KC_IMAGE_DIR "/var/lib/kcatch"
/* Where meson installs them (systemd/meson.build passes the configured paths). */
#ifndef KC_AGENT_PATH
#define KC_AGENT_PATH "/usr/libexec/kcatch/kcatch-agent"
#endif
#ifndef KC_SBINDIR
#define KC_SBINDIR "/usr/sbin"
#endif

struct opts {
	const char *root;     /* never ends in '/' unless it is "/" */
	const char *config;   /* NULL: <root>/etc/kcatch.conf */
	bool dry_run;
	bool journal;
	const char *id;       /* report ID: args[0] */
	char **args;          /* the command's operands */
	int nargs;
	const char *mkinitramfs;  /* NULL: $KCATCH_MKINITRAMFS, next to kcatch, PATH */
	const char *agent;        /* NULL: $KCATCH_AGENT, <root>KC_AGENT_PATH */
	const char *size;         /* crashkernel --size: a crashkernel= value or "auto" */
	bool remove;              /* crashkernel --remove */
	bool force;               /* load --force: replace a capture kernel kcatch did not load */
};

/* ---- util.c ---- */

/* "kcatch: " + the message + newline on stderr; returns -1, so that a
 * failure is one line: return kc_error("cannot read %s: %s", p, strerror(e)).
 * The message says what failed, on which file, and the fix. */
int kc_error(const char *format, ...) __attribute__((format(printf, 1, 2)));
/* <root> + path into buf (path absolute); returns buf. */
const char *rpath(const struct opts *o, const char *path, char *buf, size_t len);
/* snprintf for messages and paths: truncation is acceptable (and bounded). */
void fmt(char *buf, size_t len, const char *format, ...) __attribute__((format(printf, 3, 4)));
/* Whole small file (64 KiB at most), trailing newlines cut; NULL with errno set. Caller frees. */
char *read_text(const char *path);
/* A number from a file under root; -1 when missing or not a number. */
long long read_number(const struct opts *o, const char *path);
/* A "Key: N kB" line of <root>/proc/meminfo in bytes; 0 when absent. */
uint64_t meminfo_bytes(const struct opts *o, const char *key);
const char *config_path(const struct opts *o, char *buf, size_t len);
/* Load the config; 1 = no file (defaults), 0 = valid, < 0 invalid (printed unless quiet). */
int load_config(const struct opts *o, struct kc_config *c, bool quiet);
/* Directory that holds the dumps as seen on this host, with <root> in front. */
const char *dump_dir(const struct opts *o, const struct kc_config *c, char *buf, size_t len);

/* The files of the running (or --root's) kernel and its capture image. */
struct files {
	char release[256];
	/* found in /boot or in the module directory (kernel-files.h); when not
	 * found, kernel is the first place looked and kernel_error says where
	 * else and which package provides it */
	char kernel[512], kernel_abs[4096];   /* as on the host, and with root */
	bool kernel_found;
	char kernel_error[1024];
	char kconfig[512], sysmap[512];       /* as on the host; "" when not found */
	char image[512], image_abs[4096];
	char stamp_abs[4200];                 /* image_abs + ".stamp" */
};
void find_files(const struct opts *o, struct files *f);
/* Open the kernel image found (no symbolic links, a regular file); -errno. */
int open_kernel(const struct opts *o, const struct files *f);

/* ---- target.c: where the dump goes, as kdumpctl finds it ---- */

struct target_info {
	bool explicit_target;  /* the config names a device; else found from path */
	bool network;          /* ssh:// or nfs:// target: nothing to look up on this host */
	bool ok;               /* device known (found or present) */
	char error[600];       /* why not ok, with the fix */
	char device[512];      /* /dev/... as on the host */
	char uuid[64];
	char fstype[32];
	char label[64];
	char mountpoint[512];  /* "" when the device is not mounted here */
	char path_on_fs[1024]; /* the dump directory inside the target file system */
	char host_dir[4096];   /* the dump directory on this host, with root; "" unknown */
	bool have_space;
	uint64_t free_bytes;   /* statvfs of host_dir (or the mount point) */
	char spec[160];        /* what the image gets: "UUID=..." or the explicit target */
};
void resolve_target(const struct opts *o, const struct kc_config *c, struct target_info *t);
/* The config the image embeds: the file with a found target (and its path
 * on that file system) written in. Caller frees; NULL on error (printed). */
char *resolved_config(const struct opts *o, const struct kc_config *c, const struct target_info *t);

/* ---- image.c: kcatch rebuild, and whether the image is out of date ---- */

/* Why the image needs a rebuild into why (NULL when it is up to date). */
const char *rebuild_reason(const struct opts *o, const struct files *f, const struct kc_config *c,
			   const struct target_info *t, char *why, size_t len);
/* Build f->image_abs; 0 or -1 (printed). */
int rebuild_image(const struct opts *o, const struct files *f, const struct kc_config *c,
		  const struct target_info *t);
/* The builder of the image ("kcatch", "dracut", "initramfs-tools") from its
 * stamp into buf; NULL when it has no stamp (built by hand). */
const char *image_builder(const struct files *f, char *buf, size_t len);
int builder_problem(const struct opts *o, const struct kc_config *c, char *prog, size_t len, char *why,
		    size_t why_len);
/* Rebuild when rebuild_reason() gives one (always: also when up to date),
 * saying why on stdout; 0 rebuilt, 1 up to date and left, -1 failed (printed). */
int rebuild_if_needed(const struct opts *o, const struct files *f, const struct kc_config *c,
		      const struct target_info *t, bool always);

/* ---- checks.c ---- */

/* The checks of load and test: one line each ("ok", "FAIL", "note"); returns
 * the number failed. With image_check false the capture image is left out
 * (load rebuilds it first). */
/* load.c: how kcatch load will load: 1 kexec_file_load(2), 0 kexec_load(2)
 * through kexec-tools' kexec -p (kexec set), -1/-2 it cannot (no kexec;
 * arm64's kallsyms lacks the _text kexec-tools needs); what says so. */
int load_method(const struct opts *o, const struct files *f, char *what, size_t len, char *kexec, size_t klen);
int run_checks(const struct opts *o, struct files *f, bool verbose, bool image_check);
/* Signed kernel image (a PE Authenticode certificate table)? -1 unknown. */
int kernel_is_signed(int fd);
/* 1 Secure Boot on, 0 off, -1 unknown (no efivars). */
int secure_boot_state(const struct opts *o);
/* The active lockdown mode ("none", "integrity", ...) into buf; NULL unknown. */
const char *lockdown_mode(const struct opts *o, char *buf, size_t len);
/* Dump size estimate from RAM and dump_level (bytes), with how it was made. */
uint64_t dump_size_estimate(const struct opts *o, const struct kc_config *c, char *how, size_t len);

/* ---- cmdline.c ---- */

/* The next option of a kernel command line at *s (double quotes keep
 * spaces), its length in *len; *s moves past it. NULL at the end. */
const char *cmdline_next(const char **s, size_t *len);
/* Whether option w (len bytes) is named key ('-' and '_' alike); a key
 * ending in '.' matches every name it starts. */
bool cmdline_key_is(const char *w, size_t len, const char *key);
/* The options of line named key (keep) or all the others (!keep), joined
 * by single spaces; caller frees. */
char *cmdline_filter(const char *line, const char *key, bool keep);
/* The capture kernel's command line; caller frees. */
char *capture_cmdline(const struct opts *o, const struct kc_config *c);

/* ---- estimate.c ---- */

/* The crashkernel= size kcatch estimate recommends, and the total before
 * margin, in bytes; the table is printed when verbose. 0, or -1 (printed). */
int crashkernel_estimate(const struct opts *o, bool verbose, uint64_t *recommended, uint64_t *total);
/* issue 16: the total before margin with cpus capture CPUs, quietly; 0 or -1. */
int crashkernel_estimate_total(const struct opts *o, unsigned cpus, uint64_t *total);
/* What each capture CPU past the first costs, in bytes. */
double capture_cpu_bytes(void);
/* total plus the estimate's margin, max(8 MiB, 10 %): what a reservation must hold */
double estimate_with_margin(double total);
/* nr_cpus= this host wants for its capture kernel (capture_cpus key, else
 * from its CPUs and RAM), and what the reservation allows of it (cmdline.c);
 * why says how, for the log. */
unsigned capture_cpus_wanted(const struct opts *o, const struct kc_config *c, char *why, size_t len);
unsigned capture_cpus(const struct opts *o, const struct kc_config *c, char *why, size_t len);

/* ---- commands ---- */

int cmd_status(const struct opts *o);
int cmd_show(const struct opts *o);
int cmd_test(const struct opts *o);
int cmd_load(const struct opts *o);
int cmd_unload(const struct opts *o);
int cmd_rebuild(const struct opts *o);
int cmd_estimate(const struct opts *o);
int cmd_list(const struct opts *o);
int cmd_report(const struct opts *o);
int cmd_propagate(const struct opts *o);   /* propagate.c */
int cmd_crashkernel(const struct opts *o); /* crashkernel.c */
/* 0 when v is a valid crashkernel= value, else -1 and why (the rule broken). */
int crashkernel_syntax(const char *v, char *why, size_t len);

#endif
