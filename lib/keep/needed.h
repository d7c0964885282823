/* needed.h - which physical pages of a dump vmcore-unzram needs to restore
 * zram-swapped user pages, by category.  zram-keep uses the set to put back
 * into a makedumpfile-filtered dump the pages the filter dropped;
 * tests/tools/zram-needed measures what each dump level drops.
 *
 * Owns: the needed-page set (PFN -> category mask) and computing it from a
 * complete dump: the user page-table walk of every process, resolving every
 * zram swap entry a PTE holds and every stored slot of every zram swap
 * device, the zram tables, and a walk of each zram pool's zspage lists.
 * Every page read along the way, from opening the kernel view (BTF and
 * module BTF included) to the last slot, is recorded too (category OTHER,
 * through the dump's read observer), which makes the set complete by
 * construction for a later walk of the same structures.
 *
 * Does not own: reading/writing dumps (lib/dump), kernel structures
 * (lib/kernel), the zram model (lib/zram), rewriting anything.
 */
#ifndef UZ_NEEDED_H
#define UZ_NEEDED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../error.h"
#include "../dump/dump.h"
#include "../kernel/kernel.h"

/* Categories, as bits of a PFN's mask (a page can be in several). */
enum uz_need_category {
	UZ_NEED_ZSMALLOC,      /* (a) zsmalloc pages of a zram pool */
	UZ_NEED_ZRAM_TABLE,    /* (b) zram slot table (vmalloc) */
	UZ_NEED_ZS_META,       /* (c) zspage structs and zs_handle objects (slab) */
	UZ_NEED_PAGE_TABLE,    /* (d) user page-table pages */
	UZ_NEED_SWAPCACHE,     /* (e) swap-cache pages of zram swap entries */
	UZ_NEED_OTHER,         /* (f) anything else read along the way */
	UZ_NEED_COUNT
};
const char *uz_need_category_name(enum uz_need_category c);
#define UZ_NEED_BIT(c) (1u << (c))

struct uz_needed_stats {
	uint64_t tasks, mms, vmas;
	uint64_t zram_swap_ptes;          /* PTEs holding a zram swap entry */
	uint64_t entries_resolved;        /* distinct swap entries and slots resolved */
	uint64_t entries_failed;          /* ... that failed (the reason is not ours to judge) */
	uint64_t zspages;                 /* zspages on the pools' lists */
	uint64_t obj_pages_off_lists;     /* object pages of resolved slots not found by the
					     list walk (0 unless zspages are isolated) */
	bool reads_observed;              /* OTHER is complete (read observer in use) */
};

struct uz_needed;

/* Compute the set from `dump`, which must be complete (not filtered).  Opens
 * its own kernel view with kopts.  Per-slot resolution failures are counted,
 * not fatal; failing to read the kernel or the zram model is. */
struct uz_error *uz_needed_compute(struct uz_dump *dump, const struct uz_kernel_options *kopts,
				   struct uz_needed **out);
void uz_needed_free(struct uz_needed *n);

/* The set, sorted by PFN: entries 0 .. uz_needed_count()-1. */
size_t uz_needed_count(const struct uz_needed *n);
uint64_t uz_needed_pfn(const struct uz_needed *n, size_t i);
unsigned uz_needed_mask(const struct uz_needed *n, size_t i);
const struct uz_needed_stats *uz_needed_stats(const struct uz_needed *n);

#endif
