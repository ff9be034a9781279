/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kcatch: arm, check and inspect crash capture on the production host.
 * status/show/test/load/unload here, list/report in dumps.c. Every path
 * is read under --root, so tests run on a fake tree; load and unload call
 * kexec_file_load(2) directly (no kexec-tools), or print what they would
 * do with --dry-run.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "kcatch.h"

#ifndef KEXEC_FILE_UNLOAD
#define KEXEC_FILE_UNLOAD 0x00000001
#endif
#ifndef KEXEC_FILE_ON_CRASH
#define KEXEC_FILE_ON_CRASH 0x00000002
#endif

static const char usage[] =
"Usage: kcatch [--root DIR] [--config FILE] COMMAND [ARGS]\n"
"\n"
"Arm, check and inspect kernel crash capture with kcatch. After a panic the\n"
"kernel kexecs the capture kernel loaded by 'kcatch load'; its initramfs\n"
"(built by kcatch-mkinitramfs) runs kcatch-agent, which saves the dump to the\n"
"target of /etc/kcatch.conf as <path>/<YYYY-MM-DD-HH:MM:SS[-host]>/.\n"
"\n"
"Commands:\n"
"  status        whether a capture kernel is loaded and memory reserved for it,\n"
"                and why not. Exit 0 armed, 3 not armed.\n"
"  show          the configuration in effect, crashkernel memory reserved, the\n"
"                running kernel, its image, the capture image and its age, and the\n"
"                capture kernel command line.\n"
"  test          every check 'load' makes, loading nothing: crashkernel reserved,\n"
"                kernel image present, capture image present and newer than the\n"
"                kernel and the configuration, configuration valid, dump\n"
"                directory present. Exit 0 ready, 1 not; each failure says the fix.\n"
"  load          run the checks, then load kernel and capture image with\n"
"                kexec_file_load(2) (KEXEC_FILE_ON_CRASH). With --dry-run, print\n"
"                the kernel, initrd and command line it would pass instead.\n"
"  unload        unload the capture kernel (KEXEC_FILE_UNLOAD); --dry-run prints.\n"
"  list          the dumps in the dump directory: id, crash time, kernel,\n"
"                size, state (complete, incomplete, failed), panic line.\n"
"  report [ID]   summary of dump ID (default the newest): kernel, crash time,\n"
"                panic message, size, what was kept, and the end of its kernel\n"
"                log. With --journal: every dump not yet reported is written to\n"
"                the journal (MESSAGE_ID " "5e1c3a4f9b2d4e7a8c6f0b1d2e3f4a5b" ")\n"
"                and marked with a file named 'reported' in its directory.\n"
"\n"
"Options:\n"
"  --root DIR      read and write everything under DIR instead of / (tests,\n"
"                  chroots): DIR/etc/kcatch.conf, DIR/sys/kernel/kexec_crash_*,\n"
"                  DIR/proc/cmdline, DIR/proc/sys/kernel/osrelease, DIR/boot,\n"
"                  DIR/var/lib/kcatch and the dump directory\n"
"  --config FILE   configuration file (default DIR/etc/kcatch.conf)\n"
"  --dry-run       load/unload: print instead of calling kexec_file_load(2)\n"
"  --journal       report: write new dumps to the journal, mark them reported\n"
"  -h, --help      this text\n"
"  --version       the version\n"
"\n"
"Files:\n"
"  /etc/kcatch.conf                      configuration, shared with the agent\n"
"  /boot/vmlinuz-RELEASE                 the kernel loaded as capture kernel\n"
"  " KC_IMAGE_DIR "/initrd-RELEASE.img     the capture image, built with\n"
"        kcatch-mkinitramfs -k RELEASE -o " KC_IMAGE_DIR "/initrd-RELEASE.img\n"
"\n"
"The capture command line is the running kernel's (/proc/cmdline) without\n"
"crashkernel=, initrd=, BOOT_IMAGE=, resume=, mem=, hugepage, CPU-count and\n"
"panic options, plus 'reset_devices nr_cpus=1 irqpoll'.\n"
"\n"
"Exit status: 0 success (armed, ready); 1 failure (not ready, error);\n"
"2 usage error; 3 not armed (status).\n";

