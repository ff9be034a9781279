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
#include "panic-line.h"


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

/* The crashed host's name (init_uts_ns); left "" when it looks wrong. */
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

/* The panic line as printable text (kcatch.json, the console): anything else becomes '?'. */
static void copy_text(char *dst, size_t len, const char *src, size_t n)
{
	size_t i;
	while (n && (src[n - 1] == '\n' || src[n - 1] == ' '))
		n--;
	for (i = 0; i < n && i + 1 < len; i++)
		dst[i] = src[i] >= ' ' && src[i] <= '~' ? src[i] : '?';
	dst[i] = 0;
}

/*
 * Read the crashed kernel's log once, as vmcore-dmesg.txt holds it, into
 * a memfd (a->log): every target copies it from there, and the panic line
 * and the crash signature (common/crash-signature.h) are taken from the
 * same bytes, so they are exactly what `kcatch list` would compute from
 * the file. Its size is what the library's ring bounds allow. A failure
 * keeps the part read; without a memfd, targets read the ring themselves.
 */
static void read_log(struct agent *a)
{
	struct crash_info *ci = &a->info;
	const char *line;
	size_t line_len;
	struct stat st;
	void *log;

	kc_watchdog_phase(a, "reading the crashed kernel's log");
	a->log.fd = memfd_create("kcatch-dmesg", MFD_CLOEXEC);
	if (a->log.fd < 0) {
		kc_log("cannot keep the crashed kernel's log in memory: %m; no panic line or signature");
		return;
	}
	a->log.status = kcf_dmesg_write(a->vm, 0, a->log.fd);
	if (a->log.status < 0) {
		snprintf(a->log.error, sizeof(a->log.error), "%s",
			 kcf_ctx_error(a->kcf)[0] ? kcf_ctx_error(a->kcf) : strerror(-a->log.status));
		kc_log("cannot read all of the crashed kernel's log: %s", a->log.error);
	}
	if (fstat(a->log.fd, &st) < 0 || st.st_size <= 0)
		return;
	a->log.bytes = (uint64_t)st.st_size;
	log = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, a->log.fd, 0);
	if (log == MAP_FAILED)
		return;
	if (kc_panic_line(log, (size_t)st.st_size, &line, &line_len))
		copy_text(ci->panic, sizeof(ci->panic), line, line_len);
	/* a partial log's signature could differ from the whole one's: none then */
	if (a->log.status == 0)
		ci->signature_ok = kc_signature(log, (size_t)st.st_size, ci->release, &ci->signature) == 0;
	munmap(log, (size_t)st.st_size);
	if (ci->signature_ok)
		kc_log("crash signature %s: %s%s%s", ci->signature.hash, ci->signature.cause,
		       ci->signature.function[0] ? " in " : "", ci->signature.function);
}

int kc_log_copy(const struct agent *a, int fd)
{
	char buf[65536];
	off_t off = 0;

	if (a->log.fd < 0)
		return kcf_dmesg_write(a->vm, 0, fd);
	while ((uint64_t)off < a->log.bytes) {
		ssize_t n = pread(a->log.fd, buf, sizeof(buf), off), w;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		for (ssize_t done = 0; done < n; done += w) {
			w = write(fd, buf + done, (size_t)(n - done));
			if (w < 0)
				return -errno;
		}
		off += n;
	}
	return a->log.status;
}

void kc_crash_info(struct agent *a)
{
	struct crash_info *ci = &a->info;
	const char *v = kcf_vmcore_info(a->vm, "OSRELEASE");
	uint64_t t;

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
	read_log(a);
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
