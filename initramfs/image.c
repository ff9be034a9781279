/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The build: check the configuration, gather the modules, write
 *   /init                 the static agent
 *   /etc/kcatch.conf      the configuration, as given (0600)
 *   /etc/machine-id       the host's (<root>/etc/machine-id), when it has a valid one
 *   /etc/kcatch.modules   module files in load order, with modprobe.d options
 *   /lib/modules/NAME.ko  the modules (.ko.xz etc. when the kernel unpacks them)
 *   /dev/console, /dev/null, mount points; /bin/sh only with --shell
 * into OUTPUT.XXXXXX, then rename it over OUTPUT.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "kernel-files.h"
#include "mkinitramfs.h"

struct kconfig {
	bool known;
	bool decompress[4];     /* by enum mod_compress */
	bool rd_zstd, rd_gzip;
};

static void read_kconfig(const char *root, const char *kver, struct kconfig *k)
{
	char line[256], why[1024];
	bool dec = false, xz = false, zst = false, gz = false;
	struct kc_kfile kf;
	int fd = kc_kfile_open(root, kver, KC_KFILE_CONFIG, &kf, why, sizeof(why));
	FILE *f = fd >= 0 ? fdopen(fd, "re") : NULL;

	if (!f) {
		if (fd >= 0)
			close(fd);
		warn("%s: compressed modules will be unpacked, and the kernel is assumed to unpack %s",
		     fd >= 0 ? strerror(errno) : why, "zstd and gzip images");
		k->rd_zstd = k->rd_gzip = true;
		return;
	}
	note("kernel config %s", kf.abs);
	k->known = true;
	while (fgets(line, sizeof(line), f)) {
		dec |= !strcmp(line, "CONFIG_MODULE_DECOMPRESS=y\n");
		xz |= !strcmp(line, "CONFIG_MODULE_COMPRESS_XZ=y\n");
		zst |= !strcmp(line, "CONFIG_MODULE_COMPRESS_ZSTD=y\n");
		gz |= !strcmp(line, "CONFIG_MODULE_COMPRESS_GZIP=y\n");
		k->rd_zstd |= !strcmp(line, "CONFIG_RD_ZSTD=y\n");
		k->rd_gzip |= !strcmp(line, "CONFIG_RD_GZIP=y\n");
	}
	fclose(f);
	/* The kernel's decompressor handles the one format it was built for. */
	k->decompress[MOD_XZ] = dec && xz;
	k->decompress[MOD_ZSTD] = dec && zst;
	k->decompress[MOD_GZIP] = dec && gz;
	note("kernel config: modules %s", dec && (xz || zst || gz) ? "stay compressed: the kernel decompresses "
	     "them (CONFIG_MODULE_DECOMPRESS)" : "are unpacked: no CONFIG_MODULE_DECOMPRESS for their format");
}

struct want {
	const char *kver;
	struct modset *ms;
	unsigned failures;
	bool strict;            /* unknown module = error (asked for by name) */
};

static void want_module(void *arg, const char *name, const char *why)
{
	struct want *w = arg;
	int r;

	if (!w->ms) {
		if (w->strict) {
			error_errno(-ENOENT, "module %s (%s): no module directory for %s", name, why, w->kver);
			w->failures++;
		}
		return;
	}
	r = modset_add(w->ms, name);
	if (r == -ENOENT && !w->strict)
		warn("%s (%s) is not a module of %s; assuming it is built in", name, why, w->kver);
	else if (r < 0) {
		error_errno(r, "module %s (%s) for %s: %m", name, why, w->kver);
		w->failures++;
	} else {
		note("wanted %s: %s", name, why);
	}
}

static void want_list(struct want *w, const char *list, const char *why)
{
	char *copy = strdup(list ? list : ""), *save = NULL;
	for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
		want_module(w, t, why);
	free(copy);
}

/* The agent must be a static executable: the image has no ld.so. */
static int load_static(const char *path, const char *what, void **data, size_t *len)
{
	int r = read_file(path, data, len);
	if (r < 0)
		return error_errno(r, "%s %s: %m", what, path);
	const Elf64_Ehdr *eh = *data;
	if (*len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > *len ||
	    (*len - eh->e_phoff) / sizeof(Elf64_Phdr) < eh->e_phnum)
		return error_errno(-ENOEXEC, "%s %s is not a 64-bit ELF executable", what, path);
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)((const char *)*data + eh->e_phoff) + i;
		if (ph->p_type == PT_INTERP)
			return error_errno(-ENOEXEC, "%s %s is dynamically linked; the image needs a static binary",
					   what, path);
	}
	return 0;
}

/*
 * <root>/etc/machine-id into id ("" when there is none or it is not valid).
 * The agent's retention (keep) removes only dumps whose kcatch.json has
 * the image's machine-id; without one it falls back to the crashed
 * host's name, and on nfs:// keeps every dump.
 */
