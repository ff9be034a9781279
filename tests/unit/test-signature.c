/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The crash signature (common/crash-signature.c) on kernel logs: the
 * sysrq panics of the cached real vmcores (5.10, 6.1, 6.12, 7.2 amd64;
 * 6.1 and 6.12 arm64; excerpts written by kcatch-filter --dump-dmesg)
 * and hand-written ones for a NULL dereference in a module, a BUG_ON and
 * an arm64 Oops (tests/unit/signature-logs/). Same bug on two boots or
 * two kernels of one family: one signature; different bugs or families:
 * different ones; hostile logs: a clean return, in bounded time.
 *
 *   test-signature DIR   (DIR = tests/unit/signature-logs)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crash-signature.h"
#include "panic-line.h"
#include "tap.h"

static const char *dir;

struct log { char *p; size_t n; };

static struct log load(const char *name)
{
	char path[4096];
	struct log l = { NULL, 0 };
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
		fprintf(stderr, "test-signature: cannot read %s (run with tests/unit/signature-logs)\n", path);
		exit(2);
	}
	l.p = malloc((size_t)n + 1);
	if (!l.p || fread(l.p, 1, (size_t)n, f) != (size_t)n)
		exit(2);
	l.n = (size_t)n;
	fclose(f);
	return l;
}

static struct kc_signature sig_of(struct log l, const char *release, int *r)
{
	struct kc_signature s;
	*r = kc_signature(l.p, l.n, release, &s);
	return s;
}

/*
 * The same crash on another boot: every number that is not part of a
 * name changes (timestamps, pids, caller ids stay words, CPU numbers,
 * addresses, KASLR offsets, the +0x offsets of frames), each digit
 * shifted by 3; a word's digits after a letter or "_" stay
 * (do_syscall_64, ext4, T1).
 */
static struct log other_boot(struct log l)
{
	struct log m = { malloc(l.n + 1), l.n };
	size_t i = 0;

	memcpy(m.p, l.p, l.n);
	while (i < l.n) {
		char c = m.p[i];
		int word = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
		if (!word) {
			i++;
			continue;
		}
		size_t w = i;
		while (i < l.n && (((m.p[i] | 0x20) >= 'a' && (m.p[i] | 0x20) <= 'z') ||
				   (m.p[i] >= '0' && m.p[i] <= '9') || m.p[i] == '_'))
			i++;
		if (m.p[w] < '0' || m.p[w] > '9')
			continue;
		for (size_t k = w; k < i; k++)
			if (m.p[k] >= '0' && m.p[k] <= '9' && !(k == w && k + 1 < i && m.p[k + 1] == 'x'))
				m.p[k] = (char)('0' + (m.p[k] - '0' + 3) % 10);
	}
	return m;
}

static int is_hash(const char *h)
{
	if (strlen(h) != 16)
		return 0;
	for (; *h; h++)
		if (!((*h >= '0' && *h <= '9') || (*h >= 'a' && *h <= 'f')))
			return 0;
	return 1;
}

static void real_sysrq(const char *file, const char *release, const char *fam, const char *pinned)
{
	struct log l = load(file), m = other_boot(l);
	int r, r2;
	struct kc_signature s = sig_of(l, release, &r), s2 = sig_of(m, release, &r2);

	ok(r == 0 && strcmp(s.cause, "Kernel panic - not syncing: sysrq triggered crash") == 0,
	   "%s: cause '%s'", file, s.cause);
	/* 6.1 arm64 names the folded sysrq_handle_crash by its twin's symbol */
	ok(s.nframes == 5 && strcmp(s.function, s.frames[0]) == 0 &&
	   strcmp(s.frames[1], "__handle_sysrq") == 0 && strcmp(s.frames[2], "write_sysrq_trigger") == 0 &&
	   strcmp(s.frames[3], "proc_reg_write") == 0 && strcmp(s.frames[4], "vfs_write") == 0,
	   "%s: function %s, frames %s %s %s %s (dump_stack/panic dropped, .cold gone)", file,
	   s.function, s.frames[1], s.frames[2], s.frames[3], s.frames[4]);
	ok(strcmp(s.family, fam) == 0 && is_hash(s.hash), "%s: family %s, hash %s", file, s.family, s.hash);
	ok(r2 == 0 && strcmp(s.hash, s2.hash) == 0,
	   "%s on another boot (timestamps, pids, CPUs, addresses, offsets changed): %s = %s", file, s.hash,
	   s2.hash);
	if (pinned)
		ok(strcmp(s.hash, pinned) == 0, "%s: hash %s is the one SIGNATURE.md version 1 gives (%s)", file,
		   s.hash, pinned);
	free(l.p);
	free(m.p);
}

