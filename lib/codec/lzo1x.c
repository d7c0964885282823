/* lzo1x.c - our own bounds-checked LZO1X decoder with the kernel's lzo-rle
 * extension.  Written from the format description (docs/codecs.md); liblzo2
 * cannot decode lzo-rle, and this decoder, with kernel_rle off, is
 * cross-checked against liblzo2 by the unit tests.
 *
 * The stream is a sequence of instructions; the first byte t of each picks
 * its class.  "state" is what the previous instruction left behind and
 * changes the meaning of t < 16:
 *   state 0 (start, or a match with no trailing literals): t < 16 is a
 *     literal run of t + 3 bytes (t == 0: 18 + extended count);
 *   state 1..3 (a match followed by that many literals): t < 16 is M1, a
 *     2-byte match at distance 1 + (t >> 2) + (next byte << 2);
 *   state 4 (after a literal run of >= 4): t < 16 is M1', a 3-byte match at
 *     distance 2049 + (t >> 2) + (next byte << 2).
 * In every state:
 *   t 64..255  M2: length (t >> 5) + 1, distance 1 + ((t >> 2) & 7) + (next << 3)
 *   t 32..63   M3: length (t & 31) + 2 (0: 33 + extended), then LE16 w,
 *              distance 1 + (w >> 2)
 *   t 16..31   M4: length (t & 7) + 2 (0: 9 + extended), then LE16 w,
 *              distance 16384 + ((t & 8) << 11) + (w >> 2); distance 16384
 *              exactly (the bytes 17 0 0) is the end of stream, whose length
 *              field must be 3.
 * For M1..M4 the low 2 bits of t (M1, M2) or of w (M3, M4) are the number of
 * literal bytes that follow the match (the new state).  An extended count is
 * a run of zero bytes, each worth 255, then a non-zero byte added to the base.
 * A first byte > 17 is special: t - 17 literals (if t - 17 < 4 they act as
 * trailing literals, state t - 17; else a literal run, state 4).
 *
 * lzo-rle (Linux 5.1+, lib/lzo/lzo1x_compress.c "lzorle1x_1_compress"):
 * when the stream is at least 5 bytes and starts with 17, the second byte is
 * a bitstream version and decoding starts at byte 2.  Version 1 adds the zero
 * run: an M4-class t with (t & 0xf8) == 0x18 followed by LE16 w with
 * (w & 0xfffc) == 0xfffc and one more byte b means ((t & 7) | b << 3) + 4 zero
 * bytes, and w & 3 is the new state.  It is checked before M4 decoding.
 */
#include "codec_internal.h"

#include <string.h>

/* Limits and constants of the LZO1X format. */
enum {
	LZO_M1_SHORT_BASE_DIST = 1,
	LZO_M1_LONG_BASE_DIST = 1 + 0x800,  /* M1 after a literal run */
	LZO_M4_BASE_DIST = 0x4000,
	LZO_END_MARKER_LEN = 3,
	LZO_RLE_MIN_ZERO_RUN = 4,
	LZO_RLE_BITSTREAM_VERSION = 1,
	LZO_RLE_HEADER_MIN_INPUT = 5,       /* kernel: version header only if in_len >= 5 */
	LZO_RLE_HEADER_BYTE = 17,
};

struct lzo_reader {
	const uint8_t *src;
	size_t len;
	size_t ip;      /* next input byte */
	uint8_t *dst;
	size_t cap;
	size_t op;      /* next output byte */
};

static struct uz_error *truncated(const struct lzo_reader *r, size_t insn)
{
	return uz_error_create(UZ_ERR_DECOMPRESS,
			       "truncated stream: instruction at input byte %zu needs more than the %zu input bytes",
			       insn, r->len);
}

static struct uz_error *output_full(const struct lzo_reader *r, size_t insn, size_t want)
{
	return uz_error_create(UZ_ERR_DECOMPRESS,
			       "instruction at input byte %zu writes %zu bytes at output byte %zu, past the %zu-byte output",
			       insn, want, r->op, r->cap);
}

/* An extended count: zero bytes worth 255 each, ended by a non-zero byte. */
static struct uz_error *read_extended(struct lzo_reader *r, size_t insn, size_t base, size_t *out)
{
	size_t zeros = 0;
	while (r->ip < r->len && r->src[r->ip] == 0) {
		zeros++;
		r->ip++;
	}
	if (r->ip >= r->len)
		return truncated(r, insn);
	/* zeros <= len, so this cannot overflow for any real size_t input. */
	*out = base + zeros * 255 + r->src[r->ip++];
	return NULL;
}

static struct uz_error *copy_literals(struct lzo_reader *r, size_t insn, size_t n)
{
	if (n > r->len - r->ip)
		return truncated(r, insn);
	if (n > r->cap - r->op)
		return output_full(r, insn, n);
	memcpy(r->dst + r->op, r->src + r->ip, n);
	r->ip += n;
	r->op += n;
	return NULL;
}

/* Copy len bytes from dist back; overlapping copies repeat the pattern. */
static struct uz_error *copy_match(struct lzo_reader *r, size_t insn, size_t dist, size_t len)
{
	if (dist > r->op)
		return uz_error_create(UZ_ERR_DECOMPRESS,
				       "corrupt stream: match at input byte %zu reaches %zu bytes back from output byte %zu, before the start",
				       insn, dist, r->op);
	if (len > r->cap - r->op)
		return output_full(r, insn, len);
	uint8_t *o = r->dst + r->op;
	const uint8_t *m = o - dist;
	for (size_t i = 0; i < len; i++)
		o[i] = m[i];
	r->op += len;
	return NULL;
}

