/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel command lines: split into options the way the kernel does
 * (double quotes protect spaces; '-' and '_' are the same in a name;
 * a bare "--" ends the kernel's options and starts init's arguments),
 * and the capture kernel's line made from the running kernel's.
 */
#include <stdlib.h>
#include <string.h>

#include "kcatch.h"

const char *cmdline_next(const char **s, size_t *len)
{
	const char *p = *s, *start;
	bool quoted = false;
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (!*p)
		return NULL;
	for (start = p; *p && (quoted || (*p != ' ' && *p != '\t' && *p != '\n')); p++)
		if (*p == '"')
			quoted = !quoted;
	*len = (size_t)(p - start);
	*s = p;
	return start;
}

bool cmdline_key_is(const char *w, size_t len, const char *key)
{
	size_t n = 0, k = strlen(key);
	bool prefix = k && key[k - 1] == '.';
	if (len && *w == '"') {  /* "name=value with spaces" */
		w++;
		len--;
	}
	while (n < len && w[n] != '=' && w[n] != '"')
		n++;
	if (prefix ? n <= k : n != k)
		return false;
	for (size_t i = 0; i < k; i++) {
		char a = w[i] == '-' ? '_' : w[i], b = key[i] == '-' ? '_' : key[i];
		if (a != b)
			return false;
	}
	return true;
}

static void append(char *out, const char *w, size_t len)
{
	size_t n = strlen(out);
	if (n)
		out[n++] = ' ';
	memcpy(out + n, w, len);
	out[n + len] = 0;
}

char *cmdline_filter(const char *line, const char *key, bool keep)
{
	char *out = calloc(1, (line ? strlen(line) : 0) + 1);
	const char *w, *s = line ? line : "";
	size_t len;
	while (out && (w = cmdline_next(&s, &len)))
		if (cmdline_key_is(w, len, key) == keep)
			append(out, w, len);
	return out;
}

/*
 * What never reaches the capture kernel. A name ending in '.' stands for
 * every option it starts. Kept on purpose: root=, ro/rw, rootflags=,
 * rd.lvm.*, rd.md.*, rd.luks.* and the other storage options: kcatch's own
 * image ignores them (the kernel runs its /init and mounts no root), and
 * a dracut or initramfs-tools image armed instead (--hosted) needs them
 * to assemble the storage the dump goes to. console= and loglevel= are
 * kept so the capture is seen where the host's console is.
 */
static const char *const dropped[] = {
	/* another PID 1 than kcatch-agent; init's own arguments follow "--" */
	"init", "rdinit",
	/* the boot loader's, or the reservation itself */
	"BOOT_IMAGE", "initrd", "crashkernel",
	/* resuming a hibernated host from the capture kernel */
	"resume", "resume_offset", "hibernate", "noresume",
	/* sized for the host's RAM, not the reservation */
	"mem", "memmap", "hugepages", "hugepagesz", "default_hugepagesz", "cma", "hugetlb_cma",
	"swiotlb", "log_buf_len", "slub_debug",
	/* replaced by nr_cpus=N irqpoll reset_devices panic=10 below */
	"nr_cpus", "maxcpus", "possible_cpus", "irqpoll", "reset_devices", "panic",
	/* a warning in the capture kernel must not cost the dump */
	"panic_on_warn", "kexec_jump_back_entry",
	/* stop the capture image from loading the modules it carries */
	"modprobe.blacklist", "module_blacklist", "rd.driver.blacklist", "nomodule",
	/* for a systemd that kcatch's image does not have, or that in a
	 * distribution image would start another target than the capture */
	"systemd.", "rd.systemd.",
	/* stop a distribution image in a shell: the capture never runs */
	"rd.break", "break", "rd.shell", "rd.emergency",
	NULL
};

static bool drop_option(const char *w, size_t len, const char *config_remove)
{
	const char *s = config_remove ? config_remove : "", *r;
	size_t rl;
	for (int i = 0; dropped[i]; i++)
		if (cmdline_key_is(w, len, dropped[i]))
			return true;
	while ((r = cmdline_next(&s, &rl))) {
		char name[256];
		fmt(name, sizeof(name), "%.*s", (int)rl, r);
		if (cmdline_key_is(w, len, name))
			return true;
	}
	return false;
}

/*
 * nr_cpus= of the capture kernel (issue 16). The agent runs one filter
 * thread per CPU it finds (capture/threads.c), and its output is the same
 * at any count, so more CPUs only cost memory. A host wants one capture
 * CPU plus one per 4 GiB of RAM (a 4 GiB host two, 12 GiB and more four),
 * at most its own CPU count and CAPTURE_CPUS_MAX: past four, writing
 * rather than compressing bounds the dump. The reservation then decides:
 * the count whose estimate (estimate.c, 4 MiB per CPU past the first)
 * plus its margin (max(8 MiB, 10 %), estimate_with_margin) still fits in kexec_crash_size.
 */
