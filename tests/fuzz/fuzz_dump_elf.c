/* libFuzzer target: the ELF vmcore reader and writer (see fuzz_dump.h). */
#include "fuzz_dump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_seed seeds[3];
	if (!seeds[0].data) {
		struct uz_synth_desc d = { .format = UZ_DUMP_ELF, .arch = UZ_ARCH_X86_64,
					   .page_size = 4096, .ranges = fuzz_ranges,
					   .n_ranges = sizeof(fuzz_ranges) / sizeof(fuzz_ranges[0]),
					   .nr_cpus = 1 };
		seeds[0] = fuzz_make_seed(&d);
		d.flavour = UZ_SYNTH_ELF_QEMU;
		seeds[1] = fuzz_make_seed(&d);
		d.flatten = true;
		d.flat_record_size = 700;
		seeds[2] = fuzz_make_seed(&d);
	}
	if (size >= 4 && (memcmp(data, "\x7f" "ELF", 4) == 0 ||
			  (size >= 12 && memcmp(data, "makedumpfile", 12) == 0)))
		fuzz_exercise(data, size);
	else
		fuzz_patch_mode(seeds, 3, data, size);
	return 0;
}
