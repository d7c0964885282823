/* makedumpfile-zram.c - a makedumpfile front-end that adds --zram-keep.
 *
 *   makedumpfile-zram [MAKEDUMPFILE OPTION]... [--zram-keep] VMCORE [DUMPFILE]
 *
 * Installed as `makedumpfile` ahead of the real binary, or under its own name
 * with the kdump hook choosing it.  Without --zram-keep it execs the real
 * makedumpfile with the argument vector unchanged, so it is that program
 * (output, exit status, even argv[0]).  With --zram-keep it runs the real
 * makedumpfile without that option, then zram-keep on the result: in place
 * for a DUMPFILE, or as a filter on the flattened stream for -F.
 *
 * Owns: reading makedumpfile's command line only as far as needed to find
 * the operands and the mode flags (the option table below, taken from
 * makedumpfile 1.7.2's --help and man page), the rules that find the real
 * makedumpfile and zram-keep (docs/makedumpfile-zram.8), running both and
 * choosing the exit status.  Does not own: anything about dumps (zram-keep
 * does all of it; this program never opens VMCORE or DUMPFILE).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"

extern char **environ;

#define PROG "makedumpfile-zram"

/* Set in the environment of every program this front-end starts: finding it
 * set at start-up means the "real" makedumpfile led back here (a wrapper
 * script that runs `makedumpfile`, which is this front-end). */
#define ACTIVE_ENV "MAKEDUMPFILE_ZRAM_ACTIVE"

/* Exit status when the real makedumpfile or zram-keep cannot be found or
 * started, as env(1) and the shells use. */
#define EXIT_NOT_FOUND 127

static const char usage_text[] =
	"Usage: " PROG " [MAKEDUMPFILE OPTION]... --zram-keep VMCORE DUMPFILE\n"
	"  or:  " PROG " [MAKEDUMPFILE OPTION]... --zram-keep -F VMCORE > FLATTENED\n"
	"  or:  " PROG " [MAKEDUMPFILE ARGUMENT]...      (exactly the real makedumpfile)\n"
	"A makedumpfile front-end: with --zram-keep, run the real makedumpfile with\n"
	"the other arguments unchanged, then zram-keep, which puts back into its\n"
	"output the pages vmcore-unzram needs (copied from VMCORE).  Without\n"
	"--zram-keep, it is the real makedumpfile (same output and exit status).\n"
	"\n"
	"With --zram-keep, DUMPFILE is rewritten in place (through a temporary file\n"
	"next to it); with -F, zram-keep reads the flattened stream and writes the\n"
	"completed one to standard output, spooling it to $TMPDIR on the way.\n"
	"Refused with --zram-keep: --split, --reassemble, --dump-dmesg,\n"
	"--partial-dmesg, --mem-usage, -R, -g, --diskset.\n"
	"\n"
	"Own options (only as the single argument):\n"
	"      --zram-keep-help      show this help and exit (also --help, -h when\n"
	"                            called as " PROG "; as makedumpfile, --help is\n"
	"                            the real makedumpfile's)\n"
	"      --zram-keep-version   show the version and exit (also --version as\n"
	"                            " PROG ")\n"
	"  makedumpfile's own options: makedumpfile --help, makedumpfile(8).\n"
	"\n"
	"Environment:\n"
	"  MAKEDUMPFILE_REAL  the real makedumpfile; default: the first executable of\n"
	"                     /usr/sbin/makedumpfile.real, /sbin/makedumpfile.real,\n"
	"                     /usr/bin/makedumpfile.real, /bin/makedumpfile.real,\n"
	"                     /usr/sbin/makedumpfile, /sbin/makedumpfile,\n"
	"                     /usr/bin/makedumpfile, /bin/makedumpfile, then\n"
	"                     makedumpfile on PATH, that is not this program\n"
	"  ZRAM_KEEP          zram-keep to run; default: the one next to this\n"
	"                     program, else zram-keep on PATH\n"
	"  ZRAM_KEEP_OPTS     extra zram-keep options, split at blanks\n"
	"                     (e.g. \"-d /usr/lib/debug\"); none by default (BTF)\n"
	"\n"
	"Exit status: the real makedumpfile's; if it succeeded, zram-keep's (see\n"
	"zram-keep(8)); 2 bad arguments or a refused combination (nothing run);\n"
	"127 the real makedumpfile not found (nothing run).  When zram-keep cannot\n"
	"be found, the real makedumpfile runs alone (with a warning): a dump without\n"
	"the zram pages beats no dump.  With -F, a zram-keep that fails before\n"
	"writing passes makedumpfile's stream through unchanged.\n"
	"See makedumpfile-zram(8).\n";