const char *rpath(const struct opts *o, const char *path, char *buf, size_t len)
{
	if (strcmp(o->root, "/") == 0 || path[0] != '/')
		snprintf(buf, len, "%s", path);
	else
		snprintf(buf, len, "%s%s", o->root, path);
	return buf;
}

char *read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, n;
	if (!f)
		return NULL;
	buf = malloc(65537);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	while ((n = fread(buf + len, 1, 65536 - len, f)) > 0)
		len += n;
	fclose(f);
	buf[len] = 0;
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = 0;
	return buf;
}

const char *config_path(const struct opts *o, char *buf, size_t len)
{
	if (o->config)
		return o->config;
	return rpath(o, "/etc/kcatch.conf", buf, len);
}

int load_config(const struct opts *o, struct kc_config *c, bool quiet)
{
	char buf[4096], err[512];
	const char *p = config_path(o, buf, sizeof(buf));
	int r;
	kc_config_init(c);
	if (access(p, F_OK) < 0 && errno == ENOENT)
		return 1;  /* defaults */
	r = kc_config_load(c, p, err, sizeof(err));
	if (r < 0 && !quiet)
		fprintf(stderr, "kcatch: %s\n  fix the line in %s (see kcatch-mkinitramfs --help for the keys)\n", err, p);
	return r;
}

const char *dump_dir(const struct opts *o, const struct kc_config *c, char *buf, size_t len)
{
	char tmp[4096];
	const char *path = c->path ? c->path : KC_DEFAULT_PATH;
	if (c->target.kind == KC_TARGET_DIR && strcmp(c->target.value, "/") != 0)
		snprintf(tmp, sizeof(tmp), "%s%s", c->target.value, path);
	else
		snprintf(tmp, sizeof(tmp), "%s", path);
	return rpath(o, tmp, buf, len);
}

/* -1 when the file is missing or unreadable. */
static long long read_number(const struct opts *o, const char *path)
{
	char p[4096];
	char *t = read_text(rpath(o, path, p, sizeof(p)));
	long long v = -1;
	if (t) {
		char *end;
		v = strtoll(t, &end, 10);
		if (end == t)
			v = -1;
		free(t);
	}
	return v;
}

static void kernel_release(const struct opts *o, char *buf, size_t len)
{
	char p[4096];
	char *t = read_text(rpath(o, "/proc/sys/kernel/osrelease", p, sizeof(p)));
	struct utsname u;
	if (t) {
		snprintf(buf, len, "%s", t);
		free(t);
	} else if (strcmp(o->root, "/") == 0 && uname(&u) == 0) {
		snprintf(buf, len, "%s", u.release);
	} else {
		snprintf(buf, len, "unknown");
	}
}

/* Options of the running kernel that must not reach the capture kernel. */
static bool drop_option(const char *w)
{
	static const char *const keys[] = { "crashkernel", "initrd", "BOOT_IMAGE", "resume",
		"resume_offset", "mem", "hugepages", "hugepagesz", "default_hugepagesz", "nr_cpus",
		"maxcpus", "possible_cpus", "irqpoll", "reset_devices", "panic", "kexec_jump_back_entry",
		"cma", "hibernate", NULL };
	size_t n = strcspn(w, "=");
	for (int i = 0; keys[i]; i++)
		if (strlen(keys[i]) == n && strncmp(w, keys[i], n) == 0)
			return true;
	return false;
}

static char *capture_cmdline(const struct opts *o)
{
	char p[4096];
	char *cur = read_text(rpath(o, "/proc/cmdline", p, sizeof(p)));
	size_t cap = (cur ? strlen(cur) : 0) + 64;
	char *out = calloc(1, cap), *save = NULL;
	if (!out) {
		free(cur);
		return NULL;
	}
	for (char *w = cur ? strtok_r(cur, " \t\n", &save) : NULL; w; w = strtok_r(NULL, " \t\n", &save)) {
		if (drop_option(w))
			continue;
		strcat(out, w);
		strcat(out, " ");
	}
	strcat(out, "reset_devices nr_cpus=1 irqpoll");
	free(cur);
	return out;
}

