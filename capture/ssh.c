/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Save to target ssh://user@host[:port][/path] through OpenSSH's client
 * from the image. One connection, opened first by a master ssh (-M -N -f:
 * it exits once authenticated, leaving its background half listening on a
 * control socket), then three sessions multiplexed over it, each a POSIX
 * shell command on the collector (it needs nothing else):
 *   1. make <path>/<id> (or <id>-2...), print its name, cat > vmcore-dmesg.txt
 *   2. cat > vmcore.flat.incomplete: the flattened dump (kcatch-filter -F
 *      format), streamed as it is filtered
 *   3. mv vmcore.flat.incomplete vmcore.flat (only when complete), then
 *      kcatch.json through a temporary name
 * (Key exchange costs seconds on a slow capture kernel; it is done once.)
 * A broken connection leaves vmcore.flat.incomplete; the last step then
 * connects anew (the dead master's socket refuses, ssh connects directly)
 * to record kcatch.json. On the collector,
 * `kcatch-filter -R vmcore < vmcore.flat` rebuilds an ordinary dump.
 * The host key is pinned (StrictHostKeyChecking=yes against the image's
 * known_hosts, written by `kcatch propagate`); every step is bounded:
 * ConnectTimeout=target_timeout, ServerAlive 5 s x 3, and a wait limit on
 * each ssh process after its input is closed. ServerAlive does not see a
 * collector that stays connected but stops reading (a hung disk under a
 * live sshd): for that, ssh's input is written without blocking, and
 * when ssh accepts no byte for stall_timeout seconds it is killed (see
 * feed() and the relay below), which ends the target like a lost
 * connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

extern char **environ;

#define SSH_CLIENT "/usr/bin/ssh"
#define CMD_MAX 8192

struct ssh_proc {
	pid_t pid;
	int in;          /* its stdin, written by us; -1 once closed */
	int out, err;    /* memfds holding its stdout and stderr */
};

struct ssh_target {
	struct agent *a;
	struct kc_ssh_url url;
	char identity[PATH_MAX], known_hosts[PATH_MAX];
	char control[64];           /* the master's control socket; "" when there is none */
	char dir_q[2 * PATH_MAX];   /* <path>/<id>, quoted for the remote shell */
};

/* s as one single-quoted shell word: 'it'\''s' */
static void shell_quote(char *out, size_t len, const char *s)
{
	size_t o = 0;
	if (len < 3) {
		if (len)
			out[0] = 0;
		return;
	}
	out[o++] = '\'';
	for (; *s && o + 6 < len; s++) {
		if (*s == '\'') {
			memcpy(out + o, "'\\''", 4);
			o += 4;
		} else {
			out[o++] = *s;
		}
	}
	out[o++] = '\'';
	out[o] = 0;
}

enum ssh_role { SSH_SESSION, SSH_MASTER, SSH_MASTER_EXIT };

/* cmd: the remote command of a session; unused for the master's roles. */
static int ssh_start(struct ssh_target *t, enum ssh_role role, const char *cmd, struct ssh_proc *p)
{
	char port[16], o_id[PATH_MAX + 16], o_kh[PATH_MAX + 32], o_ct[48], user_host[300], o_cp[96];
	int in[2], r;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t def;

	snprintf(port, sizeof(port), "%u", t->url.port);
	snprintf(o_id, sizeof(o_id), "IdentityFile=%s", t->identity);
	snprintf(o_kh, sizeof(o_kh), "UserKnownHostsFile=%s", t->known_hosts);
	snprintf(o_ct, sizeof(o_ct), "ConnectTimeout=%u", t->a->cfg.target_timeout);
	snprintf(user_host, sizeof(user_host), "%s@%s", t->url.user, t->url.host);
	const char *argv[] = { "ssh", "-F", "/dev/null", "-T", "-x", "-a", "-p", port,
		"-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", o_kh,
		"-o", "GlobalKnownHostsFile=/dev/null", "-o", "CheckHostIP=no", "-o", "UpdateHostKeys=no",
		"-o", o_id, "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
		"-o", "PasswordAuthentication=no", "-o", "KbdInteractiveAuthentication=no",
		"-o", o_ct, "-o", "ConnectionAttempts=1",
		"-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3",
		"-o", "LogLevel=ERROR", "-o", o_cp,
		/* AES-GCM first: with AES instructions it streams about 3 times faster than
		 * OpenSSH's default chacha20 (measured under QEMU -cpu max: 5.8 vs 1.7 MB/s) */
		"-o", "Ciphers=aes128-gcm@openssh.com,chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-ctr,aes256-ctr",
		/* the role's own arguments, then the end of options */
		"-o", role == SSH_MASTER ? "ControlMaster=yes" : "ControlMaster=no", NULL, NULL, NULL, NULL, NULL };
	size_t n = sizeof(argv) / sizeof(argv[0]) - 5;

	snprintf(o_cp, sizeof(o_cp), "ControlPath=%s", t->control[0] ? t->control : "none");
	if (role == SSH_MASTER) {
		argv[n++] = "-N";  /* no remote command */
		argv[n++] = "-f";  /* exit when authenticated, the connection staying in the background */
	} else if (role == SSH_MASTER_EXIT) {
		argv[n++] = "-O";
		argv[n++] = "exit";
	}
	argv[n++] = "--";
	argv[n++] = user_host;
	if (role == SSH_SESSION)
		argv[n] = cmd;
	static char *const capture_env[] = { "PATH=/usr/bin:/bin", "HOME=/root", "LANG=C", NULL };

	*p = (struct ssh_proc){ .pid = -1, .in = -1, .out = -1, .err = -1 };
	if (pipe2(in, O_CLOEXEC) < 0)
		return -errno;
	p->in = in[1];
	p->out = memfd_create("kcatch-ssh-out", MFD_CLOEXEC);
	p->err = memfd_create("kcatch-ssh-err", MFD_CLOEXEC);
	if (p->out < 0 || p->err < 0) {
		r = -errno;
		close(in[0]);
		return r;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, p->out, 1);
	posix_spawn_file_actions_adddup2(&fa, p->err, 2);
	posix_spawnattr_init(&at);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF);
	/* Test mode runs the host's ssh from PATH; the capture kernel the image's. */
	if (t->a->test_mode)
		r = posix_spawnp(&p->pid, "ssh", &fa, &at, (char *const *)argv, environ);
	else
		r = posix_spawn(&p->pid, SSH_CLIENT, &fa, &at, (char *const *)argv, capture_env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(in[0]);
	if (r) {
		p->pid = -1;
		return -r;
	}
	return 0;
}

static void nap_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The last non-empty line of a memfd, for messages. */
static void last_line(int fd, char *buf, size_t len)
{
	char tmp[4096];
	ssize_t n = pread(fd, tmp, sizeof(tmp) - 1, 0);
	struct stat st;

	buf[0] = 0;
	if (fstat(fd, &st) == 0 && st.st_size > (off_t)sizeof(tmp) - 1)
		n = pread(fd, tmp, sizeof(tmp) - 1, st.st_size - (off_t)sizeof(tmp) + 1);
	if (n <= 0)
		return;
	tmp[n] = 0;
	while (n > 0 && (tmp[n - 1] == '\n' || tmp[n - 1] == '\r'))
		tmp[--n] = 0;
	char *l = strrchr(tmp, '\n');
	const char *from = l ? l + 1 : tmp;
	size_t n2 = strlen(from) < len ? strlen(from) : len - 1;
	memcpy(buf, from, n2);
	buf[n2] = 0;
}

/*
 * Close its input and wait at most `limit` seconds for it to exit (then
 * kill it). Returns its exit status (255: ssh itself failed), or -ETIMEDOUT.
 * err gets the last line of its stderr.
 */
static int ssh_finish(struct ssh_proc *p, double limit, char *err, size_t errlen)
{
	double until = kc_now() + limit;
	int status = 0, r;

	if (p->in >= 0)
		close(p->in);
	p->in = -1;
	for (;;) {
		pid_t w = waitpid(p->pid, &status, WNOHANG);
		if (w == p->pid) {
			r = WIFEXITED(status) ? WEXITSTATUS(status) : 255;
			break;
		}
		if (w < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		if (kc_now() >= until) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &status, 0);
			r = -ETIMEDOUT;
			break;
		}
		nap_ms(20);
	}
	if (err)
		last_line(p->err, err, errlen);
	return r;
}

