/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Facts about the crash for the console, the dump directory name and
 * kcatch.json: kernel release and crash time (VMCOREINFO), the panic
 * message (the kernel log), and the crashed host's name (init_uts_ns,
 * read from the vmcore: the capture kernel's own nodename is "(none)").
 * Everything read from the dump is checked; a wrong value only costs
 * the host name, never the capture.
 */
#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

#define X86_64_START_KERNEL_MAP 0xffffffff80000000ULL
#define UTS_LEN 65

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
static int elf_loads(const char *path, int (*fn)(void *arg, int fd, const Elf64_Phdr *ph), void *arg)
{
	Elf64_Ehdr eh;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum >= PN_XNUM) {
		close(fd);
		return -EINVAL;
	}
	for (unsigned i = 0; i < eh.e_phnum && r == 0; i++) {
		Elf64_Phdr ph;
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * sizeof(ph))) != (ssize_t)sizeof(ph))
			r = -EIO;
		else if (ph.p_type == PT_LOAD)
			r = fn(arg, fd, &ph);
	}
	close(fd);
	return r;
}

struct phys_read {
	uint64_t paddr;
	void *buf;
	size_t len;
};

static int read_phys_cb(void *arg, int fd, const Elf64_Phdr *ph)
{
	struct phys_read *pr = arg;
	uint64_t rel = pr->paddr - ph->p_paddr;
	if (pr->paddr < ph->p_paddr || rel > ph->p_filesz || pr->len > ph->p_filesz - rel)
		return 0;
	return pread(fd, pr->buf, pr->len, (off_t)(ph->p_offset + rel)) == (ssize_t)pr->len ? 1 : -EIO;
}

/* Read len bytes at physical address paddr from the ELF vmcore. */
static int read_phys(const char *path, uint64_t paddr, void *buf, size_t len)
{
	struct phys_read pr = { paddr, buf, len };
	int r = elf_loads(path, read_phys_cb, &pr);
	return r == 1 ? 0 : r < 0 ? r : -ENOENT;
}

/* RAM of the crashed machine: the PT_LOADs, less the kernel text alias. */
static int ram_cb(void *arg, int fd, const Elf64_Phdr *ph)
{
	(void)fd;
	if (ph->p_vaddr < X86_64_START_KERNEL_MAP)
		*(uint64_t *)arg += ph->p_memsz;
	return 0;
}

static void read_hostname(struct agent *a)
{
	uint64_t sym, phys_base, off = 0;
	char name[UTS_LEN];

	if (!info_u64(a->vm, "SYMBOL(init_uts_ns)", 16, &sym) ||
	    !info_u64(a->vm, "NUMBER(phys_base)", 10, &phys_base) || sym < X86_64_START_KERNEL_MAP)
		return;
	info_u64(a->vm, "OFFSET(uts_namespace.name)", 10, &off);
	if (off > 4096)
		return;
	/* struct new_utsname: sysname[65], nodename[65], ... */
	uint64_t paddr = sym - X86_64_START_KERNEL_MAP + phys_base + off + UTS_LEN;
	if (read_phys(a->vmcore_path, paddr, name, sizeof(name)) < 0 || !memchr(name, 0, sizeof(name)))
		return;
	for (const char *s = name; *s; s++)
		if (*s <= ' ' || *s > '~' || *s == '/')
			return;
	if (!name[0] || !strcmp(name, "(none)"))
		return;
	snprintf(a->info.hostname, sizeof(a->info.hostname), "%s", name);
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
	if (elf_loads(a->vmcore_path, ram_cb, &ci->mem_bytes) < 0 || !ci->mem_bytes)
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
