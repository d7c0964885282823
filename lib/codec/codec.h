/* codec.h - decompressing one zram/zswap object back into one page.
 *
 * Owns: the mapping from zram's algorithm names to decoders, and turning one
 * stored compressed stream (exactly what zram keeps per slot: one stream per
 * page, no header of zram's own) into exactly one page of bytes.  lzo, lz4,
 * lz4hc, zstd and deflate are decoded by Debian's libraries (liblzo2, liblz4,
 * libzstd, zlib); lzo-rle and 842 by our own decoders (lzo1x.c, sw842.c),
 * because no library handles the kernel's variants.  Formats and the kernel
 * versions they come from: docs/codecs.md.
 *
 * Does not own: finding the stream (zsmalloc object, its size, which
 * algorithm and priority a slot used: lib/zram), zswap's per-entry header,
 * zram's "huge" (uncompressed) and same-filled slots, or reading the
 * dictionary out of the dump.  Those are the caller's job; this module only
 * sees bytes.
 *
 * Contract of every decoder, like lz4/zstd's "safe" functions: it never reads
 * outside [src, src + src_len) nor writes outside [dst, dst + dst_len), and
 * any stream that is corrupt, truncated, has trailing garbage, or does not
 * produce exactly dst_len bytes gives UZ_ERR_DECOMPRESS with a one-line
 * reason naming the codec and the position ("lz4: corrupt block at input byte
 * 123").  On error the contents of dst are unspecified.
 *
 * Threads: a struct uz_decompressor holds reusable per-call state (zstd
 * context, zlib stream); use one per thread.  Creating and destroying them is
 * thread-safe.
 */
#ifndef UZ_CODEC_H
#define UZ_CODEC_H

#include <stddef.h>

#include "../error.h"

enum uz_codec {
	UZ_CODEC_LZO,
	UZ_CODEC_LZO_RLE,
	UZ_CODEC_LZ4,
	UZ_CODEC_LZ4HC,
	UZ_CODEC_ZSTD,
	UZ_CODEC_DEFLATE,
	UZ_CODEC_842,
};
#define UZ_CODEC_COUNT 7

/* zram's algorithm names: "lzo", "lzo-rle", "lz4", "lz4hc", "zstd",
 * "deflate", "842" (exact, as in zram->compressor / comp_algs[]).  An unknown
 * name gives UZ_ERR_UNSUPPORTED naming it. */
struct uz_error *uz_codec_from_name(const char *name, enum uz_codec *out);
/* The zram name of c, or "unknown" for a value outside the enum. */
const char *uz_codec_name(enum uz_codec c);

/* Per-device algorithm parameters (zram algorithm_params, 6.12+).  All-zero
 * (or a NULL pointer) means the kernel defaults. */
struct uz_codec_params {
	/* The dictionary bytes as loaded by zram (zram->params[prio].dict),
	 * for zstd (full dictionary with magic, or raw content), lz4 and lz4hc.
	 * Copied at create time; NULL/0 = no dictionary.  Ignored by codecs
	 * that cannot use one (lzo, lzo-rle, deflate, 842): giving one to them
	 * is UZ_ERR_USAGE rather than silently wrong output. */
	const void *dict;
	size_t dict_len;
	/* deflate only: 0 = the kernel default, raw deflate (window -11);
	 * 8..15 = the 6.18+ "deflate.winbits=" knob, a zlib-wrapped (RFC 1950)
	 * stream.  Negative -8..-15 is accepted as raw deflate too. */
	int deflate_winbits;
};

struct uz_decompressor;

/* Create a decompressor for codec c.  params may be NULL. */
struct uz_error *uz_decompressor_create(enum uz_codec c,
					const struct uz_codec_params *params,
					struct uz_decompressor **out);
/* NULL is allowed. */
void uz_decompressor_destroy(struct uz_decompressor *d);
enum uz_codec uz_decompressor_codec(const struct uz_decompressor *d);

/* Decompress the stream src[0..src_len) into exactly dst_len bytes (the page
 * size: 4096, 16384 or 65536).  See the contract at the top. */
struct uz_error *uz_decompress(struct uz_decompressor *d,
			       const void *src, size_t src_len,
			       void *dst, size_t dst_len);

/* Convenience for tools and tests that decode a single object: create,
 * decompress, destroy.  Errors are prefixed with nothing extra. */
struct uz_error *uz_decompress_once(enum uz_codec c,
				    const struct uz_codec_params *params,
				    const void *src, size_t src_len,
				    void *dst, size_t dst_len);

#endif
