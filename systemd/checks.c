/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kcatch status, show and test, and the checks load runs: each says what
 * it found and, when it fails, the fix.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kcatch.h"

#define EFI_SECURE_BOOT "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"

int secure_boot_state(const struct opts *o)
{
	char p[4096];
	unsigned char v[5];
	FILE *f = fopen(rpath(o, EFI_SECURE_BOOT, p, sizeof(p)), "re");
	if (!f)
		return -1;
	/* efivarfs: 4 bytes of attributes, then the variable: one byte, 1 = on */
	size_t n = fread(v, 1, sizeof(v), f);
	fclose(f);
	return n == 5 ? v[4] == 1 : -1;
}

const char *lockdown_mode(const struct opts *o, char *buf, size_t len)
{
	char p[4096];
	char *t = read_text(rpath(o, "/sys/kernel/security/lockdown", p, sizeof(p)));
	char *a = t ? strchr(t, '[') : NULL, *b = a ? strchr(a, ']') : NULL;
	if (!b) {
		free(t);
		return NULL;
	}
	snprintf(buf, len, "%.*s", (int)(b - a - 1), a + 1);
	free(t);
	return buf;
}

static uint32_t le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* An EFI-stub kernel is a PE file; a signature is its certificate table (data directory 4). */
int kernel_is_signed(int fd)
{
	unsigned char h[4096];
	ssize_t got = pread(fd, h, sizeof(h), 0);
	size_t n = got > 0 ? (size_t)got : 0;
	if (n < 0x40 || h[0] != 'M' || h[1] != 'Z')
		return -1;
	uint64_t pe = le32(h + 0x3c);
	/* PE signature, COFF header, optional header up to the data directories, 5 of them */
	if (pe + 24 + 112 + 5 * 8 > n || memcmp(h + pe, "PE\0\0", 4) != 0)
		return -1;
	uint64_t opt = pe + 24;
	unsigned magic = h[opt] | h[opt + 1] << 8;
	uint64_t dirs = opt + (magic == 0x20b ? 112 : 96);   /* PE32+ : PE32 */
	if (magic != 0x20b && magic != 0x10b)
		return -1;
	if (le32(h + dirs - 4) <= 4)                         /* NumberOfRvaAndSizes */
		return 0;
	return le32(h + dirs + 4 * 8 + 4) != 0;              /* certificate table size */
}

/* Page cache without shmem (tmpfs, shared memory: dump_level 2 keeps those). */
static uint64_t cache_bytes(const struct opts *o)
{
	uint64_t cached = meminfo_bytes(o, "Cached"), shmem = meminfo_bytes(o, "Shmem");
	return cached > shmem ? cached - shmem : 0;
}

uint64_t dump_size_estimate(const struct opts *o, const struct kc_config *c, char *how, size_t len)
{
	uint64_t total = meminfo_bytes(o, "MemTotal"), kept = total, cut;
	unsigned dl = c->dump_level;
	if (!total) {
		fmt(how, len, "unknown: no /proc/meminfo");
		return 0;
	}
	/* what dump_level leaves out, as this host's memory is used now */
	cut = (dl & 16 ? meminfo_bytes(o, "MemFree") : 0) +
	      (dl & 8 ? meminfo_bytes(o, "AnonPages") : 0) +
	      (dl & 2 ? cache_bytes(o) : 0) +
	      (dl & 4 ? meminfo_bytes(o, "Buffers") : 0);
	kept = cut < total ? total - cut : total / 16;
	if (c->compress != KCF_COMPRESS_NONE)
		kept /= 2;
	char b[32];
	fmt(how, len, "an estimate: %s of RAM minus what dump_level %u leaves out as memory is used now%s; "
		 "a crash may come when more is in use", kc_format_bytes(total, b, sizeof(b)), dl,
		 c->compress != KCF_COMPRESS_NONE ? ", halved for compression (kernel memory usually "
		 "compresses 3-5x)" : "");
	return kept;
}

