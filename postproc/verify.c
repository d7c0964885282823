/* verify.c - vmcore-unzram --verify IN OUT: prove that OUT differs from IN
 * only as OUT's rewrite record says.
 *
 * Every PFN of either dump is compared: below the first added frame, page
 * states must agree and page bytes must be identical, except the 8-byte
 * words the record names, which must hold the recorded old value in IN and
 * the recorded new value in OUT.  At and above it, exactly the recorded
 * frames may exist in OUT.  Needs no debuginfo: it trusts nothing but the
 * two files.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewrite.h"
#include "vec.h"

struct pte_change {
	uint64_t at, old_pte, new_pte;
};

struct record {
	uint64_t first_frame, n_frames;
	struct vec changes;   /* struct pte_change, sorted by at */
};

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

/* Format 2 (docs/record.md): only what --verify needs is kept. */
static struct uz_error *parse_record(const void *desc, size_t len, struct record *rec)
{
	vec_init(&rec->changes, sizeof(struct pte_change));
	rec->first_frame = rec->n_frames = 0;
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
	uint64_t n_mms = get_le64(p + 16), n_ptes = get_le64(p + 24);
	p += 32;
	if (n_mms > (uint64_t)(end - p) / 32)
		return uz_error_create(UZ_ERR_FORMAT, "rewrite record: %" PRIu64 " mms do not fit", n_mms);
	p += n_mms * 32;
	/* Each entry takes at least 6 bytes. */
	if (n_ptes > (uint64_t)(end - p) / 6)
		return uz_error_create(UZ_ERR_FORMAT, "rewrite record: %" PRIu64 " PTEs do not fit", n_ptes);
	struct pte_change c = { 0, 0, 0 };
	uint64_t vaddr = 0, mm_index;
	struct uz_error *err = NULL;
	for (uint64_t i = 0; i < n_ptes && !err; i++) {
		uint64_t prev_at = c.at;
		if (!get_delta(&p, end, &c.at) || !get_delta(&p, end, &c.old_pte) ||
		    !get_delta(&p, end, &c.new_pte) || !get_delta(&p, end, &vaddr) ||
		    !get_uleb(&p, end, &mm_index) || p >= end)
			return uz_error_create(UZ_ERR_FORMAT, "rewrite record: PTE %" PRIu64 " truncated", i);
		p++;   /* outcome */
		if (mm_index >= n_mms || (i && c.at <= prev_at))
			return uz_error_create(UZ_ERR_FORMAT, "rewrite record: PTE %" PRIu64 " out of order or range", i);
		err = vec_push(&rec->changes, &c);
	}
	if (!err && p != end)
		err = uz_error_create(UZ_ERR_FORMAT, "rewrite record: %zu bytes after the last PTE", (size_t)(end - p));
	return err;
}

/* Compare one page that the record may have touched. */
static struct uz_error *compare_page(const struct record *rec, size_t *next_change,
				     uint64_t pfn, uint64_t page_size,
				     const uint8_t *in, const uint8_t *out, uint64_t *words_changed)
{
	uint64_t base = pfn * page_size;
	const struct pte_change *c = rec->changes.data;
	size_t i = *next_change;
	while (i < rec->changes.len && c[i].at < base)
		i++;
	for (uint64_t off = 0; off < page_size; off += 8) {
		uint64_t a, b;
		memcpy(&a, in + off, 8);
		memcpy(&b, out + off, 8);
		if (i < rec->changes.len && c[i].at == base + off) {
			if (a != c[i].old_pte || b != c[i].new_pte)
				return uz_error_create(UZ_ERR_MISMATCH,
						       "PTE at 0x%" PRIx64 ": IN has 0x%" PRIx64 ", OUT 0x%" PRIx64
						       "; the record says 0x%" PRIx64 " -> 0x%" PRIx64,
						       base + off, a, b, c[i].old_pte, c[i].new_pte);
			(*words_changed)++;
			i++;
			continue;
		}
		if (a != b)
			return uz_error_create(UZ_ERR_MISMATCH,
					       "physical 0x%" PRIx64 " differs (IN 0x%" PRIx64 ", OUT 0x%" PRIx64
					       ") and the record does not name it", base + off, a, b);
	}
	*next_change = i;
	return NULL;
}