static void host_machine_id(const char *root, char id[33])
{
	char p[PATH_MAX];
	void *data;
	size_t len;
	int r;

	id[0] = 0;
	kc_join(p, sizeof(p), root, "/etc/machine-id");
	r = read_file(p, &data, &len);
	if (r < 0) {
		note("no machine-id in the image (%s: %s): keep falls back to the host name", p, strerror(-r));
		return;
	}
	if (!kc_machine_id_parse(data, len, id))
		warn("%s is not 32 lower-case hex digits: the image has no machine-id, keep falls back to the "
		     "host name (systemd-machine-id-setup writes a valid one)", p);
	free(data);
}

struct sizes {
	uint64_t agent, modules, raw, image;
	uint64_t ssh;   /* ssh client, libraries, key */
};

static int add_modules(struct cpio *c, const struct modset *ms, const struct kconfig *kc, bool unpack,
		       const char *kver, struct sizes *sz)
{
	char *manifest = NULL, name[PATH_MAX];
	size_t mlen = 0;
	FILE *m = open_memstream(&manifest, &mlen);
	int r = 0;

	if (!m)
		return -ENOMEM;
	fprintf(m, "# kcatch-mkinitramfs: modules for Linux %s in load order (path [options])\n", kver);
	for (size_t i = 0; ms && i < modset_count(ms) && r == 0; i++) {
		const struct modent *e = modset_get(ms, i);
		enum mod_compress mc = mod_compression(e->path);
		const char *base = strrchr(e->path, '/') ? strrchr(e->path, '/') + 1 : e->path;
		void *data;
		size_t len;

		r = read_file(e->path, &data, &len);
		bool keep = mc == MOD_NONE || (kc->decompress[mc] && !unpack);
		if (r == 0 && keep && !kernel_can_decompress(mc, data, len)) {
			note("%s: not a stream the kernel's decompressor takes (format or xz check): unpacked", e->path);
			keep = false;
		}
		if (r == 0 && !keep)
			r = decompress_data(mc, data, len, &data, &len);
		if (r < 0) {
			error_errno(r, "%s: %m", e->path);
			break;
		}
		snprintf(name, sizeof(name), "lib/modules/%s", base);
		if (!keep)  /* drop .xz/.zst/.gz */
			*strrchr(name, '.') = 0;
		r = cpio_file(c, name, 0644, data, len);
		free(data);
		sz->modules += len;
		fprintf(m, "%s%s%s\n", name, e->options ? " " : "", e->options ? e->options : "");
	}
	fclose(m);
	if (r == 0)
		r = cpio_file(c, "etc/kcatch.modules", 0644, manifest, mlen);
	free(manifest);
	return r;
}

static int write_image(const struct build_opts *o, const struct modset *ms, const struct kconfig *kc,
		       struct sizes *sz)
{
	static const char *const dirs[] = { "dev", "proc", "sys", "etc", "lib", "lib/modules", "kcatch" };
	char tmp[PATH_MAX], machine_id[33], id_line[34];
	void *agent = NULL, *shell = NULL, *conf = NULL;
	size_t agent_len, shell_len = 0, conf_len;
	struct cpio *c = NULL;
	int fd = -1, r;

	host_machine_id(o->root, machine_id);
	snprintf(id_line, sizeof(id_line), "%s\n", machine_id);
	r = load_static(o->agent, "agent", &agent, &agent_len);
	if (r == 0 && o->shell)
		r = load_static(o->shell, "shell", &shell, &shell_len);
	if (r == 0 && (r = read_file(o->config, &conf, &conf_len)) < 0)
		error_errno(r, "%s: %m", o->config);
	if (r < 0)
		goto out;
	sz->agent = agent_len;
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", o->output);
	fd = mkstemp(tmp);
	if (fd < 0) {
		r = error_errno(-errno, "cannot create %s: %m", tmp);
		goto out;
	}
	fchmod(fd, 0600);
	r = cpio_open(&c, fd, o->compress);
	for (size_t i = 0; r == 0 && i < sizeof(dirs) / sizeof(dirs[0]); i++)
		r = cpio_dir(c, dirs[i]);
	if (r == 0)
		r = cpio_node(c, "dev/console", S_IFCHR | 0600, 5, 1);
	if (r == 0)
		r = cpio_node(c, "dev/null", S_IFCHR | 0666, 1, 3);
	if (r == 0)
		r = cpio_file(c, "init", 0755, agent, agent_len);
	if (r == 0)
		r = cpio_file(c, "etc/kcatch.conf", 0600, conf, conf_len);
	if (r == 0 && machine_id[0])
		r = cpio_file(c, "etc/machine-id", 0444, id_line, 33);
	if (r == 0 && shell && (r = cpio_dir(c, "bin")) == 0)
		r = cpio_file(c, "bin/sh", 0755, shell, shell_len);
	if (r == 0)
		r = add_modules(c, ms, kc, o->unpack_modules, o->kver, sz);
	if (r == 0 && o->ssh)
		r = ssh_add_to_image(c, o, &sz->ssh);
	if (r == 0) {
		r = cpio_close(c, &sz->raw);
		c = NULL;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r == 0)
		sz->image = (uint64_t)lseek(fd, 0, SEEK_END);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	fd = -1;
	if (r == 0 && rename(tmp, o->output) < 0)
		r = -errno;
	if (r < 0) {
		error_errno(r, "writing %s: %m", o->output);
		unlink(tmp);
	}
out:
	cpio_abort(c);
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	free(agent);
	free(shell);
	free(conf);
	return r;
}

