/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /etc/kcatch.conf: kdump.conf-style "key value" lines. Shared by the
 * capture agent (which acts on it) and kcatch-mkinitramfs (which checks
 * it before building an image and reads extra_modules / fstype from it).
 * The compressor is the library's enum kcf_compress (its public header
 * only, no code): names are checked here by spelling (kc_compress_name,
 * the config's keywords), availability by the agent.
 */
#ifndef KCATCH_CONFIG_H
#define KCATCH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kcatch-filter.h"

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
	KC_TARGET_SSH,        /* ssh://user@host[:port][/path]: value is what follows "ssh://" */
	KC_TARGET_NFS,        /* nfs://host[:port]/export/path: value is what follows "nfs://" */
};

struct kc_target_spec {
	enum kc_target_kind kind;
	char *value;          /* what follows "UUID=" etc., or the path */
	char *text;           /* as written in the file */
};

#define KC_DEFAULT_PATH "/var/crash"

/* What builds the capture image (kcatch rebuild / load): kcatch's own
 * kcatch-mkinitramfs, or the distribution's builder with kcatch's hook. */
enum kc_builder {
	KC_BUILDER_KCATCH = 0,
	KC_BUILDER_DRACUT,
	KC_BUILDER_INITRAMFS_TOOLS,
};

/*
 * "net IFACE|MAC|auto dhcp" or "net IFACE|MAC|auto ADDR/PREFIX [gw GW]":
 * how the capture kernel reaches a network target. Addresses in network
 * byte order.
 */
struct kc_net_spec {
	bool set;
	char iface[16];              /* interface name; "" when by MAC or auto */
	bool by_mac;
	uint8_t mac[6];
	bool dhcp;
	uint32_t addr, gw;           /* gw 0: no default route */
	unsigned prefix;
	char *text;                  /* as written */
};

/* The parts of an ssh:// target; every field is safe inside '...' of a POSIX shell. */
struct kc_ssh_url {
	char user[33];
	char host[256];              /* name, IPv4, or IPv6 without the brackets */
	unsigned port;               /* 22 unless given */
	char path[1024];             /* "" when the URL has none: the path key applies */
};
/* Where kcatch propagate keeps the key pair and the pinned host key, and
 * where kcatch-mkinitramfs looks for them (the image has them at the same paths). */
#define KC_SSH_IDENTITY "/etc/kcatch/id_kcatch"
#define KC_SSH_KNOWN_HOSTS "/etc/kcatch/known_hosts"

/* The parts of an nfs:// target. The kernel client resolves no names: an address. */
struct kc_nfs_url {
	char host[48];               /* IPv4, or IPv6 without the brackets */
	bool ipv6;
	unsigned port;               /* the NFS server's port; 2049 unless given */
	char path[1024];             /* the exported directory the dumps go into */
};

struct kc_config {
	struct kc_target_spec target;
	char *fstype;                /* NULL: detect with libblkid */
	char *mount_options;         /* NULL: none */
	char *path;                  /* directory on the target; NULL: KC_DEFAULT_PATH */
	unsigned dump_level;         /* 0-31, default 31 */
	enum kcf_compress compress;  /* default zstd */
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
	struct kc_net_spec net;      /* network for ssh:// targets */
	unsigned net_timeout;        /* seconds for link and address */
	unsigned stall_timeout;      /* seconds an ssh:// stream may go unread; 0 = off */
	char *nfs_options;           /* mount options added for nfs:// targets; NULL: none */
	/* Read by the kcatch command on the host only; the agent ignores them. */
	char *kernel_cmdline_append; /* added to the capture kernel's command line */
	char *kernel_cmdline_remove; /* option names dropped from it (space separated) */
	int panic_on_oops;           /* kernel.panic_on_oops set by kcatch load: -1 leave alone */
	enum kc_builder builder;     /* what kcatch rebuild runs; default kcatch */
	/* issue 16: 0 = auto. threads: the agent's filter threads; capture_cpus: nr_cpus= (host only). */
	unsigned threads;
	unsigned capture_cpus;
};
#define KC_MAX_CPUS 64  /* upper bound of threads and capture_cpus */

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
/* value: what follows "ssh://"; 0 or -EINVAL. */
int kc_ssh_url_parse(const char *value, struct kc_ssh_url *u);
/* The net line's value ("eth0 10.0.2.15/24 gw 10.0.2.2"); 0, -EINVAL or -ENOMEM. */
int kc_net_spec_parse(struct kc_net_spec *n, const char *text);
void kc_net_spec_free(struct kc_net_spec *n);
/* value: what follows "nfs://"; 0 or -EINVAL. */
int kc_nfs_url_parse(const char *value, struct kc_nfs_url *u);

const char *kc_action_name(enum kc_action a);
/* "kcatch", "dracut", "initramfs-tools": the config's keyword. */
const char *kc_builder_name(enum kc_builder b);
/* The config's keyword for c (the same spelling as kcf_compress_name(),
 * which the config parser does not link; tests/unit/test-config checks it). */
const char *kc_compress_name(enum kcf_compress c);
/* "64M" style: 1.0 GiB etc. for messages; returns buf. */
const char *kc_format_bytes(uint64_t bytes, char *buf, size_t len);

/* Print the effective settings, one "key value" line each. */
void kc_config_dump(const struct kc_config *c, FILE *f);

#endif
