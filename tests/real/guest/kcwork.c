/* kcwork: workload run inside the QEMU guest before it is crashed, so that
 * every makedumpfile dump level has something to exclude.
 *
 *   kcwork anon PERCENT READYFILE  allocate PERCENT% of MemTotal, fill it with
 *                                  a non-zero pattern, create READYFILE, then
 *                                  sleep forever (anonymous user pages): half
 *                                  of it in a 2 MiB-aligned MADV_HUGEPAGE
 *                                  mapping (transparent huge pages, whose tail
 *                                  pages a filter must drop too), half from
 *                                  malloc (small or mTHP folios)
 *   kcwork churn PERCENT           fill PERCENT% of MemTotal with a non-zero
 *                                  pattern and exit: the freed pages keep it,
 *                                  so free pages are not all zero pages
 *   kcwork fill FILE MIB           write MIB MiB of non-zero pattern to FILE
 *                                  and fsync it (page cache)
 *   kcwork slab DIR NDIRS NFILES   create NDIRS directories of NFILES empty
 *                                  files each (dentry/inode slab)
 *
 * Built on the host with gcc -static -O2; the guest has no libc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int die(const char *what)
{
	fprintf(stderr, "kcwork: %s: %s\n", what, strerror(errno));
	return 1;
}

static unsigned long long mem_total_kib(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	unsigned long long kib = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* A pattern that is never zero and differs from page to page. */
static void fill_pattern(uint64_t *p, size_t words, uint64_t seed)
{
	for (size_t i = 0; i < words; i++)
		p[i] = (seed + i) * 0x9e3779b97f4a7c15ULL | 0x0101010101010101ULL;
}

#define HUGE_2M (2UL << 20)

/* A 2 MiB-aligned anonymous mapping of bytes (a multiple of 2 MiB) that
 * asks for transparent huge pages: the guest's THP "enabled" setting is
 * "madvise" or "always" on the Debian kernels. */
static uint64_t *thp_alloc(size_t bytes)
{
	char *p = mmap(NULL, bytes + HUGE_2M, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t a;

	if (p == MAP_FAILED)
		return NULL;
	a = ((uintptr_t)p + HUGE_2M - 1) & ~(HUGE_2M - 1);
	if (madvise((void *)a, bytes, MADV_HUGEPAGE) < 0)
		fprintf(stderr, "kcwork: madvise(MADV_HUGEPAGE): %s\n",
			strerror(errno));
	return (uint64_t *)a;
}

static int cmd_anon(int percent, const char *ready)
{
	unsigned long long kib = mem_total_kib();
	size_t bytes = (size_t)(kib * 1024ULL * (unsigned)percent / 100);
	size_t huge = bytes / 2 & ~(HUGE_2M - 1);
	uint64_t *buf, *thp;
	int fd;

	if (!kib || percent <= 0 || percent > 90) {
		errno = EINVAL;
		return die("anon: bad MemTotal or percent");
	}
	thp = thp_alloc(huge);
	if (!thp)
		return die("anon: mmap");
	fill_pattern(thp, huge / sizeof(*thp), 0xc3c3);
	buf = malloc(bytes - huge);
	if (!buf)
		return die("anon: malloc");
	fill_pattern(buf, (bytes - huge) / sizeof(*buf), 0xa5a5);
	printf("kcwork: anon: %zu MiB filled (%d%% of %llu MiB), %zu MiB of it MADV_HUGEPAGE\n",
	       bytes >> 20, percent, kib >> 10, huge >> 20);
	fflush(stdout);
	fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return die(ready);
	close(fd);
	for (;;) {
		pause();
		/* keep the pages referenced so nothing can call them unused */
		buf[0]++;
		thp[0]++;
	}
}

static int cmd_churn(int percent)
{
	unsigned long long kib = mem_total_kib();
	size_t bytes = (size_t)(kib * 1024ULL * (unsigned)percent / 100);
	uint64_t *buf;

	if (!kib || percent <= 0 || percent > 90) {
		errno = EINVAL;
		return die("churn: bad MemTotal or percent");
	}
	buf = malloc(bytes);
	if (!buf)
		return die("churn: malloc");
	fill_pattern(buf, bytes / sizeof(*buf), 0x5a5a);
	printf("kcwork: churn: %zu MiB filled and freed\n", bytes >> 20);
	free(buf);
	return 0;
}

static int cmd_fill(const char *path, long mib)
{
	static uint64_t block[1 << 17]; /* 1 MiB */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return die(path);
	for (long m = 0; m < mib; m++) {
		fill_pattern(block, sizeof(block) / sizeof(block[0]),
			     (uint64_t)m << 17);
		for (size_t off = 0; off < sizeof(block);) {
			ssize_t n = write(fd, (char *)block + off,
					  sizeof(block) - off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return die("fill: write");
			off += (size_t)n;
		}
	}
	if (fsync(fd) < 0)
		return die("fill: fsync");
	close(fd);
	printf("kcwork: fill: %s %ld MiB\n", path, mib);
	return 0;
}

static int cmd_slab(const char *dir, long ndirs, long nfiles)
{
	char path[4096];

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return die(dir);
	for (long d = 0; d < ndirs; d++) {
		snprintf(path, sizeof(path), "%s/d%05ld", dir, d);
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return die(path);
		for (long f = 0; f < nfiles; f++) {
			int fd;

			snprintf(path, sizeof(path), "%s/d%05ld/f%05ld", dir, d,
				 f);
			fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
			if (fd < 0)
				return die(path);
			close(fd);
		}
	}
	printf("kcwork: slab: %s %ld dirs x %ld files\n", dir, ndirs, nfiles);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "anon"))
		return cmd_anon(atoi(argv[2]), argv[3]);
	if (argc == 3 && !strcmp(argv[1], "churn"))
		return cmd_churn(atoi(argv[2]));
	if (argc == 4 && !strcmp(argv[1], "fill"))
		return cmd_fill(argv[2], atol(argv[3]));
	if (argc == 5 && !strcmp(argv[1], "slab"))
		return cmd_slab(argv[2], atol(argv[3]), atol(argv[4]));
	fprintf(stderr,
		"usage: kcwork anon PERCENT READYFILE | churn PERCENT | fill FILE MIB | slab DIR NDIRS NFILES\n");
	return 2;
}
