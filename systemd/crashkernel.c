/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kcatch crashkernel: reserve the capture kernel's memory at the next boot,
 * as kdump-tools (a grub.d drop-in) and kdumpctl (kernel-install's
 * /etc/kernel/cmdline) do, and undo it with --remove.
 *
 * GRUB: <root>/etc/default/grub.d/kcatch.cfg appends crashkernel= to
 *   GRUB_CMDLINE_LINUX_DEFAULT; update-grub regenerates grub.cfg.
 * kernel-install / BLS: the crashkernel= of /etc/kernel/cmdline (made from
 *   /usr/lib/kernel/cmdline or /proc/cmdline when missing, as
 *   kernel-install would) is replaced. kernel-install is not run: "add"
 *   rebuilds every kernel's initrd (or UKI) and entry, which takes
 *   minutes, may need signing keys, and would also change the older
 *   entries an operator keeps to fall back on; the commands are printed.
 * Files are written through a temporary file in the same directory and
 * rename(2), 0644, never through a symbolic link.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kcatch.h"

#define DROPIN_DIR "/etc/default/grub.d"
#define DROPIN_NAME "kcatch.cfg"
#define KERNEL_CMDLINE "/etc/kernel/cmdline"

/* A memparse() size: decimal digits and an optional K, M, G, T, P or E. */
static const char *memsize(const char *p, unsigned long long *v)
{
	unsigned long long n = 0;
	const char *s = p;
	while (*p >= '0' && *p <= '9') {
		if (n > (~0ULL - 9) / 10)
			return NULL;
		n = n * 10 + (unsigned)(*p++ - '0');
	}
	if (p == s)
		return NULL;
	const char *u = strchr("KkMmGgTtPpEe", *p);
	if (*p && u) {
		int shift = 10 * (1 + (int)(u - "KkMmGgTtPpEe") / 2);
		if (shift < 64 && n > (~0ULL >> shift))
			return NULL;
		n <<= shift;
		p++;
	}
	*v = n;
	return p;
}

int crashkernel_syntax(const char *v, char *why, size_t len)
{
	unsigned long long a, b;
	const char *p = v;
	if (strchr(v, ':')) {  /* start-[end]:size[,start-[end]:size...][@offset] */
		for (;;) {
			if (!(p = memsize(p, &a)) || *p++ != '-') {
				fmt(why, len, "a range must be START-[END]:SIZE, as 1G-4G:256M");
				return -1;
			}
			if (*p != ':') {
				if (!(p = memsize(p, &b)) || b <= a) {
					fmt(why, len, "a range's END must be a size above its START, as 1G-4G:256M");
					return -1;
				}
			}
			if (*p++ != ':' || !(p = memsize(p, &b)) || b == 0) {
				fmt(why, len, "each range needs a size after ':', as 4G-:512M");
				return -1;
			}
			if (*p != ',')
				break;
			p++;
		}
	} else {
		if (!(p = memsize(p, &a)) || a == 0) {
			fmt(why, len, "the size must be a number with K, M or G, as 256M");
			return -1;
		}
		if (strcmp(p, ",high") == 0)
			return 0;
		if (strcmp(p, ",low") == 0) {
			fmt(why, len, "SIZE,low only sizes the low part of a SIZE,high reservation: give SIZE,high "
			    "(the kernel adds a default low part) or SIZE");
			return -1;
		}
	}
	if (!*p)
		return 0;
	if (*p == '@') {
		const char *e = memsize(p + 1, &b);
		if (e && !*e)
			return 0;
		fmt(why, len, "@ must be followed by the reservation's start address and nothing else, as 256M@16M");
		return -1;
	}
	fmt(why, len, *p == '-' ? "a range needs :SIZE after it, as 1G-4G:256M" : "unexpected \"%s\"", p);
	return -1;
}

/* The crashkernel= options of a command line, or "no crashkernel=". */
static void crashkernel_of(const char *line, char *out, size_t len)
{
	char *k = cmdline_filter(line, "crashkernel", true);
	fmt(out, len, "%s", k && *k ? k : "no crashkernel=");
	free(k);
}

static int open_dir(const char *dir, bool create)
{
	if (create && mkdir(dir, 0755) < 0 && errno != EEXIST) {
		return kc_error("cannot create %s: %s; create it (mode 0755) and run again", dir, strerror(errno));
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		kc_error("cannot open the directory %s: %s%s", dir, strerror(errno),
			errno == ENOTDIR || errno == ELOOP ? " (a symbolic link or a file: kcatch writes only "
			"into a real directory; replace it by one)" : "");
	return dfd;
}

/* 0 absent, 1 a regular file, -1 something else (printed). */
static int plain_file(int dfd, const char *dir, const char *name)
{
	struct stat st;
	char target[512] = "";
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : kc_error("%s/%s: %s", dir, name, strerror(errno));
	if (S_ISREG(st.st_mode))
		return 1;
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = 0;
	}
	return kc_error("%s/%s is %s%s; kcatch writes and removes only a regular file there: "
		"remove it and run again", dir, name, S_ISLNK(st.st_mode) ? "a symbolic link to " : "not a regular file",
		target);
}