struct files {
	char release[256];
	char kernel[4096], kernel_abs[4096];   /* as on the host, and with root */
	char image[4096], image_abs[4096];
};

static void find_files(const struct opts *o, struct files *f)
{
	kernel_release(o, f->release, sizeof(f->release));
	snprintf(f->kernel, sizeof(f->kernel), "/boot/vmlinuz-%s", f->release);
	rpath(o, f->kernel, f->kernel_abs, sizeof(f->kernel_abs));
	snprintf(f->image, sizeof(f->image), KC_IMAGE_DIR "/initrd-%s.img", f->release);
	rpath(o, f->image, f->image_abs, sizeof(f->image_abs));
}

static int cmd_status(const struct opts *o)
{
	long long loaded = read_number(o, "/sys/kernel/kexec_crash_loaded");
	long long size = read_number(o, "/sys/kernel/kexec_crash_size");
	char b[32];
	if (loaded == 1) {
		printf("armed: a capture kernel is loaded (%s reserved)\n",
		       size > 0 ? kc_format_bytes((uint64_t)size, b, sizeof(b)) : "? bytes");
		return 0;
	}
	printf("not armed: ");
	if (loaded < 0)
		printf("%s/sys/kernel/kexec_crash_loaded is missing: this kernel has no kexec crash support (CONFIG_CRASH_DUMP)\n",
		       strcmp(o->root, "/") ? o->root : "");
	else if (size <= 0)
		printf("no memory is reserved for a capture kernel; add crashkernel= (e.g. crashkernel=256M) to the kernel command line and reboot\n");
	else
		printf("no capture kernel is loaded (%s reserved); run 'kcatch load' or 'systemctl start kcatch'\n",
		       kc_format_bytes((uint64_t)size, b, sizeof(b)));
	return KC_EXIT_NOT_ARMED;
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

static int cmd_show(const struct opts *o)
{
	struct kc_config c;
	struct files f;
	char p[4096], b[32], d[4096];
	int r = load_config(o, &c, false);
	long long size = read_number(o, "/sys/kernel/kexec_crash_size");
	long long loaded = read_number(o, "/sys/kernel/kexec_crash_loaded");
	char *cur = read_text(rpath(o, "/proc/cmdline", p, sizeof(p)));
	char *cap = capture_cmdline(o);

	find_files(o, &f);
	printf("%-20s %s%s\n", "config", config_path(o, p, sizeof(p)),
	       r == 1 ? " (missing: defaults in effect)" : r < 0 ? " (INVALID: see above)" : "");
	kc_config_dump(&c, stdout);
	printf("%-20s %s\n", "dump directory", dump_dir(o, &c, d, sizeof(d)));
	printf("%-20s %s\n", "crashkernel reserved",
	       size > 0 ? kc_format_bytes((uint64_t)size, b, sizeof(b)) : "none (add crashkernel= to the kernel command line)");
	printf("%-20s %s\n", "capture kernel", loaded == 1 ? "loaded" : "not loaded");
	printf("%-20s %s\n", "kernel release", f.release);
	print_age("kernel image", f.kernel_abs, f.kernel);
	print_age("capture image", f.image_abs, f.image);
	printf("%-20s %s\n", "kernel command line", cur ? cur : "(unreadable)");
	printf("%-20s %s\n", "capture command line", cap ? cap : "");
	free(cur);
	free(cap);
	kc_config_free(&c);
	return r < 0 ? 1 : 0;
}

/* The checks of load; prints one line each, returns the number failed. */
static int run_checks(const struct opts *o, struct files *f, bool verbose)
{
	struct kc_config c;
	struct stat kst, ist, cst;
	char p[4096], d[4096], b[32];
	int bad = 0, r;
	long long size = read_number(o, "/sys/kernel/kexec_crash_size");
#define CHECK(ok, ...) do { if (!(ok)) bad++; if (verbose || !(ok)) { \
	printf("%s ", (ok) ? "ok  " : "FAIL"); printf(__VA_ARGS__); putchar('\n'); } } while (0)

	find_files(o, f);
	if (size > 0)
		CHECK(1, "crashkernel: %s reserved", kc_format_bytes((uint64_t)size, b, sizeof(b)));
	else
		CHECK(0, "crashkernel: no memory reserved (%s); add crashkernel=256M to the kernel command line and reboot",
		      size < 0 ? "sys/kernel/kexec_crash_size missing" : "kexec_crash_size is 0");
	bool kok = stat(f->kernel_abs, &kst) == 0 && S_ISREG(kst.st_mode);
	CHECK(kok, "kernel image: %s%s", f->kernel_abs,
	      kok ? "" : " is missing; install the kernel package of the running kernel");
	r = load_config(o, &c, true);
	if (r >= 0) {
		CHECK(1, "config: %s %s", config_path(o, p, sizeof(p)), r == 1 ? "missing, defaults used" : "valid");
	} else {
		char err[512];
		struct kc_config t;
		kc_config_init(&t);
		kc_config_load(&t, config_path(o, p, sizeof(p)), err, sizeof(err));
		kc_config_free(&t);
		CHECK(0, "config: %s; fix that line", err);
	}
	bool iok = stat(f->image_abs, &ist) == 0 && S_ISREG(ist.st_mode);
	if (!iok) {
		CHECK(0, "capture image: %s is missing; build it with kcatch-mkinitramfs -k %s -o %s",
		      f->image_abs, f->release, f->image);
	} else {
		bool stale = (kok && kst.st_mtime > ist.st_mtime) ||
			     (r == 0 && stat(config_path(o, p, sizeof(p)), &cst) == 0 && cst.st_mtime > ist.st_mtime);
		CHECK(!stale, "capture image: %s%s%s", f->image_abs,
		      stale ? " is older than the kernel or the config; rebuild it with kcatch-mkinitramfs -k " : "",
		      stale ? f->release : "");
	}
	if (c.target.kind == KC_TARGET_NONE || c.target.kind == KC_TARGET_DIR) {
		bool dok = stat(dump_dir(o, &c, d, sizeof(d)), &cst) == 0 && S_ISDIR(cst.st_mode);
		CHECK(dok, "dump directory: %s%s", d, dok ? "" : " does not exist; create it (mkdir -p -m 0700) or change path in the config");
	} else {
		char dev[512];
		const char *sub = c.target.kind == KC_TARGET_UUID ? "/dev/disk/by-uuid/" :
				  c.target.kind == KC_TARGET_LABEL ? "/dev/disk/by-label/" :
				  c.target.kind == KC_TARGET_PARTUUID ? "/dev/disk/by-partuuid/" :
				  c.target.kind == KC_TARGET_PARTLABEL ? "/dev/disk/by-partlabel/" : "";
		snprintf(dev, sizeof(dev), "%s%s", sub, c.target.value);
		bool tok = access(rpath(o, dev, d, sizeof(d)), F_OK) == 0;
		CHECK(tok, "target: %s (%s)%s", c.target.text, d,
		      tok ? "" : " not found; check that the device is attached or fix target in the config");
	}
	kc_config_free(&c);
