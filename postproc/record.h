/* record.h - reading the rewrite record (the VMCOREUNZRAM note, format 2,
 * docs/record.md) back out of a dump.
 *
 * Owns: parsing and validating the record, and finding it in a dump.
 * Does not own: writing it (build_record in rewrite.c, from the run's own
 * tables) or judging a dump against it (verify.c, and the completion of
 * an interrupted --in-place run in rewrite.c).
 */
#ifndef UZ_RECORD_H
#define UZ_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "dump/dump.h"
#include "vec.h"

/* One rewritten PTE. */
struct uz_record_pte {
	uint64_t at;        /* physical address of the PTE */
	uint64_t old_pte;   /* its value in the input: a swap entry */
	uint64_t new_pte;   /* its value in the output: maps an added frame */
	uint64_t vaddr;
	uint32_t mm_index;
	uint8_t outcome;    /* enum uz_outcome */
};

struct uz_record {
	uint64_t first_frame, n_frames, n_mms;
	struct vec ptes;    /* struct uz_record_pte, strictly increasing `at` */
};

/* Parses a record descriptor.  UZ_ERR_FORMAT names what is wrong and
 * where.  rec is always initialised (uz_record_free it). */
struct uz_error *uz_record_parse(const void *desc, size_t len, struct uz_record *rec);
/* Finds and parses the record of dump; UZ_ERR_NOT_FOUND when it has none. */
struct uz_error *uz_record_read(struct uz_dump *dump, struct uz_record *rec);
void uz_record_free(struct uz_record *rec);

#endif
