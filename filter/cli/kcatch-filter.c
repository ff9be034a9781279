/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kcatch-filter: makedumpfile-compatible front end of libkcatch-filter.
 * Options keep makedumpfile's meaning so that a kdump configuration can
 * switch by changing the program name.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kcatch-filter.h"

/* makedumpfile's message level bits */
enum { ML_PROGRESS = 1, ML_COMMON = 2, ML_ERROR = 4, ML_DEBUG = 8, ML_REPORT = 16 };

/* exit codes */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_INCOMPLETE = 2 };

struct options {
	struct kcf_dump_options dump;
	unsigned message_level;
	bool dry_run;
	bool show_stats;
	bool force;
	bool dump_dmesg;
	bool rearrange;
	unsigned dmesg_flags;
	const char *vmcore;
	const char *dumpfile;
	bool split, reassemble;
	char **files;          /* --split outputs, --reassemble inputs */
	unsigned nfiles;
};

static void usage(FILE *f)
{
	fputs(
"Usage: kcatch-filter [-c|-l|-p|-z] [-d LEVEL] [options] VMCORE DUMPFILE\n"
"       kcatch-filter -F [-c|-l|-p|-z] [-d LEVEL] [options] VMCORE > STREAM\n"
"       kcatch-filter -R DUMPFILE < STREAM\n"
"       kcatch-filter --split [-c|-l|-p|-z] [-d LEVEL] VMCORE DUMPFILE1 DUMPFILE2 [...]\n"
"       kcatch-filter --reassemble DUMPFILE1 DUMPFILE2 [...] DUMPFILE\n"
"       kcatch-filter --dump-dmesg [--partial-dmesg] [--classic-dmesg]\n"
"                     VMCORE LOGFILE\n"
"\n"
"Read a kernel crash dump (an ELF vmcore such as /proc/vmcore, or a\n"
"kdump-compressed dump to re-filter or recompress), leave out the pages\n"
"the dump level excludes, and write a kdump-compressed dump\n"
"that crash, drgn and makedumpfile read. Options mean what makedumpfile's\n"
"mean, so `core_collector makedumpfile -l -d 31` becomes\n"
"`kcatch-filter -l -d 31`.\n"
"\n"
"Compression (per page; pages that do not shrink are stored raw):\n"
"  -c                 zlib\n"
"  -l                 lzo\n"
"  -p                 snappy (if built in)\n"
"  -z                 zstd (the smallest dumps; lzo is the fastest)\n"
"                     none of them: pages are stored uncompressed\n"
"\n"
"Page filtering:\n"
"  -d LEVEL           sum of the classes to exclude (default 0 = keep all):\n"
"                       1  pages full of zeros\n"
"                       2  page cache without private data\n"
"                       4  page cache, with or without private data\n"
"                       8  user process memory (anonymous, hugetlb)\n"
"                      16  free pages\n"
"                     31 excludes all of them, the usual choice. Poisoned\n"
"                     and offline pages are always left out; a page whose\n"
"                     description looks corrupt is always kept.\n"
"\n"
"Kernel log:\n"
"  --dump-dmesg       write the crashed kernel's log to LOGFILE as text, one\n"
"                     \"[seconds.micros] [  CALLER] message\" line per record,\n"
"                     as makedumpfile 1.7.5 and later do: CALLER is T<pid>\n"
"                     or C<cpu> (who printed it), when the kernel records\n"
"                     it (5.10 and later; 5.1-5.9 with CONFIG_PRINTK_CALLER);\n"
"                     escapes as makedumpfile's: \\xNN, and \\xffffffNN for\n"
"                     bytes of 0x80 and up\n"
"  --partial-dmesg    with --dump-dmesg: only what came after `dmesg -c`\n"
"  --classic-dmesg    with --dump-dmesg: no caller id field, as makedumpfile\n"
"                     1.7.4 and earlier (and kcatch-agent's vmcore-dmesg.txt)\n"
"\n"
"Output:\n"
"  -E                 write an ELF core (like /proc/vmcore) instead of the\n"
"                     kdump-compressed format; no compression\n"
"  -F                 write a flattened stream to standard output, for a\n"
"                     pipe or ssh; rebuild it with -R\n"
"  -R                 read a flattened stream (ours or makedumpfile's) on\n"
"                     standard input and write it out as DUMPFILE\n"
"  --split            write the dump as several files, each with the pages of\n"
"                     one range of physical memory (about equal shares);\n"
"                     crash opens them together: crash vmlinux DUMP1 DUMP2\n"
"  --reassemble       join the files of a --split dump into one DUMPFILE,\n"
"                     identical to what an unsplit run writes\n"
"  -f, --force        overwrite DUMPFILE if it exists\n"
"  --dry-run          classify pages and report, write nothing\n"
"  --show-stats       print pages per class and sizes at the end\n"
"  --message-level N  what to print, a sum of: 1 progress, 2 common\n"
"                     messages, 4 errors, 8 debug, 16 report (default 7)\n"
"  --num-threads N    compress with N threads in all: this one and N - 1\n"
"                     workers; 0 or 1: this one only (output is the same\n"
"                     byte for byte whatever N; default: one per CPU this\n"
"                     process may use, at most 4; one on a single CPU\n"
"                     such as a capture kernel's)\n"
"  --cycle-pages N    PFNs classified per cycle; bounds memory (default\n"
"                     1048576, i.e. 4 GiB of RAM per cycle)\n"
"  -h, --help         this text\n"
"  -v, --version      version\n"
"\n"
"Exit status:\n"
"  0  the dump is complete\n"
"  1  failed; no dump file is left behind\n"
"  2  failed part way; DUMPFILE is kept but carries the incomplete flag\n"
"     (crash reads what is there and warns)\n"
"\n"
"Examples:\n"
"  kcatch-filter -z -d 31 /proc/vmcore /var/crash/vmcore\n"
"  kcatch-filter -F -l -d 31 /proc/vmcore | ssh host 'cat > vmcore.flat'\n",
		f);
}