/* ---- makedumpfile's command line ----------------------------------------- */

/* What the scan needs to know about an option. */
enum opt_role {
	ROLE_PLAIN,        /* no effect on what happens around makedumpfile */
	ROLE_FLATTEN,      /* -F */
	ROLE_ELF,          /* -E (recorded for messages only) */
	ROLE_INFO,         /* -h, --help, -v: prints and exits, writes no dump */
	ROLE_DRY_RUN,      /* --dry-run: writes no dump */
	ROLE_CHECK_PARAMS, /* --check-params: only validates the arguments */
	ROLE_MSG_LEVEL,    /* --message-level ML */
	ROLE_REFUSED,      /* a mode zram-keep cannot follow (yet) */
	ROLE_ZRAM_KEEP,    /* ours: --zram-keep */
};

struct opt {
	const char *long_name; /* NULL for short-only */
	char short_name;       /* 0 for long-only */
	bool has_arg;
	enum opt_role role;
	const char *why_refused; /* ROLE_REFUSED: the reason, for the message */
};

/* makedumpfile 1.7.2's options (its --help and makedumpfile(8)): which take
 * an argument, and which change what --zram-keep can do.  --extension is
 * upstream's newer interface (not in 1.7.2), listed so that a makedumpfile
 * built with it can be scanned. */
static const struct opt options[] = {
	{ NULL, 'c', false, ROLE_PLAIN, NULL },
	{ NULL, 'l', false, ROLE_PLAIN, NULL },
	{ NULL, 'p', false, ROLE_PLAIN, NULL },
	{ NULL, 'z', false, ROLE_PLAIN, NULL },
	{ NULL, 'e', false, ROLE_PLAIN, NULL },
	{ NULL, 'E', false, ROLE_ELF, NULL },
	{ NULL, 'f', false, ROLE_PLAIN, NULL },
	{ NULL, 'D', false, ROLE_PLAIN, NULL },
	{ NULL, 'X', false, ROLE_PLAIN, NULL },
	{ NULL, 'F', false, ROLE_FLATTEN, NULL },
	{ NULL, 'v', false, ROLE_INFO, NULL },
	{ "help", 'h', false, ROLE_INFO, NULL },
	{ NULL, 'd', true, ROLE_PLAIN, NULL },
	{ NULL, 'L', true, ROLE_PLAIN, NULL },
	{ NULL, 'x', true, ROLE_PLAIN, NULL },
	{ NULL, 'i', true, ROLE_PLAIN, NULL },
	{ NULL, 'b', true, ROLE_PLAIN, NULL },
	{ NULL, 'R', false, ROLE_REFUSED, "it reads a flattened dump from standard input, with no VMCORE "
					   "to copy pages from (use --zram-keep -F on the capturing side)" },
	{ NULL, 'g', true, ROLE_REFUSED, "it writes VMCOREINFO, not a dump" },
	{ "split", 0, false, ROLE_REFUSED, "zram-keep does not handle split dump sets yet" },
	{ "reassemble", 0, false, ROLE_REFUSED, "zram-keep does not handle split dump sets yet" },
	{ "dump-dmesg", 0, false, ROLE_REFUSED, "it writes the kernel log, not a dump" },
	{ "partial-dmesg", 0, false, ROLE_REFUSED, "it writes the kernel log, not a dump" },
	{ "mem-usage", 0, false, ROLE_REFUSED, "it prints memory usage, not a dump" },
	{ "diskset", 0, true, ROLE_REFUSED, "zram-keep reads a single VMCORE, not a sadump disk set" },
	{ "config", 0, true, ROLE_PLAIN, NULL },
	{ "eppic", 0, true, ROLE_PLAIN, NULL },
	{ "extension", 0, true, ROLE_PLAIN, NULL },
	{ "num-threads", 0, true, ROLE_PLAIN, NULL },
	{ "cyclic-buffer", 0, true, ROLE_PLAIN, NULL },
	{ "splitblock-size", 0, true, ROLE_PLAIN, NULL },
	{ "work-dir", 0, true, ROLE_PLAIN, NULL },
	{ "non-mmap", 0, false, ROLE_PLAIN, NULL },
	{ "xen-syms", 0, true, ROLE_PLAIN, NULL },
	{ "xen-vmcoreinfo", 0, true, ROLE_PLAIN, NULL },
	{ "xen_phys_start", 0, true, ROLE_PLAIN, NULL },
	{ "message-level", 0, true, ROLE_MSG_LEVEL, NULL },
	{ "vtop", 0, true, ROLE_PLAIN, NULL },
	{ "dry-run", 0, false, ROLE_DRY_RUN, NULL },
	{ "show-stats", 0, false, ROLE_PLAIN, NULL },
	{ "check-params", 0, false, ROLE_CHECK_PARAMS, NULL },
	{ "zram-keep", 0, false, ROLE_ZRAM_KEEP, NULL },
};
#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

