/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What PID 1 owes the system: the pseudo file systems, a watchdog that
 * bounds the whole run, and the final word (reboot, poweroff, halt, or a
 * shell for someone at the console). The watchdog is a thread, not a
 * signal: a signal handler cannot run while the main thread sleeps
 * uninterruptibly in I/O on a device that died with the crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

void kc_mount_pseudo(void)
{
	static const struct {
		const char *src, *dir, *type;
		unsigned long flags;
	} m[] = {
		{ "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC },
		{ "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC },
		{ "devtmpfs", "/dev", "devtmpfs", MS_NOSUID },
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		(void)mkdir(m[i].dir, 0755);
		if (mount(m[i].src, m[i].dir, m[i].type, m[i].flags, NULL) < 0 && errno != EBUSY)
			kc_log("cannot mount %s on %s: %m", m[i].type, m[i].dir);
	}
	/* Without /dev/console in the image the kernel gave us no stdio. */
	if (fcntl(STDERR_FILENO, F_GETFD) < 0) {
		int fd = open("/dev/console", O_RDWR | O_NOCTTY);
		if (fd >= 0) {
			for (int i = 0; i < 3; i++)
				if (fd != i)
					dup2(fd, i);
			if (fd > 2)
				close(fd);
		}
	}
}

/* ---- watchdog: its state is a->watchdog, read by its thread ---- */

void kc_watchdog_phase(struct agent *a, const char *phase)
{
	atomic_store(&a->watchdog.phase, phase);
}

static int reboot_cmd(enum kc_action act)
{
	switch (act) {
	case KC_ACTION_POWEROFF: return RB_POWER_OFF;
	case KC_ACTION_HALT: return RB_HALT_SYSTEM;
	default: return RB_AUTOBOOT;
	}
}

static void *watchdog_main(void *arg)
{
	const struct agent *a = arg;
	const char *phase;
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += a->watchdog.seconds;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
	phase = atomic_load(&a->watchdog.phase);
	kc_log("WATCHDOG: %u s are over, still busy %s; %s now without waiting for anything",
	       a->watchdog.seconds, phase ? phase : "starting", a->test_mode ? "exiting" :
	       kc_action_name(a->cfg.final_action));
	if (a->test_mode)
		_exit(124);
	/* No sync: a device that hangs I/O would hang it too. */
	reboot(reboot_cmd(a->cfg.final_action));
	reboot(RB_AUTOBOOT);
	_exit(1);
}

void kc_watchdog_start(struct agent *a, unsigned seconds)
{
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;
	int r;

	if (!seconds) {
		kc_log("watchdog off (watchdog 0): nothing bounds this run");
		return;
	}
	a->watchdog.seconds = seconds;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	/* Signals stay with the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&t, &attr, watchdog_main, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (r)
		kc_log_errno(-r, "cannot start the watchdog thread: %m; running without one");
	else
		kc_log("watchdog: the run ends in at most %u s", seconds);
}

/* ---- actions ---- */

static void run_shell(struct agent *a)
{
	char sh[PATH_MAX];
	pid_t pid, w;
	int status;

	kc_join(sh, sizeof(sh), a->root, "/bin/sh");
	if (a->test_mode) {
		kc_log("test mode: would start %s on the console", sh);
		return;
	}
	if (access(sh, X_OK) < 0) {
		kc_log("no /bin/sh in this image (build it with kcatch-mkinitramfs --shell); going on");
		return;
	}
	kc_log("starting /bin/sh on the console; leave it to continue (the watchdog still runs)");
	pid = fork();
	if (pid < 0) {
		kc_log("fork: %m");
		return;
	}
	if (pid == 0) {
		setsid();
		ioctl(STDIN_FILENO, TIOCSCTTY, 1);
		execl(sh, "sh", "-i", (char *)NULL);
		_exit(127);
	}
	/* PID 1 reaps whatever the shell leaves behind, too. */
	while ((w = waitpid(-1, &status, 0)) != pid)
		if (w < 0 && errno != EINTR)
			break;
	kc_log("shell ended");
}

void kc_action(struct agent *a, enum kc_action act, const char *why)
{
	kc_log("%s: %s", why, kc_action_name(act));
	kc_watchdog_phase(a, kc_action_name(act));
	if (act == KC_ACTION_SHELL) {
		run_shell(a);
		return;
	}
	if (act == KC_ACTION_FALLBACK)  /* handled by main; never here */
		return;
	if (a->test_mode) {
		kc_log("test mode: not doing %s", kc_action_name(act));
		return;
	}
	kc_target_release(a);
	sync();
	reboot(reboot_cmd(act));
	kc_log("reboot(2) for %s failed: %m; trying a plain reboot", kc_action_name(act));
	reboot(RB_AUTOBOOT);
	/* Leaving PID 1 panics the kernel, and the capture kernel's panic= reboots. */
	_exit(1);
}
