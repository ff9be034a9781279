/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kcatch-agent internals: one struct agent for the run, one file per step. */
#ifndef KCATCH_AGENT_H
#define KCATCH_AGENT_H

#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "kcatch-config.h"
#include "crash-signature.h"
#include "kcatch-util.h"
#include "kcatch-filter.h"

#define KC_VERSION "0.1.0"
#define KC_MODULES_MANIFEST "/etc/kcatch.modules"
#define KC_CONFIG_FILE "/etc/kcatch.conf"
#define KC_PROC_VMCORE "/proc/vmcore"

/* What the dump tells about the crash, gathered once. */
struct crash_info {
	char release[65];        /* OSRELEASE */
	char hostname[65];       /* init_uts_ns nodename; "" when unknown */
	char panic[512];         /* last "Kernel panic - not syncing" record, else "" */
	int64_t crash_time;      /* CRASHTIME, else the capture kernel's clock */
	bool crash_time_known;
	uint64_t page_size;
	uint64_t mem_bytes;      /* RAM in the vmcore (PT_LOADs), else max_pfn * page_size */
	struct kc_signature signature;  /* of the log (crash-signature.h); valid when signature_ok */
	bool signature_ok;
};

enum save_status { SAVE_COMPLETE = 0, SAVE_INCOMPLETE, SAVE_FAILED };

/* One attempt to save to one target. */
struct save_result {
	enum save_status status;
	const char *role;            /* "target" or "fallback_target" */
	char spec[PATH_MAX];         /* the target as configured */
	char device[PATH_MAX];       /* the block device found, "" for a directory */
	char fstype[32];
	char dir[PATH_MAX];          /* <mount>/<path>/<id>, "" before it exists */
	char id[128];
	char error[512];             /* why it failed, "" when complete */
	char failed_step[32];        /* the first step of the save path that failed, "" none (SAVE-FAILURES.md) */
	char dump_file[32];          /* what holds the dump on the target now, "" nothing */
	bool filter_finished;        /* kcf_dump returned 0: every page is in dump_file */
	bool dmesg_ok;
	uint64_t dmesg_bytes;
	bool dump_started;
	struct kcf_stats stats;
	uint64_t free_before;        /* bytes available on the target before writing */
	double target_secs, dmesg_secs, dump_secs;
};

/*
 * The watchdog (actions.c): one thread that ends the run after seconds,
 * naming the phase the main thread last entered. Only kc_watchdog_phase()
 * writes phase; the thread reads it.
 */
struct kc_watchdog {
	unsigned seconds;                /* 0: off */
	_Atomic(const char *) phase;     /* NULL: "starting" */
};

struct agent {
	bool test_mode;              /* --vmcore/--root: no mounts, modules or reboot */
	bool hosted;                 /* --hosted: a child of a distribution's initramfs (hosted.c) */
	char root[PATH_MAX];         /* prefix for every path; "" in the capture kernel */
	const char *config_path;
	const char *vmcore_path;
	struct kc_config cfg;
	struct kcf_ctx *kcf;
	struct kcf_vmcore *vm;
	uint64_t vmcore_bytes;       /* size of the vmcore file */
	struct crash_info info;
	/* The crashed kernel's log as vmcore-dmesg.txt holds it, read from the
	 * dump once (crashinfo.c) into a memfd that the panic line, the
	 * signature and every target's vmcore-dmesg.txt come from. */
	struct {
		int fd;              /* -1 when no memfd could be made */
		uint64_t bytes;
		int status;          /* 0: the whole log; else -errno, fd holds the part read */
		char error[256];     /* why, when status < 0 */
	} log;
	double modules_secs;
	uint64_t mem_available_kib;  /* MemAvailable when the agent started (capture kernel) */
	unsigned threads;            /* filter threads (threads.c), 1 until chosen */
	char machine_id[33];         /* the image's /etc/machine-id (the host's), "" when absent */
	char mounted[PATH_MAX];      /* mount point to detach before the final action */
	int net_state;               /* 0 not tried, 1 up, else the negative errno of the failure */
	char net_iface[16];
	double net_secs;
	struct kc_watchdog watchdog;
};

/* log.c: console output, "kcatch: " prefixed, with seconds since start */
void kc_log_init(void);
double kc_now(void);                 /* seconds since the agent started */
void kc_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log, then return r (a negative errno, also available as %m) */
int kc_log_errno(int r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The dump's progress lines (kcf_dump_options.progress, arg a struct
 * kc_progress): every progress_interval seconds and at the end. */