/* makedumpfile's message level bit for "common messages" (makedumpfile(8),
 * --message-level): without it the user asked for a quiet run. */
#define MSG_LEVEL_COMMON 2

struct cmdline {
	int argc;
	char **argv;
	bool zram_keep;
	bool flatten, elf, info, dry_run, check_params;
	bool quiet;                 /* --message-level without common messages */
	const struct opt *refused;  /* the first refused option, if any */
	const char *operands[3];    /* the first ones; n_operands counts all */
	int n_operands;
	char **stripped;            /* argv without --zram-keep, NULL-terminated */
};

static bool is_own_option(const struct opt *o)
{
	return o->role == ROLE_ZRAM_KEEP;
}

/* Find a long option the way getopt_long does (exact name, else a unique
 * prefix), except that our own --zram-keep must be spelled in full: a prefix
 * of it is the real makedumpfile's business. */
static struct uz_error *find_long(const char *name, size_t len, const struct opt **out)
{
	const struct opt *prefix_match = NULL;
	bool ambiguous = false;
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct opt *o = &options[i];
		if (!o->long_name || strncmp(o->long_name, name, len) != 0)
			continue;
		if (o->long_name[len] == '\0') {
			*out = o;
			return NULL;
		}
		if (is_own_option(o))
			continue;
		if (prefix_match)
			ambiguous = true;
		prefix_match = o;
	}
	if (ambiguous)
		return uz_error_create(UZ_ERR_USAGE, "option '--%.*s' is ambiguous", (int)len, name);
	if (!prefix_match)
		return uz_error_create(UZ_ERR_USAGE,
				       "unknown makedumpfile option '--%.*s' (with --zram-keep, every option must be "
				       "one of makedumpfile 1.7.2's, to tell VMCORE and DUMPFILE apart)",
				       (int)len, name);
	*out = prefix_match;
	return NULL;
}

static const struct opt *find_short(char c)
{
	for (size_t i = 0; i < N_OPTIONS; i++)
		if (options[i].short_name == c)
			return &options[i];
	return NULL;
}

static void note_option(struct cmdline *cl, const struct opt *o, const char *value)
{
	switch (o->role) {
	case ROLE_PLAIN:
		break;
	case ROLE_FLATTEN: cl->flatten = true; break;
	case ROLE_ELF: cl->elf = true; break;
	case ROLE_INFO: cl->info = true; break;
	case ROLE_DRY_RUN: cl->dry_run = true; break;
	case ROLE_CHECK_PARAMS: cl->check_params = true; break;
	case ROLE_MSG_LEVEL: {
		char *end;
		errno = 0;
		long level = strtol(value, &end, 10);
		/* A malformed level is left for makedumpfile to reject. */
		if (errno == 0 && end != value && *end == '\0')
			cl->quiet = (level & MSG_LEVEL_COMMON) == 0;
		break;
	}
	case ROLE_REFUSED:
		if (!cl->refused)
			cl->refused = o;
		break;
	case ROLE_ZRAM_KEEP: cl->zram_keep = true; break;
	}
}