static void ssh_close(struct ssh_proc *p)
{
	if (p->in >= 0)
		close(p->in);
	if (p->out >= 0)
		close(p->out);
	if (p->err >= 0)
		close(p->err);
	p->in = p->out = p->err = -1;
}

/*
 * Write all of buf to fd, ssh's input. With stall_secs, fd is O_NONBLOCK
 * and each wait for room is bounded: -ETIME once ssh accepted no byte
 * for stall_secs seconds (the collector stopped reading). *accepted
 * counts the bytes ssh took.
 */
static int feed(int fd, const char *buf, size_t len, unsigned stall_secs, uint64_t *accepted)
{
	double since = kc_now();

	while (len) {
		ssize_t w = write(fd, buf, len);
		if (w > 0) {
			buf += w;
			len -= (size_t)w;
			*accepted += (uint64_t)w;
			since = kc_now();
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN)
			return -errno;
		int timeout_ms = -1;
		if (stall_secs) {
			double left = since + stall_secs - kc_now();
			if (left <= 0)
				return -ETIME;
			timeout_ms = (int)(left * 1000) + 1;
		}
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		if (poll(&pfd, 1, timeout_ms) < 0 && errno != EINTR)
			return -errno;
	}
	return 0;
}

static int set_nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -errno : 0;
}

