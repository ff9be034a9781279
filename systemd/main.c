/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kcatch: arm, check and inspect crash capture on the production host.
 * This file parses the options and dispatches through commands[]: a new
 * command is one entry there (its help text is part of the entry, so
 * --help lists it) and a cmd_* function in its own file.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcatch.h"

struct command {
	const char *name;
	const char *args;      /* shown after the name in --help */
	int max_args;          /* operands after the name */
	int (*run)(const struct opts *o);
	const char *help;      /* lines after the first are indented by 16 */
};

static const struct command commands[] = {
	{ "status", "", 0, cmd_status,
	  "whether a capture kernel is loaded and memory reserved for it,\n"
	  "and why not. Exit 0 armed, 3 not armed." },
	{ "show", "", 0, cmd_show,
	  "the configuration in effect; the target (device, UUID, file\n"
	  "system type, free space), explicit or found from path;\n"
	  "crashkernel memory reserved; the kernel, its image, the\n"
	  "capture image, its age and whether it is up to date; Secure\n"
	  "Boot, lockdown, kernel.panic_on_oops; both kernel command\n"
	  "lines." },
	{ "test", "", 0, cmd_test,
	  "every check 'load' makes, loading and building nothing:\n"
	  "crashkernel reserved, kernel image present (and signed when\n"
	  "Secure Boot or lockdown is on), configuration valid, target\n"
	  "found, dump directory present with room for a dump (an\n"
	  "estimate from RAM and dump_level) plus min_free, capture image\n"
	  "up to date. Exit 0 ready, 1 not; each failure says the fix." },
	{ "load", "", 0, cmd_load,
	  "run the checks; rebuild the capture image when it is missing\n"
	  "or its inputs changed (config, kernel, modules, kcatch-agent,\n"
	  "kcatch-mkinitramfs, the target found), saying why; set\n"
	  "kernel.panic_on_oops if the config has panic_on_oops; then\n"
	  "load kernel and image with kexec_file_load(2)\n"
	  "(KEXEC_FILE_ON_CRASH), or kexec-tools' kexec -p on kernels\n"
	  "without CONFIG_KEXEC_FILE. Refuses when a capture kernel\n"
	  "kcatch did not load is loaded (--force replaces it). With\n"
	  "--dry-run, print the method, kernel, initrd and command line\n"
	  "instead of loading (the rest is done)." },
	{ "unload", "", 0, cmd_unload,
	  "unload the capture kernel (KEXEC_FILE_UNLOAD); --dry-run prints." },
	{ "rebuild", "", 0, cmd_rebuild,
	  "build the capture image now: kcatch-mkinitramfs (or the\n"
	  "config's builder: dracut, initramfs-tools) for the\n"
	  "running kernel into " KC_IMAGE_DIR "/initrd-RELEASE.img\n"
	  "(through a temporary file: a failed build leaves the old\n"
	  "image), embedding the config with the target found for path\n"
	  "written in; records what it was built from in\n"
	  "initrd-RELEASE.img.stamp." },
	{ "estimate", "", 0, cmd_estimate,
	  "recommended crashkernel= size from measured sizes: the capture\n"
	  "kernel in memory (bzImage init_size), the capture image packed\n"
	  "and unpacked, kcatch-agent's peak, the capture kernel's\n"
	  "runtime (growing with this host's RAM); and whether what is\n"
	  "reserved now is enough. Exit 0 enough, 1 not (or nothing\n"
	  "reserved)." },
	{ "crashkernel", "", 0, cmd_crashkernel,
	  "reserve memory for the capture kernel from the next boot on:\n"
	  "crashkernel=SIZE (--size SIZE; default auto: what 'estimate'\n"
	  "recommends). With GRUB (/etc/default/grub) it writes\n"
	  "/etc/default/grub.d/kcatch.cfg, appending to\n"
	  "GRUB_CMDLINE_LINUX_DEFAULT, and runs update-grub (under\n"
	  "--root: chroot DIR update-grub); with kernel-install\n"
	  "(/etc/kernel/cmdline, /boot/loader/entries, /efi/loader/entries)\n"
	  "it sets the option in /etc/kernel/cmdline and prints the\n"
	  "kernel-install commands that apply it to the installed kernels.\n"
	  "Shows the running kernel's crashkernel= and the next boot's; a\n"
	  "reboot applies it. --remove undoes it; --dry-run prints the file\n"
	  "and command instead." },
	{ "list", "", 0, cmd_list,
	  "the dumps in the dump directory: id, crash time, kernel,\n"
	  "size, state (complete, incomplete, failed), panic line." },
	{ "report", " [ID]", 1, cmd_report,
	  "summary of dump ID (default the newest): kernel, crash time,\n"
	  "size, what was kept; the crash from its kernel log: cause,\n"
	  "panic line, task, taint, modules, call trace; and the log's\n"
	  "last lines.\n"
	  "With --journal: every dump not yet reported is written to the\n"
	  "journal (MESSAGE_ID 5e1c3a4f9b2d4e7a8c6f0b1d2e3f4a5b) and marked\n"
	  "with a file named 'reported' in its directory." },
	{ "propagate", " [ADDRESS]", 1, cmd_propagate,
	  "for an ssh:// target: make the capture key pair\n"
	  KC_SSH_IDENTITY " when missing, pin the collector's host\n"
	  "keys in " KC_SSH_KNOWN_HOSTS " (ssh-keyscan; fingerprints\n"
	  "printed to compare; a changed key is an error) and install the\n"
	  "public key in the collector user's authorized_keys over your\n"
	  "own ssh login, then check it logs in. ADDRESS: reach the\n"
	  "collector there (NAT); --dry-run: print the install command\n"
	  "instead of running it." },
	{ NULL, NULL, 0, NULL, NULL }
};