/* Walk argv with GNU getopt's rules (options and operands in any order,
 * clustered short options, "-dN" and "-d N", "--opt=V" and "--opt V", "--"
 * ends the options) and fill cl.  Only called when --zram-keep appears. */
static struct uz_error *scan(struct cmdline *cl)
{
	cl->stripped = calloc((size_t)cl->argc + 1, sizeof(*cl->stripped));
	if (!cl->stripped)
		return uz_error_create(UZ_ERR_NOMEM, "out of memory");
	int n_stripped = 0;
	cl->stripped[n_stripped++] = cl->argv[0];
	bool options_done = false;
	for (int i = 1; i < cl->argc; i++) {
		char *arg = cl->argv[i];
		int first = i; /* arg and its value, if separate, are copied together */
		if (options_done || arg[0] != '-' || arg[1] == '\0') {
			if (cl->n_operands < 3)
				cl->operands[cl->n_operands] = arg;
			cl->n_operands++;
		} else if (strcmp(arg, "--") == 0) {
			options_done = true;
		} else if (arg[1] == '-') {
			const char *name = arg + 2;
			const char *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			const struct opt *o = NULL;
			UZ_TRY(find_long(name, len, &o));
			const char *value = NULL;
			if (o->has_arg) {
				if (eq)
					value = eq + 1;
				else if (i + 1 < cl->argc)
					value = cl->argv[++i];
				else
					return uz_error_create(UZ_ERR_USAGE, "option '--%s' requires an argument",
							       o->long_name);
			} else if (eq) {
				return uz_error_create(UZ_ERR_USAGE, "option '--%s' doesn't allow an argument",
						       o->long_name);
			}
			note_option(cl, o, value);
			if (is_own_option(o))
				continue;
		} else {
			for (const char *p = arg + 1; *p; p++) {
				const struct opt *o = find_short(*p);
				if (!o)
					return uz_error_create(UZ_ERR_USAGE,
							       "unknown makedumpfile option '-%c' (with --zram-keep, every "
							       "option must be one of makedumpfile 1.7.2's, to tell VMCORE "
							       "and DUMPFILE apart)", *p);
				const char *value = NULL;
				if (o->has_arg) {
					if (p[1])
						value = p + 1;
					else if (i + 1 < cl->argc)
						value = cl->argv[++i];
					else
						return uz_error_create(UZ_ERR_USAGE, "option requires an argument -- '%c'",
								       *p);
				}
				note_option(cl, o, value);
				if (value)
					break;
			}
		}
		for (int k = first; k <= i; k++)
			cl->stripped[n_stripped++] = cl->argv[k];
	}
	cl->stripped[n_stripped] = NULL;
	return NULL;
}

/* ---- finding the programs ------------------------------------------------ */

struct self {
	bool known;
	dev_t dev;
	ino_t ino;
	char dir[PATH_MAX]; /* directory of this executable, "" if unknown */
};

static bool search_path(const char *name, const struct self *self, char *out, size_t out_size);

/* Without /proc (a chroot, an early initramfs), find this program the way
 * the shell that started it did: argv[0] as a path, else the first
 * executable of that name on PATH; then follow symlinks (installed as
 * makedumpfile -> makedumpfile-zram, zram-keep lives next to the target).
 * unknown is a self not identified yet, so search_path excludes nothing. */
static bool self_from_argv0(const struct self *unknown, const char *argv0, char *path, size_t size)
{
	char found[PATH_MAX];
	if (!argv0 || !*argv0)
		return false;
	if (strchr(argv0, '/'))
		snprintf(found, sizeof(found), "%s", argv0);
	else if (!search_path(argv0, unknown, found, sizeof(found)))
		return false;
	char resolved[PATH_MAX];
	if (!realpath(found, resolved))
		return false;
	snprintf(path, size, "%s", resolved);
	return true;
}

static void self_identify(struct self *self, const char *argv0)
{
	memset(self, 0, sizeof(*self));
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	if (n > 0)
		path[n] = '\0';
	else if (!self_from_argv0(self, argv0, path, sizeof(path)))
		return;
	struct stat st;
	if (stat(path, &st) == 0) {
		self->known = true;
		self->dev = st.st_dev;
		self->ino = st.st_ino;
	}
	char *slash = strrchr(path, '/');
	if (slash) {
		*slash = '\0';
		snprintf(self->dir, sizeof(self->dir), "%s", path);
	}
}