int cmd_status(const struct opts *o)
{
	long long loaded = read_number(o, "/sys/kernel/kexec_crash_loaded");
	long long size = read_number(o, "/sys/kernel/kexec_crash_size");
	char b[32];
	if (loaded == 1) {
		struct files f;
		char bb[32];
		find_files(o, &f);
		printf("armed: a capture kernel is loaded (%s reserved)\n",
		       size > 0 ? kc_format_bytes((uint64_t)size, b, sizeof(b)) : "? bytes");
		if (image_builder(&f, bb, sizeof(bb)))
			printf("capture image %s (built by %s)\n", f.image_abs, bb);
		return 0;
	}
	printf("not armed: ");
	if (loaded < 0)
		printf("%s/sys/kernel/kexec_crash_loaded is missing: this kernel has no kexec crash support (CONFIG_CRASH_DUMP)\n",
		       strcmp(o->root, "/") ? o->root : "");
	else if (size <= 0)
		printf("no memory is reserved for a capture kernel; 'kcatch crashkernel' sets crashkernel= (the size "
		       "'kcatch estimate' recommends) for the next boot; then reboot\n");
	else
		printf("no capture kernel is loaded (%s reserved); run 'kcatch load' or 'systemctl start kcatch'\n",
		       kc_format_bytes((uint64_t)size, b, sizeof(b)));
	return KC_EXIT_NOT_ARMED;
}

