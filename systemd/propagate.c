/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kcatch propagate [ADDRESS]: prepare an ssh:// target.
 *   1. the capture key pair <root>/etc/kcatch/id_kcatch{,.pub} (ed25519, no
 *      passphrase: nobody types one after a panic), made when missing
 *   2. the collector's host keys (ssh-keyscan) pinned in
 *      <root>/etc/kcatch/known_hosts under the name the capture kernel
 *      uses (host, or [host]:port), with their fingerprints printed for the
 *      operator to compare on the collector; a pinned key that changed is
 *      an error, never silently replaced
 *   3. the public key put into the collector user's ~/.ssh/authorized_keys
 *      over the operator's own ssh login (as ssh-copy-id does), restricted:
 *      "restrict" and a forced command that only writes new dumps under
 *      the target's directory (sshrestrict.c), replacing any earlier line
 *      of the same key; then a BatchMode login with the capture key
 * ADDRESS: where to reach the collector from this host when it is not the
 * target's host name (NAT, a test's loopback); the keys are still pinned
 * under the target's name. --dry-run prints step 3 instead of running it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kcatch.h"
#include "sshrestrict.h"

/* Run argv, with in (when set) on its stdin; its stdout into out
 * (NUL-terminated, may be cut) when out is set. Exit status or -1. */
static int run_in(char *const argv[], const char *in, char *out, size_t outlen)
{
	int pfd[2] = { -1, -1 }, status, infd = -1;
	size_t got = 0;
	pid_t pid;

	if (in) {
		size_t n = strlen(in);
		infd = memfd_create("kcatch-propagate", MFD_CLOEXEC);
		if (infd < 0 || write(infd, in, n) != (ssize_t)n || lseek(infd, 0, SEEK_SET) != 0) {
			if (infd >= 0)
				close(infd);
			return -1;
		}
	}
	if (out && pipe2(pfd, O_CLOEXEC) < 0) {
		if (infd >= 0)
			close(infd);
		return -1;
	}
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (infd >= 0)
			dup2(infd, 0);
		if (out) {  /* a captured command's chatter (ssh-keyscan's "# host" lines) is noise */
			int null = open("/dev/null", O_WRONLY);
			dup2(pfd[1], 1);
			if (null >= 0)
				dup2(null, 2);
		}
		execvp(argv[0], argv);
		kc_error("cannot run %s: %s (is openssh-client installed?)", argv[0], strerror(errno));
		_exit(127);
	}
	if (out) {
		close(pfd[1]);
		for (ssize_t n; got + 1 < outlen && (n = read(pfd[0], out + got, outlen - 1 - got)) != 0;)
			if (n > 0)
				got += (size_t)n;
			else if (errno != EINTR)
				break;
		out[got] = 0;
		close(pfd[0]);
	}
	if (infd >= 0)
		close(infd);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int run(char *const argv[], char *out, size_t outlen)
{
	return run_in(argv, NULL, out, outlen);
}

static int make_key(const char *key)
{
	char dir[4096], comment[300], host[256] = "localhost";
	struct stat st;

	if (stat(key, &st) == 0) {
		printf("capture key: %s (exists)\n", key);
		return 0;
	}
	fmt(dir, sizeof(dir), "%s", key);
	*strrchr(dir, '/') = 0;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		return kc_error("cannot create %s: %s", dir, strerror(errno));
	}
	gethostname(host, sizeof(host) - 1);
	fmt(comment, sizeof(comment), "kcatch-capture@%s", host);
	char *argv[] = { "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", (char *)key, NULL };
	if (run(argv, NULL, 0) != 0) {
		return kc_error("ssh-keygen could not create %s (is openssh-client installed?)", key);
	}
	printf("capture key: %s (created, ed25519, no passphrase; it stays in the capture image, mode 0600)\n", key);
	return 0;
}

/* Does known (a known_hosts text) hold "type key" for name? 1 same key, -1 another key for name, 0 none. */
static int pinned(const char *known, const char *name, const char *type_key)
{
	int r = 0;
	size_t nl = strlen(name);
	for (const char *l = known; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, name, nl) || (l[nl] != ' ' && l[nl] != ','))
			continue;
		const char *tk = strchr(l, ' ');
		size_t n = strcspn(type_key, "\n");
		if (tk && !strncmp(tk + 1, type_key, n) && (tk[1 + n] == '\n' || tk[1 + n] == ' ' || !tk[1 + n]))
			return 1;
		/* another key of the same type is a change; another type is just more */
		if (tk && !strncmp(tk + 1, type_key, strcspn(type_key, " ") + 1))
			r = -1;
	}
	return r;
}

