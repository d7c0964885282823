/* test_codec_util.h - shared helpers of the codec unit tests: a
 * deterministic page generator and exactly-sized heap copies (so ASan sees
 * any read or write past a buffer).  Only included by tests/unit/test_codec*.c.
 */
#ifndef UZ_TEST_CODEC_UTIL_H
#define UZ_TEST_CODEC_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TC_PAGE 4096

struct tc_rng {
	uint64_t s;
};

static inline uint64_t tc_next(struct tc_rng *r)
{
	/* splitmix64 */
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint32_t tc_below(struct tc_rng *r, uint32_t n)
{
	return (uint32_t)(tc_next(r) % n);
}

#define TC_PAGE_KINDS 12

/* Fill p[0..len) with page content of the given kind (0..TC_PAGE_KINDS-1),
 * imitating what user pages look like: zeros, random, text, pointers,
 * repeated patterns, sparse data, runs. */
static inline void tc_fill_page(struct tc_rng *r, int kind, uint8_t *p, size_t len)
{
	static const char *const words[] = {
		"the ", "kernel ", "zram ", "page ", "swap ", "of ", "and ", "a ",
		"compressed ", "memory ", "\n", "int ", "return ", "0x", "{", "}",
	};
	switch (kind) {
	case 0:
		memset(p, 0, len);
		break;
	case 1:
		for (size_t i = 0; i < len; i++)
			p[i] = (uint8_t)tc_next(r);
		break;
	case 2: {
		size_t i = 0;
		while (i < len) {
			const char *w = words[tc_below(r, 16)];
			for (size_t k = 0; w[k] && i < len; k++)
				p[i++] = (uint8_t)w[k];
		}
		break;
	}
	case 3:
		for (size_t i = 0; i + 8 <= len; i += 8) {
			uint64_t v;
			switch (tc_below(r, 4)) {
			case 0: v = 0xffff888000000000ull | (tc_next(r) & 0xfffffff8ull); break;
			case 1: v = tc_below(r, 300); break;
			case 2: v = 0; break;
			default: v = 0x00007f0000000000ull | (tc_next(r) & 0xffffffffull); break;
			}
			memcpy(p + i, &v, 8);
		}
		for (size_t i = len / 8 * 8; i < len; i++)
			p[i] = 0;
		break;
	case 4: {
		size_t period = 1 + tc_below(r, 64);
		for (size_t i = 0; i < len; i++)
			p[i] = i < period ? (uint8_t)tc_next(r) : p[i - period];
		break;
	}
	case 5:
		memset(p, 0, len);
		for (unsigned n = tc_below(r, 40); n; n--)
			p[tc_below(r, (uint32_t)len)] = (uint8_t)(1 + tc_below(r, 255));
		break;
	case 6: {
		size_t i = 0;
		while (i < len) {
			size_t run = 1 + tc_below(r, tc_below(r, 2) ? 8 : 3000);
			uint8_t v = tc_below(r, 3) ? 0 : (uint8_t)tc_next(r);
			for (size_t k = 0; k < run && i < len; k++)
				p[i++] = v;
		}
		break;
	}
	case 7:
		for (size_t i = 0; i < len; i++)
			p[i] = i < len / 2 ? (uint8_t)tc_next(r) : 0;
		break;
	case 8:
		memset(p, 1 + tc_below(r, 255), len);
		break;
	case 9:
		for (size_t i = 0; i < len; i++)
			p[i] = (uint8_t)tc_below(r, 4);
		break;
	case 10: {
		/* Copies of earlier pieces at varying distances (exercises long matches). */
		for (size_t i = 0; i < len && i < 64; i++)
			p[i] = (uint8_t)tc_next(r);
		size_t i = len < 64 ? len : 64;
		while (i < len) {
			if (tc_below(r, 4) == 0) {
				p[i++] = (uint8_t)tc_next(r);
				continue;
			}
			size_t dist = 1 + tc_below(r, (uint32_t)i);
			size_t n = 2 + tc_below(r, tc_below(r, 8) ? 12 : 400);
			for (size_t k = 0; k < n && i < len; k++, i++)
				p[i] = p[i - dist];
		}
		break;
	}
	default:
		/* Zero runs of many lengths separated by short data (lzo-rle's case). */
		for (size_t i = 0; i < len;) {
			size_t run = tc_below(r, 3) ? tc_below(r, 12) : tc_below(r, 2100);
			for (size_t k = 0; k < run && i < len; k++)
				p[i++] = 0;
			size_t lit = tc_below(r, 6);
			for (size_t k = 0; k < lit && i < len; k++)
				p[i++] = (uint8_t)(1 + tc_below(r, 255));
		}
		break;
	}
}

/* An exactly-sized heap copy, so ASan reports any access beyond it. */
static inline uint8_t *tc_dup(const void *p, size_t n)
{
	uint8_t *q = malloc(n ? n : 1);
	if (q && n)
		memcpy(q, p, n);
	return q;
}

/* With UZ_CODEC_CORPUS_DIR set, save a stream as a fuzz seed for
 * tests/fuzz/fuzz_codec.c: selector byte (see there) + the stream.  Used to
 * (re)generate tests/fuzz/corpus/codec/; a no-op otherwise. */
static inline void tc_corpus_write(unsigned selector, const uint8_t *data, size_t n, const char *label, int i)
{
	const char *dir = getenv("UZ_CODEC_CORPUS_DIR");
	if (!dir || i >= 3)
		return;
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s-%d", dir, label, i);
	FILE *f = fopen(path, "wb");
	if (!f)
		return;
	fputc((int)selector, f);
	fwrite(data, 1, n, f);
	fclose(f);
}

#endif