static int create_output(const struct options *o, const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | (o->force ? O_TRUNC : O_EXCL), 0600);
	if (fd < 0)
		fprintf(stderr, "kcatch-filter: cannot create %s: %s%s\n", path, strerror(errno),
			errno == EEXIST ? " (use -f to overwrite it)" : "");
	return fd;
}

static void on_fatal_signal(int sig)
{
	static const char msg[] = "kcatch-filter: interrupted; the dump file is left marked incomplete\n";
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void log_cb(void *arg, int level, const char *msg)
{
	const struct options *o = arg;
	if (level >= 7 && !(o->message_level & ML_DEBUG))
		return;
	fprintf(stderr, "kcatch-filter: %s\n", msg);
}

struct progress_state {
	const struct options *o;
	struct timespec start, last;
	bool tty;
};

static double since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void progress_cb(void *arg, uint64_t done, uint64_t total)
{
	struct progress_state *p = arg;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	/* A serial console takes a line every few seconds, a terminal more. */
	double every = p->tty ? 0.5 : 5.0;
	if (done != total && since(&p->last, &now) < every)
		return;
	p->last = now;
	double el = since(&p->start, &now);
	double pct = total ? 100.0 * (double)done / (double)total : 100.0;
	double mbs = el > 0 ? (double)done * 4096 / 1e6 / el : 0;
	double eta = done && total > done ? el * (double)(total - done) / (double)done : 0;
	fprintf(stderr, "%sCopying data: %5.1f%% (%llu of %llu pages) %.0f MB/s, ETA %.0fs%s",
		p->tty ? "\r" : "", pct, (unsigned long long)done, (unsigned long long)total, mbs, eta,
		p->tty ? (done == total ? "\n" : "") : "\n");
}

static void print_stats(const struct kcf_vmcore *vm, const struct kcf_stats *s)
{
	uint64_t page_size = kcf_vmcore_page_size(vm);

	fprintf(stderr, "\nPages by class\n");
	fprintf(stderr, "  %-22s %12llu\n", "in memory (RAM)", (unsigned long long)s->pages_in_memory);
	for (int c = KCF_CLASS_ZERO; c < KCF_CLASS_MAX; c++)
		fprintf(stderr, "  %-22s %12llu\n", c == KCF_CLASS_ZERO ? "excluded zero" :
			c == KCF_CLASS_CACHE ? "excluded cache" :
			c == KCF_CLASS_CACHE_PRIVATE ? "excluded cache+private" :
			c == KCF_CLASS_USER ? "excluded user" :
			c == KCF_CLASS_FREE ? "excluded free" :
			c == KCF_CLASS_HWPOISON ? "excluded hwpoison" :
			c == KCF_CLASS_OFFLINE ? "excluded offline" : "not in the input",
			(unsigned long long)s->pages[c]);
	fprintf(stderr, "  %-22s %12llu\n", "kept in the dump", (unsigned long long)s->pages[KCF_CLASS_KEPT]);
	fprintf(stderr, "  %-22s %12llu\n", "  kept, corrupt-looking", (unsigned long long)s->pages_unsure);
	fprintf(stderr, "  %-22s %12llu\n", "  kept, no struct page", (unsigned long long)s->pages_no_memmap);
	for (int m = 0; m < KCF_MISSING_MAX; m++)
		if (s->missing & (1u << m))
			fprintf(stderr, "  %-22s %12llu  (no %s)\n", "  kept, field missing",
				(unsigned long long)s->pages_missing[m], kcf_vmcore_missing(vm, (enum kcf_missing)m));
	if (s->pages_lost)
		fprintf(stderr, "  %-22s %12llu\n", "lost (write failed)", (unsigned long long)s->pages_lost);
	fprintf(stderr, "Memory %.1f MiB, dump file %.1f MiB (%.2f%%)\n",
		(double)s->pages_in_memory * (double)page_size / 1048576.0,
		(double)s->bytes_written / 1048576.0,
		s->pages_in_memory ? 100.0 * (double)s->bytes_written /
		((double)s->pages_in_memory * (double)page_size) : 0.0);
}

static int parse_uint(const char *s, const char *what, unsigned long long max, unsigned long long *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end || !*s || v > max || *s == '-') {
		fprintf(stderr, "kcatch-filter: %s \"%s\" is not a number from 0 to %llu\n", what, s, max);
		return -1;
	}
	*out = v;
	return 0;
}

