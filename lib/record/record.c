#include "record.h"

#include <inttypes.h>
#include <string.h>

#include <stdlib.h>

static const char *const outcome_names[UZ_OUT_COUNT] = {
	[UZ_OUT_ZRAM] = "zram",
	[UZ_OUT_SWAPCACHE] = "swapcache",
	[UZ_OUT_SAME_FILLED] = "same-filled",
	[UZ_OUT_ZEROMAP] = "zeromap",
	[UZ_OUT_BACKING_DEV] = "backing-dev",
	[UZ_OUT_WRITTEN_BACK] = "written-back",
	[UZ_OUT_MISSING] = "missing",
	[UZ_OUT_FAILED] = "failed",
};

const char *uz_outcome_name(enum uz_outcome o)
{
	return o < UZ_OUT_COUNT ? outcome_names[o] : "?";
}

bool uz_outcome_restored(enum uz_outcome o)
{
	return o <= UZ_OUT_BACKING_DEV;
}

/* ---- writing ---- */

static void put(struct uz_record_writer *w, const void *p, size_t n)
{
	if (w->oom)
		return;
	if (w->len + n > w->cap) {
		size_t ncap = w->cap ? w->cap : 4096;
		while (ncap < w->len + n)
			ncap *= 2;
		uint8_t *nd = realloc(w->data, ncap);
		if (!nd) {
			w->oom = true;
			return;
		}
		w->data = nd;
		w->cap = ncap;
	}
	memcpy(w->data + w->len, p, n);
	w->len += n;
}

static void put_u64(struct uz_record_writer *w, uint64_t v)
{
	uint8_t le[8];
	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	put(w, le, 8);
}

static void put_uleb(struct uz_record_writer *w, uint64_t v)
{
	uint8_t out[10];
	size_t n = 0;
	do {
		out[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			out[n] |= 0x80;
		n++;
	} while (v);
	put(w, out, n);
}

/* The signed difference v - *prev (mod 2^64), zigzag-encoded; *prev = v. */
static void put_delta(struct uz_record_writer *w, uint64_t *prev, uint64_t v)
{
	uint64_t d = v - *prev;
	*prev = v;
	put_uleb(w, (d << 1) ^ (uint64_t)-(int64_t)(d >> 63));
}

void uz_record_begin(struct uz_record_writer *w, uint64_t first_frame, uint64_t n_frames,
		     uint64_t n_mms, uint64_t n_ptes)
{
	memset(w, 0, sizeof(*w));
	put(w, UZ_RECORD_MAGIC, sizeof(UZ_RECORD_MAGIC) - 1);
	put_u64(w, first_frame);
	put_u64(w, n_frames);
	put_u64(w, n_mms);
	put_u64(w, n_ptes);
}

void uz_record_add_mm(struct uz_record_writer *w, uint64_t mm, int64_t tgid, const char comm[16])
{
	put_u64(w, mm);
	put_u64(w, (uint64_t)tgid);
	put(w, comm, 16);
}

void uz_record_add_pte(struct uz_record_writer *w, const struct uz_record_pte *p)
{
	put_delta(w, &w->at, p->at);
	put_delta(w, &w->old_pte, p->old_pte);
	put_delta(w, &w->new_pte, p->new_pte);
	put_delta(w, &w->vaddr, p->vaddr);
	put_uleb(w, p->mm_index);
	put(w, &p->outcome, 1);
}

struct uz_error *uz_record_finish(struct uz_record_writer *w, const void **data, size_t *len)
{
	if (w->oom)
		return uz_error_create(UZ_ERR_NOMEM, "out of memory building the rewrite record (%zu bytes so far)", w->len);
	*data = w->data;
	*len = w->len;
	return NULL;
}

void uz_record_writer_free(struct uz_record_writer *w)
{
	free(w->data);
	w->data = NULL;
	w->len = w->cap = 0;
}

/* ---- reading ---- */

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
