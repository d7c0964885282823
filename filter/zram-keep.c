/* zram-keep.c - put back into a filtered dump the pages vmcore-unzram needs.
 *
 *   zram-keep [OPTION]... ORIGINAL FILTERED [OUT]
 *
 * ORIGINAL is the complete dump (/proc/vmcore as saved), FILTERED a
 * makedumpfile output of the same crash.  OUT is FILTERED plus every needed
 * page (lib/keep: zsmalloc pool pages, zram tables, zspage and handle
 * objects, user page tables, swap-cache pages, and the kernel objects read on
 * the way) that FILTERED lacks, copied from ORIGINAL.
 *
 * Owns: the command line, deciding which needed pages FILTERED lacks (not
 * in it, or zero there while ORIGINAL has data), checking that FILTERED is
 * a copy of ORIGINAL, the JSON report.  Does not own: which pages are needed
 * (lib/keep), reading or writing dumps (lib/dump).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump/dump.h"
#include "keep/needed.h"
#include "interrupt.h"
#include "progress.h"
#include "kernel/kernel.h"
#include "zram/zram.h"

static const char usage_text[] =
	"Usage: zram-keep [OPTION]... ORIGINAL FILTERED [OUT]\n"
	"Put back into a filtered kernel dump the pages vmcore-unzram needs.\n"
	"\n"
	"ORIGINAL is the complete dump of a crash (/proc/vmcore as saved), FILTERED a\n"
	"makedumpfile output of the same crash (any -d level, kdump-compressed or\n"
	"ELF).  OUT is FILTERED plus every page needed to restore zram-swapped user\n"
	"pages that FILTERED lacks, copied from ORIGINAL: zsmalloc pool pages, zram\n"
	"slot tables, zspage and handle objects, user page tables, swap-cache pages\n"
	"and the kernel objects read on the way (tasks, mms, VMAs, zram devices).\n"
	"Run vmcore-unzram on OUT afterwards.  OUT is written to a temporary file and\n"
	"renamed when complete; ORIGINAL is never modified.  Without OUT, FILTERED is\n"
	"replaced the same way (and left as it was when nothing is missing or on any\n"
	"error).  OUT keeps FILTERED's format and compression; a flattened FILTERED\n"
	"(makedumpfile -F) gives a flattened OUT.  FILTERED \"-\" reads standard input\n"
	"(spooled to $TMPDIR); OUT \"-\" writes the flattened format to standard output,\n"
	"so that `makedumpfile -F ... | zram-keep /proc/vmcore - - | ssh ...` works.\n"
	"\n"
	"Options:\n"
	"  -d, --debuginfo=DIR     directory with the debug vmlinux and debug modules\n"
	"                          (zram.ko, zsmalloc.ko); default: standard locations\n"
	"      --vmlinux=FILE      the debug vmlinux to use\n"
	"      --report=FILE       write a JSON report (- for standard output)\n"
	"  -q, --quiet             no progress and no summary\n"
	"  -h, --help              show this help and exit\n"
	"  -V, --version           show the version and exit\n"
	"\n"
	"Exit status: 0 success; 2 bad arguments; 3 I/O error; 4 corrupt or truncated\n"
	"input; 5 unsupported input (e.g. an incomplete FILTERED, or a page that\n"
	"straddles an ELF segment's zero fill); 6 mismatch (FILTERED is not from the same crash as ORIGINAL,\n"
	"debuginfo does not match) or something needed is missing; 7 out of memory.\n"
	"See zram-keep(8).\n";

enum { OPT_VMLINUX = 256, OPT_REPORT };

static const struct option long_options[] = {
	{ "debuginfo", required_argument, NULL, 'd' },
	{ "vmlinux", required_argument, NULL, OPT_VMLINUX },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Why a needed page is copied into OUT. */
enum lack {
	LACK_EXCLUDED,    /* filtered out by makedumpfile */
	LACK_HOLE,        /* not described by FILTERED at all */
	LACK_ZEROED,      /* zero in FILTERED, data in ORIGINAL */
	LACK_COUNT
};
static const char *const lack_names[LACK_COUNT] = { "excluded", "hole", "zeroed" };

struct keep {
	const char *original_path, *filtered_path, *out_path, *report_path;
	struct uz_kernel_options kernel;
	bool quiet;
	struct progress progress;   /* of the phase running now */
	bool out_started;          /* a byte of a flattened OUT reached standard output */
	struct uz_dump *orig, *filtered;
	struct uz_needed *needed;
	uint64_t page_size;
	struct uz_page_patch *patches;
	size_t n_patches;
	uint64_t needed_by_cat[UZ_NEED_COUNT], kept_by_cat[UZ_NEED_COUNT];
	/* each kept page once, under the first category that needed it (the
	 * per-category counts above overlap: a page can serve several) */
	uint64_t kept_by_first_cat[UZ_NEED_COUNT];
	uint64_t kept_by_lack[LACK_COUNT];
	uint64_t checked_same;    /* needed pages in both, compared byte for byte */
};