/* a module's crash (hand-written for 6.12, real for 6.1) */
static void module_crash(const char *file, const char *release, const char *cause, const char *function,
			 const char *const frames[5])
{
	struct log l = load(file), m = other_boot(l);
	int r, r2, same = 1;
	struct kc_signature s = sig_of(l, release, &r), s2 = sig_of(m, release, &r2);

	for (int i = 0; i < 5; i++)
		same &= strcmp(s.frames[i], frames[i]) == 0;
	ok(r == 0 && strcmp(s.cause, cause) == 0, "%s: cause '%s'", file, s.cause);
	ok(strcmp(s.function, function) == 0, "%s: function '%s'", file, s.function);
	ok(s.nframes == 5 && same, "%s: frames %s|%s|%s|%s|%s", file, s.frames[0], s.frames[1], s.frames[2],
	   s.frames[3], s.frames[4]);
	ok(r2 == 0 && strcmp(s.hash, s2.hash) == 0, "%s on another boot: %s = %s", file, s.hash, s2.hash);
	free(l.p);
	free(m.p);
}

static const char *hash_of(const char *file, const char *release, char out[17])
{
	struct log l = load(file);
	int r;
	struct kc_signature s = sig_of(l, release, &r);

	memcpy(out, s.hash, 17);
	free(l.p);
	return out;
}

static void hostile(void)
{
	struct kc_signature s;
	size_t big = 8u << 20;
	char *b = malloc(big);
	clock_t t0;

	ok(kc_signature(NULL, 0, NULL, &s) == -ENODATA && s.hash[0] == '\0' && s.family[0] == '\0',
	   "empty log: -ENODATA, no hash");
	ok(kc_signature(NULL, 5, "6.12", &s) == -EINVAL && kc_signature("x", 1, "6.12", NULL) == -EINVAL,
	   "NULL log with a length, NULL result: -EINVAL");
	int r = kc_signature("[ 1.0] hello\n[ 2.0] world\n", 26, "6.12.1", &s);
	ok(r == -ENODATA &&
	   strcmp(s.family, "6.12") == 0, "a log without a crash: -ENODATA, family still %s", s.family);

	/* a megabyte line: the cause is cut, not the time */
	memset(b, 'z', big);
	memcpy(b, "[ 1.0] BUG: ", 12);
	r = kc_signature(b, big, "6.12", &s);
	ok(r == 0 && strlen(s.cause) == KC_SIG_CAUSE_MAX - 1 &&
	   s.nframes == 0 && is_hash(s.hash),
	   "8 MiB line 'BUG: zzz...': cause cut to %zu bytes, no trace, hash %s", strlen(s.cause), s.hash);

	/* NULs and control bytes in the cause, in the frames */
	static const char nul[] = "[ 1.0] Kernel panic - not syncing: a\0b\x01\x7f\xff c\n"
				  "[ 1.1] Call Trace:\n[ 1.2]  f\0g+0x1/0x2\n";
	r = kc_signature(nul, sizeof(nul) - 1, "6.12", &s);
	ok(r == 0 && strcmp(s.cause, "Kernel panic - not syncing: a b??? c") == 0 && s.nframes == 0,
	   "NULs and control bytes: cause '%s', a frame with a NUL is no frame", s.cause);

	/* a trace of only unreliable frames, megabytes long; a long frame name */
	size_t n = 0;
	n += (size_t)snprintf(b, big, "[ 1.0] Kernel panic - not syncing: x\n[ 1.1] Call Trace:\n");
	while (n + 64 < big / 2)
		n += (size_t)snprintf(b + n, big - n, "[ 1.2]  ? f+0x1/0x2\n");
	memset(b + n, 'g', big - n - 16);
	memcpy(b + big - 16, "+0x1/0x2 [m]\n\n\n\n", 16);
	t0 = clock();
	r = kc_signature(b, big, "6.12", &s);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	ok(r == 0 && s.nframes == 1 && strlen(s.frames[0]) == KC_SIG_FUNC_MAX - 1 &&
	   strcmp(s.function, s.frames[0]) == 0 && secs < 2.0,
	   "4 MiB of '? ' frames then a 4 MiB name: 1 frame cut to %zu bytes, %.3f s", strlen(s.frames[0]),
	   secs);

	/* every byte value, lines of every length */
	for (size_t i = 0; i < big; i++)
		b[i] = (char)((i * 2654435761u) >> 13);
	r = kc_signature(b, big, "\xff\xfe", &s);
	ok(r <= 0 && s.family[0] == '\0', "8 MiB of noise: clean return");
	free(b);
}