static int copy_fd(int from, int to, unsigned stall_secs)
{
	char buf[65536];
	uint64_t accepted = 0;
	ssize_t n;
	int r;

	if (lseek(from, 0, SEEK_SET) < 0)
		return -errno;
	while ((n = read(from, buf, sizeof(buf))) > 0)
		if ((r = feed(to, buf, (size_t)n, stall_secs, &accepted)) < 0)
			return r;
	return n < 0 ? -errno : 0;
}

/* One short command with data from a memfd on its input; its exit status or -errno. */
static int ssh_run(struct ssh_target *t, const char *cmd, int data_fd, char *out, size_t outlen,
		   char *err, size_t errlen)
{
	unsigned stall = t->a->cfg.stall_timeout;
	bool stalled = false;
	struct ssh_proc p;
	int r = ssh_start(t, SSH_SESSION, cmd, &p);

	if (r < 0) {
		snprintf(err, errlen, "cannot run %s: %s", t->a->test_mode ? "ssh" : SSH_CLIENT, strerror(-r));
		ssh_close(&p);
		return r;
	}
	if (stall && set_nonblocking(p.in) < 0)
		stall = 0;  /* cannot happen on a pipe; ssh_finish's wait limit still holds */
	/* EPIPE when ssh gave up: its stderr says why */
	if (data_fd >= 0 && copy_fd(data_fd, p.in, stall) == -ETIME) {
		stalled = true;
		kill(p.pid, SIGKILL);  /* not reaped yet: the pid is still ours */
	}
	r = ssh_finish(&p, t->a->cfg.target_timeout + 30.0, err, errlen);
	if (stalled) {
		snprintf(err, errlen, "the collector accepted no data for %u s (stall_timeout); ssh killed", stall);
		r = -ETIME;
	}
	if (out && outlen) {
		ssize_t n = pread(p.out, out, outlen - 1, 0);
		out[n > 0 ? n : 0] = 0;
	}
	ssh_close(&p);
	return r;
}

