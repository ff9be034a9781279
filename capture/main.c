/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kcatch-agent: /init of the capture initramfs. After the host kernel
 * panicked and kexec booted the capture kernel, it mounts the pseudo file
 * systems, loads the modules the image lists, finds and mounts the dump
 * target, saves the kernel log and the filtered dump, and reboots.
 *
 * On a normal host, for tests: kcatch-agent --vmcore FILE --root DIR
 * [--config FILE] runs the same steps against a vmcore file and a
 * directory, without mounting, loading modules or rebooting.
 *
 * In a dracut or initramfs-tools image: kcatch-agent --hosted, run by the
 * image's hook after it assembled the storage (hosted.c).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "agent.h"

static void usage(FILE *f)
{
	fputs(
"Usage: kcatch-agent                      (as PID 1 of the capture initramfs)\n"
"       kcatch-agent --vmcore FILE --root DIR [--config FILE]\n"
"       kcatch-agent --hosted [--config FILE]  (from a dracut/initramfs-tools hook)\n"
"       kcatch-agent --check-config FILE\n"
"\n"
"As PID 1 it reads " KC_CONFIG_FILE ", loads the modules listed in\n"
KC_MODULES_MANIFEST ", finds and mounts the target, writes\n"
"<path>/<YYYY-MM-DD-HH:MM:SS>[-<host>]/{vmcore-dmesg.txt,vmcore,kcatch.json}\n"
"from " KC_PROC_VMCORE " and then runs final_action (reboot by default).\n"
"\n"
"  --vmcore FILE        test mode: read this ELF vmcore instead of /proc/vmcore;\n"
"                       no pseudo file systems, modules or reboot\n"
"  --root DIR           test mode: every path is under DIR; a UUID=/LABEL=/...\n"
"                       target stands for DIR itself, a directory target is\n"
"                       DIR/<target>\n"
"  --config FILE        configuration (default DIR" KC_CONFIG_FILE ")\n"
"  --hosted             capture kernel, but run by a distribution's initramfs after\n"
"                       it assembled the storage: mount only the missing pseudo\n"
"                       file systems, modprobe extra_modules, and remount the\n"
"                       target read-write if that initramfs mounted it read-only;\n"
"                       refuses to run without " KC_PROC_VMCORE "\n"
"  --check-config FILE  parse FILE, print the effective settings, exit\n"
"  -h, --help           this text\n"
"  --version            version\n"
"\n"
"Exit status in test mode: 0 dump complete, 1 failed (vmcore-dmesg.txt may\n"
"still be there), 2 incomplete (vmcore.incomplete kept), 124 watchdog expired.\n"
"See kcatch-mkinitramfs --help for the configuration file format.\n", f);
}

static int check_config(const char *path)
{
	struct kc_config c;
	char err[512];

	kc_config_init(&c);
	int r = kc_config_load(&c, path, err, sizeof(err));
	if (r < 0)
		fprintf(stderr, "kcatch-agent: %s\n", err);
	else
		kc_config_dump(&c, stdout);
	kc_config_free(&c);
	return r < 0 ? 1 : 0;
}

