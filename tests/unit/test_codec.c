/* test_codec.c - the codec module with library-produced streams: name
 * mapping, round trips for every library-backed codec (lz4, lz4hc, zstd with
 * and without content size and with dictionaries, raw and zlib-wrapped
 * deflate, lzo1x_1 and lzo1x_999), truncated / corrupted / wrong-length
 * inputs, and argument errors.  Every buffer handed to the decoder is an
 * exactly-sized heap copy so ASan catches any overrun.
 * Our own decoders (lzo-rle, 842) have their own files: test_codec_lzo.c,
 * test_codec_842.c.
 */
#include "ut.h"
#include "codec/codec.h"
#include "test_codec_util.h"

#include <stdbool.h>

#include <lz4.h>
#include <lz4hc.h>
#include <lzo1x.h>
#include <zdict.h>
#include <zlib.h>
#include <zstd.h>

/* ---- compressors producing what the kernel stores ---- */

enum compressor {
	C_LZ4,             /* LZ4_compress_default (crypto/lz4.c) */
	C_LZ4_FAST,        /* LZ4_compress_fast(acceleration 8) (6.12+ backend with level=8) */
	C_LZ4HC,           /* LZ4_compress_HC(LZ4HC_CLEVEL_DEFAULT) */
	C_ZSTD,            /* level 3, content size set (kernel 5.16+) */
	C_ZSTD_NOSIZE,     /* level 3, no content size or checksum (kernel <= 5.15 port) */
	C_DEFLATE,         /* raw, windowBits -11, memLevel 9 (crypto/deflate.c) */
	C_DEFLATE_ZLIB12,  /* zlib-wrapped, winbits 12 (6.18+ deflate.winbits=12) */
	C_LZO1X_1,         /* lzo1x_1_compress */
	C_LZO1X_999,       /* lzo1x_999_compress (emits M1 matches too) */
	C_COUNT,
};

struct compressor_info {
	const char *label;
	enum uz_codec codec;
	int winbits;
};

static const struct compressor_info compressors[C_COUNT] = {
	[C_LZ4] = { "lz4", UZ_CODEC_LZ4, 0 },
	[C_LZ4_FAST] = { "lz4-fast8", UZ_CODEC_LZ4, 0 },
	[C_LZ4HC] = { "lz4hc", UZ_CODEC_LZ4HC, 0 },
	[C_ZSTD] = { "zstd", UZ_CODEC_ZSTD, 0 },
	[C_ZSTD_NOSIZE] = { "zstd-nosize", UZ_CODEC_ZSTD, 0 },
	[C_DEFLATE] = { "deflate-11", UZ_CODEC_DEFLATE, 0 },
	[C_DEFLATE_ZLIB12] = { "zlib-12", UZ_CODEC_DEFLATE, 12 },
	[C_LZO1X_1] = { "lzo1x_1", UZ_CODEC_LZO, 0 },
	[C_LZO1X_999] = { "lzo1x_999", UZ_CODEC_LZO, 0 },
};

static size_t deflate_page(const uint8_t *in, size_t len, uint8_t *out, size_t cap, int winbits)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, winbits, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	int rc = deflate(&zs, Z_FINISH);
	size_t n = cap - zs.avail_out;
	deflateEnd(&zs);
	return rc == Z_STREAM_END ? n : 0;
}

/* Returns the compressed length, 0 on failure. */
static size_t compress_page(enum compressor c, const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	switch (c) {
	case C_LZ4:
		return (size_t)LZ4_compress_default((const char *)in, (char *)out, (int)len, (int)cap);
	case C_LZ4_FAST:
		return (size_t)LZ4_compress_fast((const char *)in, (char *)out, (int)len, (int)cap, 8);
	case C_LZ4HC:
		return (size_t)LZ4_compress_HC((const char *)in, (char *)out, (int)len, (int)cap, LZ4HC_CLEVEL_DEFAULT);
	case C_ZSTD:
	case C_ZSTD_NOSIZE: {
		ZSTD_CCtx *cctx = ZSTD_createCCtx();
		ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 3);
		ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, c == C_ZSTD);
		ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 0);
		size_t n = ZSTD_compress2(cctx, out, cap, in, len);
		ZSTD_freeCCtx(cctx);
		return ZSTD_isError(n) ? 0 : n;
	}
	case C_DEFLATE:
		return deflate_page(in, len, out, cap, -11);
	case C_DEFLATE_ZLIB12:
		return deflate_page(in, len, out, cap, 12);
	case C_LZO1X_1:
	case C_LZO1X_999: {
		if (lzo_init() != LZO_E_OK)
			return 0;
		void *wrk = malloc(LZO1X_999_MEM_COMPRESS);
		lzo_uint n = cap;
		int rc = c == C_LZO1X_1 ? lzo1x_1_compress(in, len, out, &n, wrk)
					: lzo1x_999_compress(in, len, out, &n, wrk);
		free(wrk);
		return rc == LZO_E_OK ? n : 0;
	}
	default:
		return 0;
	}
}