#undef CHECK
	return bad;
}

static int cmd_test(const struct opts *o)
{
	struct files f;
	int bad = run_checks(o, &f, true);
	printf(bad ? "not ready: %d check(s) failed\n" : "ready: kcatch load would arm capture\n", bad);
	return bad ? 1 : 0;
}

static int cmd_load(const struct opts *o)
{
	struct files f;
	int bad = run_checks(o, &f, false);
	char *cmd;
	if (bad) {
		fprintf(stderr, "kcatch: not loading: %d check(s) failed (see above)\n", bad);
		return 1;
	}
	cmd = capture_cmdline(o);
	if (!cmd)
		return 1;
	if (o->dry_run) {
		printf("kexec_file_load(2) (dry run, nothing loaded):\n");
		printf("kernel   %s\n", f.kernel_abs);
		printf("initrd   %s\n", f.image_abs);
		printf("cmdline  %s\n", cmd);
		printf("flags    KEXEC_FILE_ON_CRASH\n");
		free(cmd);
		return 0;
	}
	int kfd = open(f.kernel_abs, O_RDONLY | O_CLOEXEC);
	int ifd = open(f.image_abs, O_RDONLY | O_CLOEXEC);
	int r = 0;
	if (kfd < 0 || ifd < 0) {
		fprintf(stderr, "kcatch: cannot open %s: %s\n", kfd < 0 ? f.kernel_abs : f.image_abs, strerror(errno));
		r = 1;
	} else if (syscall(SYS_kexec_file_load, kfd, ifd, strlen(cmd) + 1, cmd, KEXEC_FILE_ON_CRASH) < 0) {
		int e = errno;
		fprintf(stderr, "kcatch: kexec_file_load %s: %s%s\n", f.kernel_abs, strerror(e),
			e == EPERM ? " (run as root; with lockdown the kernel must be signed)" :
			e == EBUSY ? " (a capture kernel is loaded; kcatch unload first)" :
			e == ENOMEM ? " (crashkernel= too small for kernel + image)" : "");
		r = 1;
	} else {
		printf("loaded %s with %s\n", f.kernel, f.image);
	}
	if (kfd >= 0)
		close(kfd);
	if (ifd >= 0)
		close(ifd);
	free(cmd);
	return r;
}

