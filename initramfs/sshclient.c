/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What an ssh:// target needs in the image, the NIC driver of the "net"
 * line, and the NFS client modules of an nfs:// target:
 *   /usr/bin/ssh + its shared libraries (DT_NEEDED closure read from the
 *   ELF files themselves) + the dynamic loader, at the paths where this
 *   host has them
 *   /etc/passwd, /etc/group, /etc/nsswitch.conf, /etc/hosts: ssh looks up
 *   its user (root) and refuses to run without one
 *   /etc/kcatch/id_kcatch (0600) and /etc/kcatch/known_hosts: the key and
 *   the collector's pinned host key, from `kcatch propagate`
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mkinitramfs.h"

#define MAX_LIBS 64

static const char *const lib_dirs[] = {
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib",
};

bool config_needs_ssh(const struct kc_config *c)
{
	return c->target.kind == KC_TARGET_SSH || c->fallback_target.kind == KC_TARGET_SSH;
}

/*
 * An nfs:// target: the kernel's NFS client. The agent mounts with
 * vers=4.1 unless nfs_options says otherwise, so both protocol modules go
 * in (the nfs module cannot ask for them: the image has no modprobe);
 * their dependencies (sunrpc, lockd, grace, fscache, netfs...) follow.
 */
int nfs_modules(const struct kc_config *c, module_fn fn, void *arg)
{
	static const char *const mods[] = { "sunrpc", "nfs", "nfsv4", "nfsv3" };

	if (c->target.kind != KC_TARGET_NFS && c->fallback_target.kind != KC_TARGET_NFS)
		return 0;
	for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++)
		fn(arg, mods[i], "nfs:// target");
	return 1;
}

/* The file offset of virtual address a, through the PT_LOAD segments. */
static bool vaddr_off(const uint8_t *d, const Elf64_Ehdr *eh, uint64_t a, uint64_t *off)
{
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(d + eh->e_phoff) + i;
		if (ph->p_type == PT_LOAD && a >= ph->p_vaddr && a - ph->p_vaddr < ph->p_filesz) {
			*off = a - ph->p_vaddr + ph->p_offset;
			return true;
		}
	}
	return false;
}

static const char *str_at(const uint8_t *d, size_t len, uint64_t off)
{
	if (off >= len || !memchr(d + off, 0, len - off))
		return NULL;
	return (const char *)d + off;
}

/*
 * DT_NEEDED names (and PT_INTERP) of an ELF64 file, every offset checked
 * against the file. fn is called for each; returns 0 or -ENOEXEC.
 */
static int elf_deps(const char *path, const void *data, size_t len,
		    void (*fn)(void *arg, const char *name, bool interp), void *arg)
{
	const uint8_t *d = data;
	const Elf64_Ehdr *eh = data;
	uint64_t strtab = 0, stroff;
	const Elf64_Dyn *dyn = NULL;
	size_t ndyn = 0;

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > len ||
	    (len - eh->e_phoff) / sizeof(Elf64_Phdr) < eh->e_phnum)
		return error_errno(-ENOEXEC, "%s is not a 64-bit ELF file", path);
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(d + eh->e_phoff) + i;
		if (ph->p_offset > len || ph->p_filesz > len - ph->p_offset)
			return error_errno(-ENOEXEC, "%s: segment %u is outside the file", path, i);
		if (ph->p_type == PT_INTERP) {
			const char *s = str_at(d, ph->p_offset + ph->p_filesz, ph->p_offset);
			if (s)
				fn(arg, s, true);
		} else if (ph->p_type == PT_DYNAMIC) {
			dyn = (const Elf64_Dyn *)(d + ph->p_offset);
			ndyn = ph->p_filesz / sizeof(*dyn);
		}
	}
	for (size_t i = 0; i < ndyn && dyn[i].d_tag != DT_NULL; i++)
		if (dyn[i].d_tag == DT_STRTAB)
			strtab = dyn[i].d_un.d_ptr;
	if (ndyn && !vaddr_off(d, eh, strtab, &stroff))
		return error_errno(-ENOEXEC, "%s: no string table for its dynamic section", path);
	for (size_t i = 0; i < ndyn && dyn[i].d_tag != DT_NULL; i++) {
		if (dyn[i].d_tag != DT_NEEDED)
			continue;
		const char *s = str_at(d, len, stroff + dyn[i].d_un.d_val);
		if (!s || strchr(s, '/'))
			return error_errno(-ENOEXEC, "%s: a DT_NEEDED entry is not a library name", path);
		fn(arg, s, false);
	}
	return 0;
}

