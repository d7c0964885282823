/* mkdump_roundtrip - check lib/dump on real dumps.
 *
 *   mkdump_roundtrip info DUMP
 *       format, arch, page size, max PFN, page-state counts, OSRELEASE
 *   mkdump_roundtrip copy IN OUT [ADD_PAGES [NOTE_TEXT]]
 *       write IN to OUT adding ADD_PAGES pages above the end (bytes: the
 *       PFN repeated) and an extra "VMCOREUNZRAM" note
 *   mkdump_roundtrip compare A B
 *       every PFN below A's max: same state and same bytes in B; added
 *       pages of B (above A's max) must hold the copy pattern
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump/dump.h"

/* PATH, or a comma-separated list of the files of a makedumpfile --split set. */
static struct uz_error *open_any(const char *path, struct uz_dump **out)
{
	if (!strchr(path, ','))
		return uz_dump_open(path, out);
	char *copy = strdup(path);
	const char *parts[64];
	size_t n = 0;
	for (char *save = NULL, *t = strtok_r(copy, ",", &save); t && n < 64;
	     t = strtok_r(NULL, ",", &save))
		parts[n++] = t;
	struct uz_error *err = uz_dump_open_split(parts, n, out);
	free(copy);
	return err;
}

static int fail(struct uz_error *err)
{
	fprintf(stderr, "mkdump_roundtrip: %s\n", err->message);
	uz_error_destroy(err);
	return 1;
}

static const char *format_name(enum uz_dump_format f)
{
	return f == UZ_DUMP_ELF ? "elf" : f == UZ_DUMP_KDUMP ? "kdump" : "flattened";
}

static void pattern(uint64_t pfn, void *page, uint64_t size)
{
	uint64_t *p = page;
	for (uint64_t i = 0; i < size / 8; i++)
		p[i] = pfn ^ (i << 40) ^ 0x5a5a000000000000ull;
}

struct fill_ctx {
	const struct uz_page_patch *patches;
	uint64_t page_size;
};

static struct uz_error *fill(void *ctx, size_t index, void *page)
{
	struct fill_ctx *c = ctx;
	pattern(c->patches[index].pfn, page, c->page_size);
	return NULL;
}

static int info(const char *path)
{
	struct uz_dump *d;
	struct uz_error *err = open_any(path, &d);
	if (err)
		return fail(err);
	uint64_t counts[4] = { 0 };
	for (uint64_t pfn = 0; pfn < uz_dump_max_pfn(d); pfn++) {
		enum uz_page_state st;
		if ((err = uz_dump_page_state(d, pfn, &st)))
			return fail(err);
		counts[st]++;
	}
	char rel[128] = "?";
	const char *vi = uz_dump_vmcoreinfo(d);
	const char *o = vi ? strstr(vi, "OSRELEASE=") : NULL;
	if (o)
		sscanf(o + 10, "%127[^\n]", rel);
	printf("%s: format %s/%s arch %d page %" PRIu64 " max_pfn 0x%" PRIx64
	       " present %" PRIu64 " zero %" PRIu64 " excluded %" PRIu64 " hole %" PRIu64
	       " segments %zu incomplete %d release %s\n",
	       path, format_name(uz_dump_format(d)), format_name(uz_dump_contents_format(d)),
	       uz_dump_arch(d), uz_dump_page_size(d), uz_dump_max_pfn(d), counts[0], counts[1],
	       counts[2], counts[3], uz_dump_segment_count(d), uz_dump_incomplete(d), rel);
	uz_dump_close(d);
	return 0;
}

static int copy(const char *in, const char *out, uint64_t add, const char *note)
{
	struct uz_dump *d;
	struct uz_error *err = open_any(in, &d);
	if (err)
		return fail(err);
	struct uz_page_patch *patches = calloc(add ? add : 1, sizeof(*patches));
	for (uint64_t i = 0; i < add; i++)
		patches[i].pfn = uz_dump_max_pfn(d) + i;
	struct fill_ctx ctx = { patches, uz_dump_page_size(d) };
	struct uz_dump_write_options opts;
	uz_dump_write_options_init(d, &opts);
	if (note) {
		opts.note_name = "VMCOREUNZRAM";
		opts.note_desc = note;
		opts.note_desc_len = strlen(note);
	}
	err = uz_dump_write(d, out, patches, add, fill, &ctx, &opts);
	free(patches);
	uz_dump_close(d);
	return err ? fail(err) : 0;
}

static int compare(const char *a_path, const char *b_path)
{
	struct uz_dump *a, *b;
	struct uz_error *err = open_any(a_path, &a);
	if (err)
		return fail(err);
	if ((err = open_any(b_path, &b)))
		return fail(err);
	uint64_t ps = uz_dump_page_size(a);
	uint8_t *pa = malloc(ps), *pb = malloc(ps);
	uint64_t compared = 0, bad = 0;
	for (uint64_t pfn = 0; pfn < uz_dump_max_pfn(b); pfn++) {
		enum uz_page_state sa = UZ_PAGE_HOLE, sb;
		if ((pfn < uz_dump_max_pfn(a) && (err = uz_dump_page_state(a, pfn, &sa))) ||
		    (err = uz_dump_page_state(b, pfn, &sb)))
			return fail(err);
		if (pfn >= uz_dump_max_pfn(a) && sb == UZ_PAGE_PRESENT) {
			pattern(pfn, pa, ps);
			sa = UZ_PAGE_PRESENT;
		} else if (sa == UZ_PAGE_PRESENT || sa == UZ_PAGE_ZERO) {
			if ((err = uz_dump_read_page(a, pfn, pa)))
				return fail(err);
		}
		if (sa != sb) {
			if (bad++ < 10)
				fprintf(stderr, "pfn 0x%" PRIx64 ": state %d vs %d\n", pfn, sa, sb);
			continue;
		}
		if (sa != UZ_PAGE_PRESENT && sa != UZ_PAGE_ZERO)
			continue;
		if ((err = uz_dump_read_page(b, pfn, pb)))
			return fail(err);
		compared++;
		if (memcmp(pa, pb, ps) && bad++ < 10)
			fprintf(stderr, "pfn 0x%" PRIx64 ": bytes differ\n", pfn);
	}
	printf("compared %" PRIu64 " pages, %" PRIu64 " differences\n", compared, bad);
	free(pa);
	free(pb);
	uz_dump_close(a);
	uz_dump_close(b);
	return bad != 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "info"))
		return info(argv[2]);
	if (argc >= 4 && argc <= 6 && !strcmp(argv[1], "copy"))
		return copy(argv[2], argv[3], argc > 4 ? strtoull(argv[4], NULL, 0) : 0,
			    argc > 5 ? argv[5] : NULL);
	if (argc == 4 && !strcmp(argv[1], "compare"))
		return compare(argv[2], argv[3]);
	fprintf(stderr, "usage: mkdump_roundtrip info DUMP | copy IN OUT [ADD [NOTE]] | compare A B\n"
			"  (a dump: a path, \"-\" for standard input, or a comma-separated split set)\n");
	return 2;
}