static int failed(struct save_result *res, int r, const char *what, int status, const char *err)
{
	if (status == -ETIMEDOUT)
		snprintf(res->error, sizeof(res->error), "%s: ssh did not finish in time; killed", what);
	else if (status == 255 || status < 0)
		/* ssh's stderr is cut to what fits the result's message (%.300s) */
		snprintf(res->error, sizeof(res->error), "%s: ssh failed: %.300s", what,
			 err[0] ? err : "no message (the collector closed the connection)");
	else
		snprintf(res->error, sizeof(res->error), "%s: the command on the collector failed (status %d)%s%.300s",
			 what, status, err[0] ? ": " : "", err);
	kc_log("%s", res->error);
	return r;
}

/*
 * The dump's way to ssh when stall_timeout is set. kcf_dump writes with
 * blocking writes to a pipe (the library knows nothing of collectors);
 * this thread moves the stream from that pipe to ssh's input with
 * splice(2) (pipe to pipe, the pages change hands without a copy), never
 * blocking on ssh: when ssh leaves stream data waiting and accepts
 * nothing for stall_timeout seconds, the thread kills it and closes its
 * end of the pipe, so that kcf_dump's next write fails with EPIPE, as for
 * a lost connection. Time spent waiting for kcf_dump does not count. The
 * main thread reaps ssh only after joining the thread: the pid killed
 * cannot be another process's.
 */
struct relay {
	int from;                /* the read end of kcf_dump's pipe; closed by the thread */
	int to;                  /* ssh's input; closed by the thread */
	pid_t ssh;
	unsigned stall_secs;
	bool stalled;            /* set by the thread, read after the join */
	uint64_t accepted;       /* bytes of the stream ssh took */
	pthread_t thread;
};

/* Wait for events on fd; false when timeout_ms (-1: none) ran out first. */
static bool wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int n;

	while ((n = poll(&pfd, 1, timeout_ms)) < 0 && errno == EINTR)
		;
	return n != 0;  /* an error other than EINTR: let the next splice report it */
}

static void *relay_main(void *arg)
{
	struct relay *rl = arg;
	double since = kc_now();  /* when ssh last took data, or data last came to wait for it */

	for (;;) {
		ssize_t n = splice(rl->from, NULL, rl->to, NULL, 1 << 20, SPLICE_F_NONBLOCK);
		if (n > 0) {
			rl->accepted += (uint64_t)n;
			since = kc_now();
			continue;
		}
		if (n == 0)  /* the end of the stream: kcf_dump is done */
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)  /* EPIPE: ssh is gone */
			break;
		if (!wait_fd(rl->from, POLLIN, 0)) {
			/* Nothing to send: kcf_dump is busy, which is no fault of the collector. */
			wait_fd(rl->from, POLLIN, -1);
			since = kc_now();
			continue;
		}
		/* Data waits, ssh's input is full. */
		double left = since + rl->stall_secs - kc_now();
		if (left > 0) {
			wait_fd(rl->to, POLLOUT, (int)(left * 1000) + 1);
			continue;  /* room, or the time is up: splice and look again */
		}
		rl->stalled = true;
		kill(rl->ssh, SIGKILL);
		break;
	}
	close(rl->from);
	close(rl->to);  /* ssh passes the end of the stream on */
	return NULL;
}

/* On success the relay owns p->in (now -1) and kcf_dump writes to *dump_fd. */
static int relay_start(struct relay *rl, struct ssh_proc *p, unsigned stall_secs, int *dump_fd)
{
	pthread_attr_t attr;
	sigset_t all, old;
	int fds[2], r;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	rl->from = fds[0];
	rl->to = p->in;
	rl->ssh = p->pid;
	rl->stall_secs = stall_secs;
	rl->stalled = false;
	rl->accepted = 0;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 128 * 1024);
	sigfillset(&all);  /* signals stay with the main thread */
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&rl->thread, &attr, relay_main, rl);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (r) {
		close(fds[0]);
		close(fds[1]);
		return -r;
	}
	p->in = -1;
	*dump_fd = fds[1];
	return 0;
}

