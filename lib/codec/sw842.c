/* sw842.c - "842": our own decoder of the kernel's software 842 format
 * (lib/842, Linux 4.1+; the format is IBM's 842 hardware format plus one
 * software-only template).  Written from the format description; see
 * docs/codecs.md.
 *
 * The stream is a big-endian bit stream (most significant bit first) of
 * 5-bit op codes, each followed by its arguments:
 *   0x00..0x19  a template: up to 4 actions that together write 8 bytes.
 *               Dn = n literal bytes (n*8 bits, big-endian); In = an index
 *               (I2: 8 bits, I4: 9 bits, I8: 8 bits) naming an n-byte value
 *               in a ring of the last 2^bits values of that size (see
 *               resolve_index), copied to the output.
 *   0x1b REPEAT      6 bits r: repeat the last 8 output bytes r + 1 times.
 *   0x1c ZEROS       8 zero bytes.
 *   0x1d SHORT_DATA  3 bits n (1..7), then n literal bytes (software only,
 *                    for lengths that are not a multiple of 8).
 *   0x1e END         then a 32-bit crc32_be(0, output) of all output;
 *                    anything after it is padding (the compressor pads the
 *                    stream to a multiple of 8 bytes).
 * 0x1a and 0x1f are undefined.
 */
#include "codec_internal.h"

#include <inttypes.h>
#include <string.h>

enum sw842_op {
	SW842_TEMPLATE_COUNT = 0x1a,
	SW842_OP_REPEAT = 0x1b,
	SW842_OP_ZEROS = 0x1c,
	SW842_OP_SHORT_DATA = 0x1d,
	SW842_OP_END = 0x1e,
};

enum {
	SW842_OP_BITS = 5,
	SW842_REPEAT_BITS = 6,
	SW842_SHORT_DATA_BITS = 3,
	SW842_CRC_BITS = 32,
	SW842_CHUNK = 8,
};

/* One template action: a literal (data) or an index reference of `size` bytes. */
struct sw842_action {
	uint8_t size;      /* 0 = no action */
	bool index;
};

#define D2 { 2, false }
#define D4 { 4, false }
#define D8 { 8, false }
#define I2 { 2, true }
#define I4 { 4, true }
#define I8 { 8, true }
#define N0 { 0, false }

/* The 26 templates of the 842 format, by op code. */
static const struct sw842_action sw842_templates[SW842_TEMPLATE_COUNT][4] = {
	/* 0x00 */ { D8, N0, N0, N0 },
	/* 0x01 */ { D4, D2, I2, N0 },
	/* 0x02 */ { D4, I2, D2, N0 },
	/* 0x03 */ { D4, I2, I2, N0 },
	/* 0x04 */ { D4, I4, N0, N0 },
	/* 0x05 */ { D2, I2, D4, N0 },
	/* 0x06 */ { D2, I2, D2, I2 },
	/* 0x07 */ { D2, I2, I2, D2 },
	/* 0x08 */ { D2, I2, I2, I2 },
	/* 0x09 */ { D2, I2, I4, N0 },
	/* 0x0a */ { I2, D2, D4, N0 },
	/* 0x0b */ { I2, D4, I2, N0 },
	/* 0x0c */ { I2, D2, I2, D2 },
	/* 0x0d */ { I2, D2, I2, I2 },
	/* 0x0e */ { I2, D2, I4, N0 },
	/* 0x0f */ { I2, I2, D4, N0 },
	/* 0x10 */ { I2, I2, D2, I2 },
	/* 0x11 */ { I2, I2, I2, D2 },
	/* 0x12 */ { I2, I2, I2, I2 },
	/* 0x13 */ { I2, I2, I4, N0 },
	/* 0x14 */ { I4, D4, N0, N0 },
	/* 0x15 */ { I4, D2, I2, N0 },
	/* 0x16 */ { I4, I2, D2, N0 },
	/* 0x17 */ { I4, I2, I2, N0 },
	/* 0x18 */ { I4, I4, N0, N0 },
	/* 0x19 */ { I8, N0, N0, N0 },
};

#undef D2
#undef D4
#undef D8
#undef I2
#undef I4
#undef I8
#undef N0

/* Index width in bits for an n-byte index action: I2 8, I4 9, I8 8. */
static unsigned index_bits(unsigned size)
{
	return size == 4 ? 9 : 8;
}

struct sw842_reader {
	const uint8_t *src;
	size_t len;
	size_t bit;         /* next bit to read, from the start of src */
	uint8_t *dst;
	size_t cap;
	size_t op;          /* bytes written */
};

static struct uz_error *read_bits(struct sw842_reader *r, unsigned n, uint64_t *out)
{
	if (n > r->len * 8 - r->bit)
		return uz_error_create(UZ_ERR_DECOMPRESS,
				       "truncated stream: needs %u bits at input bit %zu (byte %zu) of %zu bytes",
				       n, r->bit, r->bit / 8, r->len);
	uint64_t v = 0;
	while (n) {
		unsigned avail = 8 - (unsigned)(r->bit & 7);
		unsigned take = n < avail ? n : avail;
		unsigned byte = r->src[r->bit >> 3];
		v = (v << take) | ((byte >> (avail - take)) & ((1u << take) - 1));
		r->bit += take;
		n -= take;
	}
	*out = v;
	return NULL;
}

static struct uz_error *need_output(const struct sw842_reader *r, size_t n, size_t op_bit)
{
	if (n > r->cap - r->op)
		return uz_error_create(UZ_ERR_DECOMPRESS,
				       "op at input bit %zu writes %zu bytes at output byte %zu, past the %zu-byte output",
				       op_bit, n, r->op, r->cap);
	return NULL;
}

