/* lz4.c - "lz4" and "lz4hc": a raw LZ4 block (no frame), decoded by liblz4.
 *
 * Both compressors write the same block format (crypto/lz4*.c up to 6.11,
 * drivers/block/zram/backend_lz4*.c from 6.12).  With a dictionary (6.12+
 * algorithm_params dict=) the kernel preloads it with LZ4_loadDict /
 * LZ4_loadDictHC, so matches may reach into the dictionary's last 64 KiB:
 * LZ4_decompress_safe_usingDict with the same bytes decodes that.
 */
#include "codec_internal.h"

#include <limits.h>
#include <lz4.h>

enum { LZ4_WINDOW = 64 * 1024 };

static struct uz_error *lz4_decompress(struct uz_decompressor *d,
				       const uint8_t *src, size_t src_len,
				       uint8_t *dst, size_t dst_len)
{
	if (src_len > INT_MAX || dst_len > INT_MAX)
		return uz_error_create(UZ_ERR_DECOMPRESS, "block of %zu bytes into %zu bytes is beyond liblz4's int sizes",
				       src_len, dst_len);
	int n;
	if (d->dict) {
		/* LZ4 offsets reach at most 64 KiB back; the kernel's
		 * LZ4_loadDict keeps only the dictionary's last 64 KiB too. */
		size_t keep = d->dict_len < LZ4_WINDOW ? d->dict_len : LZ4_WINDOW;
		n = LZ4_decompress_safe_usingDict((const char *)src, (char *)dst, (int)src_len, (int)dst_len,
						  (const char *)d->dict + d->dict_len - keep, (int)keep);
	} else
		n = LZ4_decompress_safe((const char *)src, (char *)dst, (int)src_len, (int)dst_len);
	if (n < 0)
		/* liblz4 returns -(position of the failing input byte) - 1. */
		return uz_error_create(UZ_ERR_DECOMPRESS,
				       "corrupt block at input byte %d (or output larger than %zu bytes)",
				       -(n + 1), dst_len);
	if ((size_t)n != dst_len)
		return uz_codec_length_error((size_t)n, dst_len);
	return NULL;
}

const struct uz_codec_ops uz_codec_ops_lz4 = {
	.codec = UZ_CODEC_LZ4,
	.name = "lz4",
	.takes_dict = true,
	.decompress = lz4_decompress,
};

const struct uz_codec_ops uz_codec_ops_lz4hc = {
	.codec = UZ_CODEC_LZ4HC,
	.name = "lz4hc",
	.takes_dict = true,
	.decompress = lz4_decompress,
};
