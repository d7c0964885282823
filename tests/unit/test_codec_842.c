/* test_codec_842.c - our software-842 decoder (lib/codec/sw842.c).
 *
 * - crc32_be against the published CRC-32/CKSUM check value.
 * - Hand-made bit streams written from the format description (lib/842/842.h).
 * - Round trips through a TEST-ONLY encoder below: every one of the 26
 *   templates (data and I2/I4/I8 index actions, index references to the most
 *   recent ring lap only), ZEROS, REPEAT, SHORT_DATA, END, the big-endian CRC
 *   and the kernel's padding to a multiple of 8 bytes.
 * - CRC mismatch, truncation, corruption and wrong page size.
 */
#include "ut.h"
#include "codec/codec.h"
#include "codec/codec_internal.h"
#include "test_codec_util.h"

#include <stdbool.h>

/* ---- MSB-first bit writer ---- */

struct bits {
	uint8_t *buf;
	size_t cap;     /* bytes */
	size_t bit;     /* bits written */
	bool overflow;
};

static void put_bits(struct bits *w, uint64_t v, unsigned n)
{
	for (unsigned i = n; i-- > 0;) {
		size_t byte = w->bit / 8;
		if (byte >= w->cap) {
			w->overflow = true;
			return;
		}
		if (w->bit % 8 == 0)
			w->buf[byte] = 0;
		if ((v >> i) & 1)
			w->buf[byte] |= (uint8_t)(0x80 >> (w->bit % 8));
		w->bit++;
	}
}

enum { OP_REPEAT = 0x1b, OP_ZEROS = 0x1c, OP_SHORT_DATA = 0x1d, OP_END = 0x1e };

/* END, the CRC of the output, then the kernel's padding: to a whole byte and
 * then with zero bytes to a multiple of 8.  Returns the stream length. */
static size_t finish(struct bits *w, const uint8_t *data, size_t len)
{
	put_bits(w, OP_END, 5);
	put_bits(w, uz_crc32_be(0, data, len), 32);
	while (w->bit % 64)
		put_bits(w, 0, 1);
	return w->overflow ? 0 : w->bit / 8;
}

/* ---- the TEST-ONLY encoder ---- */

/* The 842 template table as written in lib/842/842.h / 842_decompress.c,
 * typed here independently as text: 'D' data, 'I' index, then the size. */
static const char *const templates[26] = {
	"D8", "D4 D2 I2", "D4 I2 D2", "D4 I2 I2", "D4 I4", "D2 I2 D4", "D2 I2 D2 I2",
	"D2 I2 I2 D2", "D2 I2 I2 I2", "D2 I2 I4", "I2 D2 D4", "I2 D4 I2", "I2 D2 I2 D2",
	"I2 D2 I2 I2", "I2 D2 I4", "I2 I2 D4", "I2 I2 D2 I2", "I2 I2 I2 D2", "I2 I2 I2 I2",
	"I2 I2 I4", "I4 D4", "I4 D2 I2", "I4 I2 D2", "I4 I2 I2", "I4 I4", "I8",
};

static unsigned idx_bits(unsigned size)
{
	return size == 4 ? 9 : 8;
}

/* Most recent aligned earlier copy of in[at..at+size) that an index can
 * name from chunk position pos (the last `ring` bytes before pos). */
static bool find_index(const uint8_t *in, size_t pos, size_t at, unsigned size, uint64_t *index)
{
	size_t ring = (size_t)size << idx_bits(size);
	size_t lowest = pos > ring ? pos - ring : 0;
	for (size_t p = pos; p >= lowest + size; ) {
		p -= size;
		if (memcmp(in + p, in + at, size) == 0) {
			*index = (p / size) % ((uint64_t)1 << idx_bits(size));
			return true;
		}
	}
	return false;
}

/* Index lookups for one chunk, done once: found[size][offset / size]. */
struct chunk_refs {
	bool found[9][4];
	uint64_t index[9][4];
};

static void find_chunk_refs(const uint8_t *in, size_t pos, struct chunk_refs *r)
{
	static const unsigned sizes[] = { 2, 4, 8 };
	for (unsigned k = 0; k < 3; k++) {
		unsigned size = sizes[k];
		for (unsigned off = 0; off < 8; off += size)
			r->found[size][off / size] = find_index(in, pos, pos + off, size, &r->index[size][off / size]);
	}
}