static int stream_dump(struct ssh_target *t, struct save_result *res)
{
	struct agent *a = t->a;
	char cmd[CMD_MAX], err[512], b1[32];
	struct kcf_dump_options o = {
		.dump_level = a->cfg.dump_level,
		.compress = a->cfg.compress,
		.format = KCF_FORMAT_KDUMP,
		.num_threads = a->threads,
		.flattened = true,
	};
	struct kc_progress pr = { .a = a, .stream = true };
	struct relay relay, *rl = NULL;  /* rl: &relay while the relay runs */
	struct ssh_proc p;
	int r, st, dump_fd;

	kc_watchdog_phase(a, "streaming the dump through ssh");
	if (snprintf(cmd, sizeof(cmd), "umask 077 && exec cat > %s/vmcore.flat.incomplete", t->dir_q) >= (int)sizeof(cmd))
		return failed(res, -ENAMETOOLONG, "vmcore.flat", -ENAMETOOLONG, "path too long");
	r = ssh_start(t, SSH_SESSION, cmd, &p);
	if (r < 0) {
		ssh_close(&p);
		return failed(res, r, "vmcore.flat", r, strerror(-r));
	}
	dump_fd = p.in;
	if (a->cfg.stall_timeout) {
		r = relay_start(&relay, &p, a->cfg.stall_timeout, &dump_fd);
		if (r == 0)
			rl = &relay;
		else
			kc_log("cannot watch ssh for a stall (%s); streaming without stall_timeout", strerror(-r));
	}
	kc_log("streaming the dump to %s/vmcore.flat.incomplete: dump level %u, %s compression, flattened%s",
	       res->dir, o.dump_level, kcf_compress_name(o.compress), rl ? "" : ", no stall_timeout");
	pr.start = pr.last = kc_now();
	o.progress = kc_progress;
	o.progress_arg = &pr;
	res->dump_started = true;
	snprintf(res->dump_file, sizeof(res->dump_file), "vmcore.flat.incomplete");
	r = kcf_dump(a->vm, &o, dump_fd, &res->stats);
	if (rl) {
		close(dump_fd);  /* the relay sees the end of the stream, sends the rest, closes ssh's input */
		pthread_join(rl->thread, NULL);
	}
	st = ssh_finish(&p, 60, err, sizeof(err));
	res->dump_secs = kc_now() - pr.start;
	ssh_close(&p);
	if (rl && rl->stalled) {
		res->stats.incomplete = true;
		snprintf(res->error, sizeof(res->error),
			 "vmcore.flat: the collector accepted no data for %u s (stall_timeout); ssh killed after "
			 "%s of the stream, vmcore.flat.incomplete left", a->cfg.stall_timeout,
			 kc_format_bytes(rl->accepted, b1, sizeof(b1)));
		kc_log("%s", res->error);
		return -ETIME;
	}
	if (r < 0 || st != 0) {
		const char *lib = kcf_ctx_error(a->kcf);
		res->stats.incomplete = true;  /* the collector keeps what arrived, under the .incomplete name */
		if (st != 0)
			failed(res, r < 0 ? r : -EPIPE, "vmcore.flat (connection lost, vmcore.flat.incomplete left)", st, err);
		else
			snprintf(res->error, sizeof(res->error), "vmcore.flat: %s", lib[0] ? lib : strerror(-r));
		if (st == 0)
			kc_log("%s", res->error);
		return r < 0 ? r : -EPIPE;
	}
	res->filter_finished = true;  /* and ssh took every byte of it */
	return 0;
}

static void sanitize_id(char *id)
{
	for (char *s = id; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr("._:-", *s)))
			*s = '_';
}