/*
 * Compressing threads when --num-threads is not given: one per CPU this
 * process may run on (this thread and a worker per further CPU), at most
 * 4 (memory stays under 16 MB), so no worker on one CPU (a capture
 * kernel's nr_cpus=1). The output is the same bytes whatever the count,
 * so using the CPUs there are costs nothing.
 */
static unsigned default_threads(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return 0;
	int n = CPU_COUNT(&set);
	return n <= 1 ? 0 : n > 4 ? 4 : (unsigned)n;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	bool threads_given = false;
	enum { OPT_MSG = 256, OPT_DRY, OPT_STATS, OPT_THREADS, OPT_CYCLE, OPT_DMESG, OPT_PARTIAL,
	       OPT_CLASSIC, OPT_SPLIT, OPT_REASSEMBLE };
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ "force", no_argument, NULL, 'f' },
		{ "message-level", required_argument, NULL, OPT_MSG },
		{ "dry-run", no_argument, NULL, OPT_DRY },
		{ "show-stats", no_argument, NULL, OPT_STATS },
		{ "num-threads", required_argument, NULL, OPT_THREADS },
		{ "cycle-pages", required_argument, NULL, OPT_CYCLE },
		{ "dump-dmesg", no_argument, NULL, OPT_DMESG },
		{ "partial-dmesg", no_argument, NULL, OPT_PARTIAL },
		{ "classic-dmesg", no_argument, NULL, OPT_CLASSIC },
		{ "split", no_argument, NULL, OPT_SPLIT },
		{ "reassemble", no_argument, NULL, OPT_REASSEMBLE },
		{ 0 }
	};
	unsigned long long v;
	int c;

	o->message_level = ML_PROGRESS | ML_COMMON | ML_ERROR;
	/* what the makedumpfile of current distributions prints (1.7.5+) */
	o->dmesg_flags = KCF_DMESG_CALLER_ID;
	while ((c = getopt_long(argc, argv, "clpzd:FERfhv", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->dump.compress = KCF_COMPRESS_ZLIB; break;
		case 'l': o->dump.compress = KCF_COMPRESS_LZO; break;
		case 'p': o->dump.compress = KCF_COMPRESS_SNAPPY; break;
		case 'z': o->dump.compress = KCF_COMPRESS_ZSTD; break;
		case 'F': o->dump.flattened = true; break;
		case 'E': o->dump.format = KCF_FORMAT_ELF; break;
		case 'R': o->rearrange = true; break;
		case 'f': o->force = true; break;
		case 'd':
			if (parse_uint(optarg, "dump level", KCF_DL_MAX, &v) < 0)
				return -1;
			o->dump.dump_level = (unsigned)v;
			break;
		case OPT_MSG:
			if (parse_uint(optarg, "message level", 31, &v) < 0)
				return -1;
			o->message_level = (unsigned)v;
			break;
		case OPT_DRY: o->dry_run = true; break;
		case OPT_DMESG: o->dump_dmesg = true; break;
		case OPT_PARTIAL: o->dmesg_flags |= KCF_DMESG_PARTIAL; break;
		case OPT_CLASSIC: o->dmesg_flags &= ~(unsigned)KCF_DMESG_CALLER_ID; break;
		case OPT_SPLIT: o->split = true; break;
		case OPT_REASSEMBLE: o->reassemble = true; break;
		case OPT_STATS: o->show_stats = true; break;
		case OPT_THREADS:
			if (parse_uint(optarg, "thread count", 64, &v) < 0)
				return -1;
			o->dump.num_threads = (unsigned)v;
			threads_given = true;
			break;
		case OPT_CYCLE:
			if (parse_uint(optarg, "cycle size", 1ULL << 32, &v) < 0 || v < 8) {
				fprintf(stderr, "kcatch-filter: --cycle-pages must be at least 8\n");
				return -1;
			}
			o->dump.cycle_pages = v;
			break;
		case 'h': usage(stdout); exit(EXIT_OK);
		case 'v': printf("kcatch-filter 0.1.0\n"); exit(EXIT_OK);
		default:
			fprintf(stderr, "Try 'kcatch-filter --help'.\n");
			return -1;
		}
	}
	if (!threads_given)
		o->dump.num_threads = default_threads();
	if (o->split || o->reassemble) {
		/* --split: VMCORE and two parts; --reassemble: two parts and DUMPFILE */
		if (argc - optind < 3) {
			fprintf(stderr, "kcatch-filter: %s\n", o->split ?
				"--split needs VMCORE and at least two DUMPFILEs" :
				"--reassemble needs at least two parts and the DUMPFILE to write");
			return -1;
		}
		if (o->split) {
			o->vmcore = argv[optind];
			o->files = argv + optind + 1;
			o->nfiles = (unsigned)(argc - optind - 1);
		} else {
			o->files = argv + optind;
			o->nfiles = (unsigned)(argc - optind - 1);
			o->dumpfile = argv[argc - 1];
		}
		if (o->dump.flattened || o->dump.format == KCF_FORMAT_ELF) {
			fprintf(stderr, "kcatch-filter: --split and --reassemble work on kdump-format files only (no -E, -F)\n");
			return -1;
		}
		return 0;
	}
	if (o->rearrange) {
		if (argc - optind != 1) {
			fprintf(stderr, "kcatch-filter: -R takes exactly one argument, DUMPFILE (the stream comes on standard input)\n");
			return -1;
		}
		o->dumpfile = argv[optind];
		if (isatty(STDIN_FILENO)) {
			fprintf(stderr, "kcatch-filter: -R reads a flattened stream from standard input; redirect it from a file or a pipe\n");
			return -1;
		}
		return 0;
	}
	int need = ((o->dump.flattened || o->dry_run) && !o->dump_dmesg) ? 1 : 2;
	if (argc - optind != need) {
		fprintf(stderr, "kcatch-filter: expected %s, got %d argument%s. Try 'kcatch-filter --help'.\n",
			need == 1 ? "VMCORE" : "VMCORE and DUMPFILE", argc - optind,
			argc - optind == 1 ? "" : "s");
		return -1;
	}
	o->vmcore = argv[optind];
	o->dumpfile = need == 2 ? argv[optind + 1] : NULL;
	if (o->dump.flattened && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "kcatch-filter: -F writes a binary stream to standard output; redirect it to a file or a pipe\n");
		return -1;
	}
	if (o->dump.format == KCF_FORMAT_ELF && o->dump.compress != KCF_COMPRESS_NONE) {
		fprintf(stderr, "kcatch-filter: -E writes an uncompressed ELF dump; drop -c/-l/-p/-z\n");
		return -1;
	}
	if (!kcf_compress_available(o->dump.compress)) {
		fprintf(stderr, "kcatch-filter: %s compression is not built into this kcatch-filter\n",
			kcf_compress_name(o->dump.compress));
		return -1;
	}
	return 0;
}


