/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Load the kernel modules kcatch-mkinitramfs put into the image, in the
 * order of its manifest (dependencies first), with finit_module(2). No
 * modprobe, no udev: the builder already resolved names, aliases and
 * dependencies. Compressed modules (.ko.xz/.ko.zst/.ko.gz) are only in
 * the image when the kernel decompresses them itself
 * (MODULE_INIT_COMPRESSED_FILE, CONFIG_MODULE_DECOMPRESS).
 *
 * Manifest lines: "PATH [PARAMETERS]", PATH relative to the image root;
 * '#' starts a comment.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent.h"

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif

static bool is_compressed(const char *path)
{
	static const char *const ext[] = { ".ko.xz", ".ko.zst", ".ko.gz" };
	size_t n = strlen(path);
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		size_t e = strlen(ext[i]);
		if (n > e && !strcmp(path + n - e, ext[i]))
			return true;
	}
	return false;
}

static int load_one(struct agent *a, const char *rel, const char *params)
{
	char path[PATH_MAX];
	unsigned flags = is_compressed(rel) ? MODULE_INIT_COMPRESSED_FILE : 0;
	double t0 = kc_now();
	int fd, r;

	kc_join(path, sizeof(path), a->root, rel);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kc_log_errno(-errno, "module %s: %m", rel);
	r = (int)syscall(SYS_finit_module, fd, params, flags);
	r = r < 0 ? -errno : 0;
	close(fd);
	if (r == -EEXIST) {
		kc_log("module %s: already loaded", rel);
		return 0;
	}
	if (r < 0)
		/* EINVAL: a kernel before 5.17 (no MODULE_INIT_COMPRESSED_FILE) or
		 * another format; EOPNOTSUPP: no CONFIG_MODULE_DECOMPRESS. The
		 * builder kept it compressed because the kernel config it read said
		 * otherwise: that config is not this kernel's. */
		return kc_log_errno(r, "module %s: finit_module: %m%s", rel,
				    flags && (r == -EINVAL || r == -EOPNOTSUPP || r == -ENOSYS) ?
				    " (this kernel cannot decompress it: the image was built with another kernel's "
				    "config; rebuild it for this kernel, or with kcatch-mkinitramfs --unpack-modules)" : "");
	kc_log("module %s loaded (%.2f s)", rel, kc_now() - t0);
	return 0;
}

int kc_modules_load(struct agent *a, const char *manifest)
{
	char path[PATH_MAX], line[1024];
	unsigned loaded = 0, failed = 0;
	double t0 = kc_now();
	FILE *f;

	kc_join(path, sizeof(path), a->root, manifest);
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT) {
			kc_log("no module manifest %s: using the kernel's built-in drivers only", manifest);
			return 0;
		}
		return kc_log_errno(-errno, "%s: %m", manifest);
	}
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *hash = strchr(line, '#'), *params;
		if (hash)
			*hash = 0;
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			continue;
		params = kc_cut_word(s);
		for (size_t n = strlen(params); n && isspace((unsigned char)params[n - 1]); n--)
			params[n - 1] = 0;
		if (a->test_mode) {
			kc_log("test mode: would load module %s", s);
			continue;
		}
		if (load_one(a, s, params) < 0)
			failed++;
		else
			loaded++;
	}
	fclose(f);
	a->modules_secs = kc_now() - t0;
	kc_log("modules: %u loaded, %u failed, %.1f s", loaded, failed, a->modules_secs);
	return failed ? -EIO : 0;
}