/*
 * The master connection: authenticated once, then the sessions below
 * reuse it. Its failure (refused, timed out, host key) is the target's.
 */
static int connect_master(struct ssh_target *t, struct save_result *res)
{
	struct agent *a = t->a;
	struct ssh_proc p;
	char err[512];
	double t0 = kc_now();
	int r;

	kc_watchdog_phase(a, "connecting to the ssh collector");
	mkdir("/tmp", 01777);  /* the capture image may have none */
	snprintf(t->control, sizeof(t->control), "/tmp/kcatch-ssh-%d.mux", (int)getpid());
	unlink(t->control);
	r = ssh_start(t, SSH_MASTER, NULL, &p);
	if (r < 0) {
		ssh_close(&p);
		t->control[0] = 0;
		snprintf(err, sizeof(err), "cannot run %s: %s", a->test_mode ? "ssh" : SSH_CLIENT, strerror(-r));
		return failed(res, r, "connecting to the collector", r, err);
	}
	r = ssh_finish(&p, a->cfg.target_timeout + 30.0, err, sizeof(err));
	ssh_close(&p);
	if (r != 0) {
		t->control[0] = 0;
		return failed(res, r < 0 ? r : -ECONNREFUSED, "connecting to the collector", r, err);
	}
	kc_log("connected to %s@%s:%u, host key verified (%.1f s)", t->url.user, t->url.host, t->url.port,
	       kc_now() - t0);
	return 0;
}

/* Ends the master, if it still runs (a dead one's socket is only removed). */
static void close_master(struct ssh_target *t)
{
	struct ssh_proc p;

	if (!t->control[0])
		return;
	if (ssh_start(t, SSH_MASTER_EXIT, NULL, &p) == 0)
		ssh_finish(&p, 5, NULL, 0);
	ssh_close(&p);
	unlink(t->control);
	t->control[0] = 0;
}

/* Session 1: the directory and vmcore-dmesg.txt. */
static int make_dir_and_dmesg(struct ssh_target *t, const char *base, struct save_result *res)
{
	struct agent *a = t->a;
	char id[sizeof(res->id)], base_q[2 * PATH_MAX], id_q[300], cmd[CMD_MAX], out[256], err[512];
	double t0 = kc_now();
	struct stat st;
	int fd, r, status;

	kc_dump_id(a, id, sizeof(id));
	sanitize_id(id);
	shell_quote(base_q, sizeof(base_q), base);
	shell_quote(id_q, sizeof(id_q), id);
	r = snprintf(cmd, sizeof(cmd),
		 "umask 077; mkdir -p %1$s || exit 3; for n in '' -2 -3 -4 -5 -6 -7 -8 -9; do "
		 "if mkdir %1$s/%2$s$n 2>/dev/null; then echo %2$s$n; exec cat > %1$s/%2$s$n/vmcore-dmesg.txt; fi; "
		 "done; echo \"kcatch: cannot make a directory for \"%2$s\" in \"%1$s >&2; exit 3", base_q, id_q);
	if (r >= (int)sizeof(cmd) || strlen(base) >= sizeof(res->dir) / 2)
		return failed(res, -ENAMETOOLONG, base, -ENAMETOOLONG, "path too long");

	/* The log is in memory already (a->log): its size is known, and nothing is lost if ssh fails. */
	kc_watchdog_phase(a, "sending vmcore-dmesg.txt through ssh");
	fd = a->log.fd >= 0 ? dup(a->log.fd) : memfd_create("kcatch-dmesg", MFD_CLOEXEC);
	if (fd < 0)
		return failed(res, -errno, "vmcore-dmesg.txt", -errno, strerror(errno));
	r = a->log.fd >= 0 ? a->log.status : kc_log_copy(a, fd);
	if (r < 0)
		kc_log("vmcore-dmesg.txt: %s; sending what was read", a->log.error[0] ? a->log.error : strerror(-r));
	res->dmesg_ok = r == 0;
	if (fstat(fd, &st) == 0)
		res->dmesg_bytes = (uint64_t)st.st_size;
	status = ssh_run(t, cmd, fd, out, sizeof(out), err, sizeof(err));
	close(fd);
	res->dmesg_secs = kc_now() - t0;
	out[strcspn(out, "\n")] = 0;
	if (status != 0 || strncmp(out, id, strlen(id))) {
		res->dmesg_ok = false;
		return failed(res, status < 0 ? status : -ECONNREFUSED, "creating the dump directory", status, err);
	}
	out[sizeof(res->id) - 1] = 0;
	memcpy(res->id, out, strlen(out) + 1);
	kc_join(cmd, sizeof(res->dir) / 2, base, res->id);
	shell_quote(t->dir_q, sizeof(t->dir_q), cmd);
	if (snprintf(res->dir, sizeof(res->dir), "%s@%s:%s", t->url.user, t->url.host, cmd) >= (int)sizeof(res->dir))
		res->dir[0] = 0;
	kc_log("wrote %s/vmcore-dmesg.txt (%llu bytes, %.1f s)", res->dir,
	       (unsigned long long)res->dmesg_bytes, res->dmesg_secs);
	return 0;
}