static void check(int *bad, bool verbose, const char *mark, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void check(int *bad, bool verbose, const char *mark, const char *fmt, ...)
{
	va_list ap;
	bool fail = strcmp(mark, "FAIL") == 0;
	*bad += fail;
	if (!verbose && !fail)
		return;
	printf("%-4s ", mark);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void check_secure(const struct opts *o, const struct files *f, int method, int *bad, bool verbose)
{
	char mode[64];
	int sb = secure_boot_state(o);
	const char *ld = lockdown_mode(o, mode, sizeof(mode));
	int fd = open_kernel(o, f), sig = fd >= 0 ? kernel_is_signed(fd) : -1;
	if (fd >= 0)
		close(fd);
	bool strict = sb == 1 || (ld && strcmp(ld, "none"));
	check(bad, verbose, "ok", "secure boot: %s; lockdown: %s. kcatch loads with kexec_file_load(2), which works "
	      "with both: the kernel then checks the capture kernel's signature",
	      sb == 1 ? "on" : sb == 0 ? "off" : "unknown (no EFI variables)", ld ? ld : "unknown");
	if (!strict)
		return;
	if (method == 0) {
		/* kernel/kexec.c: kexec_load is refused under lockdown (it loads unverified segments) */
		check(bad, verbose, "FAIL", "load: with Secure Boot or lockdown the kernel refuses kexec_load(2), and "
		      "this kernel has no kexec_file_load (CONFIG_KEXEC_FILE): boot a kernel built with it, or "
		      "turn lockdown off");
		return;
	}
	if (sig == 1)
		check(bad, verbose, "ok", "kernel signature: %s has one, as Secure Boot/lockdown need", f->kernel_abs);
	else if (sig == 0)
		check(bad, verbose, "FAIL", "kernel signature: %s is not signed; with Secure Boot or lockdown "
		      "kexec_file_load refuses it: install the distribution's signed kernel package", f->kernel_abs);
	else
		check(bad, verbose, "note", "kernel signature: %s is not an EFI (PE) image; cannot tell whether it "
		      "is signed, which Secure Boot or lockdown need", f->kernel_abs);
}

static void check_target(const struct opts *o, const struct kc_config *c, int *bad, bool verbose)
{
	struct target_info t;
	struct stat st;
	char how[512], b[3][32];
	resolve_target(o, c, &t);
	if (!t.ok) {
		check(bad, verbose, "FAIL", "target: %s", t.error);
		return;
	}
	if (t.network) {
		check(bad, verbose, "ok", "target: %s (network: reached over %s by the agent)", t.spec,
		      strncmp(t.spec, "nfs://", 6) ? "ssh" : "NFS");
		return;
	}
	check(bad, verbose, "ok", "target: %s: %s%s%s%s%s", t.explicit_target ? "explicit" : "found for path",
	      t.spec, t.device[0] ? " on " : "", t.device, t.fstype[0] ? ", " : "", t.fstype);
	if (t.explicit_target && !t.host_dir[0]) {
		check(bad, verbose, "note", "dump directory: %s is not mounted here, so its dump directory and "
		      "free space cannot be checked", t.device);
		return;
	}
	bool dok = stat(t.host_dir, &st) == 0 && S_ISDIR(st.st_mode);
	check(bad, verbose, dok ? "ok" : "FAIL", "dump directory: %s%s", t.host_dir,
	      dok ? "" : " does not exist; create it (mkdir -p -m 0700) or change path in the config");
	if (!t.have_space) {
		check(bad, verbose, "note", "free space: unknown (statvfs failed)");
		return;
	}
	uint64_t est = dump_size_estimate(o, c, how, sizeof(how)), need = est + c->min_free;
	bool sok = t.free_bytes >= need;
	check(bad, verbose, sok ? "ok" : "FAIL", "free space: %s free on the target; a dump needs about %s "
	      "(%s) plus min_free %s%s", kc_format_bytes(t.free_bytes, b[0], sizeof(b[0])),
	      kc_format_bytes(est, b[1], sizeof(b[1])), how, kc_format_bytes(c->min_free, b[2], sizeof(b[2])),
	      sok ? "" : "; free space on the target, set keep to delete old dumps, lower min_free or raise dump_level");
}

int run_checks(const struct opts *o, struct files *f, bool verbose, bool image_check)
{
	struct kc_config c;
	char p[4096], b[32], why[2048], err[512];
	int bad = 0, r;
	long long size = read_number(o, "/sys/kernel/kexec_crash_size");

	find_files(o, f);
	if (size > 0)
		check(&bad, verbose, "ok", "crashkernel: %s reserved", kc_format_bytes((uint64_t)size, b, sizeof(b)));
	else
		check(&bad, verbose, "FAIL", "crashkernel: no memory reserved (%s); 'kcatch crashkernel' sets "
		      "crashkernel= for the next boot ('kcatch estimate' says how much); then reboot",
		      size < 0 ? "sys/kernel/kexec_crash_size missing" : "kexec_crash_size is 0");
	check(&bad, verbose, f->kernel_found ? "ok" : "FAIL", "kernel image: %s",
	      f->kernel_found ? f->kernel_abs : f->kernel_error);
	if (f->kernel_found) {
		char what[2048], kexec[4096];
		int m = load_method(o, f, what, sizeof(what), kexec, sizeof(kexec));
		check(&bad, verbose, m < 0 ? "FAIL" : "ok", "load: %s", what);
		check_secure(o, f, m, &bad, verbose);
	}
	r = load_config(o, &c, true);
	if (r >= 0) {
		check(&bad, verbose, "ok", "config: %s %s", config_path(o, p, sizeof(p)),
		      r == 1 ? "missing, defaults used" : "valid");
	} else {
		struct kc_config t;
		kc_config_init(&t);
		kc_config_load(&t, config_path(o, p, sizeof(p)), err, sizeof(err));
		kc_config_free(&t);
		check(&bad, verbose, "FAIL", "config: %s; fix that line", err);
	}
	check_target(o, &c, &bad, verbose);
	if (c.builder != KC_BUILDER_KCATCH) {
		char prog[4096], bwhy[8192];
		if (builder_problem(o, &c, prog, sizeof(prog), bwhy, sizeof(bwhy)) < 0)
			check(&bad, verbose, "FAIL", "%s", bwhy);
		else
			check(&bad, verbose, "ok", "builder %s: %s and kcatch's hook", kc_builder_name(c.builder), prog);
	}
	if (image_check) {
		struct target_info t;
		resolve_target(o, &c, &t);
		if (rebuild_reason(o, f, &c, &t, why, sizeof(why)))
			check(&bad, verbose, "FAIL", "capture image: rebuild needed: %s; 'kcatch load' rebuilds it, "
			      "or run 'kcatch rebuild'", why);
		else
			check(&bad, verbose, "ok", "capture image: %s is up to date", f->image_abs);
	}
	kc_config_free(&c);
	return bad;
}

int cmd_test(const struct opts *o)
{
	struct files f;
	int bad = run_checks(o, &f, true, true);
	printf(bad ? "not ready: %d check(s) failed\n" : "ready: kcatch load would arm capture\n", bad);
	return bad ? 1 : 0;
}

static void print_age(const char *label, const char *path, const char *shown)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		printf("%-20s %s (missing)\n", label, shown);
		return;
	}
	char when[64];
	struct tm tm;
	long age = (long)(time(NULL) - st.st_mtime);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&st.st_mtime, &tm));
	printf("%-20s %s (%s, %ld days %02ld:%02ld old, %lld bytes)\n", label, shown, when,
	       age / 86400, age % 86400 / 3600, age % 3600 / 60, (long long)st.st_size);
}