struct closure {
	char *paths[MAX_LIBS];   /* absolute paths on this host, as found */
	size_t n;
	int error;
	const char *from;
};

static void want_lib(void *arg, const char *name, bool interp)
{
	struct closure *c = arg;
	char p[PATH_MAX];
	bool found = false;

	if (interp) {
		snprintf(p, sizeof(p), "%s", name);
		found = access(p, R_OK) == 0;
	}
	for (size_t i = 0; !found && i < sizeof(lib_dirs) / sizeof(lib_dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", lib_dirs[i], name);
		found = access(p, R_OK) == 0;
	}
	if (!found) {
		c->error = error_errno(-ENOENT, "%s needs %s, which is in none of /lib, /usr/lib and their "
				       "x86_64-linux-gnu and lib64 directories", c->from, name);
		return;
	}
	/* the same file under two names (libc asks for the loader by its soname): once */
	char real[PATH_MAX], other[PATH_MAX];
	if (!realpath(p, real))
		snprintf(real, sizeof(real), "%s", p);
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->paths[i], p) || (realpath(c->paths[i], other) && !strcmp(other, real)))
			return;
	if (c->n == MAX_LIBS) {
		c->error = error_errno(-E2BIG, "%s needs more than %d libraries", c->from, MAX_LIBS);
		return;
	}
	c->paths[c->n++] = strdup(p);
}

/* Every directory of path (without the leading '/'), each once. */
static int make_parents(struct cpio *c, const char *path, char made[][PATH_MAX], size_t *nmade, size_t max)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path + 1);
	for (char *s = strchr(buf, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		bool have = !strcmp(buf, "etc") || !strcmp(buf, "lib");  /* image.c makes these */
		for (size_t i = 0; !have && i < *nmade; i++)
			have = !strcmp(made[i], buf);
		if (!have) {
			int r = cpio_dir(c, buf);
			if (r < 0)
				return r;
			if (*nmade < max)
				snprintf(made[(*nmade)++], PATH_MAX, "%s", buf);
		}
		*s = '/';
	}
	return 0;
}

static int add_file(struct cpio *c, const char *host_path, const char *image_path, unsigned mode,
		    char made[][PATH_MAX], size_t *nmade, uint64_t *bytes)
{
	void *data;
	size_t len;
	int r = read_file(host_path, &data, &len);

	if (r < 0)
		return error_errno(r, "%s: %m", host_path);
	r = make_parents(c, image_path, made, nmade, 32);
	if (r == 0)
		r = cpio_file(c, image_path + 1, mode, data, len);
	free(data);
	*bytes += len;
	return r;
}

int ssh_check(const struct kc_config *cfg, const struct build_opts *o)
{
	const struct kc_target_spec *t = cfg->target.kind == KC_TARGET_SSH ? &cfg->target : &cfg->fallback_target;
	struct kc_ssh_url u;
	struct stat st;
	char line[4096], want[300];
	bool pinned = false;
	FILE *f;

	if (kc_ssh_url_parse(t->value, &u) < 0)
		return error_errno(-EINVAL, "%s: not a valid ssh:// target", t->text);
	if (access(o->ssh_client, X_OK) < 0)
		return error_errno(-errno, "ssh client %s: %m (install openssh-client, or --ssh-client FILE)",
				   o->ssh_client);
	if (stat(o->ssh_identity, &st) < 0)
		return error_errno(-errno, "ssh key %s: %m; create it and pin the collector's host key with "
				   "`kcatch propagate`", o->ssh_identity);
	f = fopen(o->ssh_known_hosts, "re");
	if (!f)
		return error_errno(-errno, "%s: %m; pin the collector's host key with `kcatch propagate`",
				   o->ssh_known_hosts);
	if (u.port == 22)
		snprintf(want, sizeof(want), "%s", u.host);
	else
		snprintf(want, sizeof(want), "[%s]:%u", u.host, u.port);
	while (!pinned && fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, " \t");
		line[n] = 0;
		/* names are comma separated; hashed names (|1|...) cannot be checked here */
		for (char *s, *tok = strtok_r(line, ",", &s); tok && !pinned; tok = strtok_r(NULL, ",", &s))
			pinned = !strcmp(tok, want) || tok[0] == '|';
	}
	fclose(f);
	if (!pinned)
		return error_errno(-ENOENT, "%s has no host key for %s: ssh would refuse the collector; "
				   "pin it with `kcatch propagate`", o->ssh_known_hosts, want);
	return 0;
}

