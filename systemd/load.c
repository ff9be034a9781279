/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kcatch load / unload: rebuild the capture image when its inputs
 * changed, run the checks, set the sysctls the config asks for, and load
 * kernel + image with kexec_file_load(2). Kernels without
 * CONFIG_KEXEC_FILE (Debian's arm64 cloud kernels) only have kexec_load(2),
 * whose segments are built in user space: kcatch runs kexec-tools'
 * `kexec -p` for them rather than re-implementing that per architecture.
 * A state file under /run/kcatch records kcatch's own load, so that a
 * capture kernel loaded by someone else (kdump-tools) is never replaced
 * silently. --dry-run replaces only the load itself with a printout.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kcatch.h"

#ifndef KEXEC_FILE_UNLOAD
#define KEXEC_FILE_UNLOAD 0x00000001
#endif
#ifndef KEXEC_FILE_ON_CRASH
#define KEXEC_FILE_ON_CRASH 0x00000002
#endif

#define KC_LOAD_STATE "/run/kcatch/loaded"

/* line is a whole line of text */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)); p += n)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == 0))
			return true;
	return false;
}

/* Which load the kernel config allows: 1 kexec_file_load, 0 only kexec_load,
 * -1 unknown (no config found: try kexec_file_load, fall back on ENOSYS). */
static int has_kexec_file(const struct opts *o, const struct files *f)
{
	char p[4096];
	if (!f->kconfig[0])
		return -1;
	char *t = read_text(rpath(o, f->kconfig, p, sizeof(p)));
	int r = !t ? -1 : has_line(t, "CONFIG_KEXEC_FILE=y") ? 1 :
		has_line(t, "# CONFIG_KEXEC_FILE is not set") || has_line(t, "CONFIG_KEXEC=y") ? 0 : -1;
	free(t);
	return r;
}

/* kexec-tools' kexec: $KCATCH_KEXEC, else PATH, else the sbin directories
 * (root's PATH may lack them under sudo or in a unit). */
static const char *find_kexec(char *buf, size_t len)
{
	const char *env = getenv("KCATCH_KEXEC"), *path = getenv("PATH");
	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return access(buf, X_OK) == 0 ? buf : NULL;
	}
	char dirs[4096];
	snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/sbin", path && *path ? path : "/usr/bin:/bin");
	for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		if (*d != '/')
			continue;
		snprintf(buf, len, "%s/kexec", d);
		if (access(buf, X_OK) == 0)
			return buf;
	}
	return NULL;
}

/* kexec-tools (2.0.29 verified) derives arm64's linear-map start from
 * _text in /proc/kallsyms; 6.1's lists only _stext, and the ELF header
 * kexec -p then builds for /proc/vmcore is wrong. Only arm64 kernels are
 * affected (x86_64 always lists _text). 1: the problem is present. */
static int kallsyms_lacks_text(const struct opts *o, const struct files *f)
{
	char p[4096];
	unsigned char h[64];
	int fd = open_kernel(o, f);
	ssize_t n = fd >= 0 ? pread(fd, h, sizeof(h), 0) : -1;
	if (fd >= 0)
		close(fd);
	/* an arm64 Image has "ARM\x64" at offset 56; an EFI zboot one is a PE
	 * file with "zimg" at 4: both are arm64 */
	bool arm64 = n == 64 && (memcmp(h + 56, "ARM\x64", 4) == 0 || memcmp(h + 4, "zimg", 4) == 0);
	if (!arm64)
		return 0;
	FILE *k = fopen(rpath(o, "/proc/kallsyms", p, sizeof(p)), "re");
	char line[512];
	bool text = false, stext = false;
	if (!k)
		return 0;
	while (fgets(line, sizeof(line), k) && !text) {
		size_t l = strlen(line);
		while (l && line[l - 1] == '\n')
			line[--l] = 0;
		text = l > 6 && strcmp(line + l - 6, " _text") == 0;
		stext = stext || (l > 7 && strcmp(line + l - 7, " _stext") == 0);
	}
	fclose(k);
	return !text && stext;
}