static int pin_host(const struct kc_ssh_url *u, const char *address, const char *known_path)
{
	char name[300], port[16], scan[16384], fp[4096], tmp[] = "/tmp/kcatch-keyscan.XXXXXX";
	char *known = read_text(known_path), *add = NULL;
	size_t addlen = 0;
	int added = 0, fd, r = -1;
	FILE *m = open_memstream(&add, &addlen);

	if (u->port == 22)
		fmt(name, sizeof(name), "%s", u->host);
	else
		fmt(name, sizeof(name), "[%s]:%u", u->host, u->port);
	fmt(port, sizeof(port), "%u", u->port);
	char *argv[] = { "ssh-keyscan", "-T", "10", "-p", port, (char *)address, NULL };
	if (run(argv, scan, sizeof(scan)) != 0 || !strchr(scan, ' ')) {
		kc_error("no host key from %s port %u (ssh-keyscan): is sshd running there?", address, u->port);
		goto out;
	}
	for (char *save, *l = strtok_r(scan, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *tk = strchr(l, ' ');
		if (l[0] == '#' || !tk)
			continue;
		int p = pinned(known ? known : "", name, tk + 1);
		if (p < 0) {
			kc_error("the %.*s host key of %s differs from the one pinned in %s.\n"
				"  If the collector was reinstalled, verify its new key and delete the old line; "
				"otherwise someone may be in between.", (int)strcspn(tk + 1, " "), tk + 1, name, known_path);
			goto out;
		}
		if (p == 0) {
			fprintf(m, "%s %s\n", name, tk + 1);
			added++;
		}
	}
	fclose(m);
	m = NULL;
	if (added) {
		FILE *f = fopen(known_path, "ae");
		if (!f || fputs(add, f) < 0 || fclose(f) != 0) {
			kc_error("cannot write %s: %s", known_path, strerror(errno));
			goto out;
		}
	}
	fd = mkstemp(tmp);
	if (fd >= 0) {
		if (write(fd, add, addlen) == (ssize_t)addlen || !added) {
			char *kg[] = { "ssh-keygen", "-l", "-f", tmp, NULL };
			if (added && run(kg, fp, sizeof(fp)) == 0)
				printf("pinned in %s (compare on the collector: ssh-keygen -l -f /etc/ssh/ssh_host_ed25519_key.pub):\n%s",
				       known_path, fp);
		}
		close(fd);
		unlink(tmp);
	}
	if (!added)
		printf("host key of %s: already pinned in %s\n", name, known_path);
	r = 0;
out:
	if (m)
		fclose(m);
	free(add);
	free(known);
	return r;
}

/* The key's base64 field ("type BLOB comment"): what finds its earlier lines. */
static bool key_blob(const char *pub, char *blob, size_t len)
{
	const char *b = strchr(pub, ' ');
	size_t n = b ? strcspn(b + 1, " ") : 0;
	if (!n || n >= len || strspn(b + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") < n)
		return false;
	memcpy(blob, b + 1, n);
	blob[n] = 0;
	return true;
}

static int install_key(const struct opts *o, const struct kc_ssh_url *u, const char *address, const char *key,
		       const char *known_path, const char *base)
{
	char pub_path[4200], port[16], cmd[2048], alias[300], kh[4200], id[4200], uh[300], blob[1024], err[512];
	char *pub, *line;

	fmt(pub_path, sizeof(pub_path), "%s.pub", key);
	pub = read_text(pub_path);
	if (!pub || strchr(pub, '\n') || !key_blob(pub, blob, sizeof(blob))) {
		kc_error("%s: %s; delete the key pair and run kcatch propagate again", pub_path,
			 pub ? "not a single-line public key" : strerror(errno));
		free(pub);
		return -1;
	}
	line = ssh_restricted_line(pub, base, err, sizeof(err));
	free(pub);
	if (!line)
		return kc_error("%s", err);
	fmt(port, sizeof(port), "%u", u->port);
	fmt(alias, sizeof(alias), "HostKeyAlias=%s", u->port == 22 ? u->host : "");
	if (u->port != 22)
		fmt(alias, sizeof(alias), "HostKeyAlias=[%s]:%u", u->host, u->port);
	fmt(kh, sizeof(kh), "UserKnownHostsFile=%s", known_path);
	fmt(id, sizeof(id), "IdentityFile=%s", key);
	fmt(uh, sizeof(uh), "%s@%s", u->user, address);
	/* the restricted line comes on stdin; earlier lines of this key (unrestricted
	 * ones from an older kcatch) go; the file is rewritten in place, keeping its mode */
	fmt(cmd, sizeof(cmd), "umask 077 && mkdir -p .ssh && touch .ssh/authorized_keys && "
	    "{ grep -vF '%s' .ssh/authorized_keys; cat; } > .ssh/authorized_keys.kcatch-new && "
	    "cat .ssh/authorized_keys.kcatch-new > .ssh/authorized_keys && rm -f .ssh/authorized_keys.kcatch-new", blob);
	/* The alias makes ssh look the key up under the target's name even when ADDRESS differs. */
	char *inst[] = { "ssh", "-p", port, "-o", "StrictHostKeyChecking=yes", "-o", kh, "-o", alias,
			 "--", uh, cmd, NULL };
	char *check[] = { "ssh", "-F", "/dev/null", "-p", port, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
			  "-o", kh, "-o", alias, "-o", id, "-o", "IdentitiesOnly=yes", "--", uh, "true", NULL };
	int r = -1;
	if (o->dry_run) {
		printf("dry run: would install the public key with:\n ");
		for (char **a = inst; *a; a++)
			printf(" '%s'", *a);
		printf("\nand this line on its input (restricted to new dumps under %s):\n%s\n", base, line);
		free(line);
		return 0;
	}
	printf("installing %s in %s@%s:~/.ssh/authorized_keys, restricted to writing new dumps under %s "
	       "(log in as you normally do):\n", pub_path, u->user, u->host, base);
	fflush(stdout);
	if (run_in(inst, line, NULL, 0) != 0)
		kc_error("installing the key on %s failed; put this line into ~%s/.ssh/authorized_keys there by hand:\n%s",
			 u->host, u->user, line);
	else if (run(check, NULL, 0) != 0)
		kc_error("the capture key does not log in to %s@%s (BatchMode); check sshd's "
			 "AuthorizedKeysFile and PubkeyAuthentication there", u->user, u->host);
	else
		r = 0;
	free(line);
	if (r == 0)
		printf("the capture key logs in to %s@%s\n", u->user, u->host);
	return r;
}

int cmd_propagate(const struct opts *o)
{
	struct kc_config c;
	struct kc_ssh_url u;
	char key[4096], known[4096];
	const struct kc_target_spec *t;
	int r = load_config(o, &c, false);

	if (r < 0)
		goto fail;
	t = c.target.kind == KC_TARGET_SSH ? &c.target : &c.fallback_target;
	if (t->kind != KC_TARGET_SSH || kc_ssh_url_parse(t->value, &u) < 0) {
		kc_error("propagate is for an ssh:// target; the configuration has none "
			 "(see kcatch.conf(5): target ssh://USER@HOST/PATH)");
		goto fail;
	}
	/* where the agent writes (capture/ssh.c: the URL's path, else the path key) */
	const char *base = u.path[0] ? u.path : t == &c.fallback_target && c.fallback_path ? c.fallback_path :
			   c.path ? c.path : KC_DEFAULT_PATH;
	rpath(o, KC_SSH_IDENTITY, key, sizeof(key));
	rpath(o, KC_SSH_KNOWN_HOSTS, known, sizeof(known));
	const char *address = o->nargs > 0 ? o->args[0] : u.host;
	if (make_key(key) < 0 || pin_host(&u, address, known) < 0 || install_key(o, &u, address, key, known, base) < 0)
		goto fail;
	printf("done: run 'kcatch rebuild' (or load) to put the key and the pinned host key into the capture image\n");
	kc_config_free(&c);
	return 0;
fail:
	kc_config_free(&c);
	return 1;
}
