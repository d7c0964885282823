/* dumpcopy - copy a dump through the format layer with no changes, or
 * re-encoded with --format/--compress.  Used by the benchmark (copy time
 * versus cp) and by round-trip tests.
 *
 * Usage: dumpcopy [--format elf|kdump] [--compress none|zlib|lzo|zstd] IN OUT
 */
#include <stdio.h>
#include <string.h>

#include "dump/dump.h"

static int usage(void)
{
	fputs("usage: dumpcopy [--format elf|kdump] [--compress none|zlib|lzo|snappy|zstd] IN OUT\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	const char *format = NULL, *compress = NULL;
	int i = 1;
	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--format") == 0)
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
	err = uz_dump_write(in, argv[i + 1], NULL, 0, NULL, NULL, &opts);
	uz_dump_close(in);
	if (err) {
		fprintf(stderr, "dumpcopy: %s\n", err->message);
		return uz_error_exit_code(err);
	}
	return 0;
}