static int parse_args(struct agent *a, int argc, char **argv)
{
	enum { O_VMCORE = 256, O_ROOT, O_CONFIG, O_CHECK, O_VERSION, O_HOSTED };
	static const struct option opts[] = {
		{ "vmcore", required_argument, NULL, O_VMCORE },
		{ "root", required_argument, NULL, O_ROOT },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "check-config", required_argument, NULL, O_CHECK },
		{ "hosted", no_argument, NULL, O_HOSTED },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, O_VERSION },
		{ 0 }
	};
	static char config_buf[PATH_MAX];
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_VMCORE: a->vmcore_path = optarg; break;
		case O_ROOT:
			if (!realpath(optarg, a->root)) {
				fprintf(stderr, "kcatch-agent: --root %s: %s\n", optarg, strerror(errno));
				return -1;
			}
			break;
		case O_CONFIG: a->config_path = optarg; break;
		case O_CHECK: exit(check_config(optarg));
		case O_HOSTED: a->hosted = true; break;
		case 'h': usage(stdout); exit(0);
		case O_VERSION: puts("kcatch-agent " KC_VERSION); exit(0);
		default:
			fputs("Try 'kcatch-agent --help'.\n", stderr);
			return -1;
		}
	}
	if (a->hosted) {
		if (optind < argc || a->vmcore_path || a->root[0]) {
			fputs("kcatch-agent: --hosted takes only --config FILE. Try 'kcatch-agent --help'.\n", stderr);
			return -1;
		}
		a->vmcore_path = KC_PROC_VMCORE;
		if (!a->config_path)
			a->config_path = KC_CONFIG_FILE;
		return 0;
	}
	if (optind < argc || !a->vmcore_path || !a->root[0]) {
		fputs("kcatch-agent: not PID 1: test mode needs --vmcore FILE and --root DIR. "
		      "Try 'kcatch-agent --help'.\n", stderr);
		return -1;
	}
	if (!a->config_path) {
		kc_join(config_buf, sizeof(config_buf), a->root, KC_CONFIG_FILE);
		a->config_path = config_buf;
	}
	a->test_mode = true;
	return 0;
}

/*
 * The filter library's warnings (struct pages it could not read, a
 * VMCOREINFO line a kernel newer than kcatch lacks) go to the console;
 * its debug chatter does not.
 */
static void filter_log(void *arg, int level, const char *msg)
{
	(void)arg;
	if (level <= 4)
		kc_log("filter: %s", msg);
}

static int open_vmcore(struct agent *a)
{
	struct stat st;
	char b1[32], b2[32];
	int r;

	kc_watchdog_phase(a, "opening the vmcore");
	r = kcf_ctx_new(&a->kcf);
	if (r < 0)
		return kc_log_errno(r, "out of memory");
	kcf_ctx_set_log(a->kcf, filter_log, NULL);
	r = kcf_vmcore_open(a->kcf, a->vmcore_path, &a->vm);
	if (r < 0)
		return kc_log_errno(r, "cannot open %s: %s%s", a->vmcore_path, kcf_ctx_error(a->kcf),
				    r == -ENOENT && !a->test_mode ? " (not booted as a capture kernel?)" : "");
	if (stat(a->vmcore_path, &st) == 0)
		a->vmcore_bytes = (uint64_t)st.st_size;
	kc_crash_info(a);
	kc_log("crashed kernel: Linux %s%s%s, memory %s, vmcore %s",
	       a->info.release, a->info.hostname[0] ? " on " : "", a->info.hostname,
	       kc_format_bytes(a->info.mem_bytes, b1, sizeof(b1)),
	       kc_format_bytes(a->vmcore_bytes, b2, sizeof(b2)));
	kc_log("panic: %s", a->info.panic[0] ? a->info.panic : "(no panic message in the log)");
	if (!kcf_compress_available(a->cfg.compress)) {
		kc_log("%s compression is not in this agent; writing uncompressed pages",
		       kcf_compress_name(a->cfg.compress));
		a->cfg.compress = KCF_COMPRESS_NONE;
	}
	return 0;
}

static const char *status_word(enum save_status s)
{
	return s == SAVE_COMPLETE ? "complete" : s == SAVE_INCOMPLETE ? "incomplete" : "failed";
}

static enum save_status save_all(struct agent *a, bool vmcore_ok)
{
	const char *path = a->cfg.path ? a->cfg.path : KC_DEFAULT_PATH;
	struct save_result res = { .role = "target", .status = SAVE_FAILED };
	struct save_result fb = { .role = "fallback", .status = SAVE_FAILED };