/* Decode src (copied to an exact-size buffer) into an exact-size dst_len
 * buffer.  Returns 0 on success (and the page in *page_out if non-NULL, which
 * must hold dst_len bytes), else the error code; the message goes to msg. */
static int decode(struct uz_decompressor *d, const uint8_t *src, size_t len, size_t dst_len,
		  uint8_t *page_out, char *msg, size_t msg_cap)
{
	uint8_t *s = tc_dup(src, len);
	uint8_t *o = malloc(dst_len);
	struct uz_error *err = uz_decompress(d, s, len, o, dst_len);
	int code = 0;
	if (err) {
		code = err->code;
		if (msg)
			snprintf(msg, msg_cap, "%s", err->message);
		uz_error_destroy(err);
	} else if (page_out) {
		memcpy(page_out, o, dst_len);
	}
	free(s);
	free(o);
	return code;
}

/* ---- name mapping ---- */

UT_TEST(test_codec_names)
{
	static const struct { const char *name; enum uz_codec c; } known[] = {
		{ "lzo", UZ_CODEC_LZO }, { "lzo-rle", UZ_CODEC_LZO_RLE }, { "lz4", UZ_CODEC_LZ4 },
		{ "lz4hc", UZ_CODEC_LZ4HC }, { "zstd", UZ_CODEC_ZSTD }, { "deflate", UZ_CODEC_DEFLATE },
		{ "842", UZ_CODEC_842 },
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		enum uz_codec c = UZ_CODEC_842;
		if (known[i].c == UZ_CODEC_842)
			c = UZ_CODEC_LZO;
		UT_OK(uz_codec_from_name(known[i].name, &c));
		UT_ASSERT_EQ(c, known[i].c);
		UT_ASSERT(strcmp(uz_codec_name(known[i].c), known[i].name) == 0);
	}
	static const char *const unknown[] = { "snappy", "LZO", "lz4 ", "", "zstd\n", "lzo_rle" };
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		enum uz_codec c;
		struct uz_error *err = uz_codec_from_name(unknown[i], &c);
		UT_ASSERT(err != NULL);
		int code = err->code;
		int names_it = strstr(err->message, "snappy") != NULL;
		uz_error_destroy(err);
		UT_ASSERT_EQ(code, UZ_ERR_UNSUPPORTED);
		if (i == 0)
			UT_ASSERT(names_it);
	}
	UT_ASSERT(strcmp(uz_codec_name((enum uz_codec)99), "unknown") == 0);
	enum uz_codec c;
	UT_ERR(uz_codec_from_name(NULL, &c), UZ_ERR_USAGE);
}

/* ---- argument errors ---- */