static bool is_self(const struct self *self, const struct stat *st)
{
	return self->known && st->st_dev == self->dev && st->st_ino == self->ino;
}

/* An executable regular file (following symlinks), with its identity. */
static bool executable(const char *path, struct stat *st)
{
	return stat(path, st) == 0 && S_ISREG(st->st_mode) && access(path, X_OK) == 0;
}

/* Search PATH for NAME; the first executable one that is not this program. */
static bool search_path(const char *name, const struct self *self, char *out, size_t out_size)
{
	const char *path = getenv("PATH");
	if (!path)
		return false;
	while (*path) {
		size_t len = strcspn(path, ":");
		struct stat st;
		/* An empty PATH element means the current directory. */
		int n = snprintf(out, out_size, "%.*s%s%s", (int)len, path, len ? "/" : "", name);
		if (n > 0 && (size_t)n < out_size && executable(out, &st) && !is_self(self, &st))
			return true;
		path += len;
		if (*path == ':')
			path++;
	}
	return false;
}

static const char *const real_candidates[] = {
	"/usr/sbin/makedumpfile.real",
	"/sbin/makedumpfile.real",
	"/usr/bin/makedumpfile.real",   /* Debian installs makedumpfile in /usr/bin */
	"/bin/makedumpfile.real",
	"/usr/sbin/makedumpfile",
	"/sbin/makedumpfile",
	"/usr/bin/makedumpfile",
	"/bin/makedumpfile",
};

static struct uz_error *find_real(const struct self *self, char *out, size_t out_size)
{
	struct stat st;
	const char *env = getenv("MAKEDUMPFILE_REAL");
	if (env && *env) {
		if (!executable(env, &st))
			return uz_error_create(UZ_ERR_NOT_FOUND,
					       "MAKEDUMPFILE_REAL=%s is not an executable file", env);
		if (is_self(self, &st))
			return uz_error_create(UZ_ERR_USAGE,
					       "MAKEDUMPFILE_REAL=%s is this front-end itself, not the real makedumpfile",
					       env);
		snprintf(out, out_size, "%s", env);
		return NULL;
	}
	for (size_t i = 0; i < sizeof(real_candidates) / sizeof(real_candidates[0]); i++) {
		if (executable(real_candidates[i], &st) && !is_self(self, &st)) {
			snprintf(out, out_size, "%s", real_candidates[i]);
			return NULL;
		}
	}
	if (search_path("makedumpfile", self, out, out_size))
		return NULL;
	return uz_error_create(UZ_ERR_NOT_FOUND,
			       "cannot find the real makedumpfile (no executable makedumpfile other than this "
			       "front-end in /usr/sbin, /sbin, /usr/bin, /bin or PATH); set MAKEDUMPFILE_REAL");
}

static struct uz_error *find_zram_keep(const struct self *self, char *out, size_t out_size)
{
	struct stat st;
	const char *env = getenv("ZRAM_KEEP");
	if (env && *env) {
		if (!executable(env, &st))
			return uz_error_create(UZ_ERR_NOT_FOUND, "ZRAM_KEEP=%s is not an executable file", env);
		snprintf(out, out_size, "%s", env);
		return NULL;
	}
	if (self->dir[0]) {
		int n = snprintf(out, out_size, "%s/zram-keep", self->dir);
		if (n > 0 && (size_t)n < out_size && executable(out, &st))
			return NULL;
	}
	if (search_path("zram-keep", self, out, out_size))
		return NULL;
	return uz_error_create(UZ_ERR_NOT_FOUND,
			       "cannot find zram-keep (not next to this program, %s, nor on PATH); set ZRAM_KEEP",
			       self->dir[0] ? self->dir : "unknown directory");
}

/* ---- running them -------------------------------------------------------- */

/* Split ZRAM_KEEP_OPTS (in copy, modified) at blanks into words appended to
 * argv at *n, leaving *n below max. */
