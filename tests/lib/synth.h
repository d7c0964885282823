/* synth.h - synthetic dumps from small descriptions, for tests and fuzz seeds.
 *
 * Owns: writing small ELF and kdump-compressed (optionally flattened) dumps
 * with chosen present, zero, excluded pages and holes, and saying what a
 * reader must find in them.  Written independently of the readers in
 * lib/dump (its own byte offsets) so that the round-trip tests compare two
 * implementations of the layout, not one with itself.
 *
 * Lives in tests/lib: test-only code, linked into tests, tools and fuzz
 * targets (libuztest.a), never into the programs.
 *
 * Does not own: reading anything.  Whole files are built in memory: only for
 * small test dumps.
 */
#ifndef UZ_DUMP_SYNTH_H
#define UZ_DUMP_SYNTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dump/dump.h"

enum uz_synth_kind {
	UZ_SYNTH_DATA,       /* pseudo-random bytes derived from (seed, pfn) */
	UZ_SYNTH_ZERO,       /* an all-zero RAM page */
	UZ_SYNTH_EXCLUDED,   /* RAM filtered out (ELF: not written at all) */
};

struct uz_synth_range {
	uint64_t start_pfn, count;
	enum uz_synth_kind kind;
};

enum uz_synth_elf_flavour {
	/* /proc/vmcore: table at 64, PT_NOTE first, direct-map p_vaddr, a
	 * kernel-text PT_LOAD duplicating the first data pages, page-aligned data. */
	UZ_SYNTH_ELF_KERNEL,
	/* QEMU dump-guest-memory: table at 192, p_vaddr 0, unaligned data. */
	UZ_SYNTH_ELF_QEMU,
};

struct uz_synth_desc {
	enum uz_dump_format format;      /* UZ_DUMP_ELF or UZ_DUMP_KDUMP */
	bool flatten;                    /* wrap in makedumpfile's flattened format */
	enum uz_arch arch;               /* default x86_64 */
	uint64_t page_size;              /* default 4096 */
	enum uz_dump_compress compress;  /* kdump page compression */
	enum uz_synth_elf_flavour flavour;
	const struct uz_synth_range *ranges;   /* sorted, non-overlapping */
	size_t n_ranges;
	const char *vmcoreinfo;          /* NULL: a small default */
	uint32_t seed;
	bool incomplete;                 /* kdump: flag it and cut the file in the page data */
	uint64_t flat_record_size;       /* flattened: bytes per record (default 4096) */
	bool flat_scramble;              /* flattened: records out of order, one overwritten */
	uint32_t nr_cpus;                /* PRSTATUS notes (default 2) */
	/* uz_synth_verify only: expect the dump converted to the other format
	 * (uz_dump_write with opts->format changed): ZERO pages read PRESENT
	 * (written as data), EXCLUDED pages are holes. */
	bool expect_converted;
};

/* The bytes of a DATA page. */
void uz_synth_page(uint32_t seed, uint64_t pfn, uint64_t page_size, void *buf);

struct uz_error *uz_synth_write(const struct uz_synth_desc *desc, const char *path);

/* What a reader of the written file must report for pfn, and whether the
 * page's bytes are synth data (*is_data) or zeros. */
enum uz_page_state uz_synth_expect(const struct uz_synth_desc *desc, uint64_t pfn,
				   bool *is_data);
/* One past the highest PFN described. */
uint64_t uz_synth_end_pfn(const struct uz_synth_desc *desc);

/* Check every PFN of an opened dump against the description, through the
 * public reader API: page state, page bytes, reads of missing pages failing
 * with UZ_ERR_FAULT, uz_dump_next_pfn visiting exactly the present and zero
 * pages.  Patched PFNs (from a write) must be present with fill()'s bytes.
 * Returns false with a reason in why. */
bool uz_synth_verify(const struct uz_synth_desc *desc, struct uz_dump *dump,
		     const struct uz_page_patch *patches, size_t n_patches,
		     uz_patch_fill_fn *fill, void *fill_ctx, char *why, size_t why_size);

#endif