UT_TEST(test_codec_bad_arguments)
{
	struct uz_decompressor *d = NULL;
	uint8_t dict[16] = { 1, 2, 3 };
	UT_ERR(uz_decompressor_create((enum uz_codec)42, NULL, &d), UZ_ERR_USAGE);
	struct uz_codec_params with_dict = { .dict = dict, .dict_len = sizeof(dict) };
	UT_ERR(uz_decompressor_create(UZ_CODEC_LZO, &with_dict, &d), UZ_ERR_USAGE);
	UT_ERR(uz_decompressor_create(UZ_CODEC_LZO_RLE, &with_dict, &d), UZ_ERR_USAGE);
	UT_ERR(uz_decompressor_create(UZ_CODEC_DEFLATE, &with_dict, &d), UZ_ERR_USAGE);
	UT_ERR(uz_decompressor_create(UZ_CODEC_842, &with_dict, &d), UZ_ERR_USAGE);
	struct uz_codec_params len_only = { .dict = NULL, .dict_len = 5 };
	UT_ERR(uz_decompressor_create(UZ_CODEC_ZSTD, &len_only, &d), UZ_ERR_USAGE);
	struct uz_codec_params wb = { .deflate_winbits = 12 };
	UT_ERR(uz_decompressor_create(UZ_CODEC_LZ4, &wb, &d), UZ_ERR_USAGE);
	static const int bad_winbits[] = { 7, 16, -7, -16, 100 };
	for (size_t i = 0; i < sizeof(bad_winbits) / sizeof(bad_winbits[0]); i++) {
		struct uz_codec_params p = { .deflate_winbits = bad_winbits[i] };
		UT_ERR(uz_decompressor_create(UZ_CODEC_DEFLATE, &p, &d), UZ_ERR_USAGE);
	}
	/* Every codec: empty input and a missing output buffer. */
	for (int c = 0; c < UZ_CODEC_COUNT; c++) {
		UT_OK(uz_decompressor_create((enum uz_codec)c, NULL, &d));
		UT_ASSERT_EQ(uz_decompressor_codec(d), c);
		uint8_t in[4] = { 0 }, out[16];
		UT_ERR(uz_decompress(d, in, 0, out, sizeof(out)), UZ_ERR_DECOMPRESS);
		UT_ERR(uz_decompress(d, in, sizeof(in), NULL, 4096), UZ_ERR_USAGE);
		UT_ERR(uz_decompress(d, in, sizeof(in), out, 0), UZ_ERR_USAGE);
		uz_decompressor_destroy(d);
	}
	uz_decompressor_destroy(NULL);
}

/* ---- round trips, truncation, wrong length, corruption ---- */

static void round_trip_compressor(struct ut_state *ut_, enum compressor c, size_t page_size,
				  int pages, int torture_pages)
{
	const struct compressor_info *ci = &compressors[c];
	struct uz_codec_params params = { .deflate_winbits = ci->winbits };
	struct uz_decompressor *d;
	UT_OK(uz_decompressor_create(ci->codec, &params, &d));
	struct tc_rng rng = { 0x1234 + (uint64_t)c * 7919 + page_size };
	size_t cap = page_size * 2 + 1024;
	uint8_t *page = malloc(page_size), *got = malloc(page_size), *comp = malloc(cap);
	char msg[512];
	for (int i = 0; i < pages; i++) {
		int kind = i % TC_PAGE_KINDS;
		tc_fill_page(&rng, kind, page, page_size);
		size_t n = compress_page(c, page, page_size, comp, cap);
		if (n == 0)
			UT_FAIL("%s could not compress page %d", ci->label, i);
		if (page_size == 4096 && kind >= 1 && kind <= 4)
			tc_corpus_write((unsigned)ci->codec | (ci->winbits > 0 ? 16u : 0u), comp, n, ci->label, kind - 1);
		int code = decode(d, comp, n, page_size, got, msg, sizeof(msg));
		if (code)
			UT_FAIL("%s page %d (kind %d, %zu bytes): %s", ci->label, i, kind, n, msg);
		if (memcmp(got, page, page_size) != 0)
			UT_FAIL("%s page %d (kind %d): decoded bytes differ", ci->label, i, kind);

		if (i >= torture_pages)
			continue;
		/* Every shorter prefix fails (a step keeps long streams quick). */
		size_t step = n > 600 ? n / 300 : 1;
		for (size_t cut = 0; cut < n; cut += step) {
			code = decode(d, comp, cut, page_size, NULL, msg, sizeof(msg));
			if (code != UZ_ERR_DECOMPRESS)
				UT_FAIL("%s page %d truncated to %zu of %zu bytes: code %d, expected a decompress error",
					ci->label, i, cut, n, code);
		}
		/* A last byte removed always fails too. */
		UT_ASSERT_EQ(decode(d, comp, n - 1, page_size, NULL, NULL, 0), UZ_ERR_DECOMPRESS);
		/* Trailing garbage is rejected. */
		uint8_t *longer = malloc(n + 3);
		memcpy(longer, comp, n);
		memcpy(longer + n, "\x11\x22\x33", 3);
		code = decode(d, longer, n + 3, page_size, NULL, msg, sizeof(msg));
		free(longer);
		if (code != UZ_ERR_DECOMPRESS)
			UT_FAIL("%s page %d with 3 trailing bytes: code %d", ci->label, i, code);
		/* Wrong page size: one byte less (overrun) and one byte more (short). */
		UT_ASSERT_EQ(decode(d, comp, n, page_size - 1, NULL, NULL, 0), UZ_ERR_DECOMPRESS);
		UT_ASSERT_EQ(decode(d, comp, n, page_size + 1, NULL, msg, sizeof(msg)), UZ_ERR_DECOMPRESS);
		UT_ASSERT_EQ(decode(d, comp, n, 1, NULL, NULL, 0), UZ_ERR_DECOMPRESS);
		/* Random corruption: must either fail cleanly or give a page;
		 * ASan/UBSan catch the rest. */
		for (int k = 0; k < 64; k++) {
			uint8_t *bad = tc_dup(comp, n);
			int flips = 1 + (int)tc_below(&rng, 4);
			for (int f = 0; f < flips; f++)
				bad[tc_below(&rng, (uint32_t)n)] ^= (uint8_t)(1u << tc_below(&rng, 8));
			if (k & 1)
				bad[tc_below(&rng, (uint32_t)n)] = (uint8_t)tc_next(&rng);
			code = decode(d, bad, n, page_size, NULL, msg, sizeof(msg));
			free(bad);
			if (code != 0 && code != UZ_ERR_DECOMPRESS)
				UT_FAIL("%s corrupted page %d: unexpected error code %d: %s", ci->label, i, code, msg);
		}
	}
	/* The decompressor is still usable after all those errors. */
	tc_fill_page(&rng, 2, page, page_size);
	size_t n = compress_page(c, page, page_size, comp, cap);
	UT_ASSERT_EQ(decode(d, comp, n, page_size, got, msg, sizeof(msg)), 0);
	UT_ASSERT_MEM(got, page, page_size);
	free(page);
	free(got);
	free(comp);
	uz_decompressor_destroy(d);
}