/*
 * One session 3: the rename that marks the dump complete (when asked),
 * then kcatch.json through a temporary name. The collector echoes a word
 * after each, so that a connection lost in between tells which was done.
 * True when kcatch.json is written; *renamed once the rename is.
 */
static bool send_json(struct ssh_target *t, struct save_result *res, bool rename, bool *renamed, int *status,
		      char *err, size_t errlen)
{
	char cmd[CMD_MAX], out[128];
	int fd = memfd_create("kcatch-json", MFD_CLOEXEC);

	if (fd < 0 || kc_json_write(t->a, res, fd) < 0) {
		kc_log("cannot prepare kcatch.json: %m");  /* then only the rename: no empty kcatch.json */
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	if (snprintf(cmd, sizeof(cmd), "cd %s && umask 077%s%s", t->dir_q,
		     rename ? " && mv vmcore.flat.incomplete vmcore.flat && echo kcatch-renamed" : "",
		     fd >= 0 ? " && cat > kcatch.json.tmp && mv kcatch.json.tmp kcatch.json && echo kcatch-json" : "")
	    >= (int)sizeof(cmd))
		cmd[0] = 0;  /* cannot happen: dir_q is far shorter */
	*status = ssh_run(t, cmd, fd, out, sizeof(out), err, errlen);
	if (fd >= 0)
		close(fd);
	if (rename && strstr(out, "kcatch-renamed"))
		*renamed = true;
	return fd >= 0 && strstr(out, "kcatch-json\n");
}

/*
 * Session 3, tried twice (the second connects anew when the master is
 * gone). A failed rename is not tried again: the stream is whole in
 * vmcore.flat.incomplete, and the second kcatch.json says so.
 */
static void finish_remote(struct ssh_target *t, struct save_result *res)
{
	char err[512];
	bool rename = res->status == SAVE_COMPLETE, renamed = false;
	int status;

	kc_watchdog_phase(t->a, "sending kcatch.json through ssh");
	if (rename)
		snprintf(res->dump_file, sizeof(res->dump_file), "vmcore.flat");
	for (int attempt = 1; attempt <= 2; attempt++) {
		if (send_json(t, res, rename && !renamed, &renamed, &status, err, sizeof(err))) {
			kc_log("wrote %s/kcatch.json%s", res->dir, attempt > 1 ? " (second attempt)" : "");
			return;
		}
		if (rename && !renamed) {
			res->status = SAVE_INCOMPLETE;
			snprintf(res->dump_file, sizeof(res->dump_file), "vmcore.flat.incomplete");
			snprintf(res->failed_step, sizeof(res->failed_step), "rename");
			failed(res, -EIO, "renaming vmcore.flat.incomplete to vmcore.flat (the whole stream is in "
			       "vmcore.flat.incomplete)", status, err);
			rename = false;
		} else {
			kc_log("kcatch.json not written on the collector (attempt %d, ssh status %d%s%.300s)", attempt,
			       status, err[0] ? ": " : "", err);
		}
	}
	kc_log("no kcatch.json on the collector for %s: this console is the only record", res->dir);
	if (res->status == SAVE_COMPLETE) {
		res->status = SAVE_INCOMPLETE;
		snprintf(res->failed_step, sizeof(res->failed_step), "kcatch.json");
		snprintf(res->error, sizeof(res->error), "kcatch.json could not be written on the collector; "
			 "vmcore.flat is complete");
	}
}

static int ssh_save(struct agent *a, const struct kc_target_spec *spec, const char *path, struct save_result *res)
{
	struct ssh_target t = { .a = a };
	char base[PATH_MAX], b1[32];
	double t0 = kc_now();
	int r;

	res->status = SAVE_FAILED;
	snprintf(res->spec, sizeof(res->spec), "%s", spec->text);
	snprintf(res->fstype, sizeof(res->fstype), "ssh");
	signal(SIGPIPE, SIG_IGN);  /* a dead ssh must be an EPIPE, not the end of PID 1 */
	snprintf(res->failed_step, sizeof(res->failed_step), "target");  /* cleared below once connected */
	if (kc_ssh_url_parse(spec->value, &t.url) < 0)
		return failed(res, -EINVAL, spec->text, -EINVAL, "not a valid ssh:// target");
	snprintf(res->device, sizeof(res->device), "%s@%s:%u", t.url.user, t.url.host, t.url.port);
	kc_join(t.identity, sizeof(t.identity), a->root, KC_SSH_IDENTITY);
	kc_join(t.known_hosts, sizeof(t.known_hosts), a->root, KC_SSH_KNOWN_HOSTS);
	snprintf(base, sizeof(base), "%s", t.url.path[0] ? t.url.path : path);

	r = kc_net_up(a);
	res->target_secs = kc_now() - t0;
	if (r < 0) {
		snprintf(res->error, sizeof(res->error), "target %s: the network is not up: %s", spec->text, strerror(-r));
		return r;
	}
	kc_log("saving to %s (port %u, host key pinned in %s)", spec->text, t.url.port, KC_SSH_KNOWN_HOSTS);
	snprintf(res->failed_step, sizeof(res->failed_step), "connect");
	r = connect_master(&t, res);
	if (r < 0)
		return r;
	snprintf(res->failed_step, sizeof(res->failed_step), "directory");
	r = make_dir_and_dmesg(&t, base, res);
	if (r < 0) {
		close_master(&t);
		return r;
	}
	res->failed_step[0] = 0;
	r = stream_dump(&t, res);
	if (r == 0) {
		res->status = SAVE_COMPLETE;
		if (res->dmesg_ok)
			res->error[0] = 0;
	} else {
		res->status = SAVE_INCOMPLETE;
		snprintf(res->failed_step, sizeof(res->failed_step), "stream");
	}
	finish_remote(&t, res);
	close_master(&t);
	if (res->status == SAVE_COMPLETE)
		kc_log("saved %s/vmcore.flat: %s streamed in %.1f s (%.1f MB/s)", res->dir,
		       kc_format_bytes(res->stats.bytes_written, b1, sizeof(b1)), res->dump_secs,
		       res->dump_secs > 0 ? (double)res->stats.bytes_written / 1e6 / res->dump_secs : 0);
	return res->status == SAVE_COMPLETE ? 0 : r < 0 ? r : -EIO;
}

/* Nothing to mount: the dump is streamed to the collector as it is filtered. */
const struct kc_target_ops kc_target_ssh = {
	.name = "ssh",
	.save = ssh_save,
};
