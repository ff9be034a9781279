/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The set of modules an image carries, resolved with libkmod against the
 * target kernel's module directory: names and aliases, hard dependencies
 * (modules.dep.bin) and soft ones (pre before, post after), ordered so
 * that every module comes after what it needs. Built-in modules are
 * skipped. When the directory has no index (an unpacked kernel package:
 * depmod runs in postinst), depmod builds one in a temporary tree of
 * symlinks, so the kernel's own directory is never written.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <libkmod.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mkinitramfs.h"

struct modset {
	struct kmod_ctx *ctx;
	char *tmpdir;          /* depmod tree to remove, or NULL */
	struct modent *v;
	size_t n, cap;
	char **seen;
	size_t nseen;
};

static void kmod_log(void *data, int prio, const char *file, int line, const char *fn,
		     const char *fmt, va_list args)
{
	if (!arg_verbose)
		return;
	fputs("kcatch-mkinitramfs: libkmod: ", stderr);
	vfprintf(stderr, fmt, args);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

/* Files depmod writes; everything else in the module directory is linked. */
static bool generated(const char *name)
{
	static const char *const keep[] = { "modules.order", "modules.builtin", "modules.builtin.modinfo" };
	if (strncmp(name, "modules.", 8))
		return false;
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (!strcmp(name, keep[i]))
			return false;
	return true;
}

static int spawn_depmod(const char *base, const char *kver)
{
	static const char *const paths[] = { "/usr/sbin/depmod", "/sbin/depmod", "/usr/bin/depmod" };
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
			execl(paths[i], "depmod", "-b", base, kver, (char *)NULL);
		execlp("depmod", "depmod", "-b", base, kver, (char *)NULL);
		fprintf(stderr, "kcatch-mkinitramfs: cannot run depmod: %m (install kmod)\n");
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ENOEXEC;
}

static int depmod_copy(struct modset *m, const char *moddir, const char *kver, char **newdir)
{
	char tmpl[] = "/tmp/kcatch-mkinitramfs.XXXXXX", p[PATH_MAX], src[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int r;

	if (!mkdtemp(tmpl))
		return -errno;
	m->tmpdir = strdup(tmpl);
	if (!m->tmpdir)
		return -ENOMEM;
	snprintf(p, sizeof(p), "%s/lib", tmpl);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/lib/modules", tmpl);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/lib/modules/%s", tmpl, kver);
	if (mkdir(p, 0700) < 0)
		return -errno;
	d = opendir(moddir);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || generated(e->d_name))
			continue;
		char dst[PATH_MAX + 256];
		snprintf(src, sizeof(src), "%s/%s", moddir, e->d_name);
		snprintf(dst, sizeof(dst), "%s/%s", p, e->d_name);
		if (symlink(src, dst) < 0) {
			r = -errno;
			closedir(d);
			return r;
		}
	}
	closedir(d);
	note("%s has no modules.dep.bin: running depmod -b %s %s", moddir, tmpl, kver);
	r = spawn_depmod(tmpl, kver);
	if (r < 0)
		return error_errno(r, "depmod -b %s %s failed", tmpl, kver);
	*newdir = strdup(p);
	return *newdir ? 0 : -ENOMEM;
}

int modset_new(struct modset **ret, const char *root, const char *moddir, const char *kver)
{
	struct modset *m = calloc(1, sizeof(*m));
	char idx[PATH_MAX], *dir = NULL, cfgbuf[5][PATH_MAX];
	const char *cfg[6] = { NULL };
	static const char *const cfgdirs[] = { "/etc/modprobe.d", "/run/modprobe.d",
		"/usr/local/lib/modprobe.d", "/lib/modprobe.d", "/usr/lib/modprobe.d" };
	int r = 0;

	if (!m)
		return -ENOMEM;
	snprintf(idx, sizeof(idx), "%s/modules.dep.bin", moddir);
	if (access(idx, R_OK) < 0) {
		r = depmod_copy(m, moddir, kver, &dir);
		if (r < 0)
			goto fail;
	}
	/* modprobe.d of the system the image is for, not of this host */
	for (size_t i = 0; i < 5; i++) {
		snprintf(cfgbuf[i], PATH_MAX, "%s%s", strcmp(root, "/") ? root : "", cfgdirs[i]);
		cfg[i] = cfgbuf[i];
	}
	m->ctx = kmod_new(dir ? dir : moddir, cfg);
	free(dir);
	if (!m->ctx) {
		r = -ENOMEM;
		goto fail;
	}
	kmod_set_log_fn(m->ctx, kmod_log, NULL);
	r = kmod_load_resources(m->ctx);
	if (r < 0) {
		error_errno(r, "cannot load the module indexes of %s", moddir);
		goto fail;
	}
	*ret = m;
	return 0;
fail:
	modset_free(m);
	return r;
}