int load_method(const struct opts *o, const struct files *f, char *what, size_t len, char *kexec, size_t klen)
{
	int kf = has_kexec_file(o, f);
	char p[4096];
	if (kf != 0) {
		snprintf(what, len, "kexec_file_load(2)%s", kf < 0 ? " (no kernel config found to tell whether "
			 "it has CONFIG_KEXEC_FILE; kexec -p from kexec-tools if the kernel says ENOSYS)" :
			 ": the kernel has CONFIG_KEXEC_FILE");
		if (!find_kexec(kexec, klen))
			kexec[0] = 0;
		return 1;
	}
	if (!find_kexec(kexec, klen)) {
		kexec[0] = 0;
		snprintf(what, len, "%s has no CONFIG_KEXEC_FILE, only kexec_load(2), which needs kexec-tools' "
			 "kexec: not found (KCATCH_KEXEC, PATH, /usr/sbin, /sbin); install it: apt-get install "
			 "kexec-tools (Debian, Ubuntu), dnf install kexec-tools (Fedora, RHEL)",
			 rpath(o, f->kconfig, p, sizeof(p)));
		return -1;
	}
	if (kallsyms_lacks_text(o, f)) {
		snprintf(what, len, "kexec_load(2) through %s -p, but %s lists _stext and no _text: kexec-tools "
			 "(2.0.29 at least) computes arm64's linear map from _text and would build a wrong ELF "
			 "header for /proc/vmcore, so the dump would be unreadable. Boot a kernel that lists "
			 "_text (Linux 6.12, Debian trixie's) or one with CONFIG_KEXEC_FILE, or a kexec-tools "
			 "that does not need _text", kexec, rpath(o, "/proc/kallsyms", p, sizeof(p)));
		return -2;
	}
	snprintf(what, len, "kexec_load(2) through %s -p: %s has no CONFIG_KEXEC_FILE", kexec,
		 rpath(o, f->kconfig, p, sizeof(p)));
	return 0;
}

