/* codec_internal.h - what the codec files share with each other and with
 * the unit tests; not part of the public API (codec.h).
 *
 * Owns: the per-codec operations table (one row per codec family file) and
 * the entry points of our own decoders (LZO1X/lzo-rle and software 842),
 * exposed so tests can cross-check them against liblzo2 and test encoders.
 * Does not own: name mapping and argument checking (codec.c).
 */
#ifndef UZ_CODEC_INTERNAL_H
#define UZ_CODEC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"

struct uz_decompressor;

/* One codec family.  Error messages from decompress() do not repeat the
 * codec name: uz_decompress() prefixes it. */
struct uz_codec_ops {
	enum uz_codec codec;
	const char *name;          /* zram's name */
	bool takes_dict;
	/* Optional: set up d->state (d->dict, d->deflate_winbits already set). */
	struct uz_error *(*init)(struct uz_decompressor *d);
	/* Optional: free d->state. */
	void (*fini)(struct uz_decompressor *d);
	struct uz_error *(*decompress)(struct uz_decompressor *d,
				       const uint8_t *src, size_t src_len,
				       uint8_t *dst, size_t dst_len);
};

struct uz_decompressor {
	const struct uz_codec_ops *ops;
	uint8_t *dict;             /* our copy, or NULL */
	size_t dict_len;
	int deflate_winbits;       /* as given in uz_codec_params */
	void *state;               /* codec-private */
};

extern const struct uz_codec_ops uz_codec_ops_lzo;
extern const struct uz_codec_ops uz_codec_ops_lzo_rle;
extern const struct uz_codec_ops uz_codec_ops_lz4;
extern const struct uz_codec_ops uz_codec_ops_lz4hc;
extern const struct uz_codec_ops uz_codec_ops_zstd;
extern const struct uz_codec_ops uz_codec_ops_deflate;
extern const struct uz_codec_ops uz_codec_ops_842;

/* The common "wrong length" error: "output is 4000 bytes, expected 4096". */
struct uz_error *uz_codec_length_error(size_t got, size_t want);

/* Our LZO1X decoder (lzo1x.c).  With kernel_rle false it is a plain LZO1X
 * decoder (what liblzo2's lzo1x_decompress_safe accepts).  With kernel_rle
 * true it also understands the kernel's bitstream-version header and the
 * lzo-rle zero-run instruction (Linux 5.1+).  Writes at most dst_cap bytes and
 * sets *out_len to the number written on success. */
struct uz_error *uz_lzo1x_decode(const uint8_t *src, size_t src_len,
				 uint8_t *dst, size_t dst_cap, bool kernel_rle,
				 size_t *out_len);

/* Our software-842 decoder (sw842.c), including the trailing CRC check.
 * Writes at most dst_cap bytes; *out_len = bytes written on success. */
struct uz_error *uz_sw842_decode(const uint8_t *src, size_t src_len,
				 uint8_t *dst, size_t dst_cap, size_t *out_len);

/* The kernel's crc32_be(): CRC-32, polynomial 0x04C11DB7, MSB first, no
 * reflection, no final inversion; seed is the running value (0 to start). */
uint32_t uz_crc32_be(uint32_t seed, const uint8_t *p, size_t len);

#endif