struct kc_progress {
	struct agent *a;
	bool stream;          /* ssh: "stream ..." lines, no ETA; else "dump ..." */
	double start, last;   /* kc_now() when the dump began, of the last line */
};
void kc_progress(void *arg, uint64_t done, uint64_t total);

/* actions.c */
void kc_mount_pseudo(void);
/* Start the thread that ends the run after seconds (0: log that nothing bounds it). */
void kc_watchdog_start(struct agent *a, unsigned seconds);
/* What the run is busy with now: the WATCHDOG line names it. */
void kc_watchdog_phase(struct agent *a, const char *phase);
/* reboot/poweroff/halt/shell; returns only in test mode or after a shell */
void kc_action(struct agent *a, enum kc_action act, const char *why);

/* threads.c: a->threads from the CPUs online, MemAvailable and the threads key */
void kc_choose_threads(struct agent *a);
/* Bytes one filter thread needs at this page size. */
uint64_t kc_thread_bytes(uint64_t page_size);
/* A /proc/meminfo value ("MemAvailable:") in KiB from path, 0 when unknown. */
uint64_t kc_meminfo_kib(const char *path, const char *key);

/* modules.c */
int kc_modules_load(struct agent *a, const char *manifest);

/*
 * target.c: the kinds of target, one row each (disk in target.c, nfs.c,
 * ssh.c). A mounted target (disk, nfs) is mounted by its mount and
 * written by save.c (kc_save_mounted); ssh streams the dump itself. What
 * each keeps when a step fails: SAVE-FAILURES.md.
 */
struct kc_target_ops {
	const char *name;
	/* Mount t at mnt (after kc_target_acquire's part common to all:
	 * no target, a directory, test mode); NULL when save mounts nothing. */
	int (*mount)(struct agent *a, const struct kc_target_spec *t, char *mnt, size_t mntlen,
		     struct save_result *res);
	/* One save of the dump to t under path (the path key). */
	int (*save)(struct agent *a, const struct kc_target_spec *t, const char *path, struct save_result *res);
	bool names_dir;  /* the URL names the directory itself: the path key does not apply */
};
extern const struct kc_target_ops kc_target_nfs, kc_target_ssh;
const struct kc_target_ops *kc_target_ops(enum kc_target_kind kind);
/* Find and mount (or, in test mode, locate) a mounted target */
int kc_target_acquire(struct agent *a, const struct kc_target_spec *t, char *mnt, size_t mntlen,
		      struct save_result *res);
void kc_target_release(struct agent *a);

/* crashinfo.c */
void kc_crash_info(struct agent *a);
/* Write the log (a->log) to fd: 0, or -errno with what was written kept. */
int kc_log_copy(const struct agent *a, int fd);
/* "YYYY-MM-DD-HH:MM:SS[-host]" of the crash, UTC */
void kc_dump_id(const struct agent *a, char *out, size_t len);
/* a->machine_id from <root>/etc/machine-id, when the image has a valid one */
void kc_machine_id(struct agent *a);

/* retention.c: keep, after a complete save; base_fd is the dump path, res the new dump */
void kc_retention(struct agent *a, const struct kc_target_spec *t, int base_fd, const struct save_result *res,
		  unsigned owner);

/* save.c: one save to t, whatever its kind (kc_target_ops(t->kind)->save) */
int kc_save(struct agent *a, const struct kc_target_spec *t, const char *path, struct save_result *res);
/* The save of a mounted target (disk, nfs): the files of the dump directory */
int kc_save_mounted(struct agent *a, const struct kc_target_spec *t, const char *path, struct save_result *res);

/* net.c: bring up the "net" line's interface once; 0 or the (cached) failure */
int kc_net_up(struct agent *a);


/* hosted.c: --hosted, under dracut or initramfs-tools instead of as PID 1 */
int kc_hosted_prepare(struct agent *a);   /* < 0: not a capture kernel */
int kc_hosted_modules(struct agent *a);
/* mount(2), and in hosted mode a read-only mount of device made read-write */
int kc_hosted_mount(struct agent *a, const char *device, const char *mnt, const char *fstype,
		    unsigned long flags, const char *options);
void kc_hosted_release(struct agent *a);

/* json.c */
int kc_json_write(const struct agent *a, const struct save_result *res, int fd);

#endif