/* Run argv (no shell); 0 when it exits 0. */
static int run(char *const argv[])
{
	int st;
	pid_t pid = fork();
	if (pid < 0)
		return kc_error("cannot fork for %s: %s", argv[0], strerror(errno));
	if (pid == 0) {
		execv(argv[0], argv);
		kc_error("cannot run %s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return kc_error("waiting for %s: %s", argv[0], strerror(errno));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	return kc_error("%s failed (%s %d); its messages are above", argv[0],
			WIFEXITED(st) ? "exit status" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

static int kexec_tools_load(const char *kexec, const struct files *f, const char *cmd)
{
	char initrd[4200], cl[8192];
	snprintf(initrd, sizeof(initrd), "--initrd=%s", f->image_abs);
	if ((size_t)snprintf(cl, sizeof(cl), "--command-line=%s", cmd) >= sizeof(cl))
		return kc_error("the capture command line is too long for kexec (%zu bytes)", strlen(cmd));
	char *argv[] = { (char *)kexec, "-p", (char *)f->kernel_abs, initrd, cl, NULL };
	if (run(argv) < 0)
		return kc_error("kexec -p %s did not load the capture kernel (crashkernel= too small for kernel + "
				"image: see kcatch estimate; or see kexec's message above)", f->kernel_abs);
	return 0;
}

/* The record of kcatch's own load: "method kexec_file_load|kexec_load". */
static int write_state(const struct opts *o, const struct files *f, const char *method)
{
	char p[4096], d[4096], tmp[4200];
	rpath(o, "/run/kcatch", d, sizeof(d));
	rpath(o, KC_LOAD_STATE, p, sizeof(p));
	snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	if (mkdir(d, 0755) < 0 && errno != EEXIST)
		return kc_error("cannot create %s: %s (the capture kernel is loaded; kcatch unload works "
				"without it)", d, strerror(errno));
	FILE *s = fopen(tmp, "we");
	if (!s || fprintf(s, "method %s\nkernel %s\nimage %s\n", method, f->kernel, f->image) < 0 ||
	    fclose(s) != 0 || rename(tmp, p) < 0)
		return kc_error("cannot write %s: %s (the capture kernel is loaded; kcatch unload works without it)",
				p, strerror(errno));
	return 0;
}

/* Only what the config names: nothing else changes behind the operator's back. */
static int set_sysctls(const struct opts *o, const struct kc_config *c)
{
	char p[4096];
	if (c->panic_on_oops < 0)
		return 0;
	rpath(o, "/proc/sys/kernel/panic_on_oops", p, sizeof(p));
	FILE *f = fopen(p, "we");
	if (!f || fprintf(f, "%d\n", c->panic_on_oops) < 0 || fclose(f) != 0) {
		return kc_error("cannot set kernel.panic_on_oops in %s: %s", p, strerror(errno));
	}
	printf("set kernel.panic_on_oops = %d (panic_on_oops %s in the config)\n", c->panic_on_oops,
	       c->panic_on_oops ? "yes" : "no");
	return 0;
}

/* 0 loaded, 1 failed (said why), 2 the kernel has no kexec_file_load (ENOSYS). */
static int file_load(const struct opts *o, const struct files *f, const char *cmd)
{
	int kfd = open_kernel(o, f), kerr = kfd < 0 ? -kfd : 0;
	int ifd = open(f->image_abs, O_RDONLY | O_CLOEXEC);
	int r = 0;
	if (kfd < 0 || ifd < 0) {
		kc_error("cannot open %s: %s", kfd < 0 ? f->kernel_abs : f->image_abs,
			strerror(kfd < 0 ? kerr : errno));
		r = 1;
	} else if (syscall(SYS_kexec_file_load, kfd, ifd, strlen(cmd) + 1, cmd, KEXEC_FILE_ON_CRASH) < 0) {
		/* EBUSY: kexec_file_load takes the kexec lock with a trylock
		 * (kernel/kexec_file.c); loading over a loaded capture kernel
		 * swaps the new image in, so that is never why. */
		int e = errno;
		if (e == ENOSYS) {
			r = 2;
			goto out;
		}
		kc_error("kexec_file_load %s: %s%s", f->kernel_abs, strerror(e),
			e == EPERM ? " (run as root; with lockdown the kernel must be signed)" :
			e == EKEYREJECTED || e == EBADMSG ? " (the kernel's signature was rejected: Secure Boot or "
			"lockdown need a kernel signed by a trusted key; install the distribution's signed kernel)" :
			e == EBUSY ? " (the kernel's kexec lock is taken: another kexec load or unload, or a write "
			"to /sys/kernel/kexec_crash_size, is in progress; try again. A capture kernel already "
			"loaded is not the cause: a new load replaces it)" :
			e == ENOMEM ? " (crashkernel= too small for kernel + image: see kcatch estimate)" : "");
		r = 1;
	}
out:
	if (kfd >= 0)
		close(kfd);
	if (ifd >= 0)
		close(ifd);
	return r;
}

/* A capture kernel kcatch did not load (kdump-tools, kdump-utils, a manual
 * kexec -p) is never replaced without --force: two services would then
 * fight over the one crash slot at every boot. */
static bool foreign_load(const struct opts *o)
{
	char p[4096];
	return read_number(o, "/sys/kernel/kexec_crash_loaded") == 1 &&
	       access(rpath(o, KC_LOAD_STATE, p, sizeof(p)), F_OK) < 0;
}

int cmd_load(const struct opts *o)
{
	struct kc_config c;
	struct files f;
	struct target_info t;
	char *cmd = NULL, what[2048], kexec[4096];
	int r = 1, bad, m;

	if (load_config(o, &c, false) < 0)
		goto out;
	/* checks first, so a host that cannot be armed does not build for nothing */
	bad = run_checks(o, &f, false, false);
	if (bad) {
		kc_error("not loading: %d check(s) failed (see above)", bad);
		goto out;
	}
	if (foreign_load(o) && !o->force) {
		kc_error("not loading: a capture kernel is already loaded (/sys/kernel/kexec_crash_loaded is 1) "
			 "that kcatch did not load (no %s): kdump-tools or another service owns the crash slot. "
			 "Disable that service (systemctl disable --now kdump-tools), or run 'kcatch unload' "
			 "first, or 'kcatch load --force' to replace it", KC_LOAD_STATE);
		goto out;
	}
	m = load_method(o, &f, what, sizeof(what), kexec, sizeof(kexec));
	if (m < 0) {
		kc_error("not loading: %s", what);
		goto out;
	}
	resolve_target(o, &c, &t);
	if (rebuild_if_needed(o, &f, &c, &t, false) < 0) {
		kc_error("not loading: the capture image could not be built");
		goto out;
	}
	cmd = capture_cmdline(o, &c);
	if (!cmd || set_sysctls(o, &c) < 0)
		goto out;
	if (o->dry_run) {
		printf("%s (dry run, nothing loaded):\n", m == 1 ? "kexec_file_load(2)" : "kexec_load(2)");
		printf("method   %s\n", what);
		printf("kernel   %s\n", f.kernel_abs);
		printf("initrd   %s\n", f.image_abs);
		printf("cmdline  %s\n", cmd);
		if (m == 1)
			printf("flags    KEXEC_FILE_ON_CRASH\n");
		else
			printf("run      %s -p %s --initrd=%s --command-line='%s'\n", kexec, f.kernel_abs, f.image_abs, cmd);
		r = 0;
		goto out;
	}
	if (m == 1) {
		r = file_load(o, &f, cmd);
		if (r == 2 && !kexec[0]) {
			kc_error("kexec_file_load %s: this kernel has no CONFIG_KEXEC_FILE (ENOSYS), and kexec_load needs "
				 "kexec-tools' kexec, which is not found (KCATCH_KEXEC, PATH, /usr/sbin, /sbin): "
				 "apt-get install kexec-tools (Debian, Ubuntu), dnf install kexec-tools (Fedora, RHEL)",
				 f.kernel_abs);
			r = 1;
			goto out;
		}
		if (r == 2 && kallsyms_lacks_text(o, &f)) {
			kc_error("kexec_file_load %s: ENOSYS (no CONFIG_KEXEC_FILE), and kexec -p cannot be used: /proc/kallsyms "
				 "lists _stext and no _text, from which kexec-tools (2.0.29 at least) computes arm64's "
				 "linear map; the dump would be unreadable. Boot a kernel that lists _text (Linux 6.12) "
				 "or one with CONFIG_KEXEC_FILE", f.kernel_abs);
			r = 1;
			goto out;
		}
		if (r == 2)
			printf("kexec_file_load: ENOSYS (no CONFIG_KEXEC_FILE); loading with %s -p instead\n", kexec);
	}
	if (m != 1 || r == 2) {
		m = 0;
		r = kexec_tools_load(kexec, &f, cmd) < 0;
	}
	if (r == 0) {
		/* the kexec_file_load line is what tests/e2e/test-arm.sh matches */
		printf("loaded %s with %s%s\n", f.kernel, f.image, m == 1 ? "" : " (kexec -p)");
		write_state(o, &f, m == 1 ? "kexec_file_load" : "kexec_load");
	}
out:
	free(cmd);
	kc_config_free(&c);
	return r;
}

int cmd_unload(const struct opts *o)
{
	char p[4096], kexec[4096];
	char *st = read_text(rpath(o, KC_LOAD_STATE, p, sizeof(p)));
	bool tools = st && strstr(st, "method kexec_load\n");
	free(st);
	if (o->dry_run) {
		if (tools)
			printf("kexec -p -u (dry run): kcatch loaded with kexec_load; %s would be removed\n", p);
		else
			printf("kexec_file_load(2) (dry run): flags KEXEC_FILE_UNLOAD|KEXEC_FILE_ON_CRASH; "
			       "%s would be removed\n", p);
		return 0;
	}
	if (!tools && syscall(SYS_kexec_file_load, -1, -1, 0UL, NULL, KEXEC_FILE_UNLOAD | KEXEC_FILE_ON_CRASH) < 0) {
		if (errno != ENOSYS) {
			kc_error("unloading the capture kernel: %s", strerror(errno));
			return 1;
		}
		tools = true;
	}
	if (tools) {
		if (!find_kexec(kexec, sizeof(kexec))) {
			kc_error("unloading: this kernel has only kexec_load, which needs kexec-tools' kexec: not found "
				 "(KCATCH_KEXEC, PATH, /usr/sbin, /sbin): apt-get install kexec-tools");
			return 1;
		}
		char *argv[] = { kexec, "-p", "-u", NULL };
		if (run(argv) < 0)
			return 1;
	}
	if (unlink(p) < 0 && errno != ENOENT)
		kc_error("cannot remove %s: %s (remove it by hand)", p, strerror(errno));
	printf("unloaded\n");
	return 0;
}
