/*
 * pagegen.h - the deterministic page-content generator of the fixture harness.
 *
 * Owns: the exact bytes of every 4096-byte test page, as a pure function of
 * (label, page index, seed, kind, vaddr).  Used by the guest workload (which
 * writes the pages) and by host helpers (which regenerate them); expected.py
 * is a line-by-line port and `uzfix gen` cross-checks it.
 * Does not own: where pages live, how they are swapped, or the manifest.
 *
 * Changing anything here changes every fixture (the fixture key hashes this
 * file), so bump PAGEGEN_VERSION with any change.
 */
#ifndef UZ_TESTS_VM_PAGEGEN_H
#define UZ_TESTS_VM_PAGEGEN_H

#include <stdint.h>
#include <string.h>

#define PAGEGEN_VERSION 1
#define PAGEGEN_PAGE_SIZE 4096u
#define PAGEGEN_HEADER_SIZE 64u
#define PAGEGEN_LABEL_MAX 24u

/* Kinds of content; the numbers appear in manifests, never renumber. */
enum pagegen_kind {
	PAGEGEN_TEXT = 1,      /* header + words from a 32-word list: compresses ~2-3x */
	PAGEGEN_RANDOM = 2,    /* header + xorshift bytes: incompressible, stored "huge" */
	PAGEGEN_ZERO = 3,      /* all zero bytes, no header: same-filled / zeromap */
	PAGEGEN_WORD = 4,      /* one non-zero 8-byte word repeated, no header: same-filled */
	PAGEGEN_ZERORUNS = 5,  /* header + text with long zero runs (lzo-rle run instruction) */
};

static const char *const pagegen_kind_names[] = {
	[PAGEGEN_TEXT] = "text", [PAGEGEN_RANDOM] = "random", [PAGEGEN_ZERO] = "zero",
	[PAGEGEN_WORD] = "word", [PAGEGEN_ZERORUNS] = "zeroruns",
};

static const char *const pagegen_words[32] = {
	"zram ", "swap ", "page ", "kernel ", "memory ", "dump ", "crash ", "drgn ",
	"the ", "of ", "and ", "a ", "to ", "in ", "is ", "compressed ",
	"object ", "handle ", "class ", "pool ", "entry ", "offset ", "table ", "slot ",
	"lorem ", "ipsum ", "dolor ", "sit ", "amet, ", "fixture ", "vmcore ", "\n",
};

struct pagegen_rng {
	uint64_t state;
};

static inline uint64_t pagegen_next(struct pagegen_rng *rng)
{
	uint64_t x = rng->state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng->state = x;
	return x;
}

static inline uint64_t pagegen_fnv1a(const char *text)
{
	uint64_t hash = 0xcbf29ce484222325ull;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		hash ^= *p;
		hash *= 0x100000001b3ull;
	}
	return hash;
}

static inline void pagegen_seed(struct pagegen_rng *rng, const char *label, uint32_t index,
				uint32_t seed, uint32_t kind)
{
	uint64_t state = pagegen_fnv1a(label);
	state ^= (uint64_t)index * 0x9e3779b97f4a7c15ull;
	state ^= ((uint64_t)seed << 32) | kind;
	rng->state = state ? state : 1;
	/* Stir so that neighbouring indices diverge at once. */
	for (int i = 0; i < 4; i++)
		pagegen_next(rng);
}

static inline void pagegen_put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static inline void pagegen_put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* Appends words until `end`; the last word is cut at the boundary. */
static inline void pagegen_text(struct pagegen_rng *rng, unsigned char *p, unsigned char *end)
{
	while (p < end) {
		const char *word = pagegen_words[pagegen_next(rng) % 32];
		size_t len = strlen(word);
		if (len > (size_t)(end - p))
			len = (size_t)(end - p);
		memcpy(p, word, len);
		p += len;
	}
}

/* Fills page[0..4095]. */
static inline void pagegen_fill(unsigned char *page, const char *label, uint32_t index,
				uint32_t seed, uint32_t kind, uint64_t vaddr)
{
	struct pagegen_rng rng;
	pagegen_seed(&rng, label, index, seed, kind);
	memset(page, 0, PAGEGEN_PAGE_SIZE);
	if (kind == PAGEGEN_ZERO)
		return;
	if (kind == PAGEGEN_WORD) {
		uint64_t word = pagegen_next(&rng) | 1;
		for (unsigned off = 0; off < PAGEGEN_PAGE_SIZE; off += 8)
			pagegen_put64(page + off, word);
		return;
	}
	memcpy(page, "UZFIXTURE-v1", 12);
	strncpy((char *)page + 16, label, PAGEGEN_LABEL_MAX);
	pagegen_put64(page + 40, vaddr);
	pagegen_put32(page + 48, index);
	pagegen_put32(page + 52, seed);
	pagegen_put32(page + 56, kind);
	pagegen_put32(page + 60, PAGEGEN_VERSION);
	unsigned char *body = page + PAGEGEN_HEADER_SIZE;
	unsigned char *end = page + PAGEGEN_PAGE_SIZE;
	if (kind == PAGEGEN_RANDOM) {
		for (unsigned char *p = body; p < end; p += 8)
			pagegen_put64(p, pagegen_next(&rng));
	} else if (kind == PAGEGEN_ZERORUNS) {
		unsigned char *p = body;
		while (p < end) {
			unsigned char *text_end = p + 100 + pagegen_next(&rng) % 400;
			if (text_end > end)
				text_end = end;
			pagegen_text(&rng, p, text_end);
			p = text_end + 300 + pagegen_next(&rng) % 1200; /* left zero */
		}
	} else {
		pagegen_text(&rng, body, end);
	}
}

/* The kind of page `index` in a region, from a fixed 16-slot pattern. */
static inline uint32_t pagegen_pattern_kind(uint32_t index)
{
	static const unsigned char pattern[16] = {
		PAGEGEN_TEXT, PAGEGEN_TEXT, PAGEGEN_ZERORUNS, PAGEGEN_TEXT,
		PAGEGEN_RANDOM, PAGEGEN_TEXT, PAGEGEN_ZERO, PAGEGEN_TEXT,
		PAGEGEN_TEXT, PAGEGEN_WORD, PAGEGEN_TEXT, PAGEGEN_ZERORUNS,
		PAGEGEN_TEXT, PAGEGEN_TEXT, PAGEGEN_TEXT, PAGEGEN_TEXT,
	};
	return pattern[index % 16];
}

#endif
