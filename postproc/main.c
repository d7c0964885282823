/* main.c - the vmcore-unzram command line.
 *
 * Owns: option parsing, choosing the mode (rewrite, --verify, inspection
 * commands), printing the one-line error and choosing the exit code.
 * Everything else lives in rewrite.c, inspect.c and lib/.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inspect.h"
#include "interrupt.h"
#include "rewrite.h"
#include "zram/zram.h"

static const char usage_text[] =
	"Usage: vmcore-unzram [OPTION]... IN OUT\n"
	"       vmcore-unzram --in-place [OPTION]... FILE\n"
	"       vmcore-unzram --verify [OPTION]... [IN] OUT\n"
	"       vmcore-unzram --ps DUMP\n"
	"       vmcore-unzram --vtop PID:ADDR DUMP\n"
	"       vmcore-unzram --zram-info DUMP\n"
	"       vmcore-unzram --slot DEVICE:OFFSET DUMP\n"
	"       vmcore-unzram --vaddr PID:ADDR DUMP\n"
	"Make user pages that Linux swapped to zram readable in a kernel crash dump.\n"
	"\n"
	"Reads the dump IN, decompresses every zram-swapped page that a process maps,\n"
	"appends the pages as new physical frames and writes OUT with those page-table\n"
	"entries rewritten to map them, so that unmodified crash, drgn and gdb read the\n"
	"pages.  IN is never modified (OUT may not be IN under any name).  OUT has\n"
	"IN's format and compression unless --format/--compress say otherwise, and\n"
	"records every rewrite in a note.  OUT '-' writes makedumpfile's flattened\n"
	"format to standard output (makedumpfile -R reassembles it); IN '-' reads\n"
	"standard input.\n"
	"\n"
	"Options:\n"
	"  -d, --debuginfo=DIR     directory with the debug vmlinux and debug modules\n"
	"                          (zram.ko, zsmalloc.ko); default: standard locations,\n"
	"                          else the dump's own BTF; named but unusable: exit 6\n"
	"      --vmlinux=FILE      the debug vmlinux to use\n"
	"  -f, --format=FMT        output format: elf or kdump (default: as IN)\n"
	"  -c, --compress=ALG      kdump compression of the pages added (and of all\n"
	"                          pages when converting): none, zlib, lzo, snappy,\n"
	"                          zstd; default lzo (none for an uncompressed input)\n"
	"      --in-place          ELF: update FILE itself, at a cost proportional to the\n"
	"                          pages added; crash-safe (a second run completes an\n"
	"                          update a crash cut short)\n"
	"      --strict            fail if any zram-swapped page cannot be restored\n"
	"      --force             replace OUT if it exists (refused otherwise)\n"
	"  -j, --jobs=N            decompression threads (default: number of cores)\n"
	"  -p, --pid=PID           only processes with this PID (repeatable)\n"
	"      --comm=NAME         only processes with this command name (repeatable);\n"
	"                          restoring puts user memory back into a dump that\n"
	"                          -d 31 had stripped: limit it to what you need\n"
	"      --report=FILE       write a JSON report of every PTE and the totals\n"
	"                          (- for standard output)\n"
	"      --backing-dev=ZRAM=IMAGE  read pages that zram device ZRAM (zram5) wrote\n"
	"                          back from IMAGE, a copy of its backing device (file\n"
	"                          or block device); repeatable; also for --slot, --vaddr\n"
	"                          and --zram-info\n"
	"      --verify            check that OUT differs from IN only as its record says\n"
	"                          (metadata, pages, and every added frame decoded\n"
	"                          again; takes -d/--vmlinux); OUT alone after --in-place\n"
	"      --ps                list the tasks of DUMP, like crash's ps\n"
	"      --vtop=PID:ADDR     translate a user address of a process, like crash's vtop\n"
	"      --zram-info         list zram devices and what their slots hold\n"
	"      --slot=DEV:OFFSET   show where one zram slot's page lives, and hexdump it\n"
	"      --vaddr=PID:ADDR    show where a process's page lives (RAM, swap cache,\n"
	"                          zram slot), and hexdump it\n"
	"      --json              machine-readable output for the inspection commands\n"
	"  -q, --quiet             no progress and no summary\n"
	"  -v, --verbose           also each phase's time and memory\n"
	"  -h, --help              show this help and exit\n"
	"  -V, --version           show the version and exit\n"
	"\n"
	"Exit status: 0 success; 2 bad arguments; 3 I/O error; 4 corrupt or truncated\n"
	"input; 5 unsupported input; 6 something needed is missing (debuginfo\n"
	"mismatch, symbol, page not in the dump, or --strict with unrestored pages);\n"
	"7 out of memory; 8 partial: OUT written, but some zram-swapped pages that were\n"
	"in RAM could not be restored (missing or failed; written-back pages without\n"
	"--backing-dev do not count).  Stopped by SIGINT/SIGTERM/SIGHUP: nothing partial is left and\n"
	"the program ends by that signal.  See vmcore-unzram(8).\n";

enum {
	OPT_VMLINUX = 256, OPT_IN_PLACE, OPT_STRICT, OPT_COMM, OPT_REPORT, OPT_VERIFY,
	OPT_PS, OPT_VTOP, OPT_ZRAM_INFO, OPT_JSON, OPT_SLOT, OPT_VADDR, OPT_BACKING_DEV, OPT_FORCE,
};

static const struct option long_options[] = {
	{ "debuginfo", required_argument, NULL, 'd' },
	{ "vmlinux", required_argument, NULL, OPT_VMLINUX },
	{ "format", required_argument, NULL, 'f' },
	{ "compress", required_argument, NULL, 'c' },
	{ "in-place", no_argument, NULL, OPT_IN_PLACE },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "jobs", required_argument, NULL, 'j' },
	{ "pid", required_argument, NULL, 'p' },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "verify", no_argument, NULL, OPT_VERIFY },
	{ "ps", no_argument, NULL, OPT_PS },
	{ "vtop", required_argument, NULL, OPT_VTOP },
	{ "zram-info", no_argument, NULL, OPT_ZRAM_INFO },
	{ "slot", required_argument, NULL, OPT_SLOT },
	{ "vaddr", required_argument, NULL, OPT_VADDR },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "backing-dev", required_argument, NULL, OPT_BACKING_DEV },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Documented in vmcore-unzram(8): OUT written, but some pages that were in
 * RAM could not be restored. */