static bool all_zero(const uint8_t *p, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static struct uz_error *check_same_crash(struct keep *kp)
{
	if (uz_dump_page_size(kp->orig) != uz_dump_page_size(kp->filtered))
		return uz_error_create(UZ_ERR_MISMATCH, "%s has %llu-byte pages, %s %llu-byte pages",
				       kp->original_path, (unsigned long long)uz_dump_page_size(kp->orig),
				       kp->filtered_path, (unsigned long long)uz_dump_page_size(kp->filtered));
	const char *a = uz_dump_vmcoreinfo(kp->orig), *b = uz_dump_vmcoreinfo(kp->filtered);
	if (a && b) {
		/* makedumpfile copies VMCOREINFO; the kernel's crash time is in it. */
		const char *ta = strstr(a, "CRASHTIME="), *tb = strstr(b, "CRASHTIME=");
		if (ta && tb && strncmp(ta, tb, strcspn(ta, "\n")) != 0)
			return uz_error_create(UZ_ERR_MISMATCH, "%s and %s are dumps of different crashes (CRASHTIME differs)",
					       kp->original_path, kp->filtered_path);
	}
	return NULL;
}

/* Decide, page by page, what FILTERED lacks; compare the pages both have. */
static struct uz_error *plan(struct keep *kp)
{
	size_t n = uz_needed_count(kp->needed);
	kp->patches = malloc((n ? n : 1) * sizeof(*kp->patches));
	uint8_t *a = malloc(kp->page_size), *b = malloc(kp->page_size);
	struct uz_error *err = NULL;
	if (!kp->patches || !a || !b)
		err = uz_error_create(UZ_ERR_NOMEM, "out of memory (%zu needed pages)", n);
	progress_start(&kp->progress, "zram-keep", kp->quiet, "comparing needed pages", n);
	for (size_t i = 0; i < n && !err; i++) {
		progress_update(&kp->progress, i);
		uint64_t pfn = uz_needed_pfn(kp->needed, i);
		unsigned mask = uz_needed_mask(kp->needed, i);
		for (int c = 0; c < UZ_NEED_COUNT; c++)
			kp->needed_by_cat[c] += (mask >> c) & 1;
		enum uz_page_state so, sf = UZ_PAGE_HOLE;
		if ((err = uz_dump_page_state(kp->orig, pfn, &so)))
			break;
		if (so != UZ_PAGE_PRESENT && so != UZ_PAGE_ZERO) {
			err = uz_error_create(UZ_ERR_FAULT, "%s lacks page 0x%" PRIx64 " too: ORIGINAL must be the complete dump",
					      kp->original_path, pfn);
			break;
		}
		if (pfn < uz_dump_max_pfn(kp->filtered) &&
		    (err = uz_dump_page_state(kp->filtered, pfn, &sf)))
			break;
		enum lack why = LACK_COUNT;
		if (sf == UZ_PAGE_EXCLUDED) {
			why = LACK_EXCLUDED;
		} else if (sf == UZ_PAGE_HOLE) {
			why = LACK_HOLE;
		} else {
			if ((err = uz_dump_read_page(kp->orig, pfn, a)) ||
			    (err = uz_dump_read_page(kp->filtered, pfn, b)))
				break;
			if (memcmp(a, b, kp->page_size) != 0) {
				if (!all_zero(b, kp->page_size)) {
					err = uz_error_create(UZ_ERR_MISMATCH,
							      "%s is not a filtered copy of %s: page 0x%" PRIx64 " differs",
							      kp->filtered_path, kp->original_path, pfn);
					break;
				}
				why = LACK_ZEROED;
			} else {
				kp->checked_same++;
			}
		}
		if (why == LACK_COUNT)
			continue;
		kp->kept_by_lack[why]++;
		for (int c = 0; c < UZ_NEED_COUNT; c++)
			kp->kept_by_cat[c] += (mask >> c) & 1;
		for (int c = 0; c < UZ_NEED_COUNT; c++)
			if ((mask >> c) & 1) {
				kp->kept_by_first_cat[c]++;
				break;
			}
		kp->patches[kp->n_patches++].pfn = pfn;
	}
	progress_finish(&kp->progress);
	free(a);
	free(b);
	return err;
}

static struct uz_error *fill_from_original(void *ctx, size_t index, void *page)
{
	struct keep *kp = ctx;
	progress_update(&kp->progress, index + 1);
	uint64_t pfn = kp->patches[index].pfn;
	return uz_error_wrap(uz_dump_read_page(kp->orig, pfn, page), "copying page 0x%" PRIx64 " from %s",
			     pfn, kp->original_path);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static struct uz_error *write_report(const struct keep *kp)
{
	FILE *f = strcmp(kp->report_path, "-") == 0 ? stdout : fopen(kp->report_path, "w");
	if (!f)
		return uz_error_errno(errno, "opening report %s", kp->report_path);
	const struct uz_needed_stats *s = uz_needed_stats(kp->needed);
	fprintf(f, "{\"tool\": \"zram-keep\", \"version\": \"%s\", \"original\": ", UZ_VERSION);
	json_str(f, kp->original_path);
	fprintf(f, ", \"filtered\": ");
	json_str(f, kp->filtered_path);
	fprintf(f, ", \"output\": ");
	json_str(f, kp->out_path);
	fprintf(f, ",\n \"reads_observed\": %s, \"needed\": %zu, \"kept\": %zu, \"identical\": %" PRIu64 ",\n",
		s->reads_observed ? "true" : "false", uz_needed_count(kp->needed), kp->n_patches,
		kp->checked_same);
	fprintf(f, " \"by_category\": {");
	for (int c = 0; c < UZ_NEED_COUNT; c++)
		fprintf(f, "%s\"%s\": {\"needed\": %" PRIu64 ", \"kept\": %" PRIu64 "}", c ? ", " : "",
			uz_need_category_name(c), kp->needed_by_cat[c], kp->kept_by_cat[c]);
	fprintf(f, "},\n \"kept_because\": {");
	for (int l = 0; l < LACK_COUNT; l++)
		fprintf(f, "%s\"%s\": %" PRIu64, l ? ", " : "", lack_names[l], kp->kept_by_lack[l]);
	fprintf(f, "},\n \"walk\": {\"tasks\": %" PRIu64 ", \"mms\": %" PRIu64 ", \"vmas\": %" PRIu64
		", \"zram_swap_ptes\": %" PRIu64 ", \"resolved\": %" PRIu64 ", \"resolve_failed\": %" PRIu64
		", \"zspages\": %" PRIu64 "},\n \"pfns\": [",
		s->tasks, s->mms, s->vmas, s->zram_swap_ptes, s->entries_resolved, s->entries_failed,
		s->zspages);
	for (size_t i = 0; i < kp->n_patches; i++)
		fprintf(f, "%s\"0x%" PRIx64 "\"", i ? ", " : "", kp->patches[i].pfn);
	fprintf(f, "]}\n");
	bool ok = !ferror(f);
	if (f != stdout)
		ok = fclose(f) == 0 && ok;
	else
		ok = fflush(f) == 0 && ok;
	return ok ? NULL : uz_error_create(UZ_ERR_IO, "writing report %s failed", kp->report_path);
}

static void print_summary(const struct keep *kp)
{
	fprintf(stderr, "zram-keep: %zu of %zu needed pages were missing from %s; %s has them",
		kp->n_patches, uz_needed_count(kp->needed), kp->filtered_path,
		strcmp(kp->out_path, "-") == 0 ? "standard output" : kp->out_path);
	const char *sep = " (";
	for (int c = 0; c < UZ_NEED_COUNT; c++)
		if (kp->kept_by_first_cat[c]) {
			fprintf(stderr, "%s%s %" PRIu64, sep, uz_need_category_name(c), kp->kept_by_first_cat[c]);
			sep = ", ";
		}
	fprintf(stderr, "%s\n", *sep == ',' ? ")" : "");
	if (!uz_needed_stats(kp->needed)->reads_observed)
		fprintf(stderr, "zram-keep: warning: built without the dump read observer: kernel objects "
			"other than tasks, mms, VMAs, swap areas and zram/zsmalloc structures, and upper "
			"page-table levels, are not kept\n");
}

/* FILTERED, as received, to standard output. */
static struct uz_error *pass_through(struct keep *kp)
{
	if (kp->filtered)
		return uz_dump_copy_source(kp->filtered, STDOUT_FILENO, "standard output");
	if (strcmp(kp->filtered_path, "-") != 0)
		return uz_error_create(UZ_ERR_USAGE, "FILTERED %s could not be opened", kp->filtered_path);
	/* Never opened (ORIGINAL failed first): copy standard input as it comes. */
	return uz_copy_stream(STDIN_FILENO, "standard input", STDOUT_FILENO, "standard output");
}

static struct uz_error *run(struct keep *kp, bool in_place)
{
	bool to_stdout = strcmp(kp->out_path, "-") == 0;
	if (strcmp(kp->original_path, "-") == 0)
		return uz_error_create(UZ_ERR_USAGE, "ORIGINAL cannot be standard input (it is read twice)");
	if (in_place && strcmp(kp->filtered_path, "-") == 0)
		return uz_error_create(UZ_ERR_USAGE, "FILTERED is standard input: give OUT (\"-\" for standard output)");
	if (to_stdout && kp->report_path && strcmp(kp->report_path, "-") == 0)
		return uz_error_create(UZ_ERR_USAGE, "OUT is standard output: --report needs a file");
	if (uz_path_same_file(kp->out_path, kp->original_path) ||
	    (!in_place && uz_path_same_file(kp->out_path, kp->filtered_path)))
		return uz_error_create(UZ_ERR_USAGE,
				       "OUT (%s) must not be ORIGINAL or FILTERED (omit OUT to update FILTERED)",
				       kp->out_path);
	UZ_TRY(uz_dump_open(kp->original_path, &kp->orig));
	UZ_TRY(uz_dump_open(kp->filtered_path, &kp->filtered));
	kp->page_size = uz_dump_page_size(kp->orig);
	UZ_TRY(check_same_crash(kp));
	UZ_TRY(uz_error_wrap(uz_needed_compute(kp->orig, &kp->kernel, &kp->needed),
			     "finding the needed pages in %s", kp->original_path));
	UZ_TRY(plan(kp));
	struct uz_dump_write_options opts;
	uz_dump_write_options_init(kp->filtered, &opts);
	opts.fill_missing = true;   /* excluded pages and holes come back */
	opts.flattened = to_stdout || uz_dump_format(kp->filtered) == UZ_DUMP_FLAT;
	opts.flat_started = &kp->out_started;
	/* In place with nothing missing: FILTERED is already the answer. */
	if (!(in_place && kp->n_patches == 0)) {
		progress_start(&kp->progress, "zram-keep", kp->quiet, "writing", kp->n_patches);
		/* lib/dump names the output in its errors already. */
		struct uz_error *err = uz_dump_write(kp->filtered, kp->out_path, kp->patches, kp->n_patches,
						     fill_from_original, kp, &opts);
		progress_finish(&kp->progress);
		UZ_TRY(err);
	}
	if (kp->report_path)
		UZ_TRY(write_report(kp));
	if (!kp->quiet)
		print_summary(kp);
	return NULL;
}

int main(int argc, char **argv)
{
	struct keep kp;
	memset(&kp, 0, sizeof(kp));
	kp.kernel.need_modules = uz_zram_modules;
	uz_interrupt_block();
	int c;
	while ((c = getopt_long(argc, argv, "d:qhV", long_options, NULL)) != -1) {
		switch (c) {
		case 'd': kp.kernel.debuginfo_dir = optarg; break;
		case OPT_VMLINUX: kp.kernel.vmlinux = optarg; break;
		case OPT_REPORT: kp.report_path = optarg; break;
		case 'q': kp.quiet = true; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'V': printf("zram-keep (vmcore-unzram) %s\n", UZ_VERSION); return 0;
		default:
			fprintf(stderr, "Try 'zram-keep --help' for more information.\n");
			return 2;
		}
	}
	if (argc - optind != 3 && argc - optind != 2) {
		fprintf(stderr, "zram-keep: expected ORIGINAL FILTERED [OUT], got %d argument%s\n"
			"Try 'zram-keep --help' for more information.\n", argc - optind,
			argc - optind == 1 ? "" : "s");
		return 2;
	}
	kp.original_path = argv[optind];
	kp.filtered_path = argv[optind + 1];
	bool in_place = argc - optind == 2;
	kp.out_path = in_place ? kp.filtered_path : argv[optind + 2];
	struct uz_error *err = run(&kp, in_place);
	int rc = 0;
	bool interrupted = err && err->code == UZ_ERR_INTERRUPTED;
	if (err && !interrupted && strcmp(kp.out_path, "-") == 0 && !kp.out_started) {
		/* In a pipe (makedumpfile -F | zram-keep ... - - | file) a filtered
		 * dump without the zram pages beats an empty one. */
		struct uz_error *perr = pass_through(&kp);
		fprintf(stderr, "zram-keep: %s\n", err->message);
		if (perr) {
			fprintf(stderr, "zram-keep: passing FILTERED through unchanged failed too: %s\n",
				perr->message);
			uz_error_destroy(perr);
		} else {
			fprintf(stderr, "zram-keep: passed FILTERED through to standard output unchanged\n");
		}
		rc = uz_error_exit_code(err);
		uz_error_destroy(err);
		err = NULL;
	}
	if (err) {
		fprintf(stderr, "zram-keep: %s\n", err->message);
		rc = uz_error_exit_code(err);
		uz_error_destroy(err);
	}
	if (interrupted)
		uz_interrupt_die();   /* temporary files are gone; end as the signal says */
	free(kp.patches);
	uz_needed_free(kp.needed);
	uz_dump_close(kp.filtered);
	uz_dump_close(kp.orig);
	return rc;
}