/* Try template t for the chunk at pos; on success write it (if w) and return
 * its cost in bits, else return 0. */
static unsigned try_template(const uint8_t *in, size_t pos, const struct chunk_refs *refs, unsigned t,
			     struct bits *w)
{
	const char *s = templates[t];
	unsigned cost = 5, off = 0;
	uint64_t vals[4];
	bool is_index[4];
	unsigned sizes[4], n = 0;
	for (; *s; s++) {
		if (*s == ' ')
			continue;
		bool idx = *s == 'I';
		unsigned size = (unsigned)(s[1] - '0');
		s++;
		if (idx) {
			if (!refs->found[size][off / size])
				return 0;
			vals[n] = refs->index[size][off / size];
			cost += idx_bits(size);
		} else {
			uint64_t v = 0;
			for (unsigned b = 0; b < size; b++)
				v = v << 8 | in[pos + off + b];
			vals[n] = v;
			cost += size * 8;
		}
		is_index[n] = idx;
		sizes[n++] = size;
		off += size;
	}
	if (w) {
		put_bits(w, t, 5);
		for (unsigned i = 0; i < n; i++)
			put_bits(w, vals[i], is_index[i] ? idx_bits(sizes[i]) : sizes[i] * 8);
	}
	return cost;
}

struct enc_stats {
	unsigned template_used[26];
	unsigned zeros, repeats, short_data;
};

/* mode 0: cheapest template; mode 1: a random usable one (covers all). */
static size_t test_842_encode(const uint8_t *in, size_t len, uint8_t *out, size_t cap, int mode,
			      struct tc_rng *rng, struct enc_stats *st)
{
	struct bits w = { .buf = out, .cap = cap };
	unsigned repeat = 0;
	size_t pos = 0;
	for (; pos + 8 <= len; pos += 8) {
		if (pos >= 8 && memcmp(in + pos, in + pos - 8, 8) == 0 && tc_below(rng, 8) != 0) {
			if (++repeat == 64) {
				put_bits(&w, OP_REPEAT, 5);
				put_bits(&w, 63, 6);
				st->repeats++;
				repeat = 0;
			}
			continue;
		}
		if (repeat) {
			put_bits(&w, OP_REPEAT, 5);
			put_bits(&w, repeat - 1, 6);
			st->repeats++;
			repeat = 0;
		}
		static const uint8_t zero8[8];
		if (memcmp(in + pos, zero8, 8) == 0 && tc_below(rng, 4) != 0) {
			put_bits(&w, OP_ZEROS, 5);
			st->zeros++;
			continue;
		}
		unsigned best = 0, best_cost = ~0u, usable[26], n_usable = 0;
		struct chunk_refs refs;
		find_chunk_refs(in, pos, &refs);
		for (unsigned t = 0; t < 26; t++) {
			unsigned c = try_template(in, pos, &refs, t, NULL);
			if (!c)
				continue;
			usable[n_usable++] = t;
			if (c < best_cost) {
				best_cost = c;
				best = t;
			}
		}
		if (mode == 1)
			best = usable[tc_below(rng, n_usable)];
		try_template(in, pos, &refs, best, &w);
		st->template_used[best]++;
	}
	if (repeat) {
		put_bits(&w, OP_REPEAT, 5);
		put_bits(&w, repeat - 1, 6);
		st->repeats++;
	}
	if (pos < len) {
		put_bits(&w, OP_SHORT_DATA, 5);
		put_bits(&w, len - pos, 3);
		for (; pos < len; pos++)
			put_bits(&w, in[pos], 8);
		st->short_data++;
	}
	return finish(&w, in, len);
}

/* ---- tests ---- */

UT_TEST(test_842_crc32_be_check_value)
{
	/* CRC-32/CKSUM (poly 0x04C11DB7, init 0, no reflection, xorout
	 * 0xFFFFFFFF) has check value 0x765E7680; crc32_be(0, ...) is the
	 * same without the final xor. */
	UT_ASSERT_EQ(uz_crc32_be(0, (const uint8_t *)"123456789", 9), 0x765E7680u ^ 0xFFFFFFFFu);
	UT_ASSERT_EQ(uz_crc32_be(0, (const uint8_t *)"", 0), 0);
	/* Chaining: the seed continues a running CRC. */
	UT_ASSERT_EQ(uz_crc32_be(uz_crc32_be(0, (const uint8_t *)"1234", 4), (const uint8_t *)"56789", 5),
		     0x89A1897Fu);
}

