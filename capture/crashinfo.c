/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Facts about the crash for the console, the dump directory name and
 * kcatch.json: kernel release and crash time (VMCOREINFO), the panic
 * message (the kernel log), and the crashed host's name (init_uts_ns,
 * read from the vmcore: the capture kernel's own nodename is "(none)").
 * Everything read from the dump is checked; a wrong value only costs
 * the host name, never the capture.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "crash-signature.h"


static bool info_u64(const struct kcf_vmcore *vm, const char *key, int base, uint64_t *out)
{
	const char *v = kcf_vmcore_info(vm, key);
	char *end;
	if (!v || !*v)
		return false;
	errno = 0;
	*out = strtoull(v, &end, base);
	return !errno && *end == 0;
}

/* Call fn for every PT_LOAD of the ELF vmcore until it returns non-zero. */
static void read_hostname(struct agent *a)
{
	struct kcf_utsname uts;

	if (kcf_vmcore_utsname(a->vm, &uts) < 0)
		return;
	for (const char *s = uts.nodename; *s; s++)
		if (*s <= ' ' || *s > '~' || *s == '/')
			return;
	if (!uts.nodename[0] || !strcmp(uts.nodename, "(none)"))
		return;
	snprintf(a->info.hostname, sizeof(a->info.hostname), "%s", uts.nodename);
}

struct panic_scan {
	char *panic, *oops;
	size_t len;
};

static void copy_text(char *dst, size_t len, const char *src, size_t n)
{
	size_t i;
	while (n && (src[n - 1] == '\n' || src[n - 1] == ' '))
		n--;
	for (i = 0; i < n && i + 1 < len; i++)
		dst[i] = src[i] >= ' ' && src[i] <= '~' ? src[i] : '?';
	dst[i] = 0;
}

static int panic_record(void *arg, const struct kcf_log_record *rec)
{
	struct panic_scan *s = arg;
	if (memmem(rec->text, rec->len, "Kernel panic - not syncing", 26))
		copy_text(s->panic, s->len, rec->text, rec->len);
	else if (!s->oops[0] && (memmem(rec->text, rec->len, "BUG: ", 5) ||
				 memmem(rec->text, rec->len, "Oops", 4) ||
				 memmem(rec->text, rec->len, "general protection fault", 24)))
		copy_text(s->oops, s->len, rec->text, rec->len);
	return 0;
}

/*
 * The crash signature (common/crash-signature.h) of the log exactly as
 * vmcore-dmesg.txt holds it (kcatch list computes the same from the file
 * for dumps without one): the log is written once more, into memory. Its
 * size is what the library's ring bounds allow; a failure only costs the
 * signature.
 */
static void crash_signature(struct agent *a)
{
	struct crash_info *ci = &a->info;
	struct stat st;
	void *log;
	int fd = memfd_create("kcatch-dmesg", MFD_CLOEXEC);
	if (fd < 0)
		return;
	if (kcf_dmesg_write(a->vm, 0, fd) == 0 && fstat(fd, &st) == 0 && st.st_size > 0) {
		log = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (log != MAP_FAILED) {
			ci->signature_ok = kc_signature(log, (size_t)st.st_size, ci->release, &ci->signature) == 0;
			munmap(log, (size_t)st.st_size);
		}
	}
	close(fd);
	if (ci->signature_ok)
		kc_log("crash signature %s: %s%s%s", ci->signature.hash, ci->signature.cause,
		       ci->signature.function[0] ? " in " : "", ci->signature.function);
}

void kc_crash_info(struct agent *a)
{
	struct crash_info *ci = &a->info;
	const char *v = kcf_vmcore_info(a->vm, "OSRELEASE");
	char oops[sizeof(ci->panic)] = "";
	struct panic_scan ps = { ci->panic, oops, sizeof(ci->panic) };
	uint64_t t;
	int r;

	snprintf(ci->release, sizeof(ci->release), "%s", v ? v : "unknown");
	ci->page_size = kcf_vmcore_page_size(a->vm);
	ci->mem_bytes = kcf_vmcore_ram_bytes(a->vm);
	if (!ci->mem_bytes)
		ci->mem_bytes = kcf_vmcore_max_pfn(a->vm) * ci->page_size;
	if (info_u64(a->vm, "CRASHTIME", 10, &t) && t > 0 && t < (1ULL << 40)) {
		ci->crash_time = (int64_t)t;
		ci->crash_time_known = true;
	} else {
		ci->crash_time = (int64_t)time(NULL);
	}
	read_hostname(a);
	r = kcf_dmesg_foreach(a->vm, 0, panic_record, &ps);
	if (r < 0)
		kc_log("cannot read the crashed kernel's log: %s", kcf_ctx_error(a->kcf));
	if (!ci->panic[0] && oops[0])
		snprintf(ci->panic, sizeof(ci->panic), "%s", oops);
	if (r == 0)
		crash_signature(a);
}

/* "2025-01-31-13:45:07-host": sortable, from the crash time (UTC). */
void kc_dump_id(const struct agent *a, char *out, size_t len)
{
	time_t t = (time_t)a->info.crash_time;
	struct tm tm;
	char stamp[32] = "unknown-time";

	if (gmtime_r(&t, &tm))
		strftime(stamp, sizeof(stamp), "%Y-%m-%d-%H:%M:%S", &tm);
	if (a->info.hostname[0])
		snprintf(out, len, "%s-%s", stamp, a->info.hostname);
	else
		snprintf(out, len, "%s", stamp);
}

/*
 * The image's /etc/machine-id: the host's, which retention compares with
 * the one in each kcatch.json (kcatch-mkinitramfs copies it there).
 * 32 lower-case hex digits, else ignored.
 */
void kc_machine_id(struct agent *a)
{
	char p[PATH_MAX], buf[34];
	ssize_t n;
	int fd;

	kc_join(p, sizeof(p), a->root, "/etc/machine-id");
	fd = open(p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0)
		kc_machine_id_parse(buf, (size_t)n, a->machine_id);
}