#define ROUND_TRIP_TEST(fn, comp) \
	UT_TEST(fn) \
	{ \
		round_trip_compressor(ut_, comp, 4096, 600, 24); \
		if (ut_->failed) \
			return; \
		round_trip_compressor(ut_, comp, 16384, 24, 2); \
		if (ut_->failed) \
			return; \
		round_trip_compressor(ut_, comp, 65536, 12, 0); \
	}

ROUND_TRIP_TEST(test_codec_lz4_round_trip, C_LZ4)
ROUND_TRIP_TEST(test_codec_lz4_fast_round_trip, C_LZ4_FAST)
ROUND_TRIP_TEST(test_codec_lz4hc_round_trip, C_LZ4HC)
ROUND_TRIP_TEST(test_codec_zstd_round_trip, C_ZSTD)
ROUND_TRIP_TEST(test_codec_zstd_no_content_size_round_trip, C_ZSTD_NOSIZE)
ROUND_TRIP_TEST(test_codec_deflate_raw_round_trip, C_DEFLATE)
ROUND_TRIP_TEST(test_codec_deflate_zlib_round_trip, C_DEFLATE_ZLIB12)
ROUND_TRIP_TEST(test_codec_lzo_round_trip, C_LZO1X_1)
ROUND_TRIP_TEST(test_codec_lzo999_round_trip, C_LZO1X_999)

/* The zstd-nosize compressor really omits the content size, and the default
 * one really sets it (otherwise the two tests above test the same thing). */
UT_TEST(test_codec_zstd_frame_variants)
{
	uint8_t page[TC_PAGE], comp[2 * TC_PAGE];
	struct tc_rng rng = { 77 };
	tc_fill_page(&rng, 2, page, sizeof(page));
	size_t n = compress_page(C_ZSTD, page, sizeof(page), comp, sizeof(comp));
	UT_ASSERT(n > 0);
	UT_ASSERT_EQ(ZSTD_getFrameContentSize(comp, n), TC_PAGE);
	n = compress_page(C_ZSTD_NOSIZE, page, sizeof(page), comp, sizeof(comp));
	UT_ASSERT(n > 0);
	UT_ASSERT(ZSTD_getFrameContentSize(comp, n) == ZSTD_CONTENTSIZE_UNKNOWN);
	/* Two concatenated frames of 2 KiB each are one valid page (libzstd
	 * semantics; the kernel never writes that, but it must not break). */
	uint8_t two[2 * TC_PAGE];
	size_t a = ZSTD_compress(two, sizeof(two), page, TC_PAGE / 2, 3);
	size_t b = ZSTD_compress(two + a, sizeof(two) - a, page + TC_PAGE / 2, TC_PAGE / 2, 3);
	UT_ASSERT(!ZSTD_isError(a) && !ZSTD_isError(b));
	struct uz_decompressor *d;
	UT_OK(uz_decompressor_create(UZ_CODEC_ZSTD, NULL, &d));
	uint8_t got[TC_PAGE];
	char msg[256];
	int code = decode(d, two, a + b, TC_PAGE, got, msg, sizeof(msg));
	uz_decompressor_destroy(d);
	if (code)
		UT_FAIL("two frames: %s", msg);
	UT_ASSERT_MEM(got, page, TC_PAGE);
}