static int decode842(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len, char *msg, size_t msg_cap)
{
	uint8_t *s = tc_dup(src, n);
	uint8_t *o = malloc(dst_len);
	struct uz_error *err = uz_decompress_once(UZ_CODEC_842, NULL, s, n, o, dst_len);
	int code = 0;
	if (err) {
		code = err->code;
		if (msg)
			snprintf(msg, msg_cap, "%s", err->message);
		uz_error_destroy(err);
	} else if (dst) {
		memcpy(dst, o, dst_len);
	}
	free(s);
	free(o);
	return code;
}

UT_TEST(test_842_hand_made_vectors)
{
	char msg[256];
	uint8_t out[64];
	/* ZEROS (11100), REPEAT 0 (11011 000000: one more copy), END (11110),
	 * CRC of 16 zero bytes = 0 (32 zero bits): 53 bits in 7 bytes. */
	static const uint8_t zeros16[] = { 0xE6, 0xC0, 0xF0, 0x00, 0x00, 0x00, 0x00 };
	static const uint8_t expect_zeros[16];
	memset(out, 0xaa, sizeof(out));
	if (decode842(zeros16, sizeof(zeros16), out, 16, msg, sizeof(msg)))
		UT_FAIL("zeros16: %s", msg);
	UT_ASSERT_MEM(out, expect_zeros, 16);
	/* The same but the CRC's last bit set: mismatch. */
	static const uint8_t zeros16_bad[] = { 0xE6, 0xC0, 0xF0, 0x00, 0x00, 0x00, 0x08 };
	UT_ASSERT_EQ(decode842(zeros16_bad, sizeof(zeros16_bad), out, 16, msg, sizeof(msg)), UZ_ERR_DECOMPRESS);
	UT_ASSERT(strstr(msg, "842: CRC mismatch") == msg);
	/* One byte short of the CRC. */
	UT_ASSERT_EQ(decode842(zeros16, 6, out, 16, msg, sizeof(msg)), UZ_ERR_DECOMPRESS);
	UT_ASSERT(strstr(msg, "truncated") != NULL);

	uint8_t buf[64];
	struct bits w;
	/* D8 "ABCDEFGH" (template 0x00), then I8 index 0 (template 0x19):
	 * the same 8 bytes again. */
	w = (struct bits){ .buf = buf, .cap = sizeof(buf) };
	put_bits(&w, 0x00, 5);
	put_bits(&w, 0x4142434445464748ull, 64);
	put_bits(&w, 0x19, 5);
	put_bits(&w, 0, 8);
	size_t n = finish(&w, (const uint8_t *)"ABCDEFGHABCDEFGH", 16);
	UT_ASSERT_EQ(n % 8, 0);
	if (decode842(buf, n, out, 16, msg, sizeof(msg)))
		UT_FAIL("D8+I8: %s", msg);
	UT_ASSERT_MEM(out, "ABCDEFGHABCDEFGH", 16);
	/* Wrong page size either way. */
	UT_ASSERT_EQ(decode842(buf, n, out, 24, msg, sizeof(msg)), UZ_ERR_DECOMPRESS);
	UT_ASSERT(strcmp(msg, "842: output is 16 bytes, expected 24") == 0);
	UT_ASSERT_EQ(decode842(buf, n, out, 15, NULL, 0), UZ_ERR_DECOMPRESS);

	/* D4 I2 D2 (0x02): "WXYZ", I2 index 1 = bytes 2..3 of the first
	 * chunk, "!!" - after a D8 "ABCDEFGH": gives "WXYZCD!!". */
	w = (struct bits){ .buf = buf, .cap = sizeof(buf) };
	put_bits(&w, 0x00, 5);
	put_bits(&w, 0x4142434445464748ull, 64);
	put_bits(&w, 0x02, 5);
	put_bits(&w, 0x5758595A, 32);
	put_bits(&w, 1, 8);
	put_bits(&w, 0x2121, 16);
	n = finish(&w, (const uint8_t *)"ABCDEFGHWXYZCD!!", 16);
	if (decode842(buf, n, out, 16, msg, sizeof(msg)))
		UT_FAIL("D4 I2 D2: %s", msg);
	UT_ASSERT_MEM(out, "ABCDEFGHWXYZCD!!", 16);

	/* SHORT_DATA 3 "xyz" (software-only template). */
	w = (struct bits){ .buf = buf, .cap = sizeof(buf) };
	put_bits(&w, OP_SHORT_DATA, 5);
	put_bits(&w, 3, 3);
	put_bits(&w, 0x78797a, 24);
	n = finish(&w, (const uint8_t *)"xyz", 3);
	if (decode842(buf, n, out, 3, msg, sizeof(msg)))
		UT_FAIL("short data: %s", msg);
	UT_ASSERT_MEM(out, "xyz", 3);

	/* Errors: each built the same way and must be rejected. */
	struct { const char *what, *needle; unsigned op; } bad_ops[] = {
		{ "undefined op 0x1a", "undefined op code 0x1a", 0x1a },
		{ "undefined op 0x1f", "undefined op code 0x1f", 0x1f },
		{ "REPEAT with nothing written", "REPEAT", OP_REPEAT },
		{ "I2 at the very start", "index", 0x12 },
		{ "I8 at the very start", "index", 0x19 },
		{ "SHORT_DATA of 0 bytes", "SHORT_DATA of 0", OP_SHORT_DATA },
	};
	for (size_t i = 0; i < sizeof(bad_ops) / sizeof(bad_ops[0]); i++) {
		w = (struct bits){ .buf = buf, .cap = sizeof(buf) };
		put_bits(&w, bad_ops[i].op, 5);
		put_bits(&w, 0, 40);
		n = finish(&w, (const uint8_t *)"", 0);
		if (decode842(buf, n, out, 8, msg, sizeof(msg)) != UZ_ERR_DECOMPRESS)
			UT_FAIL("%s was accepted", bad_ops[i].what);
		if (!strstr(msg, bad_ops[i].needle))
			UT_FAIL("%s: message '%s' lacks '%s'", bad_ops[i].what, msg, bad_ops[i].needle);
	}
	/* An I2 index naming the slot being written (offset 8 after 8 bytes). */
	w = (struct bits){ .buf = buf, .cap = sizeof(buf) };
	put_bits(&w, 0x00, 5);
	put_bits(&w, 0x4142434445464748ull, 64);
	put_bits(&w, 0x12, 5);
	put_bits(&w, 4, 8);
	put_bits(&w, 0, 24);
	n = finish(&w, (const uint8_t *)"", 0);
	UT_ASSERT_EQ(decode842(buf, n, out, 16, msg, sizeof(msg)), UZ_ERR_DECOMPRESS);
	UT_ASSERT(strstr(msg, "past the 8 bytes written") != NULL);
	/* ZEROS beyond the page. */
	w = (struct bits){ .buf = buf, .cap = sizeof(buf) };
	put_bits(&w, OP_ZEROS, 5);
	put_bits(&w, OP_ZEROS, 5);
	n = finish(&w, expect_zeros, 16);
	UT_ASSERT_EQ(decode842(buf, n, out, 8, msg, sizeof(msg)), UZ_ERR_DECOMPRESS);
	UT_ASSERT(strstr(msg, "past the 8-byte output") != NULL);
}