static struct uz_error *add_env_words(char *copy, char **argv, int *n, int max)
{
	char *save = NULL;
	for (char *word = strtok_r(copy, " \t\n", &save); word; word = strtok_r(NULL, " \t\n", &save)) {
		if (*n >= max)
			return uz_error_create(UZ_ERR_USAGE, "ZRAM_KEEP_OPTS has too many words");
		argv[(*n)++] = word;
	}
	return NULL;
}

/* Start PATH with ARGV; stdin/stdout replaced by in_fd/out_fd when >= 0. */
static struct uz_error *spawn(const char *path, char **argv, int in_fd, int out_fd, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	int rc = posix_spawn_file_actions_init(&fa);
	if (rc)
		return uz_error_errno(rc, "starting %s", path);
	if (in_fd >= 0 && !rc)
		rc = posix_spawn_file_actions_adddup2(&fa, in_fd, STDIN_FILENO);
	if (out_fd >= 0 && !rc)
		rc = posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	if (!rc)
		rc = posix_spawn(pid, path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		return uz_error_errno(rc, "starting %s", path);
	return NULL;
}

static struct uz_error *wait_for(pid_t pid, const char *what, int *status)
{
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR)
			return uz_error_errno(errno, "waiting for %s", what);
	}
	return NULL;
}

static bool succeeded(int status)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* End this process the way a child ended (exit code, or the same signal), so
 * that whoever runs the front-end sees what it would have seen. */
static int end_like(int status)
{
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		signal(sig, SIG_DFL);
		fflush(NULL);
		raise(sig);
		return 128 + sig; /* the signal was blocked or ignored */
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static void describe(int status, char *buf, size_t size)
{
	if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, size, "exit status %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

struct plan {
	const char *real;
	const char *keep;
	char **keep_argv;
	const char *dumpfile; /* NULL for -F */
};

/* makedumpfile writes DUMPFILE, then zram-keep rewrites it in place. */
static int run_in_place(struct cmdline *cl, struct plan *p)
{
	pid_t pid;
	int status;
	struct uz_error *err = spawn(p->real, cl->stripped, -1, -1, &pid);
	if (!err)
		err = wait_for(pid, "makedumpfile", &status);
	if (err) {
		fprintf(stderr, PROG ": %s\n", err->message);
		uz_error_destroy(err);
		return EXIT_NOT_FOUND;
	}
	if (!succeeded(status))
		return end_like(status);
	err = spawn(p->keep, p->keep_argv, -1, -1, &pid);
	if (!err)
		err = wait_for(pid, "zram-keep", &status);
	if (err) {
		fprintf(stderr, PROG ": %s; the filtered dump %s was left as makedumpfile wrote it\n",
			err->message, p->dumpfile);
		uz_error_destroy(err);
		return EXIT_NOT_FOUND;
	}
	if (!succeeded(status)) {
		char how[64];
		describe(status, how, sizeof(how));
		fprintf(stderr, PROG ": zram-keep failed (%s); the filtered dump %s was left as makedumpfile "
			"wrote it, without the pages vmcore-unzram needs\n", how, p->dumpfile);
		return end_like(status);
	}
	return 0;
}

/* -F: makedumpfile's standard output is zram-keep's standard input; zram-keep
 * writes the completed flattened stream to ours. */
static int run_flattened(struct cmdline *cl, struct plan *p)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0) {
		fprintf(stderr, PROG ": creating a pipe: %s\n", strerror(errno));
		return 1;
	}
	pid_t keep_pid, real_pid;
	struct uz_error *err = spawn(p->keep, p->keep_argv, fds[0], -1, &keep_pid);
	if (err) {
		close(fds[0]);
		close(fds[1]);
		fprintf(stderr, PROG ": %s\n", err->message);
		uz_error_destroy(err);
		return EXIT_NOT_FOUND;
	}
	close(fds[0]);
	err = spawn(p->real, cl->stripped, -1, fds[1], &real_pid);
	close(fds[1]);
	int real_status = 0, keep_status = 0;
	bool real_done = false, keep_done = false;
	if (err) {
		fprintf(stderr, PROG ": %s\n", err->message);
		uz_error_destroy(err);
		kill(keep_pid, SIGTERM);
		int ignored;
		struct uz_error *werr = wait_for(keep_pid, "zram-keep", &ignored);
		uz_error_destroy(werr);
		return EXIT_NOT_FOUND;
	}
	while (!real_done || !keep_done) {
		int status;
		pid_t pid = waitpid(-1, &status, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, PROG ": waiting for makedumpfile and zram-keep: %s\n", strerror(errno));
			return 1;
		}
		if (pid == real_pid) {
			real_done = true;
			real_status = status;
			/* Its stream is incomplete: zram-keep must not finish it. */
			if (!succeeded(status) && !keep_done)
				kill(keep_pid, SIGTERM);
		} else if (pid == keep_pid) {
			keep_done = true;
			keep_status = status;
		}
	}
	char how[64];
	if (!succeeded(keep_status) && !(real_done && !succeeded(real_status) && WIFSIGNALED(keep_status)
					 && WTERMSIG(keep_status) == SIGTERM)) {
		/* zram-keep failed on its own; makedumpfile may have died of the
		 * closed pipe after it, so zram-keep's failure is the cause. */
		describe(keep_status, how, sizeof(how));
		fprintf(stderr, PROG ": zram-keep failed (%s); when it failed before writing, it passed "
			"makedumpfile's stream through unchanged (its message says so), else standard "
			"output does not hold a complete dump\n", how);
		return end_like(keep_status);
	}
	if (!succeeded(real_status))
		return end_like(real_status);
	return 0;
}

