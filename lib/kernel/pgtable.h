/* pgtable.h - a table-driven multi-level page-table walker.
 *
 * Owns: index arithmetic (per-level shift and width), reading table pages
 * through a physical reader, translating one address, and walking the
 * last-level entries of a range with a bound on the table pages visited.
 * The meaning of an entry (present? table or leaf? where does it point?) is
 * delegated to the format's callbacks, which the architectures supply
 * (arch_x86_64.c, arch_aarch64.c).
 *
 * Does not own: which root to use (kernel vs. user), PTE swap encodings, or
 * anything about the dump: reads go through struct uz_phys_reader so tests
 * and fuzzers can walk tables in a plain buffer.
 */
#ifndef UZ_KERNEL_PGTABLE_H
#define UZ_KERNEL_PGTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../error.h"

/* Reads physical memory. */
struct uz_phys_reader {
	struct uz_error *(*read)(void *ctx, uint64_t paddr, void *buf, size_t len);
	void *ctx;
};

enum uz_pgtable_entry {
	UZ_PGT_INVALID,   /* not present at this level */
	UZ_PGT_TABLE,     /* points to the next-level table */
	UZ_PGT_LEAF,      /* maps a page (last level) or a huge block (upper level) */
};

#define UZ_PGTABLE_MAX_LEVELS 5

struct uz_pgtable_format {
	const char *name;            /* "x86_64 4-level", "arm64 4K/48-bit" */
	unsigned page_shift;         /* size of a table page and of a base page */
	unsigned levels;             /* 2..5 */
	/* level 0 is the root; level levels-1 holds the PTEs. */
	unsigned shift[UZ_PGTABLE_MAX_LEVELS];
	unsigned bits[UZ_PGTABLE_MAX_LEVELS];
	/* Classify an entry found at `level`. */
	enum uz_pgtable_entry (*classify)(const struct uz_pgtable_format *fmt, unsigned level,
					  uint64_t entry);
	/* Physical address an entry points to (table or frame), low bits clear. */
	uint64_t (*address)(const struct uz_pgtable_format *fmt, uint64_t entry);
	/* Architecture parameters the callbacks use. */
	uint64_t addr_mask;          /* x86_64: bits 12..51 minus the SME C-bit */
	unsigned arm64_pa_layout;    /* arm64: enum in arch_aarch64.c */
	/* Table pages a range walk may visit before failing (0: unbounded
	 * except by the range itself; set from the dump size). */
	uint64_t max_tables;
};

/* Translate vaddr.  *leaf_level (may be NULL) gets the level of the leaf. */
struct uz_error *uz_pgtable_translate(const struct uz_pgtable_format *fmt,
				      const struct uz_phys_reader *phys, uint64_t root,
				      uint64_t vaddr, uint64_t *paddr, unsigned *leaf_level);

/* Per-entry callback of a range walk: the last-level entry at pte_paddr
 * maps vaddr.  Entries equal to 0 are not reported. */
typedef struct uz_error *uz_pgtable_pte_fn(void *ctx, uint64_t vaddr, uint64_t pte_paddr,
					   uint64_t pte);

/* Walk the last-level entries covering [start, end) (addresses below
 * 2^(shift[0]+bits[0]); upper-level leaves (huge pages) and invalid entries
 * are skipped). */
struct uz_error *uz_pgtable_walk(const struct uz_pgtable_format *fmt,
				 const struct uz_phys_reader *phys, uint64_t root,
				 uint64_t start, uint64_t end, uz_pgtable_pte_fn *cb, void *ctx);

/* Bytes of virtual address space covered by the format (2^(shift[0]+bits[0])). */
uint64_t uz_pgtable_va_span(const struct uz_pgtable_format *fmt);

#endif