/* Exact one-line messages for the common failures. */
UT_TEST(test_codec_error_messages)
{
	uint8_t page[TC_PAGE], comp[2 * TC_PAGE];
	struct tc_rng rng = { 5 };
	tc_fill_page(&rng, 3, page, sizeof(page));
	char msg[256];
	struct uz_decompressor *d;

	size_t n = compress_page(C_LZ4, page, sizeof(page), comp, sizeof(comp));
	UT_OK(uz_decompressor_create(UZ_CODEC_LZ4, NULL, &d));
	UT_ASSERT_EQ(decode(d, comp, n, TC_PAGE + 4, NULL, msg, sizeof(msg)), UZ_ERR_DECOMPRESS);
	UT_ASSERT(strcmp(msg, "lz4: output is 4096 bytes, expected 4100") == 0);
	UT_ASSERT_EQ(decode(d, comp, n, TC_PAGE - 1, NULL, msg, sizeof(msg)), UZ_ERR_DECOMPRESS);
	UT_ASSERT(strncmp(msg, "lz4: corrupt block at input byte ", 33) == 0);
	UT_ASSERT(strchr(msg, '\n') == NULL);
	uz_decompressor_destroy(d);

	n = compress_page(C_ZSTD_NOSIZE, page, sizeof(page), comp, sizeof(comp));
	UT_OK(uz_decompressor_create(UZ_CODEC_ZSTD, NULL, &d));
	UT_ASSERT_EQ(decode(d, comp, n, 8192, NULL, msg, sizeof(msg)), UZ_ERR_DECOMPRESS);
	UT_ASSERT(strcmp(msg, "zstd: output is 4096 bytes, expected 8192") == 0);
	UT_ASSERT_EQ(decode(d, (const uint8_t *)"\x01\x02\x03\x04\x05\x06", 6, TC_PAGE, NULL, msg, sizeof(msg)),
		     UZ_ERR_DECOMPRESS);
	UT_ASSERT(strncmp(msg, "zstd: not a zstd frame", 22) == 0);
	uz_decompressor_destroy(d);

	n = compress_page(C_DEFLATE, page, sizeof(page), comp, sizeof(comp));
	UT_OK(uz_decompressor_create(UZ_CODEC_DEFLATE, NULL, &d));
	UT_ASSERT_EQ(decode(d, comp, n, 5000, NULL, msg, sizeof(msg)), UZ_ERR_DECOMPRESS);
	UT_ASSERT(strcmp(msg, "deflate: output is 4096 bytes, expected 5000") == 0);
	uz_decompressor_destroy(d);

	n = compress_page(C_LZO1X_1, page, sizeof(page), comp, sizeof(comp));
	UT_OK(uz_decompressor_create(UZ_CODEC_LZO, NULL, &d));
	UT_ASSERT_EQ(decode(d, comp, n, 6000, NULL, msg, sizeof(msg)), UZ_ERR_DECOMPRESS);
	UT_ASSERT(strcmp(msg, "lzo: output is 4096 bytes, expected 6000") == 0);
	uz_decompressor_destroy(d);

	/* uz_decompress_once gives the same result as a decompressor. */
	uint8_t got[TC_PAGE];
	n = compress_page(C_LZ4HC, page, sizeof(page), comp, sizeof(comp));
	UT_OK(uz_decompress_once(UZ_CODEC_LZ4HC, NULL, comp, n, got, sizeof(got)));
	UT_ASSERT_MEM(got, page, TC_PAGE);
	UT_ERR(uz_decompress_once(UZ_CODEC_LZ4HC, NULL, comp, n - 1, got, sizeof(got)), UZ_ERR_DECOMPRESS);
}

