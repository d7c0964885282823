/* record.h - the rewrite record vmcore-unzram stores in its output (the
 * VMCOREUNZRAM note, format 2, docs/record.md): which PTEs were rewritten
 * from which value to which, and which frames were added.
 *
 * Owns: the note's name, type and byte format, the outcome categories it
 * records, encoding it (uz_record_writer) and parsing it back with every
 * bound checked (uz_record_parse), and finding it in a dump.
 * Does not own: deciding what to rewrite (postproc/rewrite.c) or judging a
 * dump against a record (postproc/verify.c, and the completion of an
 * interrupted --in-place run in rewrite.c).
 */
#ifndef UZ_RECORD_H
#define UZ_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../dump/dump.h"
#include "../vec.h"

/* Name and type of the note holding the rewrite record. */
#define UZ_RECORD_NOTE_NAME "VMCOREUNZRAM"
#define UZ_RECORD_NOTE_TYPE 0x757a0001u
/* The record's first bytes (format 2, described in docs/record.md). */
#define UZ_RECORD_MAGIC "vmcore-unzram record 2\n"

/* Where each zram swap PTE ended up; every one lands in exactly one.  The
 * record holds the restored ones (the first five); the values are part of
 * the format. */
enum uz_outcome {
	UZ_OUT_ZRAM,            /* restored: decompressed (or copied, huge) from zram */
	UZ_OUT_SWAPCACHE,       /* restored: the swap-cache page */
	UZ_OUT_SAME_FILLED,     /* restored: zram same-filled slot */
	UZ_OUT_ZEROMAP,         /* restored: zero page marked in the swap zeromap */
	UZ_OUT_BACKING_DEV,     /* restored: written back, read from the --backing-dev image */
	UZ_OUT_WRITTEN_BACK,    /* not restored: written back to the backing device */
	UZ_OUT_MISSING,         /* not restored: metadata or data not in the dump */
	UZ_OUT_FAILED,          /* not restored: decompression or validation failed */
	UZ_OUT_COUNT
};
const char *uz_outcome_name(enum uz_outcome o);
bool uz_outcome_restored(enum uz_outcome o);

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

/* Builds a record: begin with the counts, then exactly n_mms mms and n_ptes
 * PTEs in increasing `at` order, then finish.  Allocation failures are
 * remembered and reported by uz_record_finish. */
struct uz_record_writer {
	uint8_t *data;
	size_t len, cap;
	uint64_t at, old_pte, new_pte, vaddr;   /* the previous entry's, for deltas */
	bool oom;
};
void uz_record_begin(struct uz_record_writer *w, uint64_t first_frame, uint64_t n_frames,
		     uint64_t n_mms, uint64_t n_ptes);
/* comm: 16 bytes, written as they are (the caller sanitises them). */
void uz_record_add_mm(struct uz_record_writer *w, uint64_t mm, int64_t tgid, const char comm[16]);
void uz_record_add_pte(struct uz_record_writer *w, const struct uz_record_pte *p);
/* The encoded record (owned by w) or UZ_ERR_NOMEM. */
struct uz_error *uz_record_finish(struct uz_record_writer *w, const void **data, size_t *len);
void uz_record_writer_free(struct uz_record_writer *w);

/* Parses a record descriptor.  UZ_ERR_FORMAT names what is wrong and
 * where.  rec is always initialised (uz_record_free it). */
struct uz_error *uz_record_parse(const void *desc, size_t len, struct uz_record *rec);
/* Finds and parses the record of dump; UZ_ERR_NOT_FOUND when it has none. */
struct uz_error *uz_record_read(struct uz_dump *dump, struct uz_record *rec);
void uz_record_free(struct uz_record *rec);

#endif