#define CAPTURE_CPUS_MAX 4

/* CPUs in a cpulist file ("0-3,8"), 0 when unreadable or malformed. */
static unsigned cpulist_count(const char *path)
{
	char *t = read_text(path), *s = t, *end;
	unsigned long n = 0;
	while (s) {
		unsigned long a = strtoul(s, &end, 10), b = a;
		if (end == s || *s == '-')
			break;
		if (*end == '-') {
			s = end + 1;
			b = strtoul(s, &end, 10);
			if (end == s || b < a || b - a > 65535)
				break;
		}
		n += b - a + 1;
		if (*end == ',') {
			s = end + 1;
			continue;
		}
		s = NULL;
		if (*end && *end != '\n')
			n = 0;  /* not a cpulist */
	}
	if (s)
		n = 0;  /* stopped on something that is not a number */
	free(t);
	return n > 65536 ? 65536 : (unsigned)n;
}

unsigned capture_cpus_wanted(const struct opts *o, const struct kc_config *c, char *why, size_t len)
{
	char p[4096];
	long long reserved = read_number(o, "/sys/kernel/kexec_crash_size");
	uint64_t ram = meminfo_bytes(o, "MemTotal");
	unsigned host, gib, want;

	if (c->capture_cpus) {
		fmt(why, len, "capture_cpus %u in the configuration", c->capture_cpus);
		return c->capture_cpus;
	}
	host = cpulist_count(rpath(o, "/sys/devices/system/cpu/online", p, sizeof(p)));
	if (!host) {
		fmt(why, len, "the host's CPU count is unknown (no /sys/devices/system/cpu/online)");
		return 1;
	}
	gib = (unsigned)((ram + (uint64_t)(reserved > 0 ? reserved : 0) + (512u << 20)) >> 30);
	want = 1 + gib / 4;
	if (want > CAPTURE_CPUS_MAX)
		want = CAPTURE_CPUS_MAX;
	if (want > host)
		want = host;
	fmt(why, len, "host with %u CPU%s and %u GiB: 1 + 1 per 4 GiB, at most %u", host, host == 1 ? "" : "s",
	    gib, CAPTURE_CPUS_MAX);
	return want;
}

unsigned capture_cpus(const struct opts *o, const struct kc_config *c, char *why, size_t len)
{
	char wwhy[256];
	unsigned want = capture_cpus_wanted(o, c, wwhy, sizeof(wwhy)), n;
	long long reserved = read_number(o, "/sys/kernel/kexec_crash_size");
	uint64_t total;

	if (c->capture_cpus || want <= 1) {
		fmt(why, len, "%s", wwhy);
		return want;
	}
	if (reserved <= 0) {
		fmt(why, len, "nothing reserved; the host would want %u (%s)", want, wwhy);
		return 1;
	}
	if (crashkernel_estimate_total(o, 1, &total) < 0) {
		fmt(why, len, "no estimate of the capture kernel's needs (kcatch estimate says why); "
		    "the host would want %u", want);
		return 1;
	}
	for (n = want; n > 1; n--)
		if (estimate_with_margin((double)total + (n - 1) * capture_cpu_bytes()) <= (double)reserved)
			break;
	fmt(why, len, "%s; %s", wwhy, n == want ? "the reservation fits them" :
	    "the reservation fits fewer (kcatch estimate says how much more they need)");
	return n;
}

char *capture_cmdline(const struct opts *o, const struct kc_config *c)
{
	char p[4096];
	char *cur = read_text(rpath(o, "/proc/cmdline", p, sizeof(p)));
	const char *add = c->kernel_cmdline_append, *s = cur ? cur : "", *w;
	size_t len, cap = strlen(s) + (add ? strlen(add) : 0) + 64;
	char *out = calloc(1, cap);
	if (!out) {
		free(cur);
		return NULL;
	}
	while ((w = cmdline_next(&s, &len))) {
		if (len == 2 && memcmp(w, "--", 2) == 0)
			break;  /* the rest is init's, and init is kcatch-agent */
		if (!drop_option(w, len, c->kernel_cmdline_remove))
			append(out, w, len);
	}
	/* panic=10: a capture kernel that panics reboots instead of hanging
	 * forever; before kernel_cmdline_append, whose panic= wins (the
	 * kernel takes the last one). */
	char fixed[64], why[512];
	fmt(fixed, sizeof(fixed), "reset_devices nr_cpus=%u irqpoll panic=10", capture_cpus(o, c, why, sizeof(why)));
	append(out, fixed, strlen(fixed));
	if (add && *add)
		append(out, add, strlen(add));
	free(cur);
	return out;
}