static bool seen(struct modset *m, const char *name)
{
	for (size_t i = 0; i < m->nseen; i++)
		if (!strcmp(m->seen[i], name))
			return true;
	char **n = realloc(m->seen, (m->nseen + 1) * sizeof(*n));
	if (!n)
		return true;
	m->seen = n;
	m->seen[m->nseen] = strdup(name);
	if (m->seen[m->nseen])
		m->nseen++;
	return false;
}

static int add_mod(struct modset *m, struct kmod_module *mod, int depth);

static int add_list(struct modset *m, struct kmod_list *list, int depth, bool soft)
{
	struct kmod_list *it;
	int r = 0;
	kmod_list_foreach(it, list) {
		struct kmod_module *d = kmod_module_get_module(it);
		int q = add_mod(m, d, depth + 1);
		if (q < 0 && soft)
			warn("soft dependency %s: %s", kmod_module_get_name(d), strerror(-q));
		else if (q < 0 && r == 0)
			r = q;
		kmod_module_unref(d);
	}
	return r;
}

static int add_mod(struct modset *m, struct kmod_module *mod, int depth)
{
	const char *name = kmod_module_get_name(mod), *path;
	struct kmod_list *pre = NULL, *post = NULL, *deps;
	int r;

	if (depth > 64)
		return -ELOOP;
	if (seen(m, name))
		return 0;
	kmod_module_get_softdeps(mod, &pre, &post);
	add_list(m, pre, depth, true);
	deps = kmod_module_get_dependencies(mod);
	r = add_list(m, deps, depth, false);
	kmod_module_unref_list(deps);
	path = kmod_module_get_path(mod);
	if (r == 0 && !path) {
		note("module %s: built into the kernel", name);
	} else if (r == 0) {
		if (m->n == m->cap) {
			m->cap = m->cap ? m->cap * 2 : 32;
			struct modent *nv = realloc(m->v, m->cap * sizeof(*nv));
			if (!nv)
				r = -ENOMEM;
			else
				m->v = nv;
		}
		if (r == 0) {
			const char *opt = kmod_module_get_options(mod);
			struct modent *e = &m->v[m->n++];
			e->name = strdup(name);
			e->path = strdup(path);
			e->options = opt && *opt ? strdup(opt) : NULL;
			if (!e->name || !e->path)
				r = -ENOMEM;
			note("module %s: %s%s%s", name, path, opt && *opt ? " " : "", opt ? opt : "");
		}
	}
	if (r == 0)
		add_list(m, post, depth, true);
	kmod_module_unref_list(pre);
	kmod_module_unref_list(post);
	return r;
}

int modset_add(struct modset *m, const char *name)
{
	struct kmod_list *list = NULL;
	int r = kmod_module_new_from_lookup(m->ctx, name, &list);

	if (r < 0)
		return r;
	if (!list)
		return -ENOENT;
	r = add_list(m, list, -1, false);
	kmod_module_unref_list(list);
	return r;
}

size_t modset_count(const struct modset *m)
{
	return m->n;
}

const struct modent *modset_get(const struct modset *m, size_t i)
{
	return i < m->n ? &m->v[i] : NULL;
}

void modset_free(struct modset *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].name);
		free(m->v[i].path);
		free(m->v[i].options);
	}
	free(m->v);
	for (size_t i = 0; i < m->nseen; i++)
		free(m->seen[i]);
	free(m->seen);
	kmod_unref(m->ctx);
	if (m->tmpdir) {
		nftw(m->tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		free(m->tmpdir);
	}
	free(m);
}
