/* rewrite.h - the vmcore-unzram rewrite: find every user PTE holding a swap
 * entry on a zram device, resolve the page, append it as a new physical frame
 * and rewrite the PTE (in the output only) to map that frame.
 *
 * Owns: the plan (which PTEs, which distinct swap entries, which frames), the
 * accounting categories, the rewrite record stored in the output (an ELF note
 * named "VMCOREUNZRAM"), the JSON report, and --verify.
 * Does not own: reading/writing dump files (lib/dump), kernel structures
 * (lib/kernel), zram/zsmalloc and decompression (lib/zram, lib/codec).
 */
#ifndef UZ_REWRITE_H
#define UZ_REWRITE_H

#include <stdbool.h>
#include <stdint.h>

#include "dump/dump.h"
#include "kernel/kernel.h"
#include "record/record.h"


struct uz_rewrite_options {
	const char *in_path;
	const char *out_path;
	struct uz_kernel_options kernel;
	struct uz_dump_write_options write;   /* format, compression, in_place */
	bool format_given, compress_given;
	bool strict;            /* any unrestored zram page is an error */
	bool quiet;
	bool verbose;           /* -v: each phase's time and memory */
	int threads;
	const int32_t *pids;    /* restrict to these tgids (NULL: all) */
	size_t n_pids;
	char *const *comms;     /* restrict to these comms (NULL: all) */
	size_t n_comms;
	const char *report_path;
	/* --backing-dev zramN=IMAGE, n_backing pairs: device names, image paths */
	char *const *backing_devs;
	char *const *backing_images;
	size_t n_backing;
};

struct uz_rewrite_totals {
	uint64_t ptes[UZ_OUT_COUNT];     /* per PTE */
	uint64_t entries[UZ_OUT_COUNT];  /* per distinct swap entry */
	uint64_t non_zram_swap_ptes;     /* swap entries on other devices, left alone */
	uint64_t special_ptes;           /* migration/device/marker entries, left alone */
	uint64_t mms, tasks;             /* mms: those selected (--pid, --comm) */
	uint64_t frames_added;
	uint64_t pt_pages_changed;
	uint64_t first_frame;
	uint64_t broken_pages;           /* input pages with an unusable descriptor, copied unreadable */
};

/* Runs the whole rewrite; prints the summary unless quiet. */
struct uz_error *uz_rewrite_run(const struct uz_rewrite_options *opts,
				struct uz_rewrite_totals *totals);

struct uz_verify_options {
	const char *in_path;    /* NULL: check OUT on its own (after --in-place) */
	const char *out_path;
	struct uz_kernel_options kernel;   /* for decoding the added frames again */
	char *const *backing_devs;         /* --backing-dev, as for the rewrite */
	char *const *backing_images;
	size_t n_backing;
	bool quiet;
};

/* Checks that OUT differs from IN only as its rewrite record says: the
 * metadata, every page, and each added frame decoded again (verify.c). */
struct uz_error *uz_rewrite_verify(const struct uz_verify_options *opts);

#endif
