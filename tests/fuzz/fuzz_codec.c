/* fuzz_codec.c - libFuzzer target for lib/codec.
 *
 * Input: byte 0 selects what to run, the rest is the compressed stream.
 *   bits 0..2  0..6 = enum uz_codec (lzo, lzo-rle, lz4, lz4hc, zstd, deflate,
 *              842) through the public API; 7 = differential test of our
 *              plain LZO1X decoder against liblzo2 (they must agree).
 *   bit 3      give lz4/lz4hc/zstd a (fixed) dictionary
 *   bit 4      deflate: zlib-wrapped (winbits 15) instead of raw
 * Each stream is decoded twice: into a 4096-byte page, and into an output
 * buffer of an input-derived small size, both heap buffers of exactly that
 * size, so ASan reports any write (or read) past the end.
 */
#include "codec/codec.h"
#include "codec/codec_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lzo1x.h>

enum { FUZZ_PAGE = 4096, FUZZ_DICT = 512 };

static void fixed_dict(uint8_t *dict)
{
	/* Something matchable: text-like, deterministic. */
	static const char words[] = "the kernel zram page swap compressed memory 0123456789 ";
	for (size_t i = 0; i < FUZZ_DICT; i++)
		dict[i] = (uint8_t)words[(i * 7 + i / 13) % (sizeof(words) - 1)];
}

static void check_error(struct uz_error *err)
{
	if (!err)
		return;
	/* Corrupt data must be reported as such, never as anything else. */
	if (err->code != UZ_ERR_DECOMPRESS || !err->message || strchr(err->message, '\n')) {
		fprintf(stderr, "unexpected error %d: %s\n", err->code, err->message ? err->message : "(null)");
		abort();
	}
	uz_error_destroy(err);
}

static void decode_twice(struct uz_decompressor *d, const uint8_t *src, size_t len, size_t small)
{
	uint8_t *page = malloc(FUZZ_PAGE);
	check_error(uz_decompress(d, src, len, page, FUZZ_PAGE));
	free(page);
	uint8_t *exact = malloc(small);
	check_error(uz_decompress(d, src, len, exact, small));
	free(exact);
}

static void lzo_differential(const uint8_t *src, size_t len)
{
	uint8_t *ours = malloc(FUZZ_PAGE), *theirs = malloc(FUZZ_PAGE);
	size_t ours_len = 0;
	struct uz_error *err = uz_lzo1x_decode(src, len, ours, FUZZ_PAGE, false, &ours_len);
	lzo_uint theirs_len = FUZZ_PAGE;
	int rc = lzo1x_decompress_safe(src, len, theirs, &theirs_len, NULL);
	bool ours_ok = err == NULL, theirs_ok = rc == LZO_E_OK;
	/* Known difference: like the kernel, we require the end marker to be
	 * exactly 17 0 0; liblzo2 ends on any M4 with distance field 0. */
	bool end_marker_rule = err && strstr(err->message, "end marker") && strstr(err->message, "length field");
	if (!(end_marker_rule && theirs_ok)) {
		if (ours_ok != theirs_ok ||
		    (ours_ok && (ours_len != theirs_len || memcmp(ours, theirs, ours_len) != 0))) {
			fprintf(stderr, "LZO1X disagreement: ours %s (%s), liblzo2 %d\n", ours_ok ? "ok" : "error",
				err ? err->message : "", rc);
			abort();
		}
	}
	check_error(err);
	free(ours);
	free(theirs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned selector = data[0];
	const uint8_t *src = data + 1;
	size_t len = size - 1;
	/* libFuzzer's buffer is exactly `size` bytes; give the decoder an
	 * exactly-sized copy of the stream part too. */
	uint8_t *copy = malloc(len ? len : 1);
	if (len)
		memcpy(copy, src, len);

	unsigned which = selector & 7;
	if (which == 7) {
		lzo_differential(copy, len);
		free(copy);
		return 0;
	}
	enum uz_codec codec = (enum uz_codec)which;
	struct uz_codec_params params = { 0 };
	uint8_t dict[FUZZ_DICT];
	if ((selector & 8) && (codec == UZ_CODEC_LZ4 || codec == UZ_CODEC_LZ4HC || codec == UZ_CODEC_ZSTD)) {
		fixed_dict(dict);
		params.dict = dict;
		params.dict_len = sizeof(dict);
	}
	if ((selector & 16) && codec == UZ_CODEC_DEFLATE)
		params.deflate_winbits = 15;
	struct uz_decompressor *d;
	struct uz_error *err = uz_decompressor_create(codec, &params, &d);
	if (err) {
		fprintf(stderr, "create failed: %s\n", err->message);
		abort();
	}
	size_t small = 1 + (len ? (size_t)src[len - 1] * 16 % FUZZ_PAGE : 0);
	decode_twice(d, copy, len, small);
	uz_decompressor_destroy(d);
	free(copy);
	return 0;
}