static void usage(FILE *f)
{
	fputs("Usage: kcatch [OPTIONS] COMMAND [ARGS]\n"
	      "\n"
	      "Arm, check and inspect kernel crash capture with kcatch. After a panic the\n"
	      "kernel kexecs the capture kernel loaded by 'kcatch load'; its initramfs\n"
	      "(built by kcatch-mkinitramfs) runs kcatch-agent, which saves the dump to the\n"
	      "target of /etc/kcatch.conf as <path>/<YYYY-MM-DD-HH:MM:SS[-host]>/.\n"
	      "\n"
	      "Commands:\n", f);
	for (const struct command *c = commands; c->name; c++) {
		char head[64];
		snprintf(head, sizeof(head), "%s%s", c->name, c->args);
		if (strlen(head) > 13)
			fprintf(f, "  %s\n                ", head);
		else
			fprintf(f, "  %-13s ", head);
		for (const char *s = c->help; *s;) {
			size_t n = strcspn(s, "\n");
			fprintf(f, "%.*s\n", (int)n, s);
			s += n;
			if (*s == '\n' && *++s)
				fputs("                ", f);
		}
	}
	fputs("\n"
	      "Options:\n"
	      "  --root DIR      read and write everything under DIR instead of / (tests,\n"
	      "                  chroots): DIR/etc/kcatch.conf, DIR/proc/{cmdline,meminfo,\n"
	      "                  self/mountinfo,sys/kernel/*}, DIR/sys/kernel/{kexec_crash_*,\n"
	      "                  security/lockdown}, DIR/sys/firmware/efi/efivars, DIR/dev,\n"
	      "                  DIR/boot, DIR/lib/modules, DIR/var/lib/kcatch and the dump\n"
	      "                  directory; passed on to kcatch-mkinitramfs\n"
	      "  --config FILE   configuration file (default DIR/etc/kcatch.conf)\n"
	      "  --dry-run       load/unload: print instead of calling kexec_file_load(2);\n"
	      "                  crashkernel: print what would be written and run\n"
	      "  --force         load: replace a capture kernel kcatch did not load\n"
	      "  --journal       report: write new dumps to the journal, mark them reported\n"
	      "  --size SIZE     crashkernel: the crashkernel= value: SIZE[@OFFSET] (256M),\n"
	      "                  SIZE,high, START-[END]:SIZE[,...] (1G-4G:256M,4G-:512M),\n"
	      "                  or auto (the default: what 'estimate' recommends)\n"
	      "  --remove        crashkernel: take kcatch's crashkernel= out again\n"
	      "  --mkinitramfs FILE  the image builder (default: $KCATCH_MKINITRAMFS, else\n"
	      "                  kcatch-mkinitramfs next to kcatch, in sbindir or in PATH)\n"
	      "  --agent FILE    the agent for the image (default: $KCATCH_AGENT, else\n"
	      "                  DIR" KC_AGENT_PATH ")\n"
	      "  -h, --help      this text\n"
	      "  --version       the version\n"
	      "\n"
	      "Files:\n"
	      "  /etc/kcatch.conf                         configuration, shared with the agent\n"
	      "  /boot/vmlinuz-RELEASE                    the kernel loaded as capture kernel;\n"
	      "  /usr/lib/modules/RELEASE/vmlinuz         the first of these three (Debian 14,\n"
	      "  /lib/modules/RELEASE/vmlinuz             Fedora, Arch: the module directory's)\n"
	      "  " KC_IMAGE_DIR "/initrd-RELEASE.img       the capture image\n"
	      "  " KC_IMAGE_DIR "/initrd-RELEASE.img.stamp what it was built from\n"
	      "\n"
	      "Target: with target UUID=, LABEL=, PARTUUID=, PARTLABEL= or /dev/... the dump\n"
	      "goes there. Without a target (or with a directory), kcatch finds the file\n"
	      "system that holds path in /proc/self/mountinfo, as kdumpctl does, and writes\n"
	      "its UUID and the path inside it into the config the image embeds. An ssh://\n"
	      "or nfs:// target is reached by the capture kernel over the network.\n"
	      "\n"
	      "The capture command line is the running kernel's (/proc/cmdline) up to a\n"
	      "'--' (init's arguments: kcatch-agent is init) without: init=, rdinit= (another\n"
	      "init); crashkernel=, BOOT_IMAGE=, initrd=; resume=, resume_offset=,\n"
	      "hibernate=, noresume; options sized for the host's RAM (mem=, memmap=,\n"
	      "hugepage options, cma=, hugetlb_cma=, swiotlb=, log_buf_len=, slub_debug=);\n"
	      "CPU-count, irqpoll, reset_devices, panic= and panic_on_warn=; module\n"
	      "blacklists (modprobe.blacklist=, module_blacklist=, rd.driver.blacklist=,\n"
	      "nomodule); systemd.* and rd.systemd.*; rd.break, break, rd.shell,\n"
	      "rd.emergency; and the names in kernel_cmdline_remove. root=, rd.lvm.*,\n"
	      "rd.md.*, rd.luks.*, console= and the rest stay. Then 'reset_devices\n"
	      "nr_cpus=1 irqpoll panic=10' (a capture kernel that panics reboots after\n"
	      "10 seconds instead of hanging), then kernel_cmdline_append, whose own\n"
	      "panic= wins.\n"
	      "\n"
	      "Secure Boot and lockdown: kcatch loads with kexec_file_load(2), which they\n"
	      "allow; the kernel then verifies the capture kernel's signature, so the\n"
	      "kernel image must be signed (distribution kernels are).\n"
	      "\n"
	      "Exit status: 0 success (armed, ready, enough); 1 failure (not ready, not\n"
	      "enough, error); 2 usage error; 3 not armed (status).\n", f);
}

