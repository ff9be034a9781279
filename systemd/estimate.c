/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kcatch estimate: how much crashkernel= memory the capture kernel needs,
 * from measured sizes, against what is reserved now.
 *
 * need = the capture kernel in memory (x86 boot protocol init_size: what
 *        the kernel needs to decompress and run, bss and early page
 *        tables included; or an ELF vmlinux's loaded segments)
 *      + the capture image, compressed (loaded by kexec) and unpacked
 *        (the initramfs becomes the rootfs in memory)
 *      + kcatch-agent's peak: about 4 MiB plus its cycle buffer (one byte
 *        per page of a 4 GiB cycle = 1 MiB); it does not grow with RAM
 *      + the capture kernel's own runtime: a base calibrated on this
 *        project's QEMU runs, plus a reserve that grows with the crashed
 *        host's RAM (its memory map, ELF notes, /proc/vmcore bookkeeping).
 * Calibration: bench/crashkernel-bisect.sh bisects the smallest
 * crashkernel= that captures a complete, verified dump under QEMU (8 MiB
 * steps; bench/crashkernel-results.tsv, man kcatch(8) has the table).
 * Debian 6.1 cloud needs 80M (72M runs out of memory) and 6.12 72M (not
 * 64M) with 1, 4, 8 and 16 GiB guests alike, sid's 7.2 88M (not 80M) at
 * 1, 4 and 16 GiB: the need grows by less than one 8 MiB step from 1 to
 * 16 GiB, so 256 KiB per GiB (4 MiB at 16 GiB) is on the safe side. The
 * capture kernel runs out of memory while booting, before the agent
 * starts: its init_size tracks the need. The 19 MiB base makes 6.1's
 * total 79-83 MiB and 7.2's 87.5-91.3: within 4 MiB of their measured
 * 80M and 88M, above the sizes that failed; 6.12's comes out 11-15 MiB
 * above its minimum (its init_size is larger but it uses less at run
 * time), which errs on the safe side.
 * tests/setup/test-estimate-measured.sh holds the estimate to every
 * measured point.
 *
 * The recommendation is the total + max(8 MiB, 10 %), rounded up to
 * 16 MiB: at least one 8 MiB step of the measurement, 10 % where the
 * total is large (more devices and drivers than a QEMU guest has), and
 * the rounding. At every measured point it is 16 MiB or more above the
 * measured minimum.
 *
 * Every capture CPU past the first (nr_cpus=, chosen in cmdline.c, issue
 * 16) adds its per-CPU kernel memory (per-CPU areas, stacks, run queue,
 * slab and page lists: about 1 MiB) and one filter thread of the agent
 * (capture/threads.c: two 64-page batches in and out = 1 MiB at 4 KiB
 * pages, plus 2 MiB of compressor state and stack). Measured with two
 * capture CPUs (nr_cpus=2, two filter threads): 6.1 needs the same 80M
 * as with one, 6.12 80M instead of 72M (at 72M the agent had room for
 * one filter thread and saved the dump with it), so two CPUs cost 0 to
 * 15 MiB more; the estimate's 4 MiB plus 6.12's surplus covers both.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "kcatch.h"

#define MiB (1024.0 * 1024.0)
#define GiB (1024.0 * MiB)
#define AGENT_BASE (4 * MiB)
#define AGENT_CYCLE (1 * MiB)
#define RUNTIME_BASE (19 * MiB)
#define RUNTIME_PER_GIB (256 * 1024.0)
#define MARGIN 0.10
#define MARGIN_MIN (8 * MiB)
#define ROUND (16 * MiB)
#define CPU_KERNEL (1 * MiB)
#define CPU_THREAD (3 * MiB)