#define EXIT_PARTIAL 8

enum mode { MODE_REWRITE, MODE_VERIFY, MODE_PS, MODE_VTOP, MODE_ZRAM_INFO, MODE_SLOT, MODE_VADDR };

static int fail(struct uz_error *err)
{
	int code = uz_error_exit_code(err);
	bool interrupted = err->code == UZ_ERR_INTERRUPTED;
	fprintf(stderr, "vmcore-unzram: %s\n", err->message);
	uz_error_destroy(err);
	/* Everything was cleaned up on the way here: end as the signal says. */
	if (interrupted)
		uz_interrupt_die();
	return code;
}

/* makedumpfile's -d is the dump level; here it names a directory.  A
 * makedumpfile user's `-d 31` is told so rather than searched for. */
static struct uz_error *check_not_dump_level(const char *arg)
{
	struct stat st;
	if (arg[0] && strspn(arg, "0123456789") == strlen(arg) && stat(arg, &st) != 0)
		return uz_error_create(UZ_ERR_USAGE,
				       "-d %s: -d names the debuginfo directory here (--debuginfo=DIR), not makedumpfile's dump level; vmcore-unzram keeps every page of its input",
				       arg);
	return NULL;
}

static struct uz_error *parse_format(const char *s, enum uz_dump_format *out)
{
	if (strcmp(s, "elf") == 0)
		*out = UZ_DUMP_ELF;
	else if (strcmp(s, "kdump") == 0)
		*out = UZ_DUMP_KDUMP;
	else
		return uz_error_create(UZ_ERR_USAGE, "--format: unknown format '%s' (elf or kdump)", s);
	return NULL;
}

static struct uz_error *parse_compress(const char *s, enum uz_dump_compress *out)
{
	static const struct { const char *name; enum uz_dump_compress c; } names[] = {
		{ "none", UZ_COMPRESS_NONE }, { "zlib", UZ_COMPRESS_ZLIB },
		{ "lzo", UZ_COMPRESS_LZO }, { "snappy", UZ_COMPRESS_SNAPPY },
		{ "zstd", UZ_COMPRESS_ZSTD },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].c;
			return NULL;
		}
	return uz_error_create(UZ_ERR_USAGE, "--compress: unknown compression '%s' (none, zlib, lzo, snappy, zstd)", s);
}

