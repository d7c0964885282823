/* test_record.c - the rewrite record (lib/record): what the writer encodes
 * the reader gives back, and every damaged record is refused with a reason.
 * Synthetic entries only (no dump needed). */
#include <stdlib.h>
#include <string.h>

#include "record/record.h"
#include "ut.h"

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* n entries: increasing `at` with gaps of every size, old/new/vaddr going
 * up and down by any amount (the deltas are signed), the extremes included. */
static struct uz_record_pte *make_ptes(size_t n, uint64_t seed)
{
	struct uz_record_pte *p = calloc(n ? n : 1, sizeof(*p));
	uint64_t at = 8;
	for (size_t i = 0; i < n; i++) {
		at += 8 * (1 + (next_rand(&seed) % ((i % 7 == 0) ? 1000000 : 3)));
		p[i].at = at;
		p[i].old_pte = i == 1 ? UINT64_MAX : next_rand(&seed);
		p[i].new_pte = i == 2 ? 0 : next_rand(&seed) | 1;
		p[i].vaddr = (next_rand(&seed) & 0x7ffffffff000ull);
		p[i].mm_index = (uint32_t)(next_rand(&seed) % 5);
		p[i].outcome = (uint8_t)(next_rand(&seed) % 5);
	}
	return p;
}

static void encode(struct uz_record_writer *w, const struct uz_record_pte *p, size_t n,
		   const void **data, size_t *len, struct ut_state *ut_)
{
	uz_record_begin(w, 0x40000, 12345, 5, n);
	for (int m = 0; m < 5; m++) {
		char comm[16] = "proc";
		comm[4] = (char)('0' + m);
		uz_record_add_mm(w, 0xffff888000000000ull + (uint64_t)m * 4096, 100 + m, comm);
	}
	for (size_t i = 0; i < n; i++)
		uz_record_add_pte(w, &p[i]);
	UT_OK(uz_record_finish(w, data, len));
}

UT_TEST(round_trip_many_entries)
{
	const size_t n = 200000;
	struct uz_record_pte *p = make_ptes(n, 0x1234567);
	struct uz_record_writer w;
	const void *data;
	size_t len;
	encode(&w, p, n, &data, &len, ut_);
	struct uz_record rec;
	UT_OK(uz_record_parse(data, len, &rec));
	UT_ASSERT_EQ(rec.first_frame, 0x40000);
	UT_ASSERT_EQ(rec.n_frames, 12345);
	UT_ASSERT_EQ(rec.n_mms, 5);
	UT_ASSERT_EQ(rec.ptes.len, n);
	const struct uz_record_pte *q = rec.ptes.data;
	for (size_t i = 0; i < n; i++) {
		if (q[i].at != p[i].at || q[i].old_pte != p[i].old_pte || q[i].new_pte != p[i].new_pte ||
		    q[i].vaddr != p[i].vaddr || q[i].mm_index != p[i].mm_index || q[i].outcome != p[i].outcome) {
			UT_FAIL("entry %zu differs after the round trip", i);
			break;
		}
	}
	/* About 10 bytes per entry is the point of format 2; random values cost
	 * more, so only bound it loosely here. */
	UT_ASSERT(len < 64 + 5 * 32 + n * 40);
	uz_record_free(&rec);
	uz_record_writer_free(&w);
	free(p);
}

UT_TEST(every_truncation_is_refused)
{
	const size_t n = 50;
	struct uz_record_pte *p = make_ptes(n, 99);
	struct uz_record_writer w;
	const void *data;
	size_t len;
	encode(&w, p, n, &data, &len, ut_);
	for (size_t cut = 0; cut < len; cut++) {
		struct uz_record rec;
		struct uz_error *err = uz_record_parse(data, cut, &rec);
		if (!err || err->code != UZ_ERR_FORMAT)
			UT_FAIL("a record cut to %zu of %zu bytes was %s", cut, len, err ? err->message : "accepted");
		uz_error_destroy(err);
		uz_record_free(&rec);
	}
	/* One byte too many. */
	uint8_t *more = malloc(len + 1);
	memcpy(more, data, len);
	more[len] = 0;
	struct uz_record rec;
	UT_ERR(uz_record_parse(more, len + 1, &rec), UZ_ERR_FORMAT);
	uz_record_free(&rec);
	free(more);
	uz_record_writer_free(&w);
	free(p);
}

UT_TEST(out_of_order_and_bad_fields_are_refused)
{
	struct uz_record_pte p[3] = {
		{ .at = 0x1000, .old_pte = 1, .new_pte = 2, .mm_index = 0, .outcome = UZ_OUT_ZRAM },
		{ .at = 0x1008, .old_pte = 3, .new_pte = 4, .mm_index = 0, .outcome = UZ_OUT_ZRAM },
		{ .at = 0x1010, .old_pte = 5, .new_pte = 6, .mm_index = 0, .outcome = UZ_OUT_ZRAM },
	};
	struct { const char *what; int field; uint64_t value; } cases[] = {
		{ "same address twice", 0, 0x1008 },
		{ "decreasing address", 1, 0x800 },
		{ "mm index past the table", 2, 7 },
		{ "outcome that is not restored", 3, UZ_OUT_WRITTEN_BACK },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct uz_record_pte q[3];
		memcpy(q, p, sizeof(q));
		if (cases[c].field == 0)
			q[2].at = cases[c].value;
		else if (cases[c].field == 1)
			q[1].at = cases[c].value;
		else if (cases[c].field == 2)
			q[1].mm_index = (uint32_t)cases[c].value;
		else
			q[2].outcome = (uint8_t)cases[c].value;
		struct uz_record_writer w;
		uz_record_begin(&w, 1, 1, 1, 3);
		const char comm[16] = "a";
		uz_record_add_mm(&w, 1, 1, comm);
		for (int i = 0; i < 3; i++)
			uz_record_add_pte(&w, &q[i]);
		const void *data;
		size_t len;
		UT_OK(uz_record_finish(&w, &data, &len));
		struct uz_record rec;
		struct uz_error *err = uz_record_parse(data, len, &rec);
		if (!err)
			UT_FAIL("%s was accepted", cases[c].what);
		uz_error_destroy(err);
		uz_record_free(&rec);
		uz_record_writer_free(&w);
	}
	/* An unknown header (another format). */
	struct uz_record rec;
	UT_ERR(uz_record_parse("vmcore-unzram record 1\n0", 24, &rec), UZ_ERR_FORMAT);
	uz_record_free(&rec);
}

UT_MAIN(UT_CASE(round_trip_many_entries), UT_CASE(every_truncation_is_refused),
	UT_CASE(out_of_order_and_bad_fields_are_refused))
