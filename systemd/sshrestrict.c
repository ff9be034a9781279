/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The forced command of the capture key (sshrestrict.h). The private key
 * sits in every host's capture image, so whoever reads an image may use
 * it: on the collector it can only add new dumps under its directory.
 *
 * The forced command is a POSIX shell script written into the key's
 * authorized_keys line (nothing to install or keep in step on the
 * collector). It takes the command the agent asked for
 * ($SSH_ORIGINAL_COMMAND), recognises one of the three that capture/ssh.c
 * sends, checks it is exactly that command for a valid dump name under
 * this base (rebuilt and compared whole), and then does the work itself:
 * the requested text is never run. Files are created with noclobber
 * (set -C), directories are checked not to be symbolic links, and a dump
 * that has a vmcore.flat or a kcatch.json is never written again (so the
 * agent's second kcatch.json attempt, after a first one that wrote the
 * file but lost its answer, is refused: the first file stands). When
 * ssh.c changes its commands, this must change with it
 * (tests/setup/test-propagate.sh runs the real agent through it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sshrestrict.h"

/* Every " is written \" in the authorized_keys option (sshd's only escape). */
static const char *const script[] = {
	"umask 077; b=@BASE@; c=${SSH_ORIGINAL_COMMAND-}; q=$(printf \"\\047\"); ",
	"no() { echo \"kcatch-receive: refused: $1 (this key only writes new dumps under $b)\" >&2; exit 1; }; ",
	"ok() { case $1 in \"\"|.|..|*[!A-Za-z0-9._:-]*) no \"dump name\";; esac; }; ",
	"real() { if [ ! -d \"$1\" ] || [ -L \"$1\" ]; then no \"$1 is not a directory\"; fi; }; ",
	"none() { for f; do if [ -e \"$f\" ] || [ -L \"$f\" ]; then no \"$f exists\"; fi; done; }; ",
	"p1=\"umask 077; mkdir -p $q$b$q || exit 3; for n in $q$q -2 -3 -4 -5 -6 -7 -8 -9; do if mkdir $q$b$q/$q\"; ",
	"p2=\"umask 077 && exec cat > $q$b/\"; p3=\"cd $q$b/\"; ",
	"R=\" && mv vmcore.flat.incomplete vmcore.flat && echo kcatch-renamed\"; ",
	"J=\" && cat > kcatch.json.tmp && mv kcatch.json.tmp kcatch.json && echo kcatch-json\"; ",
	"case $c in ",
	"true) exit 0;; ",
	/* session 1: a new directory, vmcore-dmesg.txt in it */
	"\"$p1\"*) i=${c#\"$p1\"}; i=${i%%\"$q\"*}; ok \"$i\"; I=$q$i$q; ",
	"[ \"$c\" = \"$p1$i$q\\$n 2>/dev/null; then echo $I\\$n; exec cat > $q$b$q/$I\\$n/vmcore-dmesg.txt; fi; done; "
	"echo \\\"kcatch: cannot make a directory for \\\"$I\\\" in \\\"$q$b$q >&2; exit 3\" ] || no command; ",
	"mkdir -p \"$b\" || exit 3; ",
	"for n in \"\" -2 -3 -4 -5 -6 -7 -8 -9; do if mkdir \"$b/$i$n\" 2>/dev/null; then echo \"$i$n\"; set -C; "
	"exec cat > \"$b/$i$n/vmcore-dmesg.txt\"; fi; done; ",
	"echo \"kcatch: cannot make a directory for $i in $b\" >&2; exit 3;; ",
	/* session 2: the stream, into a directory session 1 made and nothing else wrote */
	"\"$p2\"*) i=${c#\"$p2\"}; i=${i%\"$q/vmcore.flat.incomplete\"}; ok \"$i\"; ",
	"[ \"$c\" = \"$p2$i$q/vmcore.flat.incomplete\" ] || no command; ",
	"d=$b/$i; real \"$d\"; none \"$d/vmcore.flat.incomplete\" \"$d/vmcore.flat\" \"$d/kcatch.json\"; ",
	"set -C; exec cat > \"$d/vmcore.flat.incomplete\";; ",
	/* session 3: the rename (once), then kcatch.json (once) */
	"\"$p3\"*) i=${c#\"$p3\"}; i=${i%%\"$q\"*}; ok \"$i\"; t=${c#\"$p3$i$q && umask 077\"}; ",
	"[ \"$c\" = \"$p3$i$q && umask 077$t\" ] || no command; ",
	"case $t in \"\"|\"$R\"|\"$J\"|\"$R$J\") ;; *) no command;; esac; ",
	"d=$b/$i; real \"$d\"; cd \"$d\" || exit 1; ",
	"case $t in \"$R\"*) if [ ! -f vmcore.flat.incomplete ] || [ -L vmcore.flat.incomplete ]; then "
	"no \"no vmcore.flat.incomplete\"; fi; none vmcore.flat; ",
	"mv vmcore.flat.incomplete vmcore.flat && echo kcatch-renamed || exit 1;; esac; ",
	"case $t in *\"$J\") none kcatch.json; rm -f kcatch.json.tmp; set -C; ",
	"cat > kcatch.json.tmp && mv kcatch.json.tmp kcatch.json && echo kcatch-json;; esac;; ",
	"*) no command;; ",
	"esac",
};

/* A base the script can hold unquoted, and the agent quotes without a '. */
static int base_ok(const char *b)
{
	if (!*b || strlen(b) > 512)
		return 0;
	for (const char *s = b; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr("/._+@:,=-", *s)))
			return 0;
	return 1;
}

char *ssh_restricted_line(const char *pub, const char *base, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!base_ok(base)) {
		snprintf(err, errlen, "the dump directory %.200s has characters the collector's forced command does "
			 "not take (letters, digits and / . _ + @ : , = - only): choose a plainer path", base);
		return NULL;
	}
	if (strchr(pub, '"') || strchr(pub, '\n')) {
		snprintf(err, errlen, "the public key is not a single line");
		return NULL;
	}
	if (!(f = open_memstream(&buf, &len))) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	fputs("restrict,command=\"", f);
	for (size_t i = 0; i < sizeof(script) / sizeof(script[0]); i++)
		for (const char *s = script[i]; *s; s++) {
			if (*s == '@' && !strncmp(s, "@BASE@", 6)) {
				fputs(base, f);
				s += 5;
			} else {
				if (*s == '"')
					fputc('\\', f);
				fputc(*s, f);
			}
		}
	fprintf(f, "\" %s", pub);
	if (fclose(f) != 0) {
		free(buf);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return buf;
}