static int write_atomic(const char *dir, const char *name, const char *text, bool create_dir)
{
	char tmp[300];
	int dfd = open_dir(dir, create_dir), fd = -1, r = -1;
	size_t len = strlen(text);
	if (dfd < 0)
		return -1;
	if (plain_file(dfd, dir, name) < 0)
		goto out;
	fmt(tmp, sizeof(tmp), ".%s.kcatch-%ld", name, (long)getpid());
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || fchmod(fd, 0644) < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) < 0 ||
	    close(fd) < 0 || (fd = -1, renameat(dfd, tmp, dfd, name) < 0)) {
		kc_error("cannot write %s/%s: %s; check that %s is writable (run as root) and "
			"has room", dir, name, strerror(errno), dir);
		if (fd >= 0)
			close(fd);
		unlinkat(dfd, tmp, 0);
		goto out;
	}
	fsync(dfd);
	r = 0;
out:
	close(dfd);
	return r;
}

/* update-grub, under --root through chroot(8); 0 ran, 1 failed or not found (printed). */
static int update_grub(const struct opts *o)
{
	static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin", NULL };
	char exe[4096] = "", p[4096];
	bool chroot_root = strcmp(o->root, "/") != 0;
	const char *path = getenv("PATH");
	if (chroot_root) {
		for (int i = 0; dirs[i] && !*exe; i++) {
			fmt(p, sizeof(p), "%s/update-grub", dirs[i]);
			if (access(rpath(o, p, exe, sizeof(exe)), X_OK) == 0)
				fmt(exe, sizeof(exe), "%s", p);
			else
				*exe = 0;
		}
	} else {
		char all[8192];
		fmt(all, sizeof(all), "%s:/usr/sbin:/sbin", path ? path : "");
		for (char *save = NULL, *d = strtok_r(all, ":", &save); d && !*exe; d = strtok_r(NULL, ":", &save)) {
			fmt(p, sizeof(p), "%s/update-grub", d);
			if (*d == '/' && access(p, X_OK) == 0)
				fmt(exe, sizeof(exe), "%s", p);
		}
	}
	if (!*exe) {
		kc_error("update-grub not found %s%s: regenerate the GRUB configuration yourself, "
			"as %s%s%sgrub-mkconfig -o /boot/grub/grub.cfg (grub2-mkconfig -o /boot/grub2/grub.cfg on "
			"Fedora)", chroot_root ? "in /usr/sbin, /sbin, /usr/bin or /bin under " : "in PATH, /usr/sbin or /sbin",
			chroot_root ? o->root : "", chroot_root ? "chroot " : "", chroot_root ? o->root : "",
			chroot_root ? " " : "");
		return 1;
	}
	const char *argv[] = { "chroot", o->root, exe, NULL };
	const char *const *av = chroot_root ? argv : argv + 2;
	char shown[8300];
	fmt(shown, sizeof(shown), chroot_root ? "chroot %s %s" : "%.0s%s", o->root, exe);
	if (o->dry_run) {
		printf("would run: %s\n", shown);
		return 0;
	}
	printf("running %s\n", shown);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		execvp(av[0], (char *const *)av);
		kc_error("cannot run %s: %s", av[0], strerror(errno));
		_exit(127);
	}
	int st = 0;
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		kc_error("%s failed (%s %d): the next boot does not have the change yet; fix what it "
			"says and run it again", shown,
			pid < 0 ? "fork" : WIFEXITED(st) ? "exit status" : "signal",
			pid < 0 ? errno : WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		return 1;
	}
	return 0;
}

/* Other GRUB settings with crashkernel=: the kernel takes the last one it sees. */
static void grub_others(const struct opts *o)
{
	char p[4096], f[4400];
	struct dirent *e;
	char *t = read_text(rpath(o, "/etc/default/grub", p, sizeof(p)));
	if (t && strstr(t, "crashkernel="))
		printf("note: %s also sets crashkernel=; the kernel uses the last one on its command line, so "
		       "remove it there\n", p);
	free(t);
	DIR *d = opendir(rpath(o, DROPIN_DIR, p, sizeof(p)));
	while (d && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n < 5 || strcmp(e->d_name + n - 4, ".cfg") || !strcmp(e->d_name, DROPIN_NAME))
			continue;
		fmt(f, sizeof(f), "%s/%s", p, e->d_name);
		t = read_text(f);
		if (t && strstr(t, "crashkernel="))
			printf("note: %s also sets crashkernel= (kdump-tools?); drop-ins are read in name order and "
			       "the kernel uses the last crashkernel=: remove or disable that file\n", f);
		free(t);
	}
	if (d)
		closedir(d);
}