int ssh_add_to_image(struct cpio *c, const struct build_opts *o, uint64_t *bytes)
{
	static const struct { const char *name, *text; } etc[] = {
		{ "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n" },
		{ "etc/group", "root:x:0:\n" },
		{ "etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files dns\n" },
		{ "etc/hosts", "127.0.0.1 localhost\n" },
	};
	static char made[32][PATH_MAX];
	struct closure cl = { .from = o->ssh_client };
	size_t nmade = 0, done = 0;
	void *data;
	size_t len;
	int r;

	/* the closure: the client, then each library's own needs, breadth first */
	r = read_file(o->ssh_client, &data, &len);
	if (r < 0)
		return error_errno(r, "%s: %m", o->ssh_client);
	r = elf_deps(o->ssh_client, data, len, want_lib, &cl);
	free(data);
	while (r == 0 && !cl.error && done < cl.n) {
		cl.from = cl.paths[done];
		if ((r = read_file(cl.paths[done], &data, &len)) < 0) {
			error_errno(r, "%s: %m", cl.paths[done]);
			break;
		}
		r = elf_deps(cl.paths[done], data, len, want_lib, &cl);
		free(data);
		done++;
	}
	if (r == 0)
		r = cl.error;
	if (r == 0)
		r = add_file(c, o->ssh_client, "/usr/bin/ssh", 0755, made, &nmade, bytes);
	for (size_t i = 0; r == 0 && i < cl.n; i++) {
		note("ssh needs %s", cl.paths[i]);
		r = add_file(c, cl.paths[i], cl.paths[i], 0755, made, &nmade, bytes);
	}
	for (size_t i = 0; r == 0 && i < sizeof(etc) / sizeof(etc[0]); i++)
		r = cpio_file(c, etc[i].name, 0644, etc[i].text, strlen(etc[i].text));
	if (r == 0)
		r = cpio_dir(c, "root");
	if (r == 0)
		r = add_file(c, o->ssh_identity, KC_SSH_IDENTITY, 0600, made, &nmade, bytes);
	if (r == 0)
		r = add_file(c, o->ssh_known_hosts, KC_SSH_KNOWN_HOSTS, 0644, made, &nmade, bytes);
	for (size_t i = 0; i < cl.n; i++)
		free(cl.paths[i]);
	if (r == 0)
		note("ssh client %s with %zu libraries", o->ssh_client, cl.n);
	return r;
}

/* ---- the NIC ---- */

static void nic_chain(const char *iface, module_fn fn, void *arg)
{
	char p[PATH_MAX], q[PATH_MAX + 32], link[PATH_MAX], why[PATH_MAX + 64];

	snprintf(q, sizeof(q), "/sys/class/net/%s/device", iface);
	if (!realpath(q, p))
		return;  /* virtual interface: no driver to add */
	for (; !strncmp(p, "/sys/devices/", 13); *strrchr(p, '/') = 0) {
		snprintf(q, sizeof(q), "%s/driver/module", p);
		ssize_t n = readlink(q, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		snprintf(why, sizeof(why), "driver of network interface %s (%s)", iface, p + 12);
		fn(arg, basename(link), why);
	}
}

int netdev_modules(const struct kc_net_spec *n, module_fn fn, void *arg)
{
	char p[PATH_MAX], mac[32];
	struct dirent *e;
	DIR *d;
	int found = 0;

	if (!n->set)
		return 0;
	if (n->iface[0]) {
		snprintf(p, sizeof(p), "/sys/class/net/%s", n->iface);
		if (access(p, F_OK) < 0)
			return 0;
		nic_chain(n->iface, fn, arg);
		return 1;
	}
	if (!n->by_mac || !(d = opendir("/sys/class/net")))
		return 0;
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x\n", n->mac[0], n->mac[1], n->mac[2],
		 n->mac[3], n->mac[4], n->mac[5]);
	while (!found && (e = readdir(d))) {
		char buf[32] = "";
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/sys/class/net/%s/address", e->d_name);
		FILE *f = fopen(p, "re");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && !strcmp(buf, mac)) {
			nic_chain(e->d_name, fn, arg);
			found = 1;
		}
		fclose(f);
	}
	closedir(d);
	return found;
}
