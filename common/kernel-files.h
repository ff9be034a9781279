/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The files of one kernel release under a root directory, in both layouts
 * distributions use: /boot/vmlinuz-KVER, /boot/config-KVER,
 * /boot/System.map-KVER (Debian up to 13, Ubuntu, kernels installed by
 * hand), and /usr/lib/modules/KVER/{vmlinuz,config,System.map} (Debian 14:
 * linux-binary-KVER and linux-base-KVER; Fedora, Arch, kernel-install),
 * /lib/modules/KVER/... on roots without a merged /usr. Shared by kcatch
 * and kcatch-mkinitramfs, so both find the same file.
 *
 * Both run as root over files that others may have written: a file is
 * opened relative to the root, without following a symbolic link in any
 * component, and only when it is a regular file of bounded size.
 */
#ifndef KCATCH_KERNEL_FILES_H
#define KCATCH_KERNEL_FILES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* The largest kernel image and config or System.map opened. */
#define KC_KFILE_MAX_IMAGE (512ull << 20)
#define KC_KFILE_MAX_TEXT (64ull << 20)

enum kc_kfile_kind { KC_KFILE_IMAGE, KC_KFILE_CONFIG, KC_KFILE_SYSTEM_MAP, KC_KFILE_COUNT };

struct kc_kfile {
	char path[512];         /* as on the system itself: "/usr/lib/modules/KVER/vmlinuz" */
	char abs[4096];         /* with the root in front */
	struct stat st;
};

/* "kernel image", "kernel config", "System.map" */
const char *kc_kfile_what(enum kc_kfile_kind what);

/*
 * Open the kernel image, config or System.map of release kver under root
 * ("/" for this system): the first of /boot/NAME-KVER,
 * /usr/lib/modules/KVER/NAME and /lib/modules/KVER/NAME that can be
 * opened as above. Returns an fd (O_RDONLY, O_CLOEXEC) and fills *f (f may
 * be NULL); or a negative errno (-ENOENT when there is none) with why[]
 * naming every path tried, why each was passed over, and the package that
 * provides the file. The caller closes the fd.
 */
int kc_kfile_open(const char *root, const char *kver, enum kc_kfile_kind what, struct kc_kfile *f,
		  char *why, size_t whylen);

/*
 * Open path (absolute, as on the system) under root without following a
 * symbolic link: a regular file of at most max bytes. Returns an fd or
 * -ENOENT, -ELOOP (a symbolic link on the way), -EFBIG, -EINVAL (not a
 * regular file, or ".." in path), ... st may be NULL.
 */
int kc_open_beneath(const char *root, const char *path, uint64_t max, struct stat *st);

/*
 * The module directory of kver under root into buf (with the root in
 * front): <root>/lib/modules/KVER or <root>/usr/lib/modules/KVER. Returns 0,
 * or -ENOENT with buf holding the first candidate.
 */
int kc_moddir(const char *root, const char *kver, char *buf, size_t len);

#endif