static void show_target(const struct opts *o, const struct kc_config *c)
{
	struct target_info t;
	char b[32], how[512];
	resolve_target(o, c, &t);
	if (!t.ok) {
		printf("%-20s not found: %s\n", "target", t.error);
		return;
	}
	printf("%-20s %s (%s)\n", "target", t.spec, t.network ? "network" :
	       t.explicit_target ? "explicit in the config" : "found: the file system that holds path");
	if (t.network)
		return;
	printf("%-20s %s\n", "target device", t.device);
	printf("%-20s %s\n", "target UUID", t.uuid[0] ? t.uuid : "-");
	printf("%-20s %s\n", "target fs type", t.fstype[0] ? t.fstype : "-");
	if (t.label[0])
		printf("%-20s %s\n", "target label", t.label);
	printf("%-20s %s\n", "target mounted on", t.mountpoint[0] ? t.mountpoint : "(not mounted here)");
	printf("%-20s %s\n", "path on target", t.path_on_fs);
	printf("%-20s %s\n", "target free space", t.have_space ? kc_format_bytes(t.free_bytes, b, sizeof(b)) : "unknown");
	uint64_t est = dump_size_estimate(o, c, how, sizeof(how));
	printf("%-20s %s (%s)\n", "dump size estimate", est ? kc_format_bytes(est, b, sizeof(b)) : "?", how);
}

int cmd_show(const struct opts *o)
{
	struct kc_config c;
	struct files f;
	char p[4096], b[32], mode[64], why[2048];
	int r = load_config(o, &c, false);
	long long size = read_number(o, "/sys/kernel/kexec_crash_size");
	long long loaded = read_number(o, "/sys/kernel/kexec_crash_loaded");
	long long oops = read_number(o, "/proc/sys/kernel/panic_on_oops");
	char *cur = read_text(rpath(o, "/proc/cmdline", p, sizeof(p)));
	char *cap = capture_cmdline(o, &c);
	int sb = secure_boot_state(o);

	find_files(o, &f);
	printf("%-20s %s%s\n", "config", config_path(o, p, sizeof(p)),
	       r == 1 ? " (missing: defaults in effect)" : r < 0 ? " (INVALID: see above)" : "");
	kc_config_dump(&c, stdout);
	show_target(o, &c);
	printf("%-20s %s\n", "dump directory", dump_dir(o, &c, p, sizeof(p)));
	printf("%-20s %s\n", "crashkernel reserved",
	       size > 0 ? kc_format_bytes((uint64_t)size, b, sizeof(b)) : "none (add crashkernel= to the kernel command line)");
	printf("%-20s %s\n", "capture kernel", loaded == 1 ? "loaded" : "not loaded");
	printf("%-20s %s\n", "kernel release", f.release);
	if (f.kernel_found)
		print_age("kernel image", f.kernel_abs, f.kernel);
	else
		printf("%-20s %s\n", "kernel image", f.kernel_error);
	printf("%-20s %s\n", "kernel config", f.kconfig[0] ? f.kconfig : "(none in /boot or the module directory)");
	printf("%-20s %s\n", "System.map", f.sysmap[0] ? f.sysmap : "(none in /boot or the module directory)");
	print_age("capture image", f.image_abs, f.image);
	if (access(f.image_abs, F_OK) == 0) {
		struct target_info t;
		char bb[32];
		printf("%-20s %s\n", "image builder", image_builder(&f, bb, sizeof(bb)) ? bb :
		       "unknown (no stamp: not built by kcatch rebuild)");
		resolve_target(o, &c, &t);
		printf("%-20s %s\n", "image up to date", rebuild_reason(o, &f, &c, &t, why, sizeof(why)) ?
		       why : "yes");
	}
	printf("%-20s %s\n", "secure boot", sb == 1 ? "on" : sb == 0 ? "off" : "unknown (no EFI variables)");
	printf("%-20s %s\n", "lockdown", lockdown_mode(o, mode, sizeof(mode)) ? mode : "unknown");
	printf("%-20s %s (%s)\n", "kernel.panic_on_oops", oops < 0 ? "?" : oops ? "1" : "0",
	       c.panic_on_oops < 0 ? "left alone: panic_on_oops is not in the config" :
	       c.panic_on_oops ? "kcatch load sets 1" : "kcatch load sets 0");
	printf("%-20s %s\n", "kernel command line", cur ? cur : "(unreadable)");
	printf("%-20s %s\n", "capture command line", cap ? cap : "");
	free(cur);
	free(cap);
	kc_config_free(&c);
	return r < 0 ? 1 : 0;
}
