/* dumpcopy - copy a dump through the format layer with no changes, or
 * re-encoded with --format/--compress.  Used by the benchmark (copy time
 * versus cp) and by round-trip tests.
 *
 * Usage: dumpcopy [--no-fsync] [--grow MIB] [--format elf|kdump] [--compress ...] IN OUT
 * --no-fsync: the copy without the final fsync, to time it apart from the
 * disk's write-back (the benchmark's comparison with plain cp).
 * --grow MIB: add MIB MiB of pages (each stamped with its PFN) above the
 * dump's highest PFN: a bigger dump with the same kernel state, for the
 * benchmark's question whether --in-place time grows with the dump size.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump/dump.h"

/* A page of PFN-stamped words: distinct in every page, cheap to make. */
static struct uz_error *fill_stamped(void *ctx, size_t index, void *page)
{
	const struct uz_dump *in = ctx;
	uint64_t pfn = uz_dump_max_pfn(in) + index, *w = page;
	for (size_t i = 0; i < uz_dump_page_size(in) / sizeof(*w); i++)
		w[i] = pfn << 16 | i;
	return NULL;
}

static int usage(void)
{
	fputs("usage: dumpcopy [--no-fsync] [--grow MIB] [--format elf|kdump] [--compress none|zlib|lzo|snappy|zstd] IN OUT\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	const char *format = NULL, *compress = NULL;
	bool no_fsync = false;
	unsigned long grow_mib = 0;
	int i = 1;
	if (i < argc && strcmp(argv[i], "--no-fsync") == 0) {
		no_fsync = true;
		i++;
	}
	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--grow") == 0)
			grow_mib = strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--format") == 0)
			format = argv[i + 1];
		else if (strcmp(argv[i], "--compress") == 0)
			compress = argv[i + 1];
		else
			return usage();
	}
	if (argc - i != 2)
		return usage();
	struct uz_dump *in;
	struct uz_error *err = uz_dump_open(argv[i], &in);
	if (err) {
		fprintf(stderr, "dumpcopy: %s\n", err->message);
		return uz_error_exit_code(err);
	}
	struct uz_dump_write_options opts;
	uz_dump_write_options_init(in, &opts);
	opts.no_fsync = no_fsync;
	if (format)
		opts.format = strcmp(format, "elf") == 0 ? UZ_DUMP_ELF : UZ_DUMP_KDUMP;
	if (compress) {
		static const char *const names[] = { "none", "zlib", "lzo", "snappy", "zstd" };
		static const enum uz_dump_compress vals[] = { UZ_COMPRESS_NONE, UZ_COMPRESS_ZLIB, UZ_COMPRESS_LZO,
							      UZ_COMPRESS_SNAPPY, UZ_COMPRESS_ZSTD };
		size_t k = 0;
		while (k < 5 && strcmp(names[k], compress) != 0)
			k++;
		if (k == 5)
			return usage();
		opts.compress = vals[k];
	}
	size_t n_grow = (size_t)(((uint64_t)grow_mib << 20) / uz_dump_page_size(in));
	struct uz_page_patch *grow = n_grow ? calloc(n_grow, sizeof(*grow)) : NULL;
	if (n_grow && !grow) {
		fputs("dumpcopy: out of memory\n", stderr);
		uz_dump_close(in);
		return 1;
	}
	for (size_t k = 0; k < n_grow; k++)
		grow[k].pfn = uz_dump_max_pfn(in) + k;
	err = uz_dump_write(in, argv[i + 1], grow, n_grow, fill_stamped, in, &opts);
	free(grow);
	uz_dump_close(in);
	if (err) {
		fprintf(stderr, "dumpcopy: %s\n", err->message);
		return uz_error_exit_code(err);
	}
	return 0;
}