	if (vmcore_ok)
		kc_save(a, &a->cfg.target, path, &res);
	kc_log("RESULT %s%s%s%s%s", status_word(res.status), res.dir[0] ? " " : "", res.dir,
	       res.error[0] ? ": " : "", res.error);
	if (res.status == SAVE_COMPLETE)
		return SAVE_COMPLETE;
	if (a->cfg.failure_action != KC_ACTION_FALLBACK || !vmcore_ok) {
		kc_action(a, a->cfg.failure_action, "the dump failed; failure_action");
		return res.status;
	}
	kc_log("the dump failed; failure_action fallback: saving to %s", a->cfg.fallback_target.text);
	kc_target_release(a);
	kc_save(a, &a->cfg.fallback_target, a->cfg.fallback_path ? a->cfg.fallback_path : path, &fb);
	kc_log("RESULT fallback %s%s%s%s%s", status_word(fb.status), fb.dir[0] ? " " : "", fb.dir,
	       fb.error[0] ? ": " : "", fb.error);
	return fb.status < res.status ? fb.status : res.status;
}

int main(int argc, char **argv)
{
	struct agent a = { .log.fd = -1 };
	bool pid1 = getpid() == 1, vmcore_ok;
	struct utsname un;
	char err[512];
	int r;

	kc_log_init();
	signal(SIGXFSZ, SIG_IGN);  /* RLIMIT_FSIZE makes the write fail with EFBIG instead */
	umask(077);
	if (pid1) {
		/* The kernel passes unknown command line words as arguments: ignore them. */
		kc_mount_pseudo();
		a.config_path = KC_CONFIG_FILE;
		a.vmcore_path = KC_PROC_VMCORE;
	} else if (parse_args(&a, argc, argv) < 0) {
		return 1;
	} else if (a.hosted && kc_hosted_prepare(&a) < 0) {
		return 1;
	}
	uname(&un);
	if (a.test_mode) {
		kc_log("kcatch-agent %s on Linux %s (test mode)", KC_VERSION, un.release);
	} else {
		double up = 0;
		FILE *f = fopen("/proc/uptime", "re");
		if (f && fscanf(f, "%lf", &up) != 1)
			up = 0;
		if (f)
			fclose(f);
		kc_log("kcatch-agent %s on Linux %s (capture kernel, up %.1f s, %llu MiB memory, %llu MiB available)",
		       KC_VERSION, un.release, up, (unsigned long long)kc_meminfo_kib("/proc/meminfo", "MemTotal:") / 1024,
		       (unsigned long long)(a.mem_available_kib = kc_meminfo_kib("/proc/meminfo", "MemAvailable:")) / 1024);
	}

	kc_config_init(&a.cfg);
	r = kc_config_load(&a.cfg, a.config_path, err, sizeof(err));
	if (r < 0)  /* the builder checked it; still, save what the valid lines allow */
		kc_log("configuration error: %s; going on with the lines that parse", err);
	kc_machine_id(&a);
	kc_watchdog_start(&a, a.cfg.watchdog);
	kc_watchdog_phase(&a, "loading modules");
	if (a.hosted)
		kc_hosted_modules(&a);
	else
		kc_modules_load(&a, KC_MODULES_MANIFEST);
	vmcore_ok = open_vmcore(&a) == 0;
	a.threads = 1;
	if (vmcore_ok)
		kc_choose_threads(&a);

	enum save_status st = save_all(&a, vmcore_ok);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	kc_log("done in %.1f s: %s (agent peak memory %ld MiB)", kc_now(), status_word(st), ru.ru_maxrss / 1024);
	kc_action(&a, a.cfg.final_action, "final_action");

	if (a.log.fd >= 0)
		close(a.log.fd);
	kcf_vmcore_close(a.vm);
	kcf_ctx_free(a.kcf);
	kc_config_free(&a.cfg);
	return st == SAVE_COMPLETE ? 0 : st == SAVE_INCOMPLETE ? 2 : 1;
}