static uint32_t le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Bytes the kernel occupies once running; 0 if the file is none of a bzImage, an arm64 Image or an ELF. */
static uint64_t kernel_memory(int fd, const char *path, char *how, size_t len)
{
	unsigned char h[4096];
	ssize_t got = pread(fd, h, sizeof(h), 0);
	size_t n = got > 0 ? (size_t)got : 0;
	if (n >= 0x264 && memcmp(h + 0x202, "HdrS", 4) == 0) {
		unsigned version = h[0x206] | h[0x207] << 8;
		if (version < 0x20a) {
			fmt(how, len, "boot protocol %u.%02u of %s has no init_size", version >> 8, version & 0xff, path);
			return 0;
		}
		fmt(how, len, "init_size of the bzImage header of %s", path);
		return le32(h + 0x260);
	}
	if (n >= 64 && memcmp(h + 56, "ARM\x64", 4) == 0) {
		/* arm64 Image header (Documentation/arch/arm64/booting.rst): the
		 * effective image size, BSS included, at 16; 0 before Linux 3.17 */
		uint64_t size = le64(h + 16);
		if (!size) {
			fmt(how, len, "the arm64 Image header of %s has no image_size (a kernel before 3.17)", path);
			return 0;
		}
		fmt(how, len, "image_size of the arm64 Image header of %s", path);
		return size;
	}
	if (n >= 64 && memcmp(h, "\177ELF", 4) == 0 && h[4] == 2 && h[5] == 1) {
		/* 64-bit little-endian vmlinux: the span of its PT_LOAD segments */
		uint64_t phoff = le64(h + 32), lo = UINT64_MAX, hi = 0;
		unsigned phnum = h[56] | h[57] << 8, phentsize = h[54] | h[55] << 8;
		unsigned char ph[56];
		for (unsigned i = 0; i < phnum && phentsize >= 56 && i < 256; i++) {
			if (pread(fd, ph, 56, (off_t)(phoff + (uint64_t)i * phentsize)) != 56)
				break;
			if (le32(ph) != 1)  /* PT_LOAD */
				continue;
			uint64_t pa = le64(ph + 24), msz = le64(ph + 40);
			if (pa < lo)
				lo = pa;
			if (pa + msz > hi)
				hi = pa + msz;
		}
		fmt(how, len, "loaded segments of the ELF %s", path);
		return hi > lo ? hi - lo : 0;
	}
	fmt(how, len, "%s is neither a bzImage (boot protocol 2.10 or later), an arm64 Image nor an ELF vmlinux", path);
	return 0;
}

/* Unpacked size of a zstd stream, counted by decompressing (bounded). */
static uint64_t zstd_unpacked(FILE *f)
{
	ZSTD_DStream *ds = ZSTD_createDStream();
	size_t inl = ZSTD_DStreamInSize(), outl = ZSTD_DStreamOutSize(), n;
	void *in = malloc(inl), *out = malloc(outl);
	uint64_t total = 0;
	bool ok = ds && in && out;
	if (ok)
		ZSTD_initDStream(ds);
	while (ok && (n = fread(in, 1, inl, f)) > 0) {
		ZSTD_inBuffer ib = { in, n, 0 };
		while (ib.pos < ib.size) {
			ZSTD_outBuffer ob = { out, outl, 0 };
			if (ZSTD_isError(ZSTD_decompressStream(ds, &ob, &ib)) || total > (1ULL << 32)) {
				ok = false;
				break;
			}
			total += ob.pos;
		}
	}
	ZSTD_freeDStream(ds);
	free(in);
	free(out);
	return ok ? total : 0;
}