static int run(struct cmdline *cl, const struct self *self)
{
	char real[PATH_MAX], keep[PATH_MAX];
	struct uz_error *err = find_real(self, real, sizeof(real));
	if (!err && !cl->check_params && (err = find_zram_keep(self, keep, sizeof(keep)))) {
		/* In a capture kernel a dump without the zram pages beats no dump
		 * (kdump-tools pipes -F output to a file and cannot tell an empty
		 * stream from a failure): be the plain makedumpfile. */
		fprintf(stderr, PROG ": warning: %s: running makedumpfile without --zram-keep; "
			"pages needed to restore zram-swapped memory may be filtered out\n", err->message);
		uz_error_destroy(err);
		execv(real, cl->stripped);
		fprintf(stderr, PROG ": cannot run %s: %s\n", real, strerror(errno));
		return EXIT_NOT_FOUND;
	}
	if (!err && cl->check_params)
		err = find_zram_keep(self, keep, sizeof(keep));
	if (err) {
		fprintf(stderr, PROG ": %s; nothing was run\n", err->message);
		int rc = err->code == UZ_ERR_USAGE ? 2 : EXIT_NOT_FOUND;
		uz_error_destroy(err);
		return rc;
	}
	if (cl->check_params) {
		/* Validating a configuration: the programs are there; the real
		 * makedumpfile judges its own arguments. */
		execv(real, cl->stripped);
		fprintf(stderr, PROG ": cannot run %s: %s\n", real, strerror(errno));
		return EXIT_NOT_FOUND;
	}

	/* zram-keep, --quiet, ZRAM_KEEP_OPTS, then "--" and up to 3 operands. */
	enum { MAX_KEEP_ARGS = 64 };
	char *keep_argv[MAX_KEEP_ARGS + 5];
	int n = 0;
	keep_argv[n++] = "zram-keep";
	if (cl->quiet)
		keep_argv[n++] = "--quiet";
	char *opts = NULL;
	const char *env_opts = getenv("ZRAM_KEEP_OPTS");
	if (env_opts) {
		opts = strdup(env_opts);
		if (!opts) {
			fprintf(stderr, PROG ": out of memory\n");
			return 7;
		}
		err = add_env_words(opts, keep_argv, &n, MAX_KEEP_ARGS);
		if (err) {
			fprintf(stderr, PROG ": %s; nothing was run\n", err->message);
			uz_error_destroy(err);
			free(opts);
			return 2;
		}
	}
	keep_argv[n++] = "--";
	keep_argv[n++] = (char *)cl->operands[0];
	if (cl->flatten) {
		keep_argv[n++] = "-";
		keep_argv[n++] = "-";
	} else {
		keep_argv[n++] = (char *)cl->operands[1];
	}
	keep_argv[n] = NULL;

	struct plan p = {
		.real = real,
		.keep = keep,
		.keep_argv = keep_argv,
		.dumpfile = cl->flatten ? NULL : cl->operands[1],
	};
	int rc = cl->flatten ? run_flattened(cl, &p) : run_in_place(cl, &p);
	free(opts);
	return rc;
}