static void round_trips_842(struct ut_state *ut_, size_t page_size, int pages, int torture, int mode)
{
	struct tc_rng rng = { 0x842 + page_size + (uint64_t)mode };
	size_t cap = page_size * 2 + 64;
	uint8_t *page = malloc(page_size), *comp = malloc(cap), *got = malloc(page_size);
	struct enc_stats st = { 0 };
	char msg[256];
	struct uz_decompressor *d;
	UT_OK(uz_decompressor_create(UZ_CODEC_842, NULL, &d));
	for (int i = 0; i < pages; i++) {
		int kind = i % TC_PAGE_KINDS;
		tc_fill_page(&rng, kind, page, page_size);
		size_t n = test_842_encode(page, page_size, comp, cap, mode, &rng, &st);
		UT_ASSERT(n > 0);
		if (page_size == TC_PAGE && kind >= 1 && kind <= 4)
			tc_corpus_write(UZ_CODEC_842, comp, n, mode ? "842-all" : "842-cheap", kind - 1);
		uint8_t *s = tc_dup(comp, n);
		struct uz_error *err = uz_decompress(d, s, n, got, page_size);
		free(s);
		if (err)
			UT_FAIL("page %d (kind %d, %zu bytes, mode %d): %s", i, kind, page_size, mode, err->message);
		UT_ASSERT_MEM(got, page, page_size);
		if (i >= torture)
			continue;
		/* Cut inside END+CRC or earlier: always an error.  The padding
		 * after the CRC may go (the decoder stops at END + CRC). */
		size_t meaningful = 0;
		for (size_t cut = n; cut > 0; cut--) {
			if (decode842(comp, cut, NULL, page_size, NULL, 0) != 0) {
				meaningful = cut + 1;
				break;
			}
		}
		UT_ASSERT(meaningful > 0 && meaningful + 8 > n);
		for (size_t cut = 0; cut < meaningful; cut += 1 + meaningful / 200)
			UT_ASSERT_EQ(decode842(comp, cut, NULL, page_size, NULL, 0), UZ_ERR_DECOMPRESS);
		/* A flipped bit before the padding either is caught (CRC) or
		 * changed nothing (an index naming an equal value). */
		int flips_caught = 0;
		for (int k = 0; k < 64; k++) {
			uint8_t *bad = tc_dup(comp, n);
			size_t bit = tc_below(&rng, (uint32_t)(meaningful * 8 - 8));
			bad[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
			int code = decode842(bad, n, got, page_size, msg, sizeof(msg));
			free(bad);
			if (code == UZ_ERR_DECOMPRESS) {
				flips_caught++;
				continue;
			}
			if (code != 0 || memcmp(got, page, page_size) != 0)
				UT_FAIL("page %d: flipped bit %zu gave code %d / a different page", i, bit, code);
		}
		UT_ASSERT(flips_caught > 32);
		/* Random byte damage: clean error or a page; never a crash. */
		for (int k = 0; k < 32; k++) {
			uint8_t *bad = tc_dup(comp, n);
			bad[tc_below(&rng, (uint32_t)n)] = (uint8_t)tc_next(&rng);
			int code = decode842(bad, n, NULL, page_size, NULL, 0);
			free(bad);
			UT_ASSERT(code == 0 || code == UZ_ERR_DECOMPRESS);
		}
	}
	if (mode == 1 && pages >= 200)
		for (unsigned t = 0; t < 26; t++)
			if (!st.template_used[t])
				UT_FAIL("template 0x%02x never used by the test encoder", t);
	UT_ASSERT(st.zeros > 0 && st.repeats > 0);
	uz_decompressor_destroy(d);
	free(page);
	free(comp);
	free(got);
}

UT_TEST(test_842_round_trip_cheapest)
{
	round_trips_842(ut_, TC_PAGE, 400, 12, 0);
}

UT_TEST(test_842_round_trip_all_templates)
{
	round_trips_842(ut_, TC_PAGE, 600, 12, 1);
}

UT_TEST(test_842_round_trip_large_pages)
{
	round_trips_842(ut_, 16384, 24, 1, 1);
	if (!ut_->failed)
		round_trips_842(ut_, 65536, 8, 0, 0);
}

/* Lengths that are not a multiple of 8 use SHORT_DATA (the kernel only
 * stores whole pages, but the format allows it). */
UT_TEST(test_842_short_data_lengths)
{
	struct tc_rng rng = { 31 };
	struct enc_stats st = { 0 };
	uint8_t page[200], comp[512], got[200];
	char msg[256];
	for (size_t len = 1; len < sizeof(page); len++) {
		tc_fill_page(&rng, (int)(len % TC_PAGE_KINDS), page, len);
		size_t n = test_842_encode(page, len, comp, sizeof(comp), (int)(len & 1), &rng, &st);
		UT_ASSERT(n > 0);
		if (decode842(comp, n, got, len, msg, sizeof(msg)))
			UT_FAIL("length %zu: %s", len, msg);
		UT_ASSERT_MEM(got, page, len);
	}
	UT_ASSERT(st.short_data > 0);
}

UT_MAIN(UT_CASE(test_842_crc32_be_check_value),
	UT_CASE(test_842_hand_made_vectors),
	UT_CASE(test_842_round_trip_cheapest),
	UT_CASE(test_842_round_trip_all_templates),
	UT_CASE(test_842_round_trip_large_pages),
	UT_CASE(test_842_short_data_lengths))
