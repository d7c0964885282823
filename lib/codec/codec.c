/* codec.c - name mapping, decompressor lifetime and the common checks. */
#include "codec_internal.h"

#include <stdlib.h>
#include <string.h>

/* Indexed by enum uz_codec. */
static const struct uz_codec_ops *const codec_table[UZ_CODEC_COUNT] = {
	[UZ_CODEC_LZO] = &uz_codec_ops_lzo,
	[UZ_CODEC_LZO_RLE] = &uz_codec_ops_lzo_rle,
	[UZ_CODEC_LZ4] = &uz_codec_ops_lz4,
	[UZ_CODEC_LZ4HC] = &uz_codec_ops_lz4hc,
	[UZ_CODEC_ZSTD] = &uz_codec_ops_zstd,
	[UZ_CODEC_DEFLATE] = &uz_codec_ops_deflate,
	[UZ_CODEC_842] = &uz_codec_ops_842,
};

static const struct uz_codec_ops *codec_ops(enum uz_codec c)
{
	if ((unsigned)c >= UZ_CODEC_COUNT)
		return NULL;
	return codec_table[c];
}

struct uz_error *uz_codec_from_name(const char *name, enum uz_codec *out)
{
	if (!name)
		return uz_error_create(UZ_ERR_USAGE, "no compression algorithm name given");
	for (unsigned i = 0; i < UZ_CODEC_COUNT; i++) {
		if (strcmp(codec_table[i]->name, name) == 0) {
			*out = codec_table[i]->codec;
			return NULL;
		}
	}
	return uz_error_create(UZ_ERR_UNSUPPORTED,
			       "unsupported compression algorithm '%.64s' (known: lzo, lzo-rle, lz4, lz4hc, zstd, deflate, 842)",
			       name);
}

const char *uz_codec_name(enum uz_codec c)
{
	const struct uz_codec_ops *ops = codec_ops(c);
	return ops ? ops->name : "unknown";
}

struct uz_error *uz_decompressor_create(enum uz_codec c,
					const struct uz_codec_params *params,
					struct uz_decompressor **out)
{
	const struct uz_codec_ops *ops = codec_ops(c);
	if (!ops)
		return uz_error_create(UZ_ERR_USAGE, "unknown codec number %d", (int)c);
	static const struct uz_codec_params defaults;
	if (!params)
		params = &defaults;
	if (params->dict_len && !params->dict)
		return uz_error_create(UZ_ERR_USAGE, "%s: dictionary length %zu without dictionary bytes",
				       ops->name, params->dict_len);
	if (params->dict_len && !ops->takes_dict)
		return uz_error_create(UZ_ERR_USAGE, "%s: the kernel does not use a dictionary with this algorithm",
				       ops->name);
	if (params->deflate_winbits && c != UZ_CODEC_DEFLATE)
		return uz_error_create(UZ_ERR_USAGE, "%s: deflate_winbits given for a non-deflate codec",
				       ops->name);

	struct uz_decompressor *d = calloc(1, sizeof(*d));
	if (!d)
		return uz_error_create(UZ_ERR_NOMEM, "%s: out of memory for decompressor", ops->name);
	d->ops = ops;
	d->deflate_winbits = params->deflate_winbits;
	if (params->dict_len) {
		d->dict = malloc(params->dict_len);
		if (!d->dict) {
			free(d);
			return uz_error_create(UZ_ERR_NOMEM, "%s: out of memory for a %zu-byte dictionary",
					       ops->name, params->dict_len);
		}
		memcpy(d->dict, params->dict, params->dict_len);
		d->dict_len = params->dict_len;
	}
	if (ops->init) {
		struct uz_error *err = ops->init(d);
		if (err) {
			free(d->dict);
			free(d);
			return uz_error_wrap(err, "%s", ops->name);
		}
	}
	*out = d;
	return NULL;
}

void uz_decompressor_destroy(struct uz_decompressor *d)
{
	if (!d)
		return;
	if (d->ops->fini)
		d->ops->fini(d);
	free(d->dict);
	free(d);
}

enum uz_codec uz_decompressor_codec(const struct uz_decompressor *d)
{
	return d->ops->codec;
}

struct uz_error *uz_codec_length_error(size_t got, size_t want)
{
	return uz_error_create(UZ_ERR_DECOMPRESS, "output is %zu bytes, expected %zu", got, want);
}

struct uz_error *uz_decompress(struct uz_decompressor *d,
			       const void *src, size_t src_len,
			       void *dst, size_t dst_len)
{
	if (!src && src_len)
		return uz_error_create(UZ_ERR_USAGE, "%s: NULL input", d->ops->name);
	if (!dst || !dst_len)
		return uz_error_create(UZ_ERR_USAGE, "%s: no output buffer", d->ops->name);
	if (src_len == 0)
		return uz_error_create(UZ_ERR_DECOMPRESS, "%s: empty input", d->ops->name);
	return uz_error_wrap(d->ops->decompress(d, src, src_len, dst, dst_len), "%s", d->ops->name);
}

struct uz_error *uz_decompress_once(enum uz_codec c,
				    const struct uz_codec_params *params,
				    const void *src, size_t src_len,
				    void *dst, size_t dst_len)
{
	struct uz_decompressor *d;
	UZ_TRY(uz_decompressor_create(c, params, &d));
	struct uz_error *err = uz_decompress(d, src, src_len, dst, dst_len);
	uz_decompressor_destroy(d);
	return err;
}
