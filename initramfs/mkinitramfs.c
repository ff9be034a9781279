/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kcatch-mkinitramfs: build the capture initramfs. It holds the static
 * kcatch-agent as /init, /etc/kcatch.conf, the kernel modules the target
 * needs with their load order (/etc/kcatch.modules), and nothing else: no
 * shell, no udev, no libraries.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "mkinitramfs.h"

#ifndef KC_AGENT_PATH
#define KC_AGENT_PATH "/usr/libexec/kcatch/kcatch-agent"
#endif

bool arg_verbose;
static const char *arg_kver, *arg_root = "/", *arg_config = "/etc/kcatch.conf", *arg_output;
static const char *arg_agent = KC_AGENT_PATH, *arg_shell;
static const char *arg_ssh_client = "/usr/bin/ssh", *arg_ssh_identity = KC_SSH_IDENTITY,
		  *arg_ssh_known_hosts = KC_SSH_KNOWN_HOSTS;
static enum image_compress arg_compress = IMG_ZSTD;
static char *arg_modules;
static bool arg_host = true, arg_unpack;

static void usage(FILE *f)
{
	fputs(
"Usage: kcatch-mkinitramfs [--kernel-version KVER] [--root DIR] [--config FILE]\n"
"                          [--add-modules m1,m2] [--compress zstd|gzip|none]\n"
"                          [--agent FILE] [--shell FILE] [--no-host-devices]\n"
"                          [--unpack-modules] [-v]\n"
"                          --output FILE\n"
"\n"
"Build the initramfs that kexec boots with the capture kernel after a panic:\n"
"/init is the static kcatch-agent, plus the configuration and the modules\n"
"the dump target needs (resolved with libkmod, dependencies included).\n"
"\n"
"  -k, --kernel-version KVER  kernel the image is for (default: the running one)\n"
"  -r, --root DIR             prefix holding lib/modules/KVER or\n"
"                             usr/lib/modules/KVER, and the kernel config\n"
"                             (boot/config-KVER or the module directory's\n"
"                             config), as depmod -b (default /)\n"
"  -c, --config FILE          configuration to check and include\n"
"                             (default /etc/kcatch.conf)\n"
"  -a, --add-modules LIST     more modules (names or aliases, comma separated)\n"
"  -z, --compress KIND        zstd (default), gzip or none\n"
"      --agent FILE           the agent binary, /init of the image\n"
"                             (default " KC_AGENT_PATH ")\n"
"      --shell FILE           a static shell for failure_action shell, as /bin/sh\n"
"                             (default /bin/busybox when failure_action is shell)\n"
"      --no-host-devices      do not add drivers of the target found on this host\n"
"      --unpack-modules       unpack compressed modules even when the kernel\n"
"                             config says the kernel decompresses them\n"
"      --ssh-client FILE      for an ssh:// target: the OpenSSH client to copy,\n"
"                             with its libraries (default /usr/bin/ssh)\n"
"      --ssh-identity FILE    its private key (default " KC_SSH_IDENTITY ")\n"
"      --ssh-known-hosts FILE the collector's pinned host key\n"
"                             (default " KC_SSH_KNOWN_HOSTS ");\n"
"                             `kcatch propagate` makes both\n"
"  -o, --output FILE          the image to write (mode 0600: it holds the config)\n"
"  -v, --verbose              say which modules are added and why\n"
"  -h, --help                 this text\n"
"\n"
"Modules come from: the drivers of the target's block device chain in sysfs\n"
"(when the target is a device of this host) and its file system type, the\n"
"fstype and extra_modules settings, and --add-modules. For a target that is\n"
"not attached to this host, name its drivers (e.g. virtio_pci,virtio_blk,ext4).\n"
"Compressed modules stay compressed when the kernel decompresses them itself\n"
"(CONFIG_MODULE_DECOMPRESS and the module's CONFIG_MODULE_COMPRESS_* in the\n"
"config: boot/config-KVER, usr/lib/modules/KVER/config or\n"
"lib/modules/KVER/config); otherwise, or without a config, they are unpacked.\n"
"\n"
"Configuration file: one \"key value\" per line, '#' starts a comment. An\n"
"unknown key or a bad value is an error naming the line.\n"
"  target SPEC           where dumps go: UUID=..., LABEL=..., PARTUUID=...,\n"
"                        PARTLABEL=... or /dev/..., or\n"
"                        ssh://user@host[:port][/dir]: streamed with the image's\n"
"                        ssh client as <dir>/<id>/vmcore.flat (see --ssh-*), or\n"
"                        nfs://ADDRESS[:port]/export/dir: mounted with the\n"
"                        kernel's NFS client (its modules are added), dumps in\n"
"                        <export/dir>/<id>/ as on a local disk.\n"
"                        Needed when you run this builder by hand; kcatch\n"
"                        rebuild and kcatch load write in the file system\n"
"                        that holds path (from mountinfo) when it is absent\n"
"  nfs_options OPTS      mount options added for an nfs:// target (vers=3...)\n"
"  net IF|MAC|auto dhcp|ADDR/PREFIX [gw GW]\n"
"                        network for an ssh:// or nfs:// target, set up by the\n"
"                        agent\n"
"  net_timeout SEC       wait for the interface, link and address (default 30)\n"
"  stall_timeout SEC     give up an ssh:// collector that accepts no data for\n"
"                        SEC seconds and go on to the fallback (default 60,\n"
"                        0: off)\n"
"  path DIR              directory on the target (default /var/crash); each\n"
"                        crash gets DIR/YYYY-MM-DD-HH:MM:SS[-host]/ with\n"
"                        vmcore-dmesg.txt, vmcore (vmcore.incomplete while\n"
"                        written) and kcatch.json\n"
"  dump_level N          0-31, pages to leave out as makedumpfile -d (default 31:\n"
"                        zero, page cache, user and free pages)\n"
"  compress KIND         zstd (default), lzo, zlib, snappy or none\n"
"  keep N                keep at most N dumps in path, the new one included;\n"
"                        older ones are deleted first (default 0: keep all)\n"
"  min_free SIZE         leave this much free on the target (512M, 2G...); the\n"
"                        dump stops as vmcore.incomplete rather than go below\n"
"  failure_action ACT    when the dump fails: reboot (default), poweroff, halt,\n"
"                        shell (needs --shell) or fallback (alias dump_to_rootfs)\n"
"  fallback_target SPEC  with failure_action fallback: a second target\n"
"  fallback_path DIR     directory on it (default: path)\n"
"  final_action ACT      after the dump: reboot (default), poweroff or halt\n"
"  extra_modules LIST    more modules for the image (may repeat)\n"
"  fstype TYPE           file system type, instead of asking libblkid\n"
"  mount_options OPTS    options for mounting the target\n"
"  target_timeout SEC    how long to wait for the target device (default 30)\n"
"  watchdog SEC          bound on the whole capture; then final_action\n"
"                        (default 3600, 0 = none)\n"
"  progress_interval SEC seconds between progress lines on the console\n"
"                        (default 5)\n"
"\n"
"Example:\n"
"  kcatch-mkinitramfs -k 6.1.0-28-amd64 \\\n"
"                     -o /var/lib/kcatch/initrd-6.1.0-28-amd64.img\n",
		f);
}

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "kcatch-mkinitramfs: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void note(const char *fmt, ...)
{
	va_list ap;
	if (!arg_verbose)
		return;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

int error_errno(int r, const char *fmt, ...)
{
	va_list ap;
	errno = r < 0 ? -r : r;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	return r;
}

static int parse_args(int argc, char **argv)
{
	enum { O_AGENT = 256, O_SHELL, O_NOHOST, O_SSH_CLIENT, O_SSH_ID, O_SSH_KH, O_UNPACK };
	static const struct option opts[] = {
		{ "kernel-version", required_argument, NULL, 'k' },
		{ "root", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "add-modules", required_argument, NULL, 'a' },
		{ "compress", required_argument, NULL, 'z' },
		{ "output", required_argument, NULL, 'o' },
		{ "agent", required_argument, NULL, O_AGENT },
		{ "shell", required_argument, NULL, O_SHELL },
		{ "no-host-devices", no_argument, NULL, O_NOHOST },
		{ "unpack-modules", no_argument, NULL, O_UNPACK },
		{ "ssh-client", required_argument, NULL, O_SSH_CLIENT },
		{ "ssh-identity", required_argument, NULL, O_SSH_ID },
		{ "ssh-known-hosts", required_argument, NULL, O_SSH_KH },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "k:r:c:a:z:o:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'k': arg_kver = optarg; break;
		case 'r': arg_root = optarg; break;
		case 'c': arg_config = optarg; break;
		case 'a': {
			size_t n = arg_modules ? strlen(arg_modules) : 0;
			char *s = realloc(arg_modules, n + strlen(optarg) + 2);
			if (!s)
				return -ENOMEM;
			if (n)
				s[n++] = ',';
			strcpy(s + n, optarg);
			arg_modules = s;
			break;
		}
		case 'z':
			if (!strcmp(optarg, "zstd"))
				arg_compress = IMG_ZSTD;
			else if (!strcmp(optarg, "gzip"))
				arg_compress = IMG_GZIP;
			else if (!strcmp(optarg, "none"))
				arg_compress = IMG_NONE;
			else
				return error_errno(-EINVAL, "--compress %s: must be zstd, gzip or none", optarg);
			break;
		case 'o': arg_output = optarg; break;
		case O_AGENT: arg_agent = optarg; break;
		case O_SHELL: arg_shell = optarg; break;
		case O_NOHOST: arg_host = false; break;
		case O_UNPACK: arg_unpack = true; break;
		case O_SSH_CLIENT: arg_ssh_client = optarg; break;
		case O_SSH_ID: arg_ssh_identity = optarg; break;
		case O_SSH_KH: arg_ssh_known_hosts = optarg; break;
		case 'v': arg_verbose = true; break;
		case 'h': usage(stdout); exit(0);
		default:
			fputs("Try 'kcatch-mkinitramfs --help'.\n", stderr);
			return -EINVAL;
		}
	}
	if (optind < argc)
		return error_errno(-EINVAL, "unexpected argument \"%s\"; try --help", argv[optind]);
	if (!arg_output)
		return error_errno(-EINVAL, "--output FILE is required; try --help");
	return 0;
}

int main(int argc, char **argv)
{
	struct utsname un;
	int r = parse_args(argc, argv);

	if (r < 0)
		return 1;
	if (!arg_kver) {
		uname(&un);
		arg_kver = un.release;
	}
	struct build_opts o = {
		.kver = arg_kver, .root = arg_root, .config = arg_config, .output = arg_output,
		.agent = arg_agent, .shell = arg_shell, .compress = arg_compress,
		.modules = arg_modules, .host_devices = arg_host, .unpack_modules = arg_unpack,
		.ssh_client = arg_ssh_client, .ssh_identity = arg_ssh_identity,
		.ssh_known_hosts = arg_ssh_known_hosts,
	};
	r = build_image(&o);
	free(arg_modules);
	return r < 0 ? 1 : 0;
}
