/* deflate.c - "deflate": raw deflate (RFC 1951), or zlib-wrapped (RFC 1950)
 * when the 6.18+ "deflate.winbits=" parameter is positive; via zlib.
 *
 * The kernel default (crypto/deflate.c, backend_deflate.c 6.12+) is
 * zlib_deflateInit2(level, Z_DEFLATED, -11, MAX_MEM_LEVEL, ...): a raw stream
 * with a 2 KiB window.  Inflating with the largest window (-15 / 15) accepts
 * every smaller one, so we do not need to know the exact value.
 */
#include "codec_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum {
	DEFLATE_MIN_WINBITS = 8,
	DEFLATE_MAX_WINBITS = 15,
};

static void deflate_fini(struct uz_decompressor *d)
{
	z_stream *zs = d->state;
	if (!zs)
		return;
	inflateEnd(zs);
	free(zs);
	d->state = NULL;
}

static struct uz_error *deflate_init(struct uz_decompressor *d)
{
	int wb = d->deflate_winbits;
	int magnitude = wb < 0 ? -wb : wb;
	if (wb != 0 && (magnitude < DEFLATE_MIN_WINBITS || magnitude > DEFLATE_MAX_WINBITS))
		return uz_error_create(UZ_ERR_USAGE, "deflate_winbits %d is outside 8..15 (zlib) or -8..-15 (raw)", wb);
	z_stream *zs = calloc(1, sizeof(*zs));
	if (!zs)
		return uz_error_create(UZ_ERR_NOMEM, "out of memory for a zlib stream");
	/* Positive: zlib header; 0 or negative: raw. */
	int rc = inflateInit2(zs, wb > 0 ? DEFLATE_MAX_WINBITS : -DEFLATE_MAX_WINBITS);
	if (rc != Z_OK) {
		free(zs);
		return uz_error_create(rc == Z_MEM_ERROR ? UZ_ERR_NOMEM : UZ_ERR_UNSUPPORTED,
				       "inflateInit2 failed (zlib error %d)", rc);
	}
	d->state = zs;
	return NULL;
}

static struct uz_error *deflate_decompress(struct uz_decompressor *d,
					   const uint8_t *src, size_t src_len,
					   uint8_t *dst, size_t dst_len)
{
	z_stream *zs = d->state;
	if (src_len > UINT_MAX || dst_len > UINT_MAX)
		return uz_error_create(UZ_ERR_DECOMPRESS, "%zu-byte stream into %zu bytes is beyond zlib's sizes",
				       src_len, dst_len);
	int rc = inflateReset(zs);
	if (rc != Z_OK)
		return uz_error_create(UZ_ERR_DECOMPRESS, "inflateReset failed (zlib error %d)", rc);
	zs->next_in = (Bytef *)src;  /* zlib's API is not const-correct; it only reads */
	zs->avail_in = (uInt)src_len;
	zs->next_out = dst;
	zs->avail_out = (uInt)dst_len;
	rc = inflate(zs, Z_FINISH);
	size_t consumed = src_len - zs->avail_in;
	size_t produced = dst_len - zs->avail_out;
	switch (rc) {
	case Z_STREAM_END:
		if (zs->avail_in)
			return uz_error_create(UZ_ERR_DECOMPRESS, "%zu bytes of trailing data after the end of the stream at input byte %zu",
					       (size_t)zs->avail_in, consumed);
		if (produced != dst_len)
			return uz_codec_length_error(produced, dst_len);
		return NULL;
	case Z_NEED_DICT:
		return uz_error_create(UZ_ERR_DECOMPRESS, "zlib stream asks for a preset dictionary, which zram never uses");
	case Z_DATA_ERROR:
		return uz_error_create(UZ_ERR_DECOMPRESS, "corrupt stream near input byte %zu: %s",
				       consumed, zs->msg ? zs->msg : "invalid data");
	case Z_MEM_ERROR:
		return uz_error_create(UZ_ERR_NOMEM, "out of memory while inflating");
	default:
		/* Z_BUF_ERROR / Z_OK with Z_FINISH: ran out of input or output. */
		if (zs->avail_out == 0)
			return uz_error_create(UZ_ERR_DECOMPRESS, "output would exceed %zu bytes (stopped at input byte %zu)",
					       dst_len, consumed);
		return uz_error_create(UZ_ERR_DECOMPRESS, "truncated stream: input ends at byte %zu after %zu output bytes",
				       src_len, produced);
	}
}

const struct uz_codec_ops uz_codec_ops_deflate = {
	.codec = UZ_CODEC_DEFLATE,
	.name = "deflate",
	.init = deflate_init,
	.fini = deflate_fini,
	.decompress = deflate_decompress,
};
