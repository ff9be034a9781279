/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Mount target nfs://ADDRESS[:port]/export/path with the kernel's NFS
 * client, so that the local-disk writer (save.c) can write to it: the
 * kdump-compressed vmcore, vmcore-dmesg.txt and kcatch.json go into
 * <export/path>/<id>/ (the path key does not apply, as for ssh:// URLs).
 *
 * There is no mount.nfs in the image, so this is what mount.nfs would
 * do, in text options: addr= and clientaddr= (the kernel resolves no
 * names), the server's port (no rpcbind query for NFSv4), and timeouts
 * that end a dead server's requests instead of retrying forever:
 *   vers=4.1,proto=tcp,soft,timeo=50,retrans=2 (5 s per try, 3 tries)
 * then nfs_options from kcatch.conf (later options win in the kernel's
 * parser). NFSv3 needs lockd's statd, absent here: "nolock" is added.
 * The modules (sunrpc, nfs, nfsv4/nfsv3...) come from the manifest,
 * added by kcatch-mkinitramfs for an nfs:// target.
 *
 * mount(2) itself can block longer than the soft timeouts while the
 * client retries the connection; it runs in a child process that is
 * killed after target_timeout seconds, so a dead server costs a bounded
 * time before failure_action.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

#define NFS_DEFAULT_OPTIONS "vers=4.1,proto=tcp,soft,timeo=50,retrans=2"

/* Our address on the route to the server: what the server sees (clientaddr=). */
static int local_address(const struct kc_nfs_url *u, char *out, size_t len)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	int fd, r = 0;

	if (u->ipv6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)u->port);
		inet_pton(AF_INET6, u->host, &s6->sin6_addr);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)u->port);
		inet_pton(AF_INET, u->host, &s4->sin_addr);
		sl = sizeof(*s4);
	}
	/* A UDP connect sends nothing; it only picks the route and source address. */
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 || getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		r = -errno;
	close(fd);
	if (r == 0 && !inet_ntop(ss.ss_family, ss.ss_family == AF_INET6 ?
				 (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr :
				 (void *)&((struct sockaddr_in *)&ss)->sin_addr, out, (socklen_t)len))
		r = -errno;
	return r;
}

static bool is_v3(const char *opts)
{
	for (const char *s = opts; s && *s; s += strcspn(s, ","), s += *s == ',') {
		if (!strncmp(s, "vers=3", 6) && (s[6] == ',' || !s[6]))
			return true;
		if (!strncmp(s, "nfsvers=3", 9) && (s[9] == ',' || !s[9]))
			return true;
	}
	return false;
}

static void nap_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* mount(2) in a child, killed after `limit` seconds: 0, -errno, or -ETIMEDOUT. */
static int mount_bounded(const char *src, const char *mnt, const char *opts, double limit)
{
	double until = kc_now() + limit;
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		if (mount(src, mnt, "nfs", MS_NOATIME | MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) == 0)
			_exit(0);
		_exit(errno > 0 && errno < 255 ? errno : EIO);
	}
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			return WIFEXITED(status) ? -WEXITSTATUS(status) : -EINTR;
		if (w < 0 && errno != EINTR)
			return -errno;
		if (kc_now() >= until)
			break;
		nap_ms(50);
	}
	/* NFS waits are killable; if it still hangs, leave it and go on. */
	kill(pid, SIGKILL);
	for (int i = 0; i < 40 && waitpid(pid, &status, WNOHANG) == 0; i++)
		nap_ms(50);
	return -ETIMEDOUT;
}

static const char *hint(int r)
{
	switch (-r) {
	case ECONNREFUSED: return " (nothing listens there: is the NFS server running, and the port right?)";
	case ETIMEDOUT: return " (no answer in target_timeout: server down or unreachable from this network?)";
	case EACCES: case EPERM: return " (the server refuses this client: check the export's client list and squash)";
	case ENOENT: return " (the server has no such export path: for NFSv4, the path in its pseudo file system)";
	case ENODEV: return " (no nfs in this kernel: kcatch-mkinitramfs adds the modules for an nfs:// target)";
	case EPROTONOSUPPORT: return " (this NFS version is not supported by the client or server: set nfs_options vers=...)";
	case EIO: return " (I/O error talking to the server)";
	default: return "";
	}
}

static int nfs_mount(struct agent *a, const struct kc_target_spec *t, char *mnt, size_t mntlen,
		     struct save_result *res)
{
	struct kc_nfs_url u;
	char src[sizeof(u.host) + sizeof(u.path) + 4], local[INET6_ADDRSTRLEN], opts[1024];
	double t0 = kc_now();
	const char *extra = a->cfg.nfs_options;
	int r;

	snprintf(res->fstype, sizeof(res->fstype), "nfs");
	if (kc_nfs_url_parse(t->value, &u) < 0)
		return kc_log_errno(-EINVAL, "target %s: not nfs://ADDRESS[:port]/export/path", t->text);
	snprintf(src, sizeof(src), u.ipv6 ? "[%s]:%s" : "%s:%s", u.host, u.path);
	snprintf(res->device, sizeof(res->device), "%s", src);

	r = kc_net_up(a);
	if (r < 0) {
		res->target_secs = kc_now() - t0;
		snprintf(res->error, sizeof(res->error), "target %s: the network is not up: %s", t->text, strerror(-r));
		return r;
	}
	r = local_address(&u, local, sizeof(local));
	if (r < 0) {
		res->target_secs = kc_now() - t0;
		return kc_log_errno(r, "target %s: no route to %s: %m (check the net line's gw)", t->text, u.host);
	}
	if ((size_t)snprintf(opts, sizeof(opts), NFS_DEFAULT_OPTIONS ",port=%u,addr=%s,clientaddr=%s%s%s%s",
			     u.port, u.host, local, is_v3(extra) ? ",nolock" : "", extra ? "," : "",
			     extra ? extra : "") >= sizeof(opts))
		return kc_log_errno(-E2BIG, "target %s: nfs_options too long", t->text);

	snprintf(mnt, mntlen, "/kcatch/%s", res->role ? res->role : "target");
	kc_mkdir_p(mnt, 0700);
	kc_watchdog_phase(a, "mounting the NFS target");
	kc_log("mounting %s on %s (nfs, %s; up to %u s)", src, mnt, opts, a->cfg.target_timeout);
	r = mount_bounded(src, mnt, opts, a->cfg.target_timeout);
	res->target_secs = kc_now() - t0;
	if (r < 0) {
		if (r == -ETIMEDOUT)
			snprintf(res->error, sizeof(res->error), "mount %.200s: no answer after %u s (target_timeout), "
				 "abandoned%s", src, a->cfg.target_timeout, hint(r));
		else
			snprintf(res->error, sizeof(res->error), "mount %.200s: %s%s", src, strerror(-r), hint(r));
		kc_log("%s", res->error);
		return r;
	}
	snprintf(a->mounted, sizeof(a->mounted), "%s", mnt);
	kc_log("mounted %s on %s (%.1f s)", src, mnt, res->target_secs);
	return 0;
}

/* Mounted, then written by save.c as a disk is; nfs://host/export/path
 * names the directory itself: the path key does not apply. */
const struct kc_target_ops kc_target_nfs = {
	.name = "nfs",
	.mount = nfs_mount,
	.save = kc_save_mounted,
	.names_dir = true,
};
