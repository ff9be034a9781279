/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * common/: what the agent, kcatch-mkinitramfs and kcatch share. The
 * config's compressor keywords against the library's names (the parser
 * does not link the library, so nothing else ties the two spellings),
 * and the path, tag, word, escape and machine-id helpers of kcatch-util.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kcatch-config.h"
#include "kcatch-filter.h"
#include "kcatch-util.h"
#include "tap.h"

static void join_is(const char *a, const char *b, const char *want)
{
	char out[64];
	kc_join(out, sizeof(out), a, b);
	ok(!strcmp(out, want), "kc_join(\"%s\", \"%s\") = \"%s\" (want \"%s\")", a, b, out, want);
}

int main(void)
{
	char buf[64], dir[] = "/tmp/kcatch-test-common-XXXXXX", p[128];
	struct kc_config c;

	plan(27);
	for (int i = KCF_COMPRESS_NONE; i <= KCF_COMPRESS_ZSTD; i++)
		ok(!strcmp(kc_compress_name((enum kcf_compress)i), kcf_compress_name((enum kcf_compress)i)),
		   "config keyword %s is the library's name", kc_compress_name((enum kcf_compress)i));
	kc_config_init(&c);
	ok(c.compress == KCF_COMPRESS_ZSTD, "zstd by default");
	ok(kc_config_parse(&c, "t", "compress lzo\n", buf, sizeof(buf)) == 0 && c.compress == KCF_COMPRESS_LZO,
	   "compress lzo is KCF_COMPRESS_LZO");
	kc_config_free(&c);

	join_is("", "/etc/kcatch.conf", "/etc/kcatch.conf");
	join_is("/root/", "/bin/sh", "/root/bin/sh");
	join_is("/mnt", "var/crash", "/mnt/var/crash");
	join_is("/mnt", "", "/mnt");
	join_is("", "", "/");
	join_is("/", "//x", "/x");

	ok(!strcmp(kc_target_tag(KC_TARGET_PARTLABEL), "PARTLABEL") && !kc_target_tag(KC_TARGET_DEVICE) &&
	   !kc_target_tag(KC_TARGET_NFS), "tags: PARTLABEL, none for /dev and nfs://");
	ok(!strcmp(kc_escape("a\\b\n\xff\x1b[2J", buf, sizeof(buf)), "a\\\\b\\n\\xff\\x1b[2J"), "escape: %s", buf);
	ok(!strcmp(kc_escape("caf\xc3\xa9 \xe2\x80\xae", buf, sizeof(buf)), "caf\xc3\xa9 \\u{202e}"),
	   "escape keeps UTF-8, shows a bidi override: %s", buf);
	ok(!strcmp(kc_escape("abcdefgh", buf, 8), "abcdefg"), "escape cut at the buffer: %s", buf);
	ok(!strcmp(kc_escape("abcdef\n", buf, 8), "abcdef"), "escape cut on a whole escape: %s", buf);

	char line[] = "key  value with spaces";
	char *rest = kc_cut_word(line);
	ok(!strcmp(line, "key") && !strcmp(rest, "value with spaces"), "cut word: '%s' '%s'", line, rest);
	char id[33] = "unchanged";
	ok(kc_machine_id_parse("0123456789abcdef0123456789abcdef\n", 33, id) &&
	   !strcmp(id, "0123456789abcdef0123456789abcdef"), "machine-id with its newline");
	ok(kc_machine_id_parse("0123456789abcdef0123456789abcdef", 32, id), "machine-id without a newline");
	strcpy(id, "unchanged");
	ok(!kc_machine_id_parse("0123456789ABCDEF0123456789abcdef\n", 33, id) && !strcmp(id, "unchanged"),
	   "upper case refused, id untouched");
	ok(!kc_machine_id_parse("0123456789abcdef0123456789abcdef0", 33, id) &&
	   !kc_machine_id_parse("uninitialized\n", 14, id) && !kc_machine_id_parse("", 0, id),
	   "33 digits, 'uninitialized' and empty refused");

	if (!mkdtemp(dir))
		return ok(0, "mkdtemp: %m"), done_testing();
	snprintf(p, sizeof(p), "%s/a/b/c", dir);
	ok(kc_mkdir_p(p, 0700) == 0, "mkdir -p %s", p);
	struct stat st;
	ok(stat(p, &st) == 0 && S_ISDIR(st.st_mode), "it is a directory");
	ok(kc_mkdir_p(p, 0700) == 0, "again: 0");
	snprintf(p, sizeof(p), "%s/a/f", dir);
	fclose(fopen(p, "w"));
	snprintf(p, sizeof(p), "%s/a/f/g", dir);
	ok(kc_mkdir_p(p, 0700) == -ENOTDIR, "a file in the way: -ENOTDIR");
	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	if (system(p) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return done_testing();
}
