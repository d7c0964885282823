/* zstd.c - "zstd": one standard zstd frame (magic 0xFD2FB528), via libzstd.
 *
 * Kernels up to 5.15 carry the old 1.3.x port, which writes frames without
 * a content size or checksum; 5.16+ (1.4.10, later 1.5.x) set the content
 * size.  ZSTD_decompressDCtx handles both given a page-sized output buffer.
 * With a dictionary (6.12+ algorithm_params dict=) the kernel builds a CDict
 * "by reference" from the raw bytes, so both full dictionaries (magic
 * 0xEC30A437) and raw-content ones occur; a DDict built from the same bytes
 * decodes either (ZSTD_dct_auto).
 */
#include "codec_internal.h"

#include <stdlib.h>
#include <zstd.h>
#include <zstd_errors.h>

struct zstd_state {
	ZSTD_DCtx *dctx;
	ZSTD_DDict *ddict;   /* NULL without a dictionary */
};

static void zstd_fini(struct uz_decompressor *d)
{
	struct zstd_state *s = d->state;
	if (!s)
		return;
	ZSTD_freeDDict(s->ddict);
	ZSTD_freeDCtx(s->dctx);
	free(s);
	d->state = NULL;
}

static struct uz_error *zstd_init(struct uz_decompressor *d)
{
	struct zstd_state *s = calloc(1, sizeof(*s));
	if (!s)
		return uz_error_create(UZ_ERR_NOMEM, "out of memory for decompression state");
	d->state = s;
	s->dctx = ZSTD_createDCtx();
	if (!s->dctx) {
		zstd_fini(d);
		return uz_error_create(UZ_ERR_NOMEM, "ZSTD_createDCtx failed");
	}
	if (d->dict) {
		s->ddict = ZSTD_createDDict(d->dict, d->dict_len);
		if (!s->ddict) {
			zstd_fini(d);
			return uz_error_create(UZ_ERR_FORMAT, "cannot load the %zu-byte dictionary (ZSTD_createDDict failed)",
					       d->dict_len);
		}
	}
	return NULL;
}

static struct uz_error *zstd_decompress(struct uz_decompressor *d,
					const uint8_t *src, size_t src_len,
					uint8_t *dst, size_t dst_len)
{
	struct zstd_state *s = d->state;
	unsigned long long declared = ZSTD_getFrameContentSize(src, src_len);
	if (declared == ZSTD_CONTENTSIZE_ERROR)
		return uz_error_create(UZ_ERR_DECOMPRESS, "not a zstd frame at input byte 0 (bad magic or header in %zu bytes)",
				       src_len);
	if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared > dst_len)
		return uz_error_create(UZ_ERR_DECOMPRESS, "frame header declares %llu bytes, expected %zu",
				       declared, dst_len);
	size_t n;
	if (s->ddict)
		n = ZSTD_decompress_usingDDict(s->dctx, dst, dst_len, src, src_len, s->ddict);
	else
		n = ZSTD_decompressDCtx(s->dctx, dst, dst_len, src, src_len);
	if (ZSTD_isError(n)) {
		if (ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall)
			return uz_error_create(UZ_ERR_DECOMPRESS, "output would exceed %zu bytes", dst_len);
		return uz_error_create(UZ_ERR_DECOMPRESS, "corrupt frame of %zu bytes: %s", src_len, ZSTD_getErrorName(n));
	}
	if (n != dst_len)
		return uz_codec_length_error(n, dst_len);
	return NULL;
}

const struct uz_codec_ops uz_codec_ops_zstd = {
	.codec = UZ_CODEC_ZSTD,
	.name = "zstd",
	.takes_dict = true,
	.init = zstd_init,
	.fini = zstd_fini,
	.decompress = zstd_decompress,
};