static inline unsigned le16_at(const uint8_t *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

struct uz_error *uz_lzo1x_decode(const uint8_t *src, size_t src_len,
				 uint8_t *dst, size_t dst_cap, bool kernel_rle,
				 size_t *out_len)
{
	struct lzo_reader r = { .src = src, .len = src_len, .dst = dst, .cap = dst_cap };
	bool rle = false;
	unsigned state = 0;

	if (src_len < LZO_END_MARKER_LEN)
		return uz_error_create(UZ_ERR_DECOMPRESS, "truncated stream: %zu bytes is shorter than the end marker", src_len);

	if (kernel_rle && src_len >= LZO_RLE_HEADER_MIN_INPUT && src[0] == LZO_RLE_HEADER_BYTE) {
		unsigned version = src[1];
		if (version > LZO_RLE_BITSTREAM_VERSION)
			return uz_error_create(UZ_ERR_DECOMPRESS,
					       "unknown lzo bitstream version %u at input byte 1 (known: 0, 1)", version);
		rle = version == LZO_RLE_BITSTREAM_VERSION;
		r.ip = 2;
	}

	/* First byte > 17: an initial literal run. */
	if (src[r.ip] > 17) {
		size_t insn = r.ip;
		size_t n = src[r.ip++] - 17u;
		UZ_TRY(copy_literals(&r, insn, n));
		state = n < 4 ? (unsigned)n : 4;
	}

	for (;;) {
		size_t insn = r.ip;
		if (r.ip >= r.len)
			return uz_error_create(UZ_ERR_DECOMPRESS,
					       "truncated stream: no end marker in %zu input bytes", r.len);
		unsigned t = src[r.ip++];
		size_t len, dist;
		unsigned next_state;

		if (t < 16) {
			if (state == 0) {
				size_t n = t + 3;
				if (t == 0)
					UZ_TRY(read_extended(&r, insn, 18, &n));
				UZ_TRY(copy_literals(&r, insn, n));
				state = 4;
				continue;
			}
			if (r.ip >= r.len)
				return truncated(&r, insn);
			dist = (t >> 2) + ((size_t)src[r.ip++] << 2);
			if (state == 4) {
				dist += LZO_M1_LONG_BASE_DIST;
				len = 3;
			} else {
				dist += LZO_M1_SHORT_BASE_DIST;
				len = 2;
			}
			next_state = t & 3;
		} else if (t >= 64) {
			if (r.ip >= r.len)
				return truncated(&r, insn);
			dist = 1 + ((t >> 2) & 7) + ((size_t)src[r.ip++] << 3);
			len = (t >> 5) + 1;
			next_state = t & 3;
		} else if (t >= 32) {
			len = (t & 31) + 2;
			if ((t & 31) == 0)
				UZ_TRY(read_extended(&r, insn, 33, &len));
			if (r.len - r.ip < 2)
				return truncated(&r, insn);
			unsigned w = le16_at(src + r.ip);
			r.ip += 2;
			dist = 1 + (w >> 2);
			next_state = w & 3;
		} else {
			/* M4 class, 16..31; maybe an lzo-rle zero run. */
			if (r.len - r.ip < 2)
				return truncated(&r, insn);
			unsigned w = le16_at(src + r.ip);
			if (rle && (t & 0xf8) == 0x18 && (w & 0xfffc) == 0xfffc) {
				if (r.len - r.ip < 3)
					return truncated(&r, insn);
				size_t run = ((t & 7) | (size_t)src[r.ip + 2] << 3) + LZO_RLE_MIN_ZERO_RUN;
				if (run > r.cap - r.op)
					return output_full(&r, insn, run);
				memset(dst + r.op, 0, run);
				r.op += run;
				r.ip += 3;
				state = w & 3;
				UZ_TRY(copy_literals(&r, insn, state));
				continue;
			}
			len = (t & 7) + 2;
			if ((t & 7) == 0) {
				UZ_TRY(read_extended(&r, insn, 9, &len));
				if (r.len - r.ip < 2)
					return truncated(&r, insn);
				w = le16_at(src + r.ip);
			}
			r.ip += 2;
			dist = ((size_t)(t & 8) << 11) + (w >> 2);
			if (dist == 0) {
				/* End of stream. */
				if (len != LZO_END_MARKER_LEN)
					return uz_error_create(UZ_ERR_DECOMPRESS,
							       "corrupt stream: end marker at input byte %zu has length field %zu, not 3",
							       insn, len);
				if (r.ip != r.len)
					return uz_error_create(UZ_ERR_DECOMPRESS,
							       "%zu bytes of trailing data after the end marker at input byte %zu",
							       r.len - r.ip, insn);
				*out_len = r.op;
				return NULL;
			}
			dist += LZO_M4_BASE_DIST;
			next_state = w & 3;
		}

		UZ_TRY(copy_match(&r, insn, dist, len));
		state = next_state;
		UZ_TRY(copy_literals(&r, insn, state));
	}
}
