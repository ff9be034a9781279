/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kcatch rebuild: the capture image, built into
 * /var/lib/kcatch/initrd-RELEASE.img in a private directory and renamed
 * into place, so a failed build leaves the old image as it was. The
 * builder is the config's "builder": kcatch-mkinitramfs (the default), or
 * the distribution's dracut or mkinitramfs (initramfs-tools) with kcatch's
 * hook, for storage only their scripts can assemble; the hooks take the
 * embedded config and the agent from KCATCH_CONF and KCATCH_AGENT. Next to
 * the image, initrd-RELEASE.img.stamp records what it was built from
 * (kernel, modules, agent, builder and its program and hook, for ssh:// the
 * key and known_hosts: size and mtime; the embedded config: a hash, which
 * covers the target found for it), so load can say exactly why a rebuild
 * is due. An image without a stamp (built by hand) is judged by mtimes:
 * any input newer than it.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kcatch.h"
#include "kernel-files.h"

static bool executable_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

/* --mkinitramfs, $KCATCH_MKINITRAMFS, next to this kcatch, sbindir, PATH; "" if none. */
static void find_mkinitramfs(const struct opts *o, char *out, size_t len)
{
	char self[PATH_MAX], *env = getenv("KCATCH_MKINITRAMFS");
	ssize_t n;
	out[0] = 0;
	if (o->mkinitramfs || (env && *env)) {
		snprintf(out, len, "%s", o->mkinitramfs ? o->mkinitramfs : env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		snprintf(out, len, "%s/kcatch-mkinitramfs", dirname(self));
		if (executable_file(out))
			return;
	}
	snprintf(out, len, KC_SBINDIR "/kcatch-mkinitramfs");
	if (executable_file(out))
		return;
	const char *path = getenv("PATH");
	for (const char *s = path ? path : ""; *s;) {
		size_t l = strcspn(s, ":");
		snprintf(out, len, "%.*s/kcatch-mkinitramfs", (int)l, s);
		if (l && executable_file(out))
			return;
		s += l + (s[l] == ':');
	}
	out[0] = 0;
}

/* --agent, $KCATCH_AGENT, or the installed agent under root. */
static void find_agent(const struct opts *o, char *out, size_t len)
{
	const char *env = getenv("KCATCH_AGENT");
	if (o->agent || (env && *env))
		snprintf(out, len, "%s", o->agent ? o->agent : env);
	else
		rpath(o, KC_AGENT_PATH, out, len);
}

/* The distribution builder's program and kcatch's hook for it. */
struct builder {
	const char *program;   /* dracut, mkinitramfs */
	const char *package;   /* the Debian package that has it */
	const char *hook;      /* kcatch's hook, as installed (under root) */
};

static const struct builder *builder_of(enum kc_builder b)
{
	static const struct builder dracut = { "dracut", "dracut",
		"/usr/lib/dracut/modules.d/99kcatch/module-setup.sh" };
	static const struct builder itools = { "mkinitramfs", "initramfs-tools",
		"/usr/share/initramfs-tools/hooks/kcatch" };
	return b == KC_BUILDER_DRACUT ? &dracut : b == KC_BUILDER_INITRAMFS_TOOLS ? &itools : NULL;
}

/* name in PATH (systemd's default when unset: the sbin and bin directories); "" if none. */
static void find_program(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");
	for (const char *s = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"; *s;) {
		size_t l = strcspn(s, ":");
		snprintf(out, len, "%.*s/%s", (int)l, s, name);
		if (l && s[0] == '/' && executable_file(out))
			return;
		s += l + (s[l] == ':');
	}
	out[0] = 0;
}

/* An ssh:// target (or fallback): the image gets the key pair and the pinned host key. */
static bool needs_ssh(const struct kc_config *c)
{
	return c->target.kind == KC_TARGET_SSH || c->fallback_target.kind == KC_TARGET_SSH;
}

/* modules.dep changes with every module installed (depmod); without it, the directory. */
static void modules_dep(const struct opts *o, const struct files *f, char *out, size_t len)
{
	char dir[4096];
	kc_moddir(o->root, f->release, dir, sizeof(dir));
	fmt(out, len, "%s/modules.dep", dir);
	if (access(out, F_OK) < 0)
		fmt(out, len, "%s", dir);
}

/* FNV-1a: a change detector for the embedded config, not a security hash. */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static void file_line(FILE *out, const char *key, const char *path)
{
	struct stat st;
	if (stat(path, &st) == 0)
		fprintf(out, "%s %s size=%lld mtime=%lld.%09ld\n", key, path, (long long)st.st_size,
			(long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	else
		fprintf(out, "%s %s missing\n", key, path);
}

/* What an image built now would be built from, one "key value" line each. */
static char *current_stamp(const struct opts *o, const struct files *f, const struct kc_config *c,
			   const struct target_info *t)
{
	char p[4096], *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	if (!out)
		return NULL;
	fprintf(out, "release %s\n", f->release);
	file_line(out, "kernel", f->kernel_abs);
	modules_dep(o, f, p, sizeof(p));
	file_line(out, "modules", p);
	find_agent(o, p, sizeof(p));
	file_line(out, "agent", p);
	fprintf(out, "builder %s\n", kc_builder_name(c->builder));
	const struct builder *b = builder_of(c->builder);
	if (b) {  /* a new dracut or hook changes the image too */
		find_program(b->program, p, sizeof(p));
		file_line(out, "builder_program", p[0] ? p : b->program);
		file_line(out, "hook", rpath(o, b->hook, p, sizeof(p)));
	} else {
		find_mkinitramfs(o, p, sizeof(p));
		file_line(out, "mkinitramfs", p[0] ? p : "kcatch-mkinitramfs");
	}
	if (needs_ssh(c)) {  /* kcatch propagate makes a new key or pins a new host key */
		file_line(out, "ssh_identity", rpath(o, KC_SSH_IDENTITY, p, sizeof(p)));
		file_line(out, "ssh_known_hosts", rpath(o, KC_SSH_KNOWN_HOSTS, p, sizeof(p)));
	}
	char *conf = t->ok ? resolved_config(o, c, t) : NULL;
	fprintf(out, "config %s fnv1a=%016llx\n", config_path(o, p, sizeof(p)),
		conf ? (unsigned long long)fnv1a(conf) : 0ULL);
	free(conf);
	fprintf(out, "target %s path %s\n", t->ok ? t->spec : "(not found)", t->ok ? t->path_on_fs : "?");
	fclose(out);
	return buf;
}

/* The value of key in a stamp text into val; false if absent. */
static bool stamp_get(const char *text, const char *key, char *val, size_t len)
{
	size_t kl = strlen(key);
	for (const char *s = text; s && *s;) {
		size_t l = strcspn(s, "\n");
		if (l > kl && strncmp(s, key, kl) == 0 && s[kl] == ' ') {
			snprintf(val, len, "%.*s", (int)(l - kl - 1), s + kl + 1);
			return true;
		}
		s += l + (s[l] == '\n');
	}
	return false;
}

static void add_reason(char *why, size_t len, const char *format, const char *a, const char *b)
	__attribute__((format(printf, 3, 0)));
static void add_reason(char *why, size_t len, const char *format, const char *a, const char *b)
{
	size_t n = strlen(why);
	if (n && n + 2 < len) {
		strcpy(why + n, "; ");
		n += 2;
	}
	#pragma GCC diagnostic push
	#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(why + n, len - n, format, a, b);
	#pragma GCC diagnostic pop
}

const char *rebuild_reason(const struct opts *o, const struct files *f, const struct kc_config *c,
			   const struct target_info *t, char *why, size_t len)
{
	static const char *const keys[] = { "release", "kernel", "modules", "agent", "builder",
		"builder_program", "hook", "mkinitramfs", "ssh_identity", "ssh_known_hosts", "config",
		"target", NULL };
	struct stat ist, st;
	char p[4096], was[4200], now[4200];
	char *old, *cur;

	why[0] = 0;
	if (stat(f->image_abs, &ist) < 0) {
		snprintf(why, len, "the capture image %s does not exist", f->image_abs);
		return why;
	}
	old = read_text(f->stamp_abs);
	if (!old) {
		/* built by hand: any input newer than the image */
		const char *inputs[4] = { f->kernel_abs, p, config_path(o, was, sizeof(was)), NULL };
		modules_dep(o, f, p, sizeof(p));
		for (int i = 0; inputs[i]; i++)
			if (stat(inputs[i], &st) == 0 && st.st_mtime > ist.st_mtime)
				add_reason(why, len, "%s is newer than the image%s", inputs[i], "");
		return why[0] ? why : NULL;
	}
	cur = current_stamp(o, f, c, t);
	for (int i = 0; cur && keys[i]; i++) {
		if (!stamp_get(cur, keys[i], now, sizeof(now)))
			continue;
		if (!stamp_get(old, keys[i], was, sizeof(was)))  /* stamps before builder: kcatch's */
			snprintf(was, sizeof(was), "%s", strcmp(keys[i], "builder") ? "(not recorded)" : "kcatch");
		if (strcmp(was, now) == 0)
			continue;
		if (!strcmp(keys[i], "builder"))
			add_reason(why, len, "the builder changed: was %s, now %s", was, now);
		else if (!strcmp(keys[i], "config"))
			add_reason(why, len, "the configuration %s changed%s", config_path(o, p, sizeof(p)),
				   " (or the target found for it)");
		else if (!strcmp(keys[i], "target"))
			add_reason(why, len, "the target changed: was %s, now %s", was, now);
		else
			add_reason(why, len, "%s changed: %s", keys[i], now);
	}
	free(old);
	free(cur);
	return why[0] ? why : NULL;
}

const char *image_builder(const struct files *f, char *buf, size_t len)
{
	char *old = read_text(f->stamp_abs);
	if (!old)
		return NULL;
	if (!stamp_get(old, "builder", buf, len))
		snprintf(buf, len, "kcatch");
	free(old);
	return buf;
}

static int write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	size_t len = strlen(text);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, len);
	int r = n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

/* argv[0] with env ("NAME=VALUE", NULL-terminated) added to ours; its exit status. */
static int run_builder(char *const argv[], char *const env[])
{
	fflush(stdout);  /* our lines before the builder's */
	pid_t pid = fork();
	int st;
	if (pid < 0)
		return -1;
	if (pid == 0) {
		for (int i = 0; env && env[i]; i++)
			putenv(env[i]);
		execv(argv[0], argv);
		kc_error("cannot run %s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* mkdir -p dir, mode 0700; 0 or -1 (printed). */
static int make_dirs(char *dir)
{
	for (char *s = dir + 1; ; s++) {
		if (*s == '/' || !*s) {
			char keep = *s;
			*s = 0;
			if (mkdir(dir, 0700) < 0 && errno != EEXIST)
				return kc_error("cannot create %s: %s", dir, strerror(errno));
			*s = keep;
		}
		if (!*s)
			return 0;
	}
}

/*
 * Why the configured distribution builder cannot build the capture image
 * (its program, kcatch's hook for it, an ssh:// target), into why; 0 when
 * it can, with its program in prog. `kcatch rebuild` fails with it and
 * `kcatch test` reports it.
 */
int builder_problem(const struct opts *o, const struct kc_config *c, char *prog, size_t len, char *why,
		    size_t why_len)
{
	const struct builder *b = builder_of(c->builder);
	char p[4096], hook[4096];
	const char *name = kc_builder_name(c->builder);

	prog[0] = why[0] = 0;
	if (!b)
		return 0;
	find_program(b->program, prog, len);
	if (!prog[0])
		snprintf(why, why_len, "builder %s (in %s): %s is not installed (not in PATH): "
			 "install the package %s (apt install %s), or set \"builder kcatch\"", name,
			 config_path(o, p, sizeof(p)), b->program, b->package, b->package);
	else if (access(rpath(o, b->hook, hook, sizeof(hook)), R_OK) < 0)
		/* without it mkinitramfs builds an image without kcatch, which boots the host's system */
		snprintf(why, why_len, "builder %s: kcatch's hook %s is missing (%s): install kcatch with its %s hook "
			 "(meson install puts it there), or set \"builder kcatch\" in %s", name, hook,
			 strerror(errno), name, config_path(o, p, sizeof(p)));
	else if (needs_ssh(c))
		snprintf(why, why_len, "builder %s: an ssh:// target needs the key pair in the image, which only "
			 "kcatch-mkinitramfs puts there: set \"builder kcatch\" in %s", name,
			 config_path(o, p, sizeof(p)));
	return why[0] ? -1 : 0;
}

int rebuild_image(const struct opts *o, const struct files *f, const struct kc_config *c,
		  const struct target_info *t)
{
	char mk[PATH_MAX], agent[PATH_MAX], dir[4096], work[4200], conf[4300], tmp[4300], stamp_tmp[4300];
	char identity[4096], known_hosts[4096], moddir[4096], b[32];
	char env_agent[PATH_MAX + 16], env_conf[4400];
	const struct builder *db = builder_of(c->builder);
	struct timespec t0, t1;
	struct stat st;
	char *text = NULL, *stamp = NULL;
	int r = -1, rc;

	fflush(stdout);  /* "rebuilding ...: why" before any error about it */
	if (!t->ok) {
		return kc_error("cannot build the capture image: %s", t->error);
	}
	if (!strcmp(f->release, "unknown")) {
		return kc_error("cannot tell the kernel release (no %s/proc/sys/kernel/osrelease)",
			strcmp(o->root, "/") ? o->root : "");
	}
	if (db) {
		char why[8192];
		if (builder_problem(o, c, mk, sizeof(mk), why, sizeof(why)) < 0)
			return kc_error("%s", why);
	} else {
		find_mkinitramfs(o, mk, sizeof(mk));
		if (!mk[0] || !executable_file(mk)) {
			return kc_error("kcatch-mkinitramfs %s%s: give --mkinitramfs FILE or set KCATCH_MKINITRAMFS, "
				"or install it next to kcatch", mk[0] ? mk : "", mk[0] ? " is not executable" :
				"is not next to kcatch, in " KC_SBINDIR " or in PATH");
		}
	}
	find_agent(o, agent, sizeof(agent));
	if (db && !executable_file(agent))  /* the hooks would build an image without kcatch */
		return kc_error("no executable kcatch-agent at %s: give --agent FILE or set KCATCH_AGENT, "
				"or install kcatch", agent);
	rpath(o, KC_IMAGE_DIR, dir, sizeof(dir));
	if (make_dirs(dir) < 0)
		return -1;
	/* A private directory on the image's file system: nobody else can
	 * put or read a file in it, and the image is renamed out of it. */
	fmt(work, sizeof(work), "%s/.build-%s.XXXXXX", dir, f->release);
	if (!mkdtemp(work)) {
		return kc_error("cannot create a directory %s: %s", work, strerror(errno));
	}
	fmt(conf, sizeof(conf), "%s/kcatch.conf", work);
	fmt(tmp, sizeof(tmp), "%s/initrd.img", work);
	fmt(stamp_tmp, sizeof(stamp_tmp), "%s/stamp", work);
	text = resolved_config(o, c, t);
	stamp = current_stamp(o, f, c, t);
	if (!text || !stamp)
		goto out;
	if ((rc = write_file(conf, text, 0600)) < 0) {
		kc_error("cannot write %s: %s", conf, strerror(-rc));
		goto out;
	}
	char *argv[24], *env[4] = { NULL };
	int n = 0;
	argv[n++] = mk;
	if (c->builder == KC_BUILDER_DRACUT) {
		/* the capture kernel's command line is kcatch load's, not the image's */
		argv[n++] = (char *)"--no-hostonly-cmdline";
		argv[n++] = (char *)"--add";
		argv[n++] = (char *)"kcatch";
		if (strcmp(o->root, "/")) {  /* the fake root's modules, not this host's */
			kc_moddir(o->root, f->release, moddir, sizeof(moddir));
			argv[n++] = (char *)"--kmoddir";
			argv[n++] = moddir;
		}
		argv[n++] = (char *)"--kver";
		argv[n++] = (char *)f->release;
		argv[n++] = tmp;
	} else if (c->builder == KC_BUILDER_INITRAMFS_TOOLS) {
		argv[n++] = (char *)"-o";
		argv[n++] = tmp;
		argv[n++] = (char *)f->release;
	} else {
		argv[n++] = (char *)"--kernel-version";
		argv[n++] = (char *)f->release;
		argv[n++] = (char *)"--root";
		argv[n++] = (char *)o->root;
		argv[n++] = (char *)"--config";
		argv[n++] = conf;
		argv[n++] = (char *)"--agent";
		argv[n++] = agent;
		argv[n++] = (char *)"--output";
		argv[n++] = tmp;
		if (strcmp(o->root, "/"))  /* this host's devices are not the fake root's */
			argv[n++] = (char *)"--no-host-devices";
		if (needs_ssh(c)) {  /* the builder's defaults are this host's, not root's */
			argv[n++] = (char *)"--ssh-identity";
			argv[n++] = (char *)rpath(o, KC_SSH_IDENTITY, identity, sizeof(identity));
			argv[n++] = (char *)"--ssh-known-hosts";
			argv[n++] = (char *)rpath(o, KC_SSH_KNOWN_HOSTS, known_hosts, sizeof(known_hosts));
		}
	}
	argv[n] = NULL;
	if (db) {  /* what the hooks read (initramfs/dracut, initramfs/initramfs-tools) */
		fmt(env_agent, sizeof(env_agent), "KCATCH_AGENT=%s", agent);
		fmt(env_conf, sizeof(env_conf), "KCATCH_CONF=%s", conf);
		env[0] = env_agent;
		env[1] = env_conf;
		/* the initramfs-tools hook leaves every other image alone */
		env[2] = c->builder == KC_BUILDER_INITRAMFS_TOOLS ? (char *)"KCATCH_INITRAMFS=y" : NULL;
		printf("building with %s (%s's hook %s)\n", mk, kc_builder_name(c->builder), db->hook);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = run_builder(argv, env);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc == 0 && (stat(tmp, &st) < 0 || st.st_size == 0)) {
		kc_error("%s exited with status 0 but wrote no image %s; %s is unchanged", mk, tmp, f->image_abs);
		goto out;
	}
	if (rc != 0) {
		kc_error("%s failed (exit status %d, see above); %s is unchanged", mk, rc,
			f->image_abs);
		goto out;
	}
	if (rename(tmp, f->image_abs) < 0) {
		kc_error("cannot rename %s to %s: %s", tmp, f->image_abs, strerror(errno));
		goto out;
	}
	if ((rc = write_file(stamp_tmp, stamp, 0644)) < 0 || rename(stamp_tmp, f->stamp_abs) < 0) {
		/* the image is good; without a stamp the next load judges it by mtimes */
		kc_error("warning: cannot write %s: %s", f->stamp_abs, strerror(rc < 0 ? -rc : errno));
	}
	stat(f->image_abs, &st);
	printf("built %s (%s) in %.2f s\n", f->image_abs, kc_format_bytes((uint64_t)st.st_size, b, sizeof(b)),
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	r = 0;
out:
	unlink(conf);
	unlink(tmp);
	unlink(stamp_tmp);
	if (rmdir(work) < 0)
		kc_error("warning: cannot remove %s: %s (remove it by hand)", work, strerror(errno));
	free(text);
	free(stamp);
	return r;
}

int rebuild_if_needed(const struct opts *o, const struct files *f, const struct kc_config *c,
		      const struct target_info *t, bool always)
{
	char why[2048];

	if (rebuild_reason(o, f, c, t, why, sizeof(why)))
		printf("rebuilding %s: %s\n", f->image, why);
	else if (always)
		printf("rebuilding %s (up to date; rebuilt as asked)\n", f->image);
	else
		return 1;
	return rebuild_image(o, f, c, t);
}

int cmd_rebuild(const struct opts *o)
{
	struct kc_config c;
	struct files f;
	struct target_info t;
	int r = -1;

	if (load_config(o, &c, false) >= 0) {
		find_files(o, &f);
		resolve_target(o, &c, &t);
		r = rebuild_if_needed(o, &f, &c, &t, true);
	}
	kc_config_free(&c);
	return r < 0 ? 1 : 0;
}
