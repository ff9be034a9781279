/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kcatch load / unload: rebuild the capture image when its inputs
 * changed, run the checks, set the sysctls the config asks for, and load
 * kernel + image with kexec_file_load(2) (no kexec-tools). --dry-run
 * replaces only the kexec_file_load call with a printout.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kcatch.h"

#ifndef KEXEC_FILE_UNLOAD
#define KEXEC_FILE_UNLOAD 0x00000001
#endif
#ifndef KEXEC_FILE_ON_CRASH
#define KEXEC_FILE_ON_CRASH 0x00000002
#endif

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

static int kexec_load(const struct opts *o, const struct files *f, const char *cmd)
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
		kc_error("kexec_file_load %s: %s%s", f->kernel_abs, strerror(e),
			e == EPERM ? " (run as root; with lockdown the kernel must be signed)" :
			e == EKEYREJECTED || e == EBADMSG ? " (the kernel's signature was rejected: Secure Boot or "
			"lockdown need a kernel signed by a trusted key; install the distribution's signed kernel)" :
			e == EBUSY ? " (the kernel's kexec lock is taken: another kexec load or unload, or a write "
			"to /sys/kernel/kexec_crash_size, is in progress; try again. A capture kernel already "
			"loaded is not the cause: a new load replaces it)" :
			e == ENOMEM ? " (crashkernel= too small for kernel + image: see kcatch estimate)" :
			e == ENOSYS ? " (this kernel has no CONFIG_KEXEC_FILE)" : "");
		r = 1;
	} else {
		printf("loaded %s with %s\n", f->kernel, f->image);
	}
	if (kfd >= 0)
		close(kfd);
	if (ifd >= 0)
		close(ifd);
	return r;
}

int cmd_load(const struct opts *o)
{
	struct kc_config c;
	struct files f;
	struct target_info t;
	char *cmd = NULL;
	int r = 1, bad;

	if (load_config(o, &c, false) < 0)
		goto out;
	/* checks first, so a host that cannot be armed does not build for nothing */
	bad = run_checks(o, &f, false, false);
	if (bad) {
		kc_error("not loading: %d check(s) failed (see above)", bad);
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
		printf("kexec_file_load(2) (dry run, nothing loaded):\n");
		printf("kernel   %s\n", f.kernel_abs);
		printf("initrd   %s\n", f.image_abs);
		printf("cmdline  %s\n", cmd);
		printf("flags    KEXEC_FILE_ON_CRASH\n");
		r = 0;
	} else {
		r = kexec_load(o, &f, cmd);
	}
out:
	free(cmd);
	kc_config_free(&c);
	return r;
}

int cmd_unload(const struct opts *o)
{
	if (o->dry_run) {
		printf("kexec_file_load(2) (dry run): flags KEXEC_FILE_UNLOAD|KEXEC_FILE_ON_CRASH\n");
		return 0;
	}
	if (syscall(SYS_kexec_file_load, -1, -1, 0UL, NULL, KEXEC_FILE_UNLOAD | KEXEC_FILE_ON_CRASH) < 0) {
		kc_error("unloading the capture kernel: %s", strerror(errno));
		return 1;
	}
	printf("unloaded\n");
	return 0;
}
