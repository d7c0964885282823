/* compress.c - page compression of kdump-compressed files, through Debian's
 * zlib, liblzo2, libsnappy (makedumpfile -p, raw snappy blocks without the
 * framing format) and libzstd.
 */
#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <zlib.h>
#include <zstd.h>

#include "dump_internal.h"

const char *uz_compress_name(enum uz_dump_compress c)
{
	switch (c) {
	case UZ_COMPRESS_NONE: return "none";
	case UZ_COMPRESS_ZLIB: return "zlib";
	case UZ_COMPRESS_LZO: return "lzo";
	case UZ_COMPRESS_SNAPPY: return "snappy";
	case UZ_COMPRESS_ZSTD: return "zstd";
	}
	return "unknown";
}

struct uz_error *uz_page_decompress(enum uz_dump_compress c, const void *in, size_t in_len,
				    void *out, size_t page_size)
{
	switch (c) {
	case UZ_COMPRESS_NONE:
		if (in_len != page_size)
			return uz_error_create(UZ_ERR_FORMAT,
					       "uncompressed page has %zu bytes, expected %zu",
					       in_len, page_size);
		memcpy(out, in, page_size);
		return NULL;
	case UZ_COMPRESS_ZLIB: {
		uLongf out_len = page_size;
		int rc = uncompress(out, &out_len, in, in_len);
		if (rc != Z_OK || out_len != page_size)
			return uz_error_create(UZ_ERR_DECOMPRESS,
					       "zlib page data is corrupt (%s, %lu of %zu bytes)",
					       rc == Z_OK ? "short" : zError(rc),
					       (unsigned long)out_len, page_size);
		return NULL;
	}
	case UZ_COMPRESS_LZO: {
		if (lzo_init() != LZO_E_OK)
			return uz_error_create(UZ_ERR_DECOMPRESS, "lzo_init failed");
		lzo_uint out_len = page_size;
		int rc = lzo1x_decompress_safe(in, in_len, out, &out_len, NULL);
		if (rc != LZO_E_OK || out_len != page_size)
			return uz_error_create(UZ_ERR_DECOMPRESS,
					       "lzo page data is corrupt (error %d, %lu of %zu bytes)",
					       rc, (unsigned long)out_len, page_size);
		return NULL;
	}
	case UZ_COMPRESS_ZSTD: {
		size_t n = ZSTD_decompress(out, page_size, in, in_len);
		if (ZSTD_isError(n) || n != page_size)
			return uz_error_create(UZ_ERR_DECOMPRESS,
					       "zstd page data is corrupt (%s)",
					       ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short page");
		return NULL;
	}
	case UZ_COMPRESS_SNAPPY: {
		/* The declared length is checked first so a corrupt block never
		 * makes snappy write past the page. */
		size_t declared = 0;
		if (snappy_uncompressed_length(in, in_len, &declared) != SNAPPY_OK)
			return uz_error_create(UZ_ERR_DECOMPRESS,
					       "snappy page data is corrupt (bad length header)");
		if (declared != page_size)
			return uz_error_create(UZ_ERR_DECOMPRESS,
					       "snappy page data is corrupt (%zu bytes declared, expected %zu)",
					       declared, page_size);
		size_t out_len = page_size;
		snappy_status rc = snappy_uncompress(in, in_len, out, &out_len);
		if (rc != SNAPPY_OK || out_len != page_size)
			return uz_error_create(UZ_ERR_DECOMPRESS,
					       "snappy page data is corrupt (status %d, %zu of %zu bytes)",
					       (int)rc, out_len, page_size);
		return NULL;
	}
	}
	return uz_error_create(UZ_ERR_UNSUPPORTED, "unknown page compression %d", (int)c);
}

struct uz_error *uz_page_compress(enum uz_dump_compress c, const void *in, size_t page_size,
				  void *out, size_t *out_len, bool *stored_raw)
{
	*stored_raw = false;
	switch (c) {
	case UZ_COMPRESS_NONE:
		break;
	case UZ_COMPRESS_ZLIB: {
		uLongf cap = compressBound(page_size);
		uint8_t *tmp = malloc(cap);
		if (!tmp)
			return uz_error_create(UZ_ERR_NOMEM, "zlib buffer");
		int rc = compress2(tmp, &cap, in, page_size, Z_BEST_SPEED);
		if (rc == Z_OK && cap < page_size) {
			memcpy(out, tmp, cap);
			*out_len = cap;
			free(tmp);
			return NULL;
		}
		free(tmp);
		if (rc != Z_OK)
			return uz_error_create(UZ_ERR_NOMEM, "zlib compress2 failed: %s", zError(rc));
		break;
	}
	case UZ_COMPRESS_LZO: {
		if (lzo_init() != LZO_E_OK)
			return uz_error_create(UZ_ERR_NOMEM, "lzo_init failed");
		size_t cap = page_size + page_size / 16 + 64 + 3;
		uint8_t *tmp = malloc(cap + LZO1X_1_MEM_COMPRESS);
		if (!tmp)
			return uz_error_create(UZ_ERR_NOMEM, "lzo buffer");
		lzo_uint n = cap;
		int rc = lzo1x_1_compress(in, page_size, tmp, &n, tmp + cap);
		if (rc == LZO_E_OK && n < page_size) {
			memcpy(out, tmp, n);
			*out_len = n;
			free(tmp);
			return NULL;
		}
		free(tmp);
		if (rc != LZO_E_OK)
			return uz_error_create(UZ_ERR_NOMEM, "lzo1x_1_compress failed (%d)", rc);
		break;
	}
	case UZ_COMPRESS_ZSTD: {
		size_t cap = ZSTD_compressBound(page_size);
		uint8_t *tmp = malloc(cap);
		if (!tmp)
			return uz_error_create(UZ_ERR_NOMEM, "zstd buffer");
		size_t n = ZSTD_compress(tmp, cap, in, page_size, 1);
		if (!ZSTD_isError(n) && n < page_size) {
			memcpy(out, tmp, n);
			*out_len = n;
			free(tmp);
			return NULL;
		}
		free(tmp);
		if (ZSTD_isError(n))
			return uz_error_create(UZ_ERR_NOMEM, "zstd compress failed: %s",
					       ZSTD_getErrorName(n));
		break;
	}
	case UZ_COMPRESS_SNAPPY: {
		size_t cap = snappy_max_compressed_length(page_size);
		uint8_t *tmp = malloc(cap);
		if (!tmp)
			return uz_error_create(UZ_ERR_NOMEM, "snappy buffer");
		size_t n = cap;
		snappy_status rc = snappy_compress(in, page_size, (char *)tmp, &n);
		if (rc == SNAPPY_OK && n < page_size) {
			memcpy(out, tmp, n);
			*out_len = n;
			free(tmp);
			return NULL;
		}
		free(tmp);
		if (rc != SNAPPY_OK)
			return uz_error_create(UZ_ERR_NOMEM, "snappy_compress failed (status %d)",
					       (int)rc);
		break;
	}
	}
	memcpy(out, in, page_size);
	*out_len = page_size;
	*stored_raw = true;
	return NULL;
}
