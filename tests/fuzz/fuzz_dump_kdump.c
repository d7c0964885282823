/* libFuzzer target: the kdump-compressed and flattened reader and writer
 * (see fuzz_dump.h). */
#include "fuzz_dump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_seed seeds[5];
	if (!seeds[0].data) {
		struct uz_synth_desc d = { .format = UZ_DUMP_KDUMP, .arch = UZ_ARCH_X86_64,
					   .page_size = 4096, .ranges = fuzz_ranges,
					   .n_ranges = sizeof(fuzz_ranges) / sizeof(fuzz_ranges[0]),
					   .nr_cpus = 1 };
		const enum uz_dump_compress c[] = { UZ_COMPRESS_NONE, UZ_COMPRESS_ZLIB,
						    UZ_COMPRESS_LZO, UZ_COMPRESS_ZSTD };
		for (size_t i = 0; i < 4; i++) {
			d.compress = c[i];
			seeds[i] = fuzz_make_seed(&d);
		}
		d.flatten = true;
		d.flat_scramble = true;
		d.flat_record_size = 900;
		seeds[4] = fuzz_make_seed(&d);
	}
	if ((size >= 8 && memcmp(data, "KDUMP   ", 8) == 0) ||
	    (size >= 12 && memcmp(data, "makedumpfile", 12) == 0))
		fuzz_exercise(data, size);
	else
		fuzz_patch_mode(seeds, 5, data, size);
	return 0;
}