static int grub(const struct opts *o, const char *value)
{
	char dir[4096], text[1024], path[4200];
	rpath(o, DROPIN_DIR, dir, sizeof(dir));
	fmt(path, sizeof(path), "%s/%s", dir, DROPIN_NAME);
	if (!value) {
		struct stat st;
		if (lstat(dir, &st) < 0 && errno == ENOENT) {
			printf("nothing to remove: %s does not exist\n", path);
			return 0;
		}
		int dfd = open_dir(dir, false), kind = dfd < 0 ? -1 : plain_file(dfd, dir, DROPIN_NAME);
		if (kind == 0) {
			printf("nothing to remove: %s does not exist\n", path);
		} else if (kind == 1 && !o->dry_run && unlinkat(dfd, DROPIN_NAME, 0) < 0) {
			kc_error("cannot remove %s: %s (run as root)", path, strerror(errno));
			kind = -1;
		} else if (kind == 1) {
			printf("%s %s\n", o->dry_run ? "would remove" : "removed", path);
		}
		if (dfd >= 0)
			close(dfd);
		if (kind <= 0)
			return kind < 0;
		printf("next boot: crashkernel= as the rest of the GRUB configuration sets it\n");
		grub_others(o);
		return update_grub(o);
	}
	fmt(text, sizeof(text), "# Written by 'kcatch crashkernel': memory reserved for kcatch's capture kernel.\n"
	    "# 'kcatch crashkernel --remove' deletes this file and runs update-grub.\n"
	    "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT crashkernel=%s\"\n", value);
	printf("next boot: crashkernel=%s (GRUB_CMDLINE_LINUX_DEFAULT, from %s)\n", value, path);
	if (o->dry_run) {
		printf("would write %s (0644):\n%s", path, text);
	} else {
		if (write_atomic(dir, DROPIN_NAME, text, true) < 0)
			return 1;
		printf("wrote %s\n", path);
	}
	grub_others(o);
	return update_grub(o);
}

static void kernel_install_hint(const struct opts *o)
{
	char p[4096], img[4300];
	const char *mods = "/usr/lib/modules";
	DIR *d = opendir(rpath(o, mods, p, sizeof(p)));
	struct dirent *e;
	if (!d)
		d = opendir(rpath(o, mods = "/lib/modules", p, sizeof(p)));
	printf("kernel-install reads it when it installs a kernel; for the kernels installed now, run:\n");
	int n = 0;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		fmt(img, sizeof(img), "%s/%s/vmlinuz", mods, e->d_name);
		if (access(rpath(o, img, p, sizeof(p)), F_OK) < 0)
			fmt(img, sizeof(img), "/boot/vmlinuz-%s", e->d_name);
		printf("  kernel-install add %s %s\n", e->d_name, img);
		n++;
	}
	if (d)
		closedir(d);
	if (!n)
		printf("  kernel-install add KVER /usr/lib/modules/KVER/vmlinuz   (for each installed KVER)\n");
}