static struct uz_error *verify_dumps(struct uz_dump *in, struct uz_dump *out, const struct record *rec,
				     bool quiet)
{
	uint64_t ps = uz_dump_page_size(in);
	if (uz_dump_page_size(out) != ps)
		return uz_error_create(UZ_ERR_MISMATCH, "page sizes differ: IN %" PRIu64 ", OUT %" PRIu64,
				       ps, uz_dump_page_size(out));
	if (rec->first_frame < uz_dump_max_pfn(in))
		return uz_error_create(UZ_ERR_MISMATCH, "record's first frame 0x%" PRIx64 " is below IN's last PFN 0x%" PRIx64,
				       rec->first_frame, uz_dump_max_pfn(in));
	uint8_t *a = malloc(ps), *b = malloc(ps);
	if (!a || !b) {
		free(a);
		free(b);
		return uz_error_create(UZ_ERR_NOMEM, "out of memory");
	}
	struct uz_error *err = NULL;
	uint64_t end = rec->first_frame + rec->n_frames;
	if (uz_dump_max_pfn(out) > end)
		end = uz_dump_max_pfn(out);
	uint64_t compared = 0, words = 0, frames = 0;
	size_t next_change = 0;
	for (uint64_t pfn = 0; pfn < end && !err; pfn++) {
		enum uz_page_state sa = UZ_PAGE_HOLE, sb;
		if (pfn < uz_dump_max_pfn(in))
			err = uz_dump_page_state(in, pfn, &sa);
		if (!err)
			err = uz_dump_page_state(out, pfn, &sb);
		if (err)
			break;
		bool added = pfn >= rec->first_frame && pfn < rec->first_frame + rec->n_frames;
		if (added) {
			if (sb != UZ_PAGE_PRESENT && sb != UZ_PAGE_ZERO)
				err = uz_error_create(UZ_ERR_MISMATCH, "added frame 0x%" PRIx64 " is missing from OUT", pfn);
			frames++;
			continue;
		}
		if (sa != sb) {
			/* A zero page may legitimately be stored either way. */
			bool both_readable = (sa == UZ_PAGE_PRESENT || sa == UZ_PAGE_ZERO) &&
					     (sb == UZ_PAGE_PRESENT || sb == UZ_PAGE_ZERO);
			if (!both_readable) {
				err = uz_error_create(UZ_ERR_MISMATCH, "PFN 0x%" PRIx64 " has state %d in IN but %d in OUT",
						      pfn, (int)sa, (int)sb);
				break;
			}
		}
		if (sa != UZ_PAGE_PRESENT && sa != UZ_PAGE_ZERO)
			continue;
		err = uz_dump_read_page(in, pfn, a);
		if (!err)
			err = uz_dump_read_page(out, pfn, b);
		if (!err)
			err = compare_page(rec, &next_change, pfn, ps, a, b, &words);
		compared++;
	}
	if (!err && words != rec->changes.len)
		err = uz_error_create(UZ_ERR_MISMATCH, "the record names %zu PTEs but only %" PRIu64 " were found in present pages",
				      rec->changes.len, words);
	if (!err && !quiet)
		fprintf(stderr, "vmcore-unzram: verified: %" PRIu64 " pages identical but for %" PRIu64
			" recorded PTEs; %" PRIu64 " added frames present\n", compared, words, frames);
	free(a);
	free(b);
	return err;
}

struct uz_error *uz_rewrite_verify(const char *in_path, const char *out_path, bool quiet)
{
	struct uz_dump *in = NULL, *out = NULL;
	struct record rec;
	vec_init(&rec.changes, sizeof(struct pte_change));
	struct uz_error *err = uz_dump_open(in_path, &in);
	if (!err)
		err = uz_dump_open(out_path, &out);
	const void *desc = NULL;
	size_t len = 0;
	if (!err)
		err = uz_error_wrap(uz_dump_find_note(out, UZ_RECORD_NOTE_NAME, UZ_RECORD_NOTE_TYPE, &desc, &len),
				    "%s has no vmcore-unzram record", out_path);
	if (!err)
		err = parse_record(desc, len, &rec);
	if (!err)
		err = verify_dumps(in, out, &rec, quiet);
	err = uz_error_wrap(err, "verify %s against %s", out_path, in_path);
	vec_free(&rec.changes);
	if (out)
		uz_dump_close(out);
	if (in)
		uz_dump_close(in);
	return err;
}