static struct uz_error *parse_long(const char *opt, const char *s, long min, long max, long *out)
{
	char *end;
	long v = strtol(s, &end, 0);
	if (!*s || *end || v < min || v > max)
		return uz_error_create(UZ_ERR_USAGE, "%s: '%s' is not a number from %ld to %ld", opt, s, min, max);
	*out = v;
	return NULL;
}

static struct uz_error *parse_vtop(const char *s, int32_t *pid, uint64_t *addr)
{
	const char *colon = strchr(s, ':');
	if (!colon)
		return uz_error_create(UZ_ERR_USAGE, "--vtop: expected PID:ADDR, got '%s'", s);
	char pidbuf[32];
	size_t n = (size_t)(colon - s);
	if (n == 0 || n >= sizeof(pidbuf))
		return uz_error_create(UZ_ERR_USAGE, "--vtop: bad PID in '%s'", s);
	memcpy(pidbuf, s, n);
	pidbuf[n] = '\0';
	long p;
	UZ_TRY(parse_long("--vtop", pidbuf, 0, INT32_MAX, &p));
	char *end;
	unsigned long long a = strtoull(colon + 1, &end, 16);
	if (!colon[1] || *end)
		return uz_error_create(UZ_ERR_USAGE, "--vtop: bad hex address in '%s'", s);
	*pid = (int32_t)p;
	*addr = a;
	return NULL;
}

/* --backing-dev zramN=IMAGE: appends the device name (a copy) and the image
 * path (pointing into arg) to the arrays. */
static struct uz_error *parse_backing(char *arg, char ***devs, char ***images, size_t *n)
{
	char *eq = strchr(arg, '=');
	if (!eq || eq == arg || !eq[1])
		return uz_error_create(UZ_ERR_USAGE, "--backing-dev: expected ZRAM=IMAGE (zram5=backing.img), got '%s'", arg);
	char **nd = realloc(*devs, (*n + 1) * sizeof(**devs));
	if (nd)
		*devs = nd;
	char **ni = nd ? realloc(*images, (*n + 1) * sizeof(**images)) : NULL;
	if (ni)
		*images = ni;
	char *dev = ni ? strndup(arg, (size_t)(eq - arg)) : NULL;
	if (!dev)
		return uz_error_create(UZ_ERR_NOMEM, "out of memory");
	(*devs)[*n] = dev;
	(*images)[(*n)++] = eq + 1;
	return NULL;
}