/* Unpacked size of the capture image; 0 when the format is unknown. */
static uint64_t image_unpacked(const char *path, uint64_t size, char *how, size_t len)
{
	unsigned char m[6], tail[4];
	uint64_t r = 0;
	FILE *f = fopen(path, "re");
	if (!f || fread(m, 1, sizeof(m), f) != sizeof(m)) {
		if (f)
			fclose(f);
		return 0;
	}
	if (memcmp(m, "\x28\xb5\x2f\xfd", 4) == 0) {
		rewind(f);
		r = zstd_unpacked(f);
		fmt(how, len, "zstd cpio, unpacked into the capture kernel's rootfs");
	} else if (m[0] == 0x1f && m[1] == 0x8b && fseeko(f, -4, SEEK_END) == 0 && fread(tail, 1, 4, f) == 4) {
		r = le32(tail);  /* gzip ISIZE */
		fmt(how, len, "gzip cpio (ISIZE), unpacked into the capture kernel's rootfs");
	} else if (memcmp(m, "070701", 6) == 0) {
		r = size;
		fmt(how, len, "uncompressed cpio, copied into the capture kernel's rootfs");
	}
	fclose(f);
	return r;
}

static void row(bool verbose, const char *what, double bytes, const char *how)
{
	if (verbose)
		printf("  %-26s %8.1f MiB%s%s\n", what, bytes / MiB, *how ? "  " : "", how);
}

/* quiet: no message on failure (capture_cpus() tries it on any host) */
static int estimate(const struct opts *o, bool verbose, bool quiet, unsigned cpus, const char *cpus_why,
		    uint64_t *recommended, uint64_t *total_out)
{
	struct files f;
	struct stat st;
	char how[600], ramb[32];
	double ram, kernel, image, unpacked, agent, runtime, total, rec;
	long long reserved = read_number(o, "/sys/kernel/kexec_crash_size");

	find_files(o, &f);
	ram = (double)meminfo_bytes(o, "MemTotal");
	if (ram <= 0) {
		if (quiet)
			return -1;
		return kc_error("cannot read MemTotal from %s/proc/meminfo", strcmp(o->root, "/") ? o->root : "");
	}
	if (reserved > 0)  /* MemTotal does not count the reservation */
		ram += (double)reserved;
	if (!f.kernel_found) {
		if (quiet)
			return -1;
		return kc_error("cannot tell the capture kernel's size: %s", f.kernel_error);
	}
	int kfd = open_kernel(o, &f);
	if (kfd < 0)
		fmt(how, sizeof(how), "%s: %s", f.kernel_abs, strerror(-kfd));
	kernel = kfd < 0 ? 0 : (double)kernel_memory(kfd, f.kernel_abs, how, sizeof(how));
	if (kfd >= 0)
		close(kfd);
	if (kernel <= 0) {
		if (quiet)
			return -1;
		return kc_error("cannot tell the capture kernel's size: %s; install the kernel package "
			"of the running kernel", how);
	}
	if (verbose)
		printf("crashkernel= estimate for Linux %s on a host with %s of RAM\n", f.release,
		       kc_format_bytes((uint64_t)ram, ramb, sizeof(ramb)));
	row(verbose, "capture kernel", kernel, how);
	if (stat(f.image_abs, &st) == 0) {
		image = (double)st.st_size;
		row(verbose, "capture image", image, f.image_abs);
		unpacked = (double)image_unpacked(f.image_abs, (uint64_t)st.st_size, how, sizeof(how));
		if (unpacked <= 0) {
			unpacked = 3 * image;
			snprintf(how, sizeof(how), "format not recognised: assumed 3 times the image");
		}
		row(verbose, "capture image unpacked", unpacked, how);
	} else {
		image = 1 * MiB;
		unpacked = 3 * MiB;
		row(verbose, "capture image", image, "not built yet: assumed (kcatch rebuild builds it)");
		row(verbose, "capture image unpacked", unpacked, "not built yet: assumed");
	}
	agent = AGENT_BASE + AGENT_CYCLE;
	row(verbose, "kcatch-agent peak", agent, "4 MiB + 1 MiB cycle buffer; does not grow with RAM");
	/* to the nearest GiB: MemTotal plus the reservation is a little under what is installed */
	double gib = (double)(uint64_t)(ram / GiB + 0.5);
	if (gib < 1)
		gib = 1;
	runtime = RUNTIME_BASE + RUNTIME_PER_GIB * gib;
	snprintf(how, sizeof(how), "19 MiB base + 256 KiB per GiB of RAM (%.0f GiB): the crashed host's memory "
		 "map, /proc/vmcore", gib);
	row(verbose, "capture kernel runtime", runtime, how);
	double cpus_extra = (cpus > 1 ? cpus - 1 : 0) * (CPU_KERNEL + CPU_THREAD);
	snprintf(how, sizeof(how), "%u capture CPU%s (%s): 4 MiB each past the first (1 MiB per-CPU "
		 "kernel memory, 3 MiB filter thread)", cpus, cpus == 1 ? "" : "s", cpus_why);
	row(verbose, "extra capture CPUs", cpus_extra, how);
	total = kernel + image + unpacked + agent + runtime + cpus_extra;
	row(verbose, "total", total, "");
	rec = (double)(uint64_t)((estimate_with_margin(total) + ROUND - 1) / ROUND) * ROUND;
	*recommended = (uint64_t)rec;
	*total_out = (uint64_t)total;
	return 0;
}