/* panic_line LOG WANT: kc_panic_line (common/panic-line.c) on a real log gives WANT */
static void panic_line(const char *name, const char *want)
{
	struct log l = load(name);
	const char *line = NULL;
	size_t n = 0;
	bool found = kc_panic_line(l.p, l.n, &line, &n);
	ok(found && n == strlen(want) && memcmp(line, want, n) == 0, "panic line of %s: %.*s", name,
	   found ? (int)n : 6, found ? line : "(none)");
	free(l.p);
}

/* The panic line kcatch.json and kcatch list show, from the same logs. */
static void panic_lines(void)
{
	const char *line;
	size_t n;
	panic_line("sysrq-6.1.0-50-amd64.txt", "Kernel panic - not syncing: sysrq triggered crash");
	panic_line("sysrq-6.12.117-arm64.txt", "Kernel panic - not syncing: sysrq triggered crash");
	/* with oops=panic the kernel kexecs before "Kernel panic": the oops line then */
	panic_line("bug-on-module-6.1.0-50-amd64.txt",
		   "kernel BUG at /root/.cache/kcatch/crashmod/6.1.0-50-cloud-amd64/kcatch-crashmod.c:28!");
	panic_line("null-deref-module-6.1.0-50-amd64.txt", "BUG: kernel NULL pointer dereference, address: 0000000000000000");
	/* a "Kernel panic" line after the oops is the panic line (the signature's cause is the oops) */
	panic_line("oops-module-6.12.117-arm64.txt", "Kernel panic - not syncing: Oops: Fatal exception");
	static const char caller[] = "[   5.1] [  T4242] Kernel panic - not syncing: x\n[   5.2] more\n";
	ok(kc_panic_line(caller, sizeof(caller) - 1, &line, &n) && n == 29 &&
	   memcmp(line, "Kernel panic - not syncing: x", 29) == 0, "panic line past a caller id");
	ok(!kc_panic_line("[ 1.0] all fine\n", 16, &line, &n) && !kc_panic_line(NULL, 0, &line, &n),
	   "no panic line in a quiet log, or none");
}

