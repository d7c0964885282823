/* crc32_be.c - the kernel's crc32_be() (lib/crc32.c), used by 842.
 *
 * CRC-32 with polynomial 0x04C11DB7, processed most significant bit first,
 * no input/output reflection and no final inversion; the seed is the running
 * value.  With seed 0 this is CRC-32/CKSUM without its final xor, so the
 * check value for "123456789" is 0x765E7680 ^ 0xFFFFFFFF = 0x89A1897F.
 * Bitwise rather than table-driven: 842 pages are rare and 4 KiB each, and
 * it keeps the module free of mutable or generated tables.
 */
#include "codec_internal.h"

enum { CRC32_BE_POLY = 0x04C11DB7u };

uint32_t uz_crc32_be(uint32_t seed, const uint8_t *p, size_t len)
{
	uint32_t crc = seed;
	for (size_t i = 0; i < len; i++) {
		crc ^= (uint32_t)p[i] << 24;
		for (int bit = 0; bit < 8; bit++)
			crc = (crc & 0x80000000u) ? (crc << 1) ^ CRC32_BE_POLY : crc << 1;
	}
	return crc;
}