static int cmd_unload(const struct opts *o)
{
	if (o->dry_run) {
		printf("kexec_file_load(2) (dry run): flags KEXEC_FILE_UNLOAD|KEXEC_FILE_ON_CRASH\n");
		return 0;
	}
	if (syscall(SYS_kexec_file_load, -1, -1, 0UL, NULL, KEXEC_FILE_UNLOAD | KEXEC_FILE_ON_CRASH) < 0) {
		fprintf(stderr, "kcatch: unloading the capture kernel: %s\n", strerror(errno));
		return 1;
	}
	printf("unloaded\n");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "journal", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 } };
	struct opts o = { .root = "/" };
	static char root[4096];
	int c;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'r':
			snprintf(root, sizeof(root), "%s", optarg);
			for (size_t n = strlen(root); n > 1 && root[n - 1] == '/'; n--)
				root[n - 1] = 0;
			o.root = root;
			break;
		case 'c': o.config = optarg; break;
		case 'n': o.dry_run = true; break;
		case 'j': o.journal = true; break;
		case 'h': fputs(usage, stdout); return 0;
		case 'V': printf("kcatch %s\n", KC_VERSION); return 0;
		default:
			fprintf(stderr, "Try 'kcatch --help'.\n");
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "kcatch: no command given; one of status, show, test, load, unload, list, report (see kcatch --help)\n");
		return 2;
	}
	const char *cmd = argv[optind++];
	if (strcmp(cmd, "report") == 0 && optind < argc)
		o.id = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "kcatch: %s: unexpected argument '%s' (see kcatch --help)\n", cmd, argv[optind]);
		return 2;
	}
	if (strcmp(cmd, "status") == 0) return cmd_status(&o);
	if (strcmp(cmd, "show") == 0) return cmd_show(&o);
	if (strcmp(cmd, "test") == 0) return cmd_test(&o);
	if (strcmp(cmd, "load") == 0) return cmd_load(&o);
	if (strcmp(cmd, "unload") == 0) return cmd_unload(&o);
	if (strcmp(cmd, "list") == 0) return cmd_list(&o);
	if (strcmp(cmd, "report") == 0) return cmd_report(&o);
	if (strcmp(cmd, "help") == 0) { fputs(usage, stdout); return 0; }
	fprintf(stderr, "kcatch: unknown command '%s'; one of status, show, test, load, unload, list, report (see kcatch --help)\n", cmd);
	return 2;
}