/* raw deflate into the zlib-wrapped decoder and the reverse both fail. */
UT_TEST(test_codec_deflate_wrapping_mismatch)
{
	uint8_t page[TC_PAGE], comp[2 * TC_PAGE], got[TC_PAGE];
	struct tc_rng rng = { 9 };
	struct uz_codec_params zlib15 = { .deflate_winbits = 15 }, raw11 = { .deflate_winbits = -11 };
	for (int kind = 0; kind < TC_PAGE_KINDS; kind++) {
		tc_fill_page(&rng, kind, page, sizeof(page));
		size_t raw = compress_page(C_DEFLATE, page, sizeof(page), comp, sizeof(comp));
		UT_ERR(uz_decompress_once(UZ_CODEC_DEFLATE, &zlib15, comp, raw, got, sizeof(got)), UZ_ERR_DECOMPRESS);
		UT_OK(uz_decompress_once(UZ_CODEC_DEFLATE, &raw11, comp, raw, got, sizeof(got)));
		UT_ASSERT_MEM(got, page, TC_PAGE);
		size_t wrapped = compress_page(C_DEFLATE_ZLIB12, page, sizeof(page), comp, sizeof(comp));
		UT_ERR(uz_decompress_once(UZ_CODEC_DEFLATE, NULL, comp, wrapped, got, sizeof(got)), UZ_ERR_DECOMPRESS);
		UT_OK(uz_decompress_once(UZ_CODEC_DEFLATE, &zlib15, comp, wrapped, got, sizeof(got)));
		UT_ASSERT_MEM(got, page, TC_PAGE);
	}
}

/* ---- dictionaries ---- */

/* A dictionary of text-like content and pages built largely from it, so
 * compressed pages reference the dictionary. */
static void dict_material(struct tc_rng *rng, const uint8_t *dict, size_t dict_len, uint8_t *page, size_t page_len)
{
	/* Only the last 32 KiB: LZ4's window into the dictionary is 64 KiB. */
	size_t base = dict_len > 32768 ? dict_len - 32768 : 0;
	for (size_t i = 0; i < page_len;) {
		size_t from = base + tc_below(rng, (uint32_t)(dict_len - base - 64));
		size_t n = 8 + tc_below(rng, 56);
		for (size_t k = 0; k < n && i < page_len; k++)
			page[i++] = dict[from + k];
		if (i < page_len && tc_below(rng, 3) == 0)
			page[i++] = (uint8_t)tc_next(rng);
	}
}

static size_t lz4_dict_compress(bool hc, const uint8_t *dict, size_t dict_len, const uint8_t *in, size_t len,
				uint8_t *out, size_t cap)
{
	int n;
	if (hc) {
		LZ4_streamHC_t *s = LZ4_createStreamHC();
		LZ4_resetStreamHC_fast(s, LZ4HC_CLEVEL_DEFAULT);
		LZ4_loadDictHC(s, (const char *)dict, (int)dict_len);
		n = LZ4_compress_HC_continue(s, (const char *)in, (char *)out, (int)len, (int)cap);
		LZ4_freeStreamHC(s);
	} else {
		LZ4_stream_t *s = LZ4_createStream();
		LZ4_loadDict(s, (const char *)dict, (int)dict_len);
		n = LZ4_compress_fast_continue(s, (const char *)in, (char *)out, (int)len, (int)cap, 1);
		LZ4_freeStream(s);
	}
	return n > 0 ? (size_t)n : 0;
}

