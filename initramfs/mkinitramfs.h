/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kcatch-mkinitramfs internals: module set, host devices, cpio writer, decompression. */
#ifndef KCATCH_MKINITRAMFS_H
#define KCATCH_MKINITRAMFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kcatch-config.h"
#include "kcatch-util.h"

extern bool arg_verbose;
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));   /* with -v only */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* print "kcatch-mkinitramfs: ..." (%m = -r) and return r */
int error_errno(int r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- image.c: the whole build ---- */
enum image_compress { IMG_NONE, IMG_GZIP, IMG_ZSTD };
struct build_opts {
	const char *kver, *root, *config, *output, *agent, *shell;
	enum image_compress compress;
	const char *modules;      /* --add-modules, comma separated, or NULL */
	bool host_devices;
	bool unpack_modules;      /* --unpack-modules: whatever the kernel config says */
	const char *ssh_client, *ssh_identity, *ssh_known_hosts;  /* sshclient.c */
	bool ssh;                 /* the config has an ssh:// target: add the client */
};
int build_image(const struct build_opts *o);

/* ---- modset.c: the modules to load, dependencies first (libkmod) ---- */
struct modset;
struct modent {
	char *name;     /* kernel name, "virtio_blk" */
	char *path;     /* source file */
	char *options;  /* from modprobe.d under --root, or NULL */
};
/* moddir: <root>/lib/modules/<kver> or <root>/usr/lib/modules/<kver> */
int modset_new(struct modset **ret, const char *root, const char *moddir, const char *kver);
/* Add a module (name or alias) and its dependency closure; 0, or -ENOENT when unknown. */
int modset_add(struct modset *m, const char *name);
size_t modset_count(const struct modset *m);
const struct modent *modset_get(const struct modset *m, size_t i);
void modset_free(struct modset *m);

/* ---- hostdev.c: what a target on this host needs ---- */
typedef void (*module_fn)(void *arg, const char *module, const char *why);
/*
 * If the target is a device present on this host, call fn for the
 * drivers of its sysfs chain (disk, controller, bus, dm/md slaves) and
 * its file system type, and return 1; 0 when it is not on this host.
 */
int hostdev_modules(const struct kc_target_spec *t, const char *fstype, module_fn fn, void *arg);

/* ---- sshclient.c: the ssh client for ssh:// targets, and the NIC's driver ---- */
struct cpio;
bool config_needs_ssh(const struct kc_config *c);
/* The client, key and pinned host key are there; prints what is missing. */
int ssh_check(const struct kc_config *cfg, const struct build_opts *o);
int ssh_add_to_image(struct cpio *c, const struct build_opts *o, uint64_t *bytes);
/* Like hostdev_modules for the "net" line's interface; 1 when it is on this host. */
int netdev_modules(const struct kc_net_spec *n, module_fn fn, void *arg);
/* The NFS client's modules when the config has an nfs:// target; 1 if so. */
int nfs_modules(const struct kc_config *c, module_fn fn, void *arg);

/* ---- cpio.c: newc archive, compressed on the fly ---- */
struct cpio;
int cpio_open(struct cpio **ret, int fd, enum image_compress comp);
int cpio_dir(struct cpio *c, const char *name);
int cpio_node(struct cpio *c, const char *name, unsigned mode, unsigned major, unsigned minor);
int cpio_file(struct cpio *c, const char *name, unsigned mode, const void *data, size_t len);
/* Trailer, flush, free; returns the bytes of the uncompressed archive in *raw. */
int cpio_close(struct cpio *c, uint64_t *raw);
void cpio_abort(struct cpio *c);

/* ---- decompress.c: .ko.xz / .ko.zst / .ko.gz into memory ---- */
enum mod_compress { MOD_NONE, MOD_XZ, MOD_ZSTD, MOD_GZIP };
enum mod_compress mod_compression(const char *path);
int read_file(const char *path, void **data, size_t *len);
/* Whether the kernel's own module decompressor takes this file (format, xz check). */
bool kernel_can_decompress(enum mod_compress mc, const void *data, size_t len);
/* Decompress in (taken: freed, or returned as *data for MOD_NONE) into *data. */
int decompress_data(enum mod_compress mc, void *in, size_t inlen, void **data, size_t *len);

#endif
