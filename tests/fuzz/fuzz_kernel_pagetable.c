/* libFuzzer target: the page-table walker (lib/kernel/pgtable.c with the
 * x86_64 and arm64 formats) over a fuzzed physical memory image.  The first
 * bytes choose the format and an address; the rest is physical memory
 * starting at 0, with the root table at 0.  Every outcome must be a result
 * or a clean error: no out-of-bounds read, no hang (table visits bounded). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/arch.h"
#include "kernel/pgtable.h"

struct image {
	const uint8_t *data;
	size_t size;
};

static struct uz_error *image_read(void *ctx, uint64_t paddr, void *buf, size_t len)
{
	const struct image *im = ctx;
	if (paddr > im->size || len > im->size - paddr)
		return uz_error_create(UZ_ERR_FAULT, "physical 0x%llx not in the image",
				       (unsigned long long)paddr);
	memcpy(buf, im->data + paddr, len);
	return NULL;
}

static struct uz_error *count_pte(void *ctx, uint64_t vaddr, uint64_t pte_paddr, uint64_t pte)
{
	(void)vaddr; (void)pte_paddr; (void)pte;
	(*(uint64_t *)ctx)++;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 10)
		return 0;
	uint8_t selector = data[0];
	uint64_t vaddr;
	memcpy(&vaddr, data + 1, 8);
	struct image im = { data + 9, size - 9 };
	struct uz_pgtable_format fmt;
	static const struct { unsigned page_shift, va_bits; enum uz_arm64_pa_layout pa; } arm[] = {
		{ 12, 39, UZ_ARM64_PA_48 }, { 12, 48, UZ_ARM64_PA_48 }, { 14, 47, UZ_ARM64_PA_48 },
		{ 16, 42, UZ_ARM64_PA_48 }, { 16, 52, UZ_ARM64_PA_52_64K }, { 12, 52, UZ_ARM64_PA_52_LPA2 },
	};
	unsigned choice = selector % 8;
	if (choice < 2) {
		uz_x86_64_pgtable_format(choice == 1, (selector & 0x80) ? 1ULL << 47 : 0, &fmt);
	} else {
		struct uz_error *err = uz_aarch64_pgtable_format(arm[choice - 2].page_shift, arm[choice - 2].va_bits,
								 arm[choice - 2].pa, &fmt);
		if (err) {
			uz_error_destroy(err);
			return 0;
		}
	}
	fmt.max_tables = 32;
	struct uz_phys_reader r = { image_read, &im };
	uint64_t paddr;
	unsigned level;
	uz_error_destroy(uz_pgtable_translate(&fmt, &r, 0, vaddr, &paddr, &level));
	uint64_t span = uz_pgtable_va_span(&fmt);
	uint64_t start = vaddr % span;
	uint64_t calls = 0;
	uz_error_destroy(uz_pgtable_walk(&fmt, &r, 0, start, start + (span - start) / 2 + 1, count_pte, &calls));
	return 0;
}