/* Be the real makedumpfile: same argument vector, same process. */
static int become_real(char **argv, const struct self *self)
{
	char real[PATH_MAX];
	struct uz_error *err = find_real(self, real, sizeof(real));
	if (err) {
		fprintf(stderr, PROG ": %s\n", err->message);
		int rc = err->code == UZ_ERR_USAGE ? 2 : EXIT_NOT_FOUND;
		uz_error_destroy(err);
		return rc;
	}
	execv(real, argv);
	fprintf(stderr, PROG ": cannot run %s: %s\n", real, strerror(errno));
	return EXIT_NOT_FOUND;
}

/* Called by its own name (not installed as "makedumpfile"), --help and
 * --version describe the front-end; as "makedumpfile", they are the real
 * makedumpfile's, byte for byte, for the scripts that read them. */
static bool called_by_own_name(const char *argv0)
{
	const char *base = strrchr(argv0, '/');
	return strcmp(base ? base + 1 : argv0, PROG) == 0;
}

int main(int argc, char **argv)
{
	bool own = called_by_own_name(argv[0]);
	if (argc == 2 && (strcmp(argv[1], "--zram-keep-help") == 0 ||
			  (own && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)))) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc == 2 && (strcmp(argv[1], "--zram-keep-version") == 0 || (own && strcmp(argv[1], "--version") == 0))) {
		printf(PROG " (vmcore-unzram) %s\n", UZ_VERSION);
		return 0;
	}
	if (getenv(ACTIVE_ENV)) {
		fprintf(stderr, PROG ": started by itself: the real makedumpfile (MAKEDUMPFILE_REAL or the "
			"search list, see makedumpfile-zram(8)) leads back to this front-end; nothing was run\n");
		return EXIT_NOT_FOUND;
	}
	if (setenv(ACTIVE_ENV, "1", 1) < 0) {
		fprintf(stderr, PROG ": setting %s: %s\n", ACTIVE_ENV, strerror(errno));
		return 1;
	}
	struct self self;
	self_identify(&self, argv[0]);

	bool mentioned = false;
	for (int i = 1; i < argc; i++)
		mentioned |= strcmp(argv[i], "--zram-keep") == 0;
	if (!mentioned)
		return become_real(argv, &self);

	struct cmdline cl = { .argc = argc, .argv = argv };
	struct uz_error *err = scan(&cl);
	if (err) {
		fprintf(stderr, PROG ": %s; nothing was run\n", err->message);
		int rc = uz_error_exit_code(err);
		uz_error_destroy(err);
		free(cl.stripped);
		return rc;
	}
	int rc;
	if (!cl.zram_keep) {
		/* "--zram-keep" was only the value of an option (e.g. a file name). */
		rc = become_real(argv, &self);
	} else if (cl.info || cl.dry_run) {
		/* Help, version or a dry run write no dump: nothing to keep. */
		rc = become_real(cl.stripped, &self);
	} else if (cl.refused) {
		if (cl.refused->long_name)
			fprintf(stderr, PROG ": --zram-keep cannot be used with --%s: %s; nothing was run\n",
				cl.refused->long_name, cl.refused->why_refused);
		else
			fprintf(stderr, PROG ": --zram-keep cannot be used with -%c: %s; nothing was run\n",
				cl.refused->short_name, cl.refused->why_refused);
		rc = 2;
	} else if (cl.n_operands != (cl.flatten ? 1 : 2)) {
		fprintf(stderr, PROG ": --zram-keep needs %s, got %d operand%s; nothing was run\n",
			cl.flatten ? "VMCORE alone with -F" : "VMCORE and DUMPFILE", cl.n_operands,
			cl.n_operands == 1 ? "" : "s");
		rc = 2;
	} else if (!cl.flatten && strcmp(cl.operands[1], "-") == 0) {
		fprintf(stderr, PROG ": --zram-keep: DUMPFILE '-' is not a file to complete in place "
			"(use -F for standard output); nothing was run\n");
		rc = 2;
	} else {
		rc = run(&cl, &self);
	}
	free(cl.stripped);
	return rc;
}