static int split(struct kcf_vmcore *vm, struct kcf_ctx *ctx, struct options *o)
{
	int *fds = calloc(o->nfiles, sizeof(int));
	struct kcf_stats stats;
	unsigned opened = 0;
	int status = EXIT_FAILED;

	if (!fds)
		return EXIT_FAILED;
	for (; opened < o->nfiles; opened++)
		if ((fds[opened] = create_output(o, o->files[opened])) < 0)
			break;
	if (opened == o->nfiles) {
		if (kcf_dump_split(vm, &o->dump, fds, o->nfiles, &stats) < 0) {
			fprintf(stderr, "kcatch-filter: %s\n", kcf_ctx_error(ctx));
			if (stats.incomplete) {
				fprintf(stderr, "kcatch-filter: the parts are kept, marked incomplete\n");
				status = EXIT_INCOMPLETE;
			}
		} else {
			if (o->message_level & ML_COMMON)
				fprintf(stderr, "kcatch-filter: %u parts written: %llu of %llu pages, %.1f MiB\n",
					o->nfiles, (unsigned long long)stats.pages[KCF_CLASS_KEPT],
					(unsigned long long)stats.pages_in_memory,
					(double)stats.bytes_written / 1048576.0);
			status = EXIT_OK;
		}
	}
	for (unsigned i = 0; i < opened; i++) {
		close(fds[i]);
		if (status == EXIT_FAILED)
			unlink(o->files[i]);
	}
	free(fds);
	return status;
}

