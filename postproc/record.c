#include "record.h"

#include <inttypes.h>
#include <string.h>

#include "rewrite.h"

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static bool get_uleb(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;
	for (unsigned shift = 0; *p < end && shift < 64; shift += 7) {
		uint8_t byte = *(*p)++;
		v |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80)) {
			*out = v;
			return true;
		}
	}
	return false;
}

/* Adds the zigzag-encoded signed delta at *p to *value. */
static bool get_delta(const uint8_t **p, const uint8_t *end, uint64_t *value)
{
	uint64_t z;
	if (!get_uleb(p, end, &z))
		return false;
	*value += (z >> 1) ^ (uint64_t)-(int64_t)(z & 1);
	return true;
}

void uz_record_free(struct uz_record *rec)
{
	vec_free(&rec->ptes);
}

struct uz_error *uz_record_parse(const void *desc, size_t len, struct uz_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	vec_init(&rec->ptes, sizeof(struct uz_record_pte));
	const size_t magic = sizeof(UZ_RECORD_MAGIC) - 1;
	const uint8_t *p = desc, *end = p + len;
	if (len < magic || memcmp(p, UZ_RECORD_MAGIC, magic) != 0)
		return uz_error_create(UZ_ERR_FORMAT, "rewrite record: unknown header '%.*s' (not format 2)",
				       (int)(len < magic ? len : magic - 1), (const char *)desc);
	p += magic;
	if (end - p < 32)
		return uz_error_create(UZ_ERR_FORMAT, "rewrite record: truncated header");
	rec->first_frame = get_le64(p);
	rec->n_frames = get_le64(p + 8);
	rec->n_mms = get_le64(p + 16);
	uint64_t n_ptes = get_le64(p + 24);
	p += 32;
	if (rec->n_mms > (uint64_t)(end - p) / 32)
		return uz_error_create(UZ_ERR_FORMAT, "rewrite record: %" PRIu64 " mms do not fit", rec->n_mms);
	p += rec->n_mms * 32;
	/* Each entry takes at least 6 bytes. */
	if (n_ptes > (uint64_t)(end - p) / 6)
		return uz_error_create(UZ_ERR_FORMAT, "rewrite record: %" PRIu64 " PTEs do not fit", n_ptes);
	struct uz_record_pte c;
	memset(&c, 0, sizeof(c));
	uint64_t mm_index;
	for (uint64_t i = 0; i < n_ptes; i++) {
		uint64_t prev_at = c.at;
		if (!get_delta(&p, end, &c.at) || !get_delta(&p, end, &c.old_pte) ||
		    !get_delta(&p, end, &c.new_pte) || !get_delta(&p, end, &c.vaddr) ||
		    !get_uleb(&p, end, &mm_index) || p >= end)
			return uz_error_create(UZ_ERR_FORMAT, "rewrite record: PTE %" PRIu64 " truncated", i);
		c.outcome = *p++;
		if (mm_index >= rec->n_mms || (i && c.at <= prev_at) || !uz_outcome_restored(c.outcome))
			return uz_error_create(UZ_ERR_FORMAT, "rewrite record: PTE %" PRIu64 " out of order or range", i);
		c.mm_index = (uint32_t)mm_index;
		UZ_TRY(vec_push(&rec->ptes, &c));
	}
	if (p != end)
		return uz_error_create(UZ_ERR_FORMAT, "rewrite record: %zu bytes after the last PTE", (size_t)(end - p));
	return NULL;
}

struct uz_error *uz_record_read(struct uz_dump *dump, struct uz_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	vec_init(&rec->ptes, sizeof(struct uz_record_pte));
	const void *desc;
	size_t len;
	UZ_TRY(uz_dump_find_note(dump, UZ_RECORD_NOTE_NAME, UZ_RECORD_NOTE_TYPE, &desc, &len));
	return uz_record_parse(desc, len, rec);
}