/* Where an index refers to.  Each index size has a ring of (size << bits)
 * bytes laid over the output.  `done` is the output written so far rounded
 * down to 8, computed per action as the kernel does (inside a template on an
 * 8-aligned output that is the template's start).  The index selects slot
 * index * size in the most recent lap of the ring that is already written. */
static struct uz_error *resolve_index(const struct sw842_reader *r, size_t op_bit,
				      unsigned size, uint64_t index, size_t *offset)
{
	size_t ring = (size_t)size << index_bits(size);
	size_t done = r->op / SW842_CHUNK * SW842_CHUNK;
	size_t off = (size_t)index * size;
	if (done > ring) {
		size_t section = done / ring * ring;
		if (off >= done - section)
			section -= ring;
		off += section;
	}
	if (off + size > done)
		return uz_error_create(UZ_ERR_DECOMPRESS,
				       "corrupt stream: I%u index %" PRIu64 " at input bit %zu points to output byte %zu, past the %zu bytes written",
				       size, index, op_bit, off, done);
	*offset = off;
	return NULL;
}

static struct uz_error *do_template(struct sw842_reader *r, unsigned op, size_t op_bit)
{
	UZ_TRY(need_output(r, SW842_CHUNK, op_bit));
	for (unsigned i = 0; i < 4; i++) {
		const struct sw842_action *a = &sw842_templates[op][i];
		if (!a->size)
			continue;
		uint64_t v;
		if (a->index) {
			size_t off = 0;
			UZ_TRY(read_bits(r, index_bits(a->size), &v));
			UZ_TRY(resolve_index(r, op_bit, a->size, v, &off));
			memcpy(r->dst + r->op, r->dst + off, a->size);
		} else {
			UZ_TRY(read_bits(r, a->size * 8u, &v));
			for (unsigned b = 0; b < a->size; b++)
				r->dst[r->op + b] = (uint8_t)(v >> (8 * (a->size - 1 - b)));
		}
		r->op += a->size;
	}
	return NULL;
}

struct uz_error *uz_sw842_decode(const uint8_t *src, size_t src_len,
				 uint8_t *dst, size_t dst_cap, size_t *out_len)
{
	struct sw842_reader r = { .src = src, .len = src_len, .dst = dst, .cap = dst_cap };
	if (src_len > SIZE_MAX / 8)
		return uz_error_create(UZ_ERR_DECOMPRESS, "input of %zu bytes is too large", src_len);
	for (;;) {
		size_t op_bit = r.bit;
		uint64_t op, arg;
		UZ_TRY(read_bits(&r, SW842_OP_BITS, &op));
		if (op < SW842_TEMPLATE_COUNT) {
			UZ_TRY(do_template(&r, (unsigned)op, op_bit));
			continue;
		}
		switch (op) {
		case SW842_OP_REPEAT: {
			UZ_TRY(read_bits(&r, SW842_REPEAT_BITS, &arg));
			if (r.op < SW842_CHUNK)
				return uz_error_create(UZ_ERR_DECOMPRESS,
						       "corrupt stream: REPEAT at input bit %zu with only %zu bytes written",
						       op_bit, r.op);
			size_t n = (size_t)(arg + 1) * SW842_CHUNK;
			UZ_TRY(need_output(&r, n, op_bit));
			for (size_t i = 0; i < n; i++)
				dst[r.op + i] = dst[r.op + i - SW842_CHUNK];
			r.op += n;
			break;
		}
		case SW842_OP_ZEROS:
			UZ_TRY(need_output(&r, SW842_CHUNK, op_bit));
			memset(dst + r.op, 0, SW842_CHUNK);
			r.op += SW842_CHUNK;
			break;
		case SW842_OP_SHORT_DATA:
			UZ_TRY(read_bits(&r, SW842_SHORT_DATA_BITS, &arg));
			if (arg == 0)
				return uz_error_create(UZ_ERR_DECOMPRESS,
						       "corrupt stream: SHORT_DATA of 0 bytes at input bit %zu", op_bit);
			UZ_TRY(need_output(&r, (size_t)arg, op_bit));
			for (uint64_t i = 0; i < arg; i++) {
				uint64_t byte;
				UZ_TRY(read_bits(&r, 8, &byte));
				dst[r.op++] = (uint8_t)byte;
			}
			break;
		case SW842_OP_END: {
			uint64_t stored;
			UZ_TRY(read_bits(&r, SW842_CRC_BITS, &stored));
			uint32_t actual = uz_crc32_be(0, dst, r.op);
			if (stored != actual)
				return uz_error_create(UZ_ERR_DECOMPRESS,
						       "CRC mismatch: stream says 0x%08" PRIx64 ", %zu output bytes give 0x%08x",
						       stored, r.op, actual);
			*out_len = r.op;
			return NULL;
		}
		default:
			return uz_error_create(UZ_ERR_DECOMPRESS,
					       "corrupt stream: undefined op code 0x%02x at input bit %zu",
					       (unsigned)op, op_bit);
		}
	}
}

static struct uz_error *sw842_decompress(struct uz_decompressor *d,
					 const uint8_t *src, size_t src_len,
					 uint8_t *dst, size_t dst_len)
{
	(void)d;
	size_t out_len;
	UZ_TRY(uz_sw842_decode(src, src_len, dst, dst_len, &out_len));
	if (out_len != dst_len)
		return uz_codec_length_error(out_len, dst_len);
	return NULL;
}

const struct uz_codec_ops uz_codec_ops_842 = {
	.codec = UZ_CODEC_842,
	.name = "842",
	.decompress = sw842_decompress,
};