int build_image(const struct build_opts *o)
{
	struct kc_config cfg;
	struct kconfig kc = { 0 };
	struct modset *ms = NULL;
	struct want w = { .kver = o->kver };
	struct sizes sz = { 0 };
	char moddir[PATH_MAX], err[512], b[4][32];
	struct build_opts opts = *o;
	int r;

	kc_config_init(&cfg);
	r = kc_config_load(&cfg, o->config, err, sizeof(err));
	if (r < 0) {
		error_errno(r, "%s", err);
		goto out;
	}
	if (cfg.target.kind == KC_TARGET_NONE || cfg.target.kind == KC_TARGET_DIR) {
		r = error_errno(-EINVAL, "%s: the capture kernel needs a target device: target UUID=..., "
				"LABEL=..., PARTUUID=..., PARTLABEL=... or /dev/...", o->config);
		goto out;
	}
	if (cfg.failure_action == KC_ACTION_SHELL && !opts.shell) {
		if (access("/bin/busybox", X_OK) == 0)
			opts.shell = "/bin/busybox";
		else
			warn("failure_action shell without --shell: the image has no shell, the agent goes on");
	}
	read_kconfig(o->root, o->kver, &kc);
	if (o->compress == IMG_ZSTD && kc.known && !kc.rd_zstd)
		warn("the %s kernel has no CONFIG_RD_ZSTD: use --compress gzip", o->kver);
	if (o->compress == IMG_GZIP && kc.known && !kc.rd_gzip)
		warn("the %s kernel has no CONFIG_RD_GZIP", o->kver);
	if (kc_moddir(o->root, o->kver, moddir, sizeof(moddir)) == 0) {
		r = modset_new(&ms, o->root, moddir, o->kver);
		if (r < 0)
			goto out;
		note("modules of %s from %s", o->kver, moddir);
	} else {
		warn("no lib/modules/%s or usr/lib/modules/%s under %s: no modules", o->kver, o->kver, o->root);
	}
	w.ms = ms;
	bool on_host = false;
	if (o->host_devices) {
		on_host = hostdev_modules(&cfg.target, cfg.fstype, want_module, &w) > 0;
		if (cfg.fallback_target.kind != KC_TARGET_NONE)
			hostdev_modules(&cfg.fallback_target, cfg.fstype, want_module, &w);
		if (netdev_modules(&cfg.net, want_module, &w) > 0 &&
		    (cfg.target.kind == KC_TARGET_SSH || cfg.target.kind == KC_TARGET_NFS))
			on_host = true;  /* the NIC is the network target's "device" */
	}
	nfs_modules(&cfg, want_module, &w);
	if (config_needs_ssh(&cfg)) {
		opts.ssh = true;
		if ((r = ssh_check(&cfg, &opts)) < 0)
			goto out;
	}
	if (!on_host && cfg.fstype)
		want_module(&w, cfg.fstype, "fstype");
	w.strict = true;
	for (size_t i = 0; i < cfg.n_extra_modules; i++)
		want_module(&w, cfg.extra_modules[i], "extra_modules");
	want_list(&w, o->modules, "--add-modules");
	if (w.failures) {
		r = -ENOENT;
		goto out;
	}
	if (!on_host && !o->modules && !cfg.n_extra_modules)
		warn("target %s is not a device of this host and no modules were named: the image has only "
		     "the kernel's built-in drivers", cfg.target.text);
	r = write_image(&opts, ms, &kc, &sz);
	if (r < 0)
		goto out;
	fprintf(stderr, "kcatch-mkinitramfs: wrote %s for Linux %s: %s (%s of %s: agent %s, %zu module%s %s)\n",
		o->output, o->kver, kc_format_bytes(sz.image, b[0], sizeof(b[0])),
		o->compress == IMG_ZSTD ? "zstd" : o->compress == IMG_GZIP ? "gzip" : "uncompressed",
		kc_format_bytes(sz.raw, b[1], sizeof(b[1])), kc_format_bytes(sz.agent, b[2], sizeof(b[2])),
		ms ? modset_count(ms) : 0, ms && modset_count(ms) == 1 ? "" : "s",
		kc_format_bytes(sz.modules, b[3], sizeof(b[3])));
	if (sz.ssh)
		fprintf(stderr, "kcatch-mkinitramfs: ssh client, its libraries and key: %s uncompressed\n",
			kc_format_bytes(sz.ssh, b[0], sizeof(b[0])));
	if (ms && modset_count(ms)) {
		fprintf(stderr, "kcatch-mkinitramfs: modules in load order:");
		for (size_t i = 0; i < modset_count(ms); i++)
			fprintf(stderr, " %s", modset_get(ms, i)->name);
		fputc('\n', stderr);
	}
out:
	modset_free(ms);
	kc_config_free(&cfg);
	return r;
}