static int reassemble(struct kcf_ctx *ctx, struct options *o)
{
	uint64_t bytes;
	int fd = create_output(o, o->dumpfile);
	if (fd < 0)
		return EXIT_FAILED;
	if (kcf_reassemble(ctx, (const char *const *)o->files, o->nfiles, fd, &bytes) < 0) {
		fprintf(stderr, "kcatch-filter: %s\n", kcf_ctx_error(ctx));
		close(fd);
		unlink(o->dumpfile);
		return EXIT_FAILED;
	}
	if (close(fd) < 0) {
		fprintf(stderr, "kcatch-filter: closing %s: %s\n", o->dumpfile, strerror(errno));
		return EXIT_FAILED;
	}
	if (o->message_level & ML_COMMON)
		fprintf(stderr, "kcatch-filter: %s reassembled from %u parts, %.1f MiB\n", o->dumpfile,
			o->nfiles, (double)bytes / 1048576.0);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct kcf_ctx *ctx = NULL;
	struct kcf_vmcore *vm = NULL;
	struct kcf_stats stats;
	int fd = -1, r, status = EXIT_FAILED;

	if (parse_args(argc, argv, &o) < 0)
		return EXIT_FAILED;
	if (kcf_ctx_new(&ctx) < 0) {
		fprintf(stderr, "kcatch-filter: out of memory\n");
		return EXIT_FAILED;
	}
	kcf_ctx_set_log(ctx, log_cb, &o);
	if (o.reassemble) {
		status = reassemble(ctx, &o);
		goto out;
	}
	if (o.rearrange) {
		uint64_t bytes;
		fd = create_output(&o, o.dumpfile);
		if (fd < 0)
			goto out;
		r = kcf_flat_rearrange(ctx, STDIN_FILENO, fd, &bytes);
		if (r < 0) {
			fprintf(stderr, "kcatch-filter: %s\n", kcf_ctx_error(ctx));
			fprintf(stderr, "kcatch-filter: %s is kept, marked incomplete\n", o.dumpfile);
			status = EXIT_INCOMPLETE;
			goto out;
		}
		if (o.message_level & ML_COMMON)
			fprintf(stderr, "kcatch-filter: %s rebuilt from the stream, %.1f MiB\n", o.dumpfile,
				(double)bytes / 1048576.0);
		status = EXIT_OK;
		goto out;
	}
	r = kcf_vmcore_open(ctx, o.vmcore, &vm);
	if (r < 0) {
		fprintf(stderr, "kcatch-filter: %s\n", kcf_ctx_error(ctx));
		goto out;
	}
	if (o.message_level & ML_COMMON)
		fprintf(stderr, "kcatch-filter: %s: Linux %s, %.1f GiB of physical address space, dump level %u, compression %s\n",
			o.vmcore, kcf_vmcore_info(vm, "OSRELEASE"),
			(double)kcf_vmcore_max_pfn(vm) * (double)kcf_vmcore_page_size(vm) / 1073741824.0,
			o.dump.dump_level, kcf_compress_name(o.dump.compress));

	if (o.split) {
		status = split(vm, ctx, &o);
		goto out;
	}
	if (o.dump_dmesg) {
		fd = create_output(&o, o.dumpfile);
		if (fd < 0)
			goto out;
		r = kcf_dmesg_write(vm, o.dmesg_flags, fd);
		if (r < 0) {
			fprintf(stderr, "kcatch-filter: %s\n", kcf_ctx_error(ctx));
			close(fd);
			fd = -1;
			unlink(o.dumpfile);
			goto out;
		}
		if (o.message_level & ML_COMMON)
			fprintf(stderr, "kcatch-filter: kernel log written to %s\n", o.dumpfile);
		status = EXIT_OK;
		goto out;
	}

	if (o.dry_run) {
		r = kcf_dump_dry_run(vm, &o.dump, &stats);
		if (r < 0) {
			fprintf(stderr, "kcatch-filter: %s\n", kcf_ctx_error(ctx));
			goto out;
		}
		print_stats(vm, &stats);
		status = EXIT_OK;
		goto out;
	}

	if (o.dump.flattened) {
		fd = STDOUT_FILENO;
	} else {
		fd = create_output(&o, o.dumpfile);
		if (fd < 0)
			goto out;
		signal(SIGINT, on_fatal_signal);
		signal(SIGTERM, on_fatal_signal);
		signal(SIGHUP, on_fatal_signal);
	}

	struct progress_state ps = { .o = &o, .tty = isatty(STDERR_FILENO) };
	clock_gettime(CLOCK_MONOTONIC, &ps.start);
	ps.last = ps.start;
	if (o.message_level & ML_PROGRESS) {
		o.dump.progress = progress_cb;
		o.dump.progress_arg = &ps;
	}
	r = kcf_dump(vm, &o.dump, fd, &stats);
	if (r < 0) {
		fprintf(stderr, "kcatch-filter: %s\n", kcf_ctx_error(ctx));
		if (!o.dump.flattened) {
			if (stats.incomplete) {
				fprintf(stderr, "kcatch-filter: %s is INCOMPLETE: %llu of %llu pages were not written; it is kept and marked incomplete\n",
					o.dumpfile, (unsigned long long)stats.pages_lost,
					(unsigned long long)stats.pages[KCF_CLASS_KEPT]);
				status = EXIT_INCOMPLETE;
			} else {
				unlink(o.dumpfile);
				fprintf(stderr, "kcatch-filter: %s removed\n", o.dumpfile);
			}
		} else if (stats.incomplete) {
			status = EXIT_INCOMPLETE;
		}
		goto out;
	}
	if (o.show_stats || (o.message_level & ML_REPORT))
		print_stats(vm, &stats);
	if (o.message_level & ML_COMMON)
		fprintf(stderr, "kcatch-filter: %s written: %llu of %llu pages, %.1f MiB\n",
			o.dump.flattened ? "stream" : o.dumpfile,
			(unsigned long long)stats.pages[KCF_CLASS_KEPT],
			(unsigned long long)stats.pages_in_memory, (double)stats.bytes_written / 1048576.0);
	status = EXIT_OK;
out:
	if (fd >= 0 && fd != STDOUT_FILENO && close(fd) < 0 && status == EXIT_OK) {
		fprintf(stderr, "kcatch-filter: closing %s: %s\n", o.dumpfile, strerror(errno));
		status = EXIT_FAILED;
	}
	kcf_vmcore_close(vm);
	kcf_ctx_free(ctx);
	return status;
}