/* "status, show, ..." into buf, for the usage errors; returns buf. */
static const char *command_names(char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (const struct command *c = commands; c->name && n < len; c++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", c == commands ? "" : ", ", c->name);
	return buf;
}

int main(int argc, char **argv)
{
	enum { O_ROOT = 256, O_CONFIG, O_DRY_RUN, O_JOURNAL, O_MKINITRAMFS, O_AGENT, O_VERSION, O_SIZE, O_REMOVE, O_FORCE };
	static const struct option lo[] = {
		{ "root", required_argument, NULL, O_ROOT },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "dry-run", no_argument, NULL, O_DRY_RUN },
		{ "journal", no_argument, NULL, O_JOURNAL },
		{ "mkinitramfs", required_argument, NULL, O_MKINITRAMFS },
		{ "agent", required_argument, NULL, O_AGENT },
		{ "size", required_argument, NULL, O_SIZE },
		{ "remove", no_argument, NULL, O_REMOVE },
		{ "force", no_argument, NULL, O_FORCE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, O_VERSION },
		{ 0 } };
	struct opts o = { .root = "/" };
	static char root[4096];
	const struct command *cmd;
	char names[512];
	int c;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case O_ROOT:
			snprintf(root, sizeof(root), "%s", optarg);
			for (size_t n = strlen(root); n > 1 && root[n - 1] == '/'; n--)
				root[n - 1] = 0;
			o.root = root;
			break;
		case O_CONFIG: o.config = optarg; break;
		case O_DRY_RUN: o.dry_run = true; break;
		case O_JOURNAL: o.journal = true; break;
		case O_MKINITRAMFS: o.mkinitramfs = optarg; break;
		case O_AGENT: o.agent = optarg; break;
		case O_SIZE: o.size = optarg; break;
		case O_REMOVE: o.remove = true; break;
		case O_FORCE: o.force = true; break;
		case 'h': usage(stdout); return 0;
		case O_VERSION: printf("kcatch %s\n", KC_VERSION); return 0;
		default:
			fprintf(stderr, "Try 'kcatch --help'.\n");
			return 2;
		}
	}
	if (optind >= argc) {
		kc_error("no command given; one of %s (see kcatch --help)", command_names(names, sizeof(names)));
		return 2;
	}
	const char *name = argv[optind++];
	if (strcmp(name, "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (cmd = commands; cmd->name && strcmp(cmd->name, name); cmd++)
		;
	if (!cmd->name) {
		kc_error("unknown command '%s'; one of %s (see kcatch --help)", name, command_names(names, sizeof(names)));
		return 2;
	}
	if (argc - optind > cmd->max_args) {
		kc_error("%s: unexpected argument '%s' (see kcatch --help)", name, argv[optind + cmd->max_args]);
		return 2;
	}
	if ((o.size || o.remove) && cmd->run != cmd_crashkernel) {
		kc_error("%s: --size and --remove belong to 'kcatch crashkernel' (see kcatch --help)", name);
		return 2;
	}
	o.args = argv + optind;
	o.nargs = argc - optind;
	if (o.nargs)
		o.id = o.args[0];
	return cmd->run(&o);
}