int main(int argc, char **argv)
{
	char h1[17], h2[17], h3[17], h4[17];

	dir = argc > 1 ? argv[1] : "tests/unit/signature-logs";
	real_sysrq("sysrq-5.10.0-43-amd64.txt", "5.10.0-43-cloud-amd64", "5.10", NULL);
	real_sysrq("sysrq-6.1.0-50-amd64.txt", "6.1.0-50-cloud-amd64", "6.1", NULL);
	real_sysrq("sysrq-6.1.0-50-arm64.txt", "6.1.0-50-cloud-arm64", "6.1", NULL);
	real_sysrq("sysrq-6.12.117-amd64.txt", "6.12.117+deb13-cloud-amd64", "6.12", "ace79697fa0c2559");
	real_sysrq("sysrq-6.12.117-arm64.txt", "6.12.117+deb13-cloud-arm64", "6.12", "ace79697fa0c2559");
	real_sysrq("sysrq-6.12.41-amd64.txt", "6.12.41+deb13-cloud-amd64", "6.12", "ace79697fa0c2559");
	real_sysrq("sysrq-7.2.13-amd64.txt", "7.2.13+deb14-cloud-amd64", "7.2", NULL);

	module_crash("null-deref-module-6.12.117-amd64.txt", "6.12.117+deb13-cloud-amd64", "BUG: kernel NULL pointer dereference, address: #",
	     "crashmod_null_write [crashmod]",
	     (const char *const[]){ "full_proxy_write", "vfs_write", "ksys_write", "do_syscall_64",
				    "entry_SYSCALL_64_after_hwframe" });
	module_crash("bug-on-module-6.12.117-amd64.txt", "6.12.117+deb13-cloud-amd64", "kernel BUG at drivers/misc/crashmod.c:#!",
	     "crashmod_bug_work [crashmod]",
	     (const char *const[]){ "process_one_work", "worker_thread", "kthread", "ret_from_fork",
				    "ret_from_fork_asm" });
	module_crash("oops-module-6.12.117-arm64.txt", "6.12.117+deb13-cloud-arm64",
	     "Unable to handle kernel NULL pointer dereference at virtual address #",
	     "crashmod_null_write [crashmod]",
	     (const char *const[]){ "crashmod_null_write [crashmod]", "full_proxy_write", "vfs_write",
				    "ksys_write", "__arm64_sys_write" });

	/* real: tests/e2e/test-signatures-real.sh's crashes of guest/kcatch-crashmod.c
	 * under QEMU; the BUG_ON names its source by the absolute path it was built at */
	static const char *const mod_frames[] = { "crashmod_write [kcatch_crashmod]", "proc_reg_write", "vfs_write",
						  "ksys_write", "do_syscall_64" };
	module_crash("null-deref-module-6.1.0-50-amd64.txt", "6.1.0-50-cloud-amd64",
		     "BUG: kernel NULL pointer dereference, address: #", "crashmod_null_deref [kcatch_crashmod]",
		     mod_frames);
	module_crash("bug-on-module-6.1.0-50-amd64.txt", "6.1.0-50-cloud-amd64", "kernel BUG at kcatch-crashmod.c:#!",
		     "crashmod_bug_on [kcatch_crashmod]", mod_frames);
	ok(strcmp(hash_of("null-deref-module-6.1.0-50-amd64.txt", "6.1.0-50-cloud-amd64", h1), "34581bbf9056aaf7") == 0 &&
	   strcmp(hash_of("bug-on-module-6.1.0-50-amd64.txt", "6.1.0-50-cloud-amd64", h2), "10448a6832eacf4a") == 0,
	   "real 6.1 module crashes: hashes %s %s are the ones SIGNATURE.md version 1 gives", h1, h2);
	/* 6.1.176 and 6.1.192 (bookworm's 6.1.0-50 and 6.1.0-57): one family */
	real_sysrq("sysrq-6.1.0-57-amd64.txt", "6.1.0-57-cloud-amd64", "6.1", NULL);
	ok(strcmp(hash_of("sysrq-6.1.0-57-amd64.txt", "6.1.0-57-cloud-amd64", h1),
		  hash_of("sysrq-6.1.0-50-amd64.txt", "6.1.0-50-cloud-amd64", h2)) == 0,
	   "sysrq on 6.1.0-57 and 6.1.0-50: one signature %s", h1);

	/* an absolute path is its last component; a relative (in-tree) one stays */
	static const char abs_bug[] = "[ 1.0] kernel BUG at /var/lib/dkms/foo/1.2/build/foo.c:28!\n";
	static const char rel_bug[] = "[ 1.0] kernel BUG at mm/slub.c:469!\n";
	struct kc_signature sa, sr;
	kc_signature(abs_bug, sizeof(abs_bug) - 1, "6.1", &sa);
	kc_signature(rel_bug, sizeof(rel_bug) - 1, "6.1", &sr);
	ok(strcmp(sa.cause, "kernel BUG at foo.c:#!") == 0 && strcmp(sr.cause, "kernel BUG at mm/slub.c:#!") == 0,
	   "BUG_ON paths: '%s', '%s'", sa.cause, sr.cause);

	/* 6.12.41 and 6.12.117: other offsets, no .cold, other '?' frames */
	ok(strcmp(hash_of("sysrq-6.12.41-amd64.txt", "6.12.41+deb13-cloud-amd64", h1),
		  hash_of("sysrq-6.12.117-amd64.txt", "6.12.117+deb13-cloud-amd64", h2)) == 0,
	   "sysrq on 6.12.41 and 6.12.117: one signature %s", h1);
	hash_of("null-deref-module-6.12.117-amd64.txt", "6.12.117+deb13-cloud-amd64", h3);
	hash_of("bug-on-module-6.12.117-amd64.txt", "6.12.117+deb13-cloud-amd64", h4);
	ok(strcmp(h2, h3) && strcmp(h2, h4) && strcmp(h3, h4),
	   "sysrq, NULL dereference, BUG_ON: three signatures %s %s %s", h2, h3, h4);
	hash_of("sysrq-6.1.0-50-amd64.txt", "6.1.0-50-cloud-amd64", h1);
	hash_of("sysrq-7.2.13-amd64.txt", "7.2.13+deb14-cloud-amd64", h3);
	hash_of("sysrq-5.10.0-43-amd64.txt", "5.10.0-43-cloud-amd64", h4);
	ok(strcmp(h1, h2) && strcmp(h1, h3) && strcmp(h2, h3) && strcmp(h4, h1),
	   "the same sysrq crash on 5.10, 6.1, 6.12, 7.2: four families, four signatures");
	ok(strcmp(hash_of("sysrq-6.12.117-amd64.txt", "6.1.0-50-cloud-amd64", h1), h2) &&
	   strcmp(hash_of("sysrq-6.12.117-amd64.txt", "6.120.1", h3), h2) &&
	   strcmp(hash_of("sysrq-6.12.117-amd64.txt", "", h4), h2),
	   "one log with releases 6.1, 6.120, none: other signatures");

	/* module build ids go, the module stays; x86 "RIP: 0033:" is the user program */
	static const char bid[] = "[ 1.0] BUG: kernel NULL pointer dereference, address: 0000000000000008\n"
				  "[ 1.1] RIP: 0010:foo+0x15/0x30 [crashmod 0123456789abcdef0123456789abcdef01234567]\n"
				  "[ 1.2] Call Trace:\n[ 1.3]  <IRQ>\n[ 1.4]  bar.isra.0+0x1/0x2 [m 00ff]\n"
				  "[ 1.5]  </IRQ>\n[ 1.6]  <TASK>\n[ 1.7]  [<ffffffff81000000>] baz.part.1.cold+0x1/0x2\n"
				  "[ 1.8] RIP: 0033:0x47b7a0\n";
	struct kc_signature s;
	int r = kc_signature(bid, sizeof(bid) - 1, "6.12", &s);
	ok(r == 0 && strcmp(s.function, "foo [crashmod]") == 0 &&
	   s.nframes == 2 && strcmp(s.frames[0], "bar [m]") == 0 && strcmp(s.frames[1], "baz") == 0,
	   "build ids, <IRQ>/<TASK>, [<addr>], .isra/.part/.cold dropped: %s | %s | %s", s.function,
	   s.frames[0], s.frames[1]);
	char canon[1024];
	kc_signature_canonical(&s, canon, sizeof(canon));
	ok(strcmp(canon, "kcatch-signature 1\ncause BUG: kernel NULL pointer dereference, address: #\n"
			 "function foo [crashmod]\nframe bar [m]\nframe baz\nfamily 6.12\n") == 0,
	   "canonical text as SIGNATURE.md writes it");

	panic_lines();
	hostile();
	return plan_at_end();
}