int crashkernel_estimate(const struct opts *o, bool verbose, uint64_t *recommended, uint64_t *total_out)
{
	struct kc_config c;
	char why[256];
	unsigned cpus;

	kc_config_init(&c);
	load_config(o, &c, true);  /* invalid: the defaults; kcatch show and test name it */
	cpus = capture_cpus_wanted(o, &c, why, sizeof(why));
	kc_config_free(&c);
	return estimate(o, verbose, false, cpus, why, recommended, total_out);
}

int crashkernel_estimate_total(const struct opts *o, unsigned cpus, uint64_t *total)
{
	uint64_t rec;
	return estimate(o, false, true, cpus, "", &rec, total);
}

double estimate_with_margin(double total)
{
	return total + (total * MARGIN > MARGIN_MIN ? total * MARGIN : MARGIN_MIN);
}

double capture_cpu_bytes(void)
{
	return CPU_KERNEL + CPU_THREAD;
}

int cmd_estimate(const struct opts *o)
{
	char b[32];
	uint64_t recb, totalb;
	long long reserved = read_number(o, "/sys/kernel/kexec_crash_size");
	if (crashkernel_estimate(o, true, &recb, &totalb) < 0)
		return 1;
	double rec = (double)recb, total = (double)totalb;
	printf("recommended: crashkernel=%.0fM (the total + max(8 MiB, 10 %%), rounded up to 16 MiB)\n", rec / MiB);
	struct kc_config c;
	char why[256];
	kc_config_init(&c);
	load_config(o, &c, true);
	unsigned n = capture_cpus(o, &c, why, sizeof(why));
	kc_config_free(&c);
	printf("capture CPUs with what is reserved now: nr_cpus=%u (%s)\n", n, why);
	printf("This is an estimate, calibrated on QEMU guests with 1 to 16 GiB: Debian 6.1 captured with\n"
	       "crashkernel=80M (not 72M), 6.12 with 72M (not 64M), 7.2 with 88M (not 80M); with two capture\n"
	       "CPUs 6.12 needed 80M (man kcatch, estimate). Check with a test crash.\n");
	if (reserved <= 0) {
		printf("reserved now: nothing: run 'kcatch crashkernel' (crashkernel=%.0fM) and reboot\n", rec / MiB);
		return 1;
	}
	kc_format_bytes((uint64_t)reserved, b, sizeof(b));
	if ((double)reserved >= rec) {
		printf("reserved now: %s: enough\n", b);
		return 0;
	}
	printf("reserved now: %s: %s; run 'kcatch crashkernel' (crashkernel=%.0fM) and reboot\n", b, (double)reserved >= total ?
	       "enough by the estimate but without margin" : "NOT enough: the capture kernel may run out of memory",
	       rec / MiB);
	return 1;
}
