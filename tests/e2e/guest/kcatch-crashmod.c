// SPDX-License-Identifier: GPL-2.0-only
/*
 * kcatch-crashmod: crashes the kernel on request, for the crash-signature
 * end-to-end test (tests/e2e/test-signatures-real.sh). Debian's cloud
 * kernels have no LKDTM. Writing "null" to /proc/kcatch-crashmod
 * dereferences NULL in crashmod_null_deref(), "bug" hits BUG_ON in
 * crashmod_bug_on(); both are noinline so that the oops names them.
 * Never load this on a machine you care about.
 */
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/string.h>
#include <linux/uaccess.h>

static struct proc_dir_entry *crashmod_entry;
/* volatile: the compiler must neither fold the crash away nor clone the
 * functions for a constant argument (a real bug's oops has plain names) */
static int *volatile crashmod_ptr;	/* NULL */
static volatile int crashmod_true = 1;

static noinline void crashmod_null_deref(int *p)
{
	*p = 1;
}

static noinline void crashmod_bug_on(int crash)
{
	BUG_ON(crash);
}

static ssize_t crashmod_write(struct file *file, const char __user *buf, size_t len, loff_t *pos)
{
	char cmd[8] = "";

	if (copy_from_user(cmd, buf, min(len, sizeof(cmd) - 1)))
		return -EFAULT;
	if (!strncmp(cmd, "null", 4))
		crashmod_null_deref(crashmod_ptr);
	else if (!strncmp(cmd, "bug", 3))
		crashmod_bug_on(crashmod_true);
	else
		return -EINVAL;
	return len;
}

static const struct proc_ops crashmod_ops = {
	.proc_write = crashmod_write,
};

static int __init crashmod_init(void)
{
	crashmod_entry = proc_create("kcatch-crashmod", 0200, NULL, &crashmod_ops);
	return crashmod_entry ? 0 : -ENOMEM;
}

static void __exit crashmod_exit(void)
{
	proc_remove(crashmod_entry);
}

module_init(crashmod_init);
module_exit(crashmod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("crashes the kernel on request (kcatch end-to-end tests)");