static int bls(const struct opts *o, const char *value)
{
	char p[4096], dir[4096], from[64] = KERNEL_CMDLINE;
	char *cur = read_text(rpath(o, KERNEL_CMDLINE, p, sizeof(p))), *rest = NULL, *t = NULL;
	int r = 1;
	if (!cur && errno == ENOENT && !value) {
		printf("nothing to remove: %s does not exist\n", p);
		return 0;
	}
	if (!cur && errno == ENOENT) {  /* what kernel-install would use instead */
		fmt(from, sizeof(from), "/usr/lib/kernel/cmdline");
		if (!(cur = read_text(rpath(o, from, p, sizeof(p))))) {
			fmt(from, sizeof(from), "/proc/cmdline");
			char *all = read_text(rpath(o, from, p, sizeof(p))), *a;
			a = cmdline_filter(all, "BOOT_IMAGE", false);
			cur = cmdline_filter(a, "initrd", false);
			free(all);
			free(a);
		}
	}
	rpath(o, KERNEL_CMDLINE, p, sizeof(p));
	if (!cur) {
		kc_error("cannot read %s: %s", p, strerror(errno));
		return 1;
	}
	rest = cmdline_filter(cur, "crashkernel", false);
	free(cur);  /* rest is all that is needed of it */
	size_t len = (rest ? strlen(rest) : 0) + (value ? strlen(value) : 0) + 32;
	if (!rest || !(t = malloc(len)))
		goto out;
	fmt(t, len, "%s%s%s%s\n", rest, *rest && value ? " " : "", value ? "crashkernel=" : "", value ? value : "");
	if (strcmp(from, KERNEL_CMDLINE))
		printf("%s does not exist: made from %s%s\n", p, from,
		       strcmp(from, "/proc/cmdline") ? "" : " without BOOT_IMAGE= and initrd=, as kernel-install does");
	printf("next boot: %s%s (%s)\n", value ? "crashkernel=" : "no crashkernel=", value ? value : "", p);
	if (o->dry_run) {
		printf("would write %s (0644):\n%s", p, t);
	} else {
		fmt(dir, sizeof(dir), "%s", p);
		*strrchr(dir, '/') = 0;
		if (write_atomic(dir, "cmdline", t, true) < 0)
			goto out;
		printf("wrote %s\n", p);
	}
	kernel_install_hint(o);
	r = 0;
out:
	free(rest);
	free(t);
	return r;
}

static bool exists(const struct opts *o, const char *path)
{
	char p[4096];
	return access(rpath(o, path, p, sizeof(p)), F_OK) == 0;
}

int cmd_crashkernel(const struct opts *o)
{
	char value[256] = "", why[300], p[4096], now[512];
	const char *size = o->size ? o->size : "auto";
	if (o->remove && o->size) {
		kc_error("crashkernel: --remove and --size exclude each other (see kcatch --help)");
		return 2;
	}
	if (!o->remove && strcmp(size, "auto") == 0) {
		uint64_t rec, total;
		if (crashkernel_estimate(o, false, &rec, &total) < 0) {
			kc_error("no size estimated: fix the above, or give one with --size SIZE");
			return 1;
		}
		fmt(value, sizeof(value), "%lluM", (unsigned long long)(rec >> 20));
		printf("size: %s, from kcatch estimate (%llu MiB needed + max(8 MiB, 10 %%), rounded up to 16 MiB)\n", value,
		       (unsigned long long)(total >> 20));
	} else if (!o->remove) {
		if (strlen(size) >= sizeof(value) || crashkernel_syntax(size, why, sizeof(why)) < 0) {
			kc_error("crashkernel: invalid size \"%s\": %s. Give SIZE (256M), SIZE,high, "
				"SIZE@OFFSET, ranges START-[END]:SIZE,... (1G-4G:256M,4G-:512M) or auto", size,
				strlen(size) >= sizeof(value) ? "too long" : why);
			return 2;
		}
		fmt(value, sizeof(value), "%s", size);
	}
	char *cur = read_text(rpath(o, "/proc/cmdline", p, sizeof(p)));
	crashkernel_of(cur, now, sizeof(now));
	free(cur);
	printf("running kernel: %s (%s)\n", now, p);
	int r;
	if (exists(o, "/etc/default/grub") || exists(o, "/boot/grub/grub.cfg")) {
		r = grub(o, o->remove ? NULL : value);
		if (exists(o, "/boot/loader/entries"))
			printf("note: %s has BLS entries too; if GRUB reads them (GRUB_ENABLE_BLSCFG), set the option "
			       "there with grubby --update-kernel=ALL --args=crashkernel=%s\n",
			       rpath(o, "/boot/loader/entries", p, sizeof(p)), o->remove ? "..." : value);
	} else if (exists(o, KERNEL_CMDLINE) || exists(o, "/boot/loader/entries") || exists(o, "/efi/loader/entries") ||
		   exists(o, "/boot/efi/loader/entries")) {
		r = bls(o, o->remove ? NULL : value);
	} else {
		const char *rt = strcmp(o->root, "/") ? o->root : "";
		kc_error("no boot loader configuration kcatch can change: looked for GRUB "
			"(%s/etc/default/grub, %s/boot/grub/grub.cfg) and kernel-install / Boot Loader Specification "
			"(%s" KERNEL_CMDLINE ", %s/boot/loader/entries, %s/efi/loader/entries, %s/boot/efi/loader/entries); "
			"add crashkernel=%s to the kernel command line in your boot loader's configuration yourself",
			rt, rt, rt, rt, rt, rt, o->remove ? "..." : value);
		return 1;
	}
	if (r == 0 && !o->dry_run)
		printf("reboot for the change to take effect; then 'kcatch status' shows the memory reserved\n");
	else if (r == 0)
		printf("dry run: nothing written, nothing run\n");
	return r;
}