int main(int argc, char **argv)
{
	struct uz_rewrite_options o;
	memset(&o, 0, sizeof(o));
	o.threads = 0;
	enum mode mode = MODE_REWRITE;
	bool json = false;
	int32_t vtop_pid = 0;
	uint64_t vtop_addr = 0;
	char slot_dev[32] = "";
	uint64_t slot_offset = 0;
	int32_t *pids = NULL;
	char **comms = NULL;
	char **bk_devs = NULL, **bk_images = NULL;
	size_t n_bk = 0;
	struct uz_error *err = NULL;
	uint64_t partial = 0;
	bool force = false;
	int c;

	o.kernel.need_modules = uz_zram_modules;
	uz_interrupt_block();
	opterr = 0;
	while (!err && (c = getopt_long(argc, argv, ":d:f:c:j:p:qvhV", long_options, NULL)) != -1) {
		long v;
		switch (c) {
		case 'd':
			o.kernel.debuginfo_dir = optarg;
			err = check_not_dump_level(optarg);
			break;
		case OPT_VMLINUX: o.kernel.vmlinux = optarg; break;
		case 'f':
			err = parse_format(optarg, &o.write.format);
			o.format_given = true;
			break;
		case 'c':
			err = parse_compress(optarg, &o.write.compress);
			o.compress_given = true;
			break;
		case OPT_IN_PLACE: o.write.in_place = true; break;
		case OPT_STRICT: o.strict = true; break;
		case 'j':
			err = parse_long("--jobs", optarg, 1, 1024, &v);
			o.threads = (int)v;
			break;
		case 'p': {
			err = parse_long("--pid", optarg, 0, INT32_MAX, &v);
			int32_t *np = err ? NULL : realloc(pids, (o.n_pids + 1) * sizeof(*pids));
			if (!err && !np)
				err = uz_error_create(UZ_ERR_NOMEM, "out of memory");
			if (!err) {
				pids = np;
				pids[o.n_pids++] = (int32_t)v;
			}
			break;
		}
		case OPT_COMM: {
			char **nc = realloc(comms, (o.n_comms + 1) * sizeof(*comms));
			if (!nc) {
				err = uz_error_create(UZ_ERR_NOMEM, "out of memory");
				break;
			}
			comms = nc;
			comms[o.n_comms++] = optarg;
			break;
		}
		case OPT_REPORT: o.report_path = optarg; break;
		case OPT_VERIFY: mode = MODE_VERIFY; break;
		case OPT_PS: mode = MODE_PS; break;
		case OPT_VTOP:
			mode = MODE_VTOP;
			err = parse_vtop(optarg, &vtop_pid, &vtop_addr);
			break;
		case OPT_ZRAM_INFO: mode = MODE_ZRAM_INFO; break;
		case OPT_VADDR:
			mode = MODE_VADDR;
			err = parse_vtop(optarg, &vtop_pid, &vtop_addr);
			break;
		case OPT_SLOT: {
			mode = MODE_SLOT;
			const char *colon = strrchr(optarg, ':');
			char *end = NULL;
			if (colon && colon != optarg && colon - optarg < (long)sizeof(slot_dev))
				slot_offset = strtoull(colon + 1, &end, 0);
			if (!colon || colon == optarg || colon - optarg >= (long)sizeof(slot_dev) || !colon[1] || *end) {
				err = uz_error_create(UZ_ERR_USAGE, "--slot: expected DEVICE:OFFSET (zram0:1234), got '%s'", optarg);
				break;
			}
			memcpy(slot_dev, optarg, (size_t)(colon - optarg));
			slot_dev[colon - optarg] = '\0';
			break;
		}
		case OPT_JSON: json = true; break;
		case OPT_BACKING_DEV: err = parse_backing(optarg, &bk_devs, &bk_images, &n_bk); break;
		case 'q': o.quiet = true; break;
		case OPT_FORCE: force = true; break;
		case 'v': o.verbose = true; break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("vmcore-unzram %s\n", UZ_VERSION);
			return 0;
		default:
			/* One line, as for every other error (getopt's own two are off). */
			fprintf(stderr, "vmcore-unzram: %s '%s' (try --help)\n",
				c == ':' ? "missing argument for" : "unknown option", argv[optind - 1]);
			return 2;
		}
	}
	o.pids = pids;
	o.comms = comms;
	o.backing_devs = bk_devs;
	o.backing_images = bk_images;
	o.n_backing = n_bk;
	const struct uz_backing_images bk = { bk_devs, bk_images, n_bk };
	int nargs = argc - optind;
	/* Contradictions are refused, not resolved silently. */
	if (!err && o.format_given && o.write.format == UZ_DUMP_ELF && o.compress_given)
		err = uz_error_create(UZ_ERR_USAGE, "--compress applies to kdump-compressed output, not to --format=elf");
	if (!err && json && (mode == MODE_REWRITE || mode == MODE_VERIFY))
		err = uz_error_create(UZ_ERR_USAGE, "--json is for the inspection commands; the rewrite writes JSON with --report=FILE");
	if (!err && (o.n_pids || o.n_comms) && mode != MODE_REWRITE)
		err = uz_error_create(UZ_ERR_USAGE, "--pid and --comm choose what the rewrite restores; they do not apply here");
	if (!err && o.quiet && o.verbose)
		err = uz_error_create(UZ_ERR_USAGE, "--quiet and --verbose contradict each other");
	if (!err) {
		int want = (mode == MODE_REWRITE || mode == MODE_VERIFY) ? 2 : 1;
		/* --in-place FILE and --verify OUT (a self-check) take one. */
		bool one_ok = (mode == MODE_REWRITE && o.write.in_place) || mode == MODE_VERIFY;
		if (nargs != want && !(one_ok && nargs == 1))
			err = uz_error_create(UZ_ERR_USAGE, "expected %s, got %d argument%s (try --help)",
					      want == 2 ? "IN and OUT" : "one DUMP", nargs, nargs == 1 ? "" : "s");
	}
	if (!err && mode == MODE_REWRITE) {
		o.in_path = argv[optind];
		o.out_path = argv[optind + nargs - 1];
		/* Identity, not spelling: ./IN, a symlink or a hard link to IN
		 * is IN, and writing it would replace the only copy of a dump. */
		bool same = strcmp(o.in_path, o.out_path) == 0 || uz_path_same_file(o.in_path, o.out_path);
		bool to_stdout = strcmp(o.out_path, "-") == 0;
		struct stat st;
		if (to_stdout && o.write.in_place)
			err = uz_error_create(UZ_ERR_USAGE, "--in-place updates a file; standard output is not one");
		else if (to_stdout && o.report_path && strcmp(o.report_path, "-") == 0)
			err = uz_error_create(UZ_ERR_USAGE, "OUT is standard output: --report needs a file");
		else if (to_stdout && isatty(STDOUT_FILENO))
			err = uz_error_create(UZ_ERR_USAGE, "OUT '-' writes a dump to standard output, which is a terminal; redirect or pipe it");
		else if (to_stdout)
			o.write.flattened = true;   /* makedumpfile -F's stream: makedumpfile -R reassembles it */
		else if (o.write.in_place && !same)
			err = uz_error_create(UZ_ERR_USAGE, "--in-place updates FILE itself: name it once (vmcore-unzram --in-place FILE)");
		else if (!o.write.in_place && same)
			err = uz_error_create(UZ_ERR_USAGE,
					      "OUT %s is the input file itself; give another OUT (or --in-place FILE to update an ELF dump)",
					      o.out_path);
		else if (!o.write.in_place && !(err = uz_output_path_check(o.out_path)) && !force &&
			 stat(o.out_path, &st) == 0)
			err = uz_error_create(UZ_ERR_USAGE, "OUT %s exists; give --force to replace it", o.out_path);
	}
	if (!err) {
		struct uz_rewrite_totals totals;
		switch (mode) {
		case MODE_REWRITE:
			err = uz_rewrite_run(&o, &totals);
			if (!err)
				partial = totals.ptes[UZ_OUT_MISSING] + totals.ptes[UZ_OUT_FAILED];
			break;
		case MODE_VERIFY:
			err = uz_rewrite_verify(&(struct uz_verify_options){
				.in_path = nargs == 2 ? argv[optind] : NULL, .out_path = argv[optind + nargs - 1],
				.kernel = o.kernel, .backing_devs = bk_devs, .backing_images = bk_images,
				.n_backing = n_bk, .quiet = o.quiet });
			break;
		case MODE_PS:
			err = uz_inspect_ps(argv[optind], &o.kernel, json);
			break;
		case MODE_VTOP:
			err = uz_inspect_vtop(argv[optind], &o.kernel, vtop_pid, vtop_addr, json);
			break;
		case MODE_ZRAM_INFO:
			err = uz_inspect_zram(argv[optind], &o.kernel, &bk, json);
			break;
		case MODE_SLOT:
			err = uz_inspect_slot(argv[optind], &o.kernel, &bk, slot_dev, slot_offset, json);
			break;
		case MODE_VADDR:
			err = uz_inspect_vaddr(argv[optind], &o.kernel, &bk, vtop_pid, vtop_addr, json);
			break;
		}
	}
	free(pids);
	free(comms);
	for (size_t i = 0; i < n_bk; i++)
		free(bk_devs[i]);
	free(bk_devs);
	free(bk_images);
	if (err)
		return fail(err);
	/* OUT is complete, but pages that were in RAM could not be restored
	 * (their metadata filtered out, or corrupt): not a clean success.
	 * Written-back pages without an image are not counted: they were
	 * never in the dump. */
	if (partial) {
		if (!o.quiet)
			fprintf(stderr, "vmcore-unzram: partial: %" PRIu64 " zram swap PTEs could not be restored from the dump "
				"(missing or failed; see above or --report); exit status %d\n", partial, EXIT_PARTIAL);
		return EXIT_PARTIAL;
	}
	return 0;
}
