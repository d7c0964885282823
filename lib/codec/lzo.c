/* lzo.c - the "lzo" codec (liblzo2) and the "lzo-rle" codec (our decoder).
 *
 * "lzo": plain LZO1X-1 streams from the kernel's lzo1x_1_compress (every
 * kernel; bitstream version 0, never starts with byte 17 except for empty
 * input), decoded by liblzo2's lzo1x_decompress_safe.
 * "lzo-rle" (5.1+): lzorle1x_1_compress output, decoded by uz_lzo1x_decode()
 * with the kernel's version header and zero-run instruction (lzo1x.c).  The
 * kernel's own decoder treats both the same way, so lzo-rle also accepts
 * version-0 streams.
 */
#include "codec_internal.h"

#include <lzo1x.h>

static struct uz_error *lzo_codec_init(struct uz_decompressor *d)
{
	(void)d;
	/* lzo_init() only checks the library's build configuration against
	 * this header; it keeps no state and may be called any number of times. */
	if (lzo_init() != LZO_E_OK)
		return uz_error_create(UZ_ERR_UNSUPPORTED, "liblzo2 initialisation failed (library/header mismatch)");
	return NULL;
}

static const char *lzo_result_reason(int rc)
{
	switch (rc) {
	case LZO_E_INPUT_OVERRUN:
		return "truncated stream (input overrun)";
	case LZO_E_OUTPUT_OVERRUN:
		return "output would exceed the page (output overrun)";
	case LZO_E_LOOKBEHIND_OVERRUN:
		return "corrupt stream: a match reaches before the start of the output";
	case LZO_E_EOF_NOT_FOUND:
		return "truncated stream: no end marker";
	case LZO_E_INPUT_NOT_CONSUMED:
		return "trailing data after the end marker";
	default:
		return "corrupt stream";
	}
}

static struct uz_error *lzo_decompress(struct uz_decompressor *d,
				       const uint8_t *src, size_t src_len,
				       uint8_t *dst, size_t dst_len)
{
	(void)d;
	lzo_uint out_len = dst_len;
	int rc = lzo1x_decompress_safe(src, src_len, dst, &out_len, NULL);
	if (rc != LZO_E_OK)
		return uz_error_create(UZ_ERR_DECOMPRESS, "%s (liblzo2 error %d after %zu output bytes)",
				       lzo_result_reason(rc), rc, (size_t)out_len);
	if (out_len != dst_len)
		return uz_codec_length_error(out_len, dst_len);
	return NULL;
}

static struct uz_error *lzo_rle_decompress(struct uz_decompressor *d,
					   const uint8_t *src, size_t src_len,
					   uint8_t *dst, size_t dst_len)
{
	(void)d;
	size_t out_len;
	UZ_TRY(uz_lzo1x_decode(src, src_len, dst, dst_len, true, &out_len));
	if (out_len != dst_len)
		return uz_codec_length_error(out_len, dst_len);
	return NULL;
}

const struct uz_codec_ops uz_codec_ops_lzo = {
	.codec = UZ_CODEC_LZO,
	.name = "lzo",
	.init = lzo_codec_init,
	.decompress = lzo_decompress,
};

const struct uz_codec_ops uz_codec_ops_lzo_rle = {
	.codec = UZ_CODEC_LZO_RLE,
	.name = "lzo-rle",
	.decompress = lzo_rle_decompress,
};