static void dict_round_trips(struct ut_state *ut_, enum uz_codec codec, int variant, size_t dict_len)
{
	struct tc_rng rng = { 0xd1c7 + (uint64_t)codec * 31 + (uint64_t)variant };
	uint8_t *dict = malloc(dict_len);
	uint8_t page[TC_PAGE], got[TC_PAGE], comp[2 * TC_PAGE];
	char msg[256];
	/* variant 2 (zstd): a trained dictionary with the 0xEC30A437 magic. */
	if (variant == 2) {
		enum { SAMPLES = 200 };
		uint8_t *samples = malloc(SAMPLES * 1024);
		size_t sizes[SAMPLES];
		for (int i = 0; i < SAMPLES; i++) {
			tc_fill_page(&rng, 2 + (i % 2), samples + i * 1024, 1024);
			sizes[i] = 1024;
		}
		size_t got_len = ZDICT_trainFromBuffer(dict, dict_len, samples, sizes, SAMPLES);
		free(samples);
		if (ZDICT_isError(got_len))
			UT_FAIL("ZDICT_trainFromBuffer: %s", ZDICT_getErrorName(got_len));
		dict_len = got_len;
		UT_ASSERT_EQ(dict[0] | dict[1] << 8 | dict[2] << 16 | (uint32_t)dict[3] << 24, 0xEC30A437u);
	} else {
		tc_fill_page(&rng, 1, dict, dict_len);
	}
	struct uz_codec_params params = { .dict = dict, .dict_len = dict_len };
	struct uz_decompressor *d, *plain;
	UT_OK(uz_decompressor_create(codec, &params, &d));
	UT_OK(uz_decompressor_create(codec, NULL, &plain));
	/* The decompressor keeps its own copy of the dictionary. */
	uint8_t *dict_copy = tc_dup(dict, dict_len);
	memset(dict, 0xa5, dict_len);
	int plain_failures = 0;
	for (int i = 0; i < 60; i++) {
		if (variant == 2)
			tc_fill_page(&rng, 2 + (i % 2), page, sizeof(page));
		else
			dict_material(&rng, dict_copy, dict_len, page, sizeof(page));
		size_t n;
		if (codec == UZ_CODEC_ZSTD) {
			ZSTD_CCtx *cctx = ZSTD_createCCtx();
			n = ZSTD_compress_usingDict(cctx, comp, sizeof(comp), page, sizeof(page), dict_copy, dict_len, 3);
			ZSTD_freeCCtx(cctx);
			UT_ASSERT(!ZSTD_isError(n));
		} else {
			n = lz4_dict_compress(codec == UZ_CODEC_LZ4HC, dict_copy, dict_len, page, sizeof(page), comp,
					      sizeof(comp));
			UT_ASSERT(n > 0);
		}
		int code = decode(d, comp, n, TC_PAGE, got, msg, sizeof(msg));
		if (code)
			UT_FAIL("%s dict variant %d page %d: %s", uz_codec_name(codec), variant, i, msg);
		UT_ASSERT_MEM(got, page, TC_PAGE);
		code = decode(plain, comp, n, TC_PAGE, got, NULL, 0);
		UT_ASSERT(code == 0 || code == UZ_ERR_DECOMPRESS);
		if (code || memcmp(got, page, TC_PAGE) != 0)
			plain_failures++;
		for (size_t cut = 0; cut < n; cut += 1 + n / 50)
			UT_ASSERT_EQ(decode(d, comp, cut, TC_PAGE, NULL, NULL, 0), UZ_ERR_DECOMPRESS);
	}
	/* Without the dictionary the pages do not come back. */
	UT_ASSERT_EQ(plain_failures, 60);
	uz_decompressor_destroy(d);
	uz_decompressor_destroy(plain);
	free(dict);
	free(dict_copy);
}

UT_TEST(test_codec_lz4_dict)
{
	dict_round_trips(ut_, UZ_CODEC_LZ4, 0, 8192);
	if (!ut_->failed)
		dict_round_trips(ut_, UZ_CODEC_LZ4, 0, 100000); /* > 64 KiB: only the tail matters */
}

UT_TEST(test_codec_lz4hc_dict)
{
	dict_round_trips(ut_, UZ_CODEC_LZ4HC, 0, 8192);
}

UT_TEST(test_codec_zstd_raw_dict)
{
	dict_round_trips(ut_, UZ_CODEC_ZSTD, 1, 8192);
}

UT_TEST(test_codec_zstd_trained_dict)
{
	dict_round_trips(ut_, UZ_CODEC_ZSTD, 2, 8192);
}

UT_MAIN(UT_CASE(test_codec_names),
	UT_CASE(test_codec_bad_arguments),
	UT_CASE(test_codec_lz4_round_trip),
	UT_CASE(test_codec_lz4_fast_round_trip),
	UT_CASE(test_codec_lz4hc_round_trip),
	UT_CASE(test_codec_zstd_round_trip),
	UT_CASE(test_codec_zstd_no_content_size_round_trip),
	UT_CASE(test_codec_zstd_frame_variants),
	UT_CASE(test_codec_deflate_raw_round_trip),
	UT_CASE(test_codec_deflate_zlib_round_trip),
	UT_CASE(test_codec_deflate_wrapping_mismatch),
	UT_CASE(test_codec_lzo_round_trip),
	UT_CASE(test_codec_lzo999_round_trip),
	UT_CASE(test_codec_error_messages),
	UT_CASE(test_codec_lz4_dict),
	UT_CASE(test_codec_lz4hc_dict),
	UT_CASE(test_codec_zstd_raw_dict),
	UT_CASE(test_codec_zstd_trained_dict))
