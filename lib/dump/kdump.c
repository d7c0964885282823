/* kdump.c - makedumpfile's kdump-compressed format (also QEMU's): reading
 * pages through the bitmaps and page descriptors, and writing a copy with
 * pages replaced or added (unchanged page data copied as compressed bytes).
 *
 * On-disk layout (LP64, little-endian; makedumpfile diskdump_mod.h):
 *   block 0                 disk_dump_header (464 bytes used)
 *   blocks 1..sub_hdr_size  kdump_sub_header (104 bytes) + notes (+ VMCOREINFO)
 *   bitmap_blocks blocks    1st bitmap (RAM present), then 2nd (dumped), equal halves
 *   descriptors             24 bytes per dumped page, in PFN order
 *   page data               at the offsets the descriptors give
 *   eraseinfo               (optional) after the page data
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "dump_internal.h"

/* disk_dump_header field offsets */
#define DH_VERSION 8
#define DH_UTSNAME 12
#define DH_MACHINE (DH_UTSNAME + 4 * 65)
#define DH_STATUS 424
#define DH_BLOCK_SIZE 428
#define DH_SUB_HDR_SIZE 432
#define DH_BITMAP_BLOCKS 436
#define DH_MAX_MAPNR 440
#define DH_SIZE 464
/* kdump_sub_header field offsets */
#define KH_PHYS_BASE 0
#define KH_SPLIT 12
#define KH_START_PFN 16
#define KH_END_PFN 24
#define KH_OFFSET_VMCOREINFO 32
#define KH_SIZE_VMCOREINFO 40
#define KH_OFFSET_NOTE 48
#define KH_SIZE_NOTE 56
#define KH_OFFSET_ERASEINFO 64
#define KH_SIZE_ERASEINFO 72
#define KH_START_PFN_64 80
#define KH_END_PFN_64 88
#define KH_MAX_MAPNR_64 96
#define KH_SIZE 104
/* status and page-descriptor flags */
#define DH_COMPRESSED_ZLIB 0x1u
#define DH_COMPRESSED_LZO 0x2u
#define DH_COMPRESSED_SNAPPY 0x4u
#define DH_COMPRESSED_INCOMPLETE 0x8u
#define DH_COMPRESSED_ZSTD 0x20u
#define DH_COMPRESSION_MASK (DH_COMPRESSED_ZLIB | DH_COMPRESSED_LZO | \
			     DH_COMPRESSED_SNAPPY | DH_COMPRESSED_ZSTD)
#define DESC_SIZE 24u

#define NOTES_MAX (64u << 20)
#define VMCOREINFO_MAX (1u << 20)
/* Largest sub-header area the writer holds in memory. */
#define SUB_AREA_MAX (64u << 20)

struct page_desc {
	uint64_t offset;
	uint32_t size, flags;
	uint64_t page_flags;
};

static enum uz_dump_compress compress_of_flags(uint32_t flags)
{
	if (flags & DH_COMPRESSED_ZLIB) return UZ_COMPRESS_ZLIB;
	if (flags & DH_COMPRESSED_LZO) return UZ_COMPRESS_LZO;
	if (flags & DH_COMPRESSED_SNAPPY) return UZ_COMPRESS_SNAPPY;
	if (flags & DH_COMPRESSED_ZSTD) return UZ_COMPRESS_ZSTD;
	return UZ_COMPRESS_NONE;
}

static uint32_t flag_of_compress(enum uz_dump_compress c)
{
	switch (c) {
	case UZ_COMPRESS_ZLIB: return DH_COMPRESSED_ZLIB;
	case UZ_COMPRESS_LZO: return DH_COMPRESSED_LZO;
	case UZ_COMPRESS_SNAPPY: return DH_COMPRESSED_SNAPPY;
	case UZ_COMPRESS_ZSTD: return DH_COMPRESSED_ZSTD;
	case UZ_COMPRESS_NONE: break;
	}
	return 0;
}

/* ---- bitmaps ---- */

/* Bytes of bitmap chunk `chunk` that exist (the last chunk may be short). */
static size_t chunk_len(const struct uz_kdump_state *k, uint64_t chunk)
{
	uint64_t start = chunk * UZ_KDUMP_CHUNK_BYTES;
	uint64_t left = k->bitmap_len - start;
	return left < UZ_KDUMP_CHUNK_BYTES ? (size_t)left : UZ_KDUMP_CHUNK_BYTES;
}

static struct uz_error *load_chunk(struct uz_dump *d, bool second, uint64_t chunk,
				   const uint8_t **out)
{
	struct uz_kdump_state *k = &d->u.kd;
	uint8_t *buf = second ? k->bm2_chunk : k->bm1_chunk;
	uint64_t *idx = second ? &k->bm2_chunk_index : &k->bm1_chunk_index;
	if (*idx != chunk) {
		*idx = UINT64_MAX;
		size_t len = chunk_len(k, chunk);
		memset(buf, 0, UZ_KDUMP_CHUNK_BYTES);
		UZ_TRY(uz_error_wrap(uz_source_read(&d->src,
						    (second ? k->bitmap2_off : k->bitmap1_off) +
						    chunk * UZ_KDUMP_CHUNK_BYTES, buf, len),
				     "reading the %s bitmap", second ? "2nd" : "1st"));
		*idx = chunk;
	}
	*out = buf;
	return NULL;
}

static struct uz_error *test_bit(struct uz_dump *d, bool second, uint64_t pfn, bool *set)
{
	const uint8_t *c;
	UZ_TRY(load_chunk(d, second, pfn / UZ_KDUMP_RANK_PFNS, &c));
	uint64_t bit = pfn % UZ_KDUMP_RANK_PFNS;
	*set = c[bit / 8] >> (bit % 8) & 1;
	return NULL;
}

static unsigned popcount_bits(const uint8_t *c, uint64_t nbits)
{
	unsigned n = 0;
	uint64_t i = 0;
	for (; i + 64 <= nbits; i += 64) {
		uint64_t w;
		memcpy(&w, c + i / 8, 8);
		n += (unsigned)__builtin_popcountll(w);
	}
	for (; i < nbits; i++)
		n += c[i / 8] >> (i % 8) & 1;
	return n;
}

/* Index of pfn's descriptor (pfn must be set in the 2nd bitmap). */
static struct uz_error *desc_index(struct uz_dump *d, uint64_t pfn, uint64_t *index)
{
	struct uz_kdump_state *k = &d->u.kd;
	uint64_t chunk = pfn / UZ_KDUMP_RANK_PFNS;
	const uint8_t *c;
	UZ_TRY(load_chunk(d, true, chunk, &c));
	*index = k->rank[chunk] + popcount_bits(c, pfn % UZ_KDUMP_RANK_PFNS);
	return NULL;
}

static struct uz_error *read_desc(struct uz_dump *d, uint64_t index, struct page_desc *pd)
{
	uint8_t raw[DESC_SIZE];
	UZ_TRY(uz_source_read(&d->src, d->u.kd.desc_off + index * DESC_SIZE, raw, sizeof(raw)));
	pd->offset = uz_le64(raw);
	pd->size = uz_le32(raw + 8);
	pd->flags = uz_le32(raw + 12);
	pd->page_flags = uz_le64(raw + 16);
	return NULL;
}

/* Why the descriptor cannot be used, or NULL. */
static const char *desc_problem(const struct uz_dump *d, const struct page_desc *pd)
{
	const struct uz_kdump_state *k = &d->u.kd;
	uint32_t c = pd->flags & DH_COMPRESSION_MASK;
	if (pd->size == 0)
		return "size 0";
	if (pd->size > k->block_size)
		return "size larger than a page";
	if (c & (c - 1))
		return "several compression flags";
	if (!c && pd->size != k->block_size)
		return "uncompressed but not a whole page";
	if (pd->offset < k->data_start)
		return "data offset before the page data area";
	if (pd->offset > d->src.size || d->src.size - pd->offset < pd->size)
		return "data past the end of the file";
	return NULL;
}

/* ---- open ---- */

static struct uz_error *build_rank(struct uz_dump *d)
{
	struct uz_kdump_state *k = &d->u.kd;
	uint64_t used_bytes = uz_div_round_up(k->max_mapnr, 8);
	k->n_rank = (size_t)uz_div_round_up(used_bytes, UZ_KDUMP_CHUNK_BYTES) + 1;
	k->rank = calloc(k->n_rank, sizeof(*k->rank));
	if (!k->rank)
		return uz_error_create(UZ_ERR_NOMEM, "bitmap rank table");
	uint64_t total = 0;
	for (size_t i = 0; i + 1 < k->n_rank; i++) {
		k->rank[i] = total;
		const uint8_t *c;
		UZ_TRY(load_chunk(d, true, i, &c));
		uint64_t first = (uint64_t)i * UZ_KDUMP_RANK_PFNS;
		uint64_t nbits = k->max_mapnr - first < UZ_KDUMP_RANK_PFNS ?
			k->max_mapnr - first : UZ_KDUMP_RANK_PFNS;
		total += popcount_bits(c, nbits);
	}
	k->rank[k->n_rank - 1] = total;
	k->n_desc = total;
	return NULL;
}

/* Byte ranges of disk_dump_header that a rewrite may change: the layout
 * (sub-header size, bitmap blocks, max_mapnr); the compression flags of
 * `status` are compared apart, masked. */
static bool dh_layout_byte(size_t i)
{
	return (i >= DH_STATUS && i < DH_STATUS + 4) || (i >= DH_SUB_HDR_SIZE && i < DH_MAX_MAPNR + 4);
}

struct uz_error *uz_kdump_compare_header(struct uz_dump *in, struct uz_dump *out)
{
	uint8_t a[DH_SIZE], b[DH_SIZE];
	UZ_TRY(uz_source_read(&in->src, 0, a, sizeof(a)));
	UZ_TRY(uz_source_read(&out->src, 0, b, sizeof(b)));
	for (size_t i = 0; i < DH_SIZE; i++)
		if (!dh_layout_byte(i) && a[i] != b[i])
			return uz_error_create(UZ_ERR_MISMATCH, "disk_dump_header byte %zu differs (IN 0x%02x, OUT 0x%02x)",
					       i, a[i], b[i]);
	uint32_t keep = ~(DH_COMPRESSION_MASK);
	if ((uz_le32(a + DH_STATUS) & keep) != (uz_le32(b + DH_STATUS) & keep))
		return uz_error_create(UZ_ERR_MISMATCH, "status flags differ (IN 0x%x, OUT 0x%x)",
				       uz_le32(a + DH_STATUS), uz_le32(b + DH_STATUS));
	const struct uz_kdump_state *ki = &in->u.kd, *ko = &out->u.kd;
	uint8_t ka[KH_SIZE], kb[KH_SIZE];
	UZ_TRY(uz_source_read(&in->src, ki->block_size, ka, sizeof(ka)));
	UZ_TRY(uz_source_read(&out->src, ko->block_size, kb, sizeof(kb)));
	/* phys_base, dump_level and split: offsets 0 to 16. */
	if (memcmp(ka, kb, KH_START_PFN) != 0)
		return uz_error_create(UZ_ERR_MISMATCH, "kdump_sub_header phys_base, dump_level or split differ");
	if (ki->size_eraseinfo != ko->size_eraseinfo)
		return uz_error_create(UZ_ERR_MISMATCH, "eraseinfo is %llu bytes in IN, %llu in OUT",
				       (unsigned long long)ki->size_eraseinfo, (unsigned long long)ko->size_eraseinfo);
	uint8_t ba[4096], bb[4096];
	for (uint64_t off = 0; off < ki->size_eraseinfo; off += sizeof(ba)) {
		size_t n = ki->size_eraseinfo - off < sizeof(ba) ? (size_t)(ki->size_eraseinfo - off) : sizeof(ba);
		UZ_TRY(uz_source_read(&in->src, ki->offset_eraseinfo + off, ba, n));
		UZ_TRY(uz_source_read(&out->src, ko->offset_eraseinfo + off, bb, n));
		if (memcmp(ba, bb, n) != 0)
			return uz_error_create(UZ_ERR_MISMATCH, "eraseinfo differs near byte %llu", (unsigned long long)off);
	}
	return NULL;
}

struct uz_error *uz_kdump_open(struct uz_dump *d)
{
	struct uz_kdump_state *k = &d->u.kd;
	d->ops = &uz_kdump_ops;
	d->format = UZ_DUMP_KDUMP;
	k->bm1_chunk_index = k->bm2_chunk_index = UINT64_MAX;
	uint8_t h[DH_SIZE];
	if (d->src.size < DH_SIZE)
		return uz_error_create(UZ_ERR_FORMAT, "kdump header truncated (%llu bytes)",
				       (unsigned long long)d->src.size);
	UZ_TRY(uz_source_read(&d->src, 0, h, sizeof(h)));
	k->header_version = uz_le32(h + DH_VERSION);
	k->status = uz_le32(h + DH_STATUS);
	k->block_size = uz_le32(h + DH_BLOCK_SIZE);
	k->sub_hdr_size = uz_le32(h + DH_SUB_HDR_SIZE);
	k->bitmap_blocks = uz_le32(h + DH_BITMAP_BLOCKS);
	k->max_mapnr = uz_le32(h + DH_MAX_MAPNR);
	if (k->header_version < 1 || k->header_version > 100)
		return uz_error_create(UZ_ERR_FORMAT, "kdump header version %d is not valid",
				       (int)k->header_version);
	UZ_TRY(uz_error_wrap(uz_dump_set_page_size(d, k->block_size), "kdump block_size"));
	char machine[66] = { 0 };
	memcpy(machine, h + DH_MACHINE, 65);
	if (strcmp(machine, "x86_64") == 0)
		d->arch = UZ_ARCH_X86_64;
	else if (strcmp(machine, "aarch64") == 0 || strcmp(machine, "arm64") == 0)
		d->arch = UZ_ARCH_AARCH64;
	if (d->arch == UZ_ARCH_X86_64 && k->block_size != 4096)
		return uz_error_create(UZ_ERR_FORMAT, "kdump block_size %u on x86_64", k->block_size);
	d->incomplete = k->status & DH_COMPRESSED_INCOMPLETE;
	k->compress = compress_of_flags(k->status);

	uint64_t bs = k->block_size;
	if (k->sub_hdr_size == 0 || (uint64_t)k->sub_hdr_size * bs < KH_SIZE)
		return uz_error_create(UZ_ERR_FORMAT, "kdump sub_hdr_size %u blocks is too small",
				       k->sub_hdr_size);
	uint8_t kh[KH_SIZE];
	UZ_TRY(uz_error_wrap(uz_source_read(&d->src, bs, kh, sizeof(kh)),
			     "reading the kdump sub-header"));
	d->phys_base = uz_le64(kh + KH_PHYS_BASE);
	d->phys_base_known = true;
	if (k->header_version >= 2) {
		k->split = uz_le32(kh + KH_SPLIT);
		if (k->split && !d->allow_split_member)
			return uz_error_create(UZ_ERR_UNSUPPORTED,
					       "this is one file of a split dump (makedumpfile --split): open all of them together (uz_dump_open_split)");
	}
	if (k->header_version >= 3) {
		k->offset_vmcoreinfo = uz_le64(kh + KH_OFFSET_VMCOREINFO);
		k->size_vmcoreinfo = uz_le64(kh + KH_SIZE_VMCOREINFO);
	}
	if (k->header_version >= 4) {
		k->offset_note = uz_le64(kh + KH_OFFSET_NOTE);
		k->size_note = uz_le64(kh + KH_SIZE_NOTE);
	}
	if (k->header_version >= 5) {
		k->offset_eraseinfo = uz_le64(kh + KH_OFFSET_ERASEINFO);
		k->size_eraseinfo = uz_le64(kh + KH_SIZE_ERASEINFO);
	}
	if (k->header_version >= 6)
		k->max_mapnr = uz_le64(kh + KH_MAX_MAPNR_64);
	if (k->max_mapnr > (1ull << (52 - d->page_shift)))
		return uz_error_create(UZ_ERR_FORMAT, "kdump max_mapnr 0x%llx is beyond 52-bit physical addresses",
				       (unsigned long long)k->max_mapnr);

	if (k->bitmap_blocks % 2)
		return uz_error_create(UZ_ERR_FORMAT, "kdump bitmap_blocks %u is odd", k->bitmap_blocks);
	k->bitmap_len = (uint64_t)k->bitmap_blocks / 2 * bs;
	k->bitmap1_off = (1 + (uint64_t)k->sub_hdr_size) * bs;
	k->bitmap2_off = k->bitmap1_off + k->bitmap_len;
	k->desc_off = k->bitmap2_off + k->bitmap_len;
	if (k->bitmap_len * 8 < k->max_mapnr)
		return uz_error_create(UZ_ERR_FORMAT,
				       "kdump bitmaps of %llu bytes are too small for max_mapnr 0x%llx",
				       (unsigned long long)k->bitmap_len,
				       (unsigned long long)k->max_mapnr);
	if (k->desc_off > d->src.size)
		return uz_error_create(UZ_ERR_FORMAT,
				       "kdump bitmaps end at 0x%llx, past the end of the file (0x%llx bytes): truncated dump?",
				       (unsigned long long)k->desc_off, (unsigned long long)d->src.size);
	k->bm1_chunk = malloc(UZ_KDUMP_CHUNK_BYTES);
	k->bm2_chunk = malloc(UZ_KDUMP_CHUNK_BYTES);
	k->cbuf = malloc(bs);
	if (!k->bm1_chunk || !k->bm2_chunk || !k->cbuf)
		return uz_error_create(UZ_ERR_NOMEM, "kdump buffers");
	UZ_TRY(build_rank(d));
	k->data_start = k->desc_off + k->n_desc * DESC_SIZE;
	if (k->data_start > d->src.size && !d->incomplete)
		return uz_error_create(UZ_ERR_FORMAT,
				       "kdump page descriptor table (%llu entries at 0x%llx) extends past the end of the file (0x%llx bytes): truncated dump?",
				       (unsigned long long)k->n_desc, (unsigned long long)k->desc_off,
				       (unsigned long long)d->src.size);
	d->max_pfn = k->max_mapnr;
	k->split_start = 0;
	k->split_end = k->max_mapnr;
	if (k->split) {
		/* start_pfn/end_pfn (16/24), or their 64-bit copies from version 6. */
		k->split_start = k->header_version >= 6 ? uz_le64(kh + KH_START_PFN_64)
							: uz_le64(kh + KH_START_PFN);
		k->split_end = k->header_version >= 6 ? uz_le64(kh + KH_END_PFN_64)
						      : uz_le64(kh + KH_END_PFN);
		if (k->split_start > k->split_end || k->split_end > k->max_mapnr)
			return uz_error_create(UZ_ERR_FORMAT,
					       "split dump file range 0x%llx-0x%llx is not within max_mapnr 0x%llx",
					       (unsigned long long)k->split_start,
					       (unsigned long long)k->split_end,
					       (unsigned long long)k->max_mapnr);
	}

	if (k->size_note) {
		uint64_t end;
		if (k->size_note > NOTES_MAX || !uz_add_ok(k->offset_note, k->size_note, &end) ||
		    end > d->src.size)
			return uz_error_create(UZ_ERR_FORMAT,
					       "kdump notes at 0x%llx size 0x%llx lie outside the file",
					       (unsigned long long)k->offset_note,
					       (unsigned long long)k->size_note);
		d->notes = malloc(k->size_note);
		if (!d->notes)
			return uz_error_create(UZ_ERR_NOMEM, "kdump notes");
		d->notes_len = k->size_note;
		UZ_TRY(uz_source_read(&d->src, k->offset_note, d->notes, k->size_note));
	}
	if (k->size_vmcoreinfo) {
		uint64_t end;
		if (k->size_vmcoreinfo > VMCOREINFO_MAX ||
		    !uz_add_ok(k->offset_vmcoreinfo, k->size_vmcoreinfo, &end) || end > d->src.size)
			return uz_error_create(UZ_ERR_FORMAT,
					       "kdump VMCOREINFO at 0x%llx size 0x%llx lies outside the file or is too large",
					       (unsigned long long)k->offset_vmcoreinfo,
					       (unsigned long long)k->size_vmcoreinfo);
		d->vmcoreinfo = malloc(k->size_vmcoreinfo + 1);
		if (!d->vmcoreinfo)
			return uz_error_create(UZ_ERR_NOMEM, "VMCOREINFO");
		UZ_TRY(uz_source_read(&d->src, k->offset_vmcoreinfo, d->vmcoreinfo,
				      k->size_vmcoreinfo));
		d->vmcoreinfo[k->size_vmcoreinfo] = '\0';
	}
	return uz_dump_scan_notes(d);
}

static void kdump_fini(struct uz_dump *d)
{
	struct uz_kdump_state *k = &d->u.kd;
	for (size_t i = 0; i < k->n_split_parts; i++)
		uz_dump_close(k->split_parts[i]);
	free(k->split_parts);
	free(k->rank);
	free(k->bm1_chunk);
	free(k->bm2_chunk);
	free(k->cbuf);
}

/* ---- split sets (makedumpfile --split) ----
 *
 * Every file of a set has the same header, both whole bitmaps and a
 * descriptor table sized for every dumped page of the whole dump, indexed
 * by the page's rank in the whole 2nd bitmap; only the descriptors of its
 * own PFN range [start_pfn, end_pfn) are filled (the others are zero).
 * Checked on makedumpfile 1.7.2's output. */

bool uz_kdump_is_split_set(const struct uz_dump *d)
{
	return d->format == UZ_DUMP_KDUMP && (d->u.kd.split || d->u.kd.n_split_parts > 0);
}

/* The member holding pfn's data, or NULL if no file of the set covers it. */
static struct uz_dump *split_owner(struct uz_dump *d, uint64_t pfn)
{
	const struct uz_kdump_state *k = &d->u.kd;
	if (pfn >= k->split_start && pfn < k->split_end)
		return d;
	for (size_t i = 0; i < k->n_split_parts; i++) {
		struct uz_kdump_state *p = &k->split_parts[i]->u.kd;
		if (pfn >= p->split_start && pfn < p->split_end)
			return k->split_parts[i];
	}
	return NULL;
}

struct uz_error *uz_kdump_join_split(struct uz_dump *head, struct uz_dump **parts, size_t n)
{
	struct uz_kdump_state *k = &head->u.kd;
	k->split_parts = calloc(n, sizeof(*parts));
	if (!k->split_parts) {
		for (size_t i = 0; i < n; i++)
			uz_dump_close(parts[i]);
		return uz_error_create(UZ_ERR_NOMEM, "split dump file list");
	}
	memcpy(k->split_parts, parts, n * sizeof(*parts));
	k->n_split_parts = n;
	uint64_t next = k->split_end;
	if (k->split_start != 0)
		return uz_error_create(UZ_ERR_FORMAT,
				       "split dump: no file starts at PFN 0 (first starts at 0x%llx): a file is missing",
				       (unsigned long long)k->split_start);
	for (size_t i = 0; i < n; i++) {
		const struct uz_dump *p = parts[i];
		const struct uz_kdump_state *q = &p->u.kd;
		if (q->block_size != k->block_size || q->max_mapnr != k->max_mapnr ||
		    q->bitmap_blocks != k->bitmap_blocks || q->n_desc != k->n_desc ||
		    p->arch != head->arch)
			return uz_error_create(UZ_ERR_FORMAT,
					       "split dump: %s does not belong with %s (block size, max_mapnr, bitmaps or page count differ)",
					       p->path, head->path);
		if (q->split_start != next)
			return uz_error_create(UZ_ERR_FORMAT,
					       "split dump: %s starts at PFN 0x%llx, expected 0x%llx (%s)",
					       p->path, (unsigned long long)q->split_start,
					       (unsigned long long)next,
					       q->split_start > next ? "a file is missing" : "ranges overlap");
		next = q->split_end;
	}
	if (next != k->max_mapnr)
		return uz_error_create(UZ_ERR_FORMAT,
				       "split dump: the files end at PFN 0x%llx, not max_mapnr 0x%llx: a file is missing",
				       (unsigned long long)next, (unsigned long long)k->max_mapnr);
	return NULL;
}

/* ---- pages ---- */

/* In an incomplete dump, a dumped page whose descriptor or data did not make
 * it into the file is reported as excluded. */
static struct uz_error *incomplete_page_missing(struct uz_dump *d, uint64_t pfn, bool *missing)
{
	uint64_t index;
	UZ_TRY(desc_index(d, pfn, &index));
	*missing = true;
	if (d->u.kd.desc_off + (index + 1) * DESC_SIZE > d->src.size)
		return NULL;
	struct page_desc pd;
	UZ_TRY(read_desc(d, index, &pd));
	*missing = desc_problem(d, &pd) != NULL;
	return NULL;
}

static struct uz_error *kdump_page_state(struct uz_dump *d, uint64_t pfn,
					 enum uz_page_state *state)
{
	bool dumped, ram;
	UZ_TRY(test_bit(d, true, pfn, &dumped));
	if (dumped) {
		bool missing = false;
		struct uz_dump *owner = split_owner(d, pfn);
		if (!owner)
			missing = true;   /* only a lone split file: not in its range */
		else if (owner->incomplete)
			UZ_TRY(incomplete_page_missing(owner, pfn, &missing));
		*state = missing ? UZ_PAGE_EXCLUDED : UZ_PAGE_PRESENT;
		return NULL;
	}
	UZ_TRY(test_bit(d, false, pfn, &ram));
	*state = ram ? UZ_PAGE_EXCLUDED : UZ_PAGE_HOLE;
	return NULL;
}

static struct uz_error *kdump_read_page(struct uz_dump *d, uint64_t pfn, void *buf)
{
	struct uz_dump *owner = split_owner(d, pfn);
	if (!owner)
		return uz_error_create(UZ_ERR_FAULT, "page 0x%llx is in another file of the split dump",
				       (unsigned long long)pfn);
	if (owner != d)
		return uz_error_wrap(kdump_read_page(owner, pfn, buf), "%s", owner->path);
	struct uz_kdump_state *k = &d->u.kd;
	uint64_t index;
	struct page_desc pd;
	UZ_TRY(desc_index(d, pfn, &index));
	UZ_TRY(uz_error_wrap(read_desc(d, index, &pd), "page descriptor %llu",
			     (unsigned long long)index));
	const char *why = desc_problem(d, &pd);
	if (why)
		return uz_error_create(UZ_ERR_FORMAT,
				       "page descriptor %llu (offset 0x%llx, size %u, flags 0x%x): %s",
				       (unsigned long long)index, (unsigned long long)pd.offset,
				       pd.size, pd.flags, why);
	UZ_TRY(uz_source_read(&d->src, pd.offset, k->cbuf, pd.size));
	return uz_error_wrap(uz_page_decompress(compress_of_flags(pd.flags), k->cbuf, pd.size,
						buf, k->block_size),
			     "page data at offset 0x%llx", (unsigned long long)pd.offset);
}

/* First PFN >= *pfn set in the 2nd bitmap, or max_mapnr. */
static struct uz_error *next_dumped(struct uz_dump *d, uint64_t *pfn)
{
	struct uz_kdump_state *k = &d->u.kd;
	uint64_t p = *pfn;
	while (p < k->max_mapnr) {
		uint64_t chunk = p / UZ_KDUMP_RANK_PFNS;
		/* Skip chunks with nothing dumped using the rank table. */
		if (k->rank[chunk + 1] == k->rank[chunk]) {
			p = (chunk + 1) * UZ_KDUMP_RANK_PFNS;
			continue;
		}
		const uint8_t *c;
		UZ_TRY(load_chunk(d, true, chunk, &c));
		uint64_t stop = (chunk + 1) * UZ_KDUMP_RANK_PFNS;
		if (stop > k->max_mapnr)
			stop = k->max_mapnr;
		for (; p < stop; p++) {
			uint64_t bit = p % UZ_KDUMP_RANK_PFNS;
			if (bit % 8 == 0 && c[bit / 8] == 0 && p + 8 <= stop) {
				p += 7;
				continue;
			}
			if (c[bit / 8] >> (bit % 8) & 1) {
				*pfn = p;
				return NULL;
			}
		}
	}
	*pfn = k->max_mapnr;
	return NULL;
}

static struct uz_error *kdump_next_pfn(struct uz_dump *d, uint64_t *pfn)
{
	uint64_t p = *pfn;
	for (;;) {
		UZ_TRY(next_dumped(d, &p));
		if (p >= d->u.kd.max_mapnr)
			return uz_error_create(UZ_ERR_NOT_FOUND, "no present page at or above 0x%llx",
					       (unsigned long long)*pfn);
		bool missing = false;
		struct uz_dump *owner = split_owner(d, p);
		if (!owner)
			missing = true;
		else if (owner->incomplete)
			UZ_TRY(incomplete_page_missing(owner, p, &missing));
		if (!missing) {
			*pfn = p;
			return NULL;
		}
		p++;
	}
}

/* ---- writing ---- */

/* Where the patches' data went, 4 bytes a patch (the writer's memory is
 * bounded by what vmcore-unzram may spend per restored page): the
 * compressed length, NEW_RAW when stored raw.  Patch i's data follows patch
 * i-1's, from the first patch's offset, so offsets are running sums. */
struct new_data {
	uint32_t *len_raw;
	uint64_t first_off;
	uint32_t flag;         /* page_flags bit of the compression used */
};

#define NEW_RAW 0x80000000u

struct kdump_plan {
	uint64_t bs;
	uint64_t new_max;
	uint64_t content_len;       /* used bytes of the input sub-header area */
	uint64_t note_ins;          /* insertion point, relative to the area */
	size_t note_len;            /* of the extra note with its lead */
	size_t note_lead;           /* zero bytes before it (uz_note_lead) */
	uint64_t new_sub_blocks;
	uint64_t new_bitmap_len;
	uint64_t bm1, bm2, desc, data;     /* output offsets */
	uint64_t n_added;            /* patches at or above the input's max_mapnr */
	uint64_t n_inserted;         /* patches below it that the input does not dump */
	uint64_t data_end_old;       /* end of the input page data */
	int64_t delta;               /* output - input offset of page data */
};

/* Bits of patched PFNs in [first, first + nbits) of a bitmap chunk: in both
 * bitmaps every patched page is RAM and dumped (already so for replaced
 * pages; added and inserted pages become so). */
static void set_patch_bits(uint8_t *chunk, uint64_t first, uint64_t nbits,
			   const struct uz_page_patch *patches, size_t n_patches, size_t *cursor)
{
	while (*cursor < n_patches && patches[*cursor].pfn < first + nbits) {
		uint64_t pfn = patches[*cursor].pfn;
		if (pfn >= first) {
			uint64_t bit = pfn - first;
			chunk[bit / 8] |= (uint8_t)(1u << (bit % 8));
		}
		(*cursor)++;
	}
}

static struct uz_error *write_bitmap(struct uz_dump *d, int fd, const struct kdump_plan *P,
				     bool second, const struct uz_page_patch *patches,
				     size_t n_patches)
{
	const struct uz_kdump_state *k = &d->u.kd;
	uint8_t *chunk = malloc(UZ_KDUMP_CHUNK_BYTES);
	if (!chunk)
		return uz_error_create(UZ_ERR_NOMEM, "bitmap buffer");
	struct uz_error *err = NULL;
	size_t cursor = 0;
	uint64_t in_off = second ? k->bitmap2_off : k->bitmap1_off;
	uint64_t out_off = second ? P->bm2 : P->bm1;
	for (uint64_t pos = 0; pos < P->new_bitmap_len && !err; pos += UZ_KDUMP_CHUNK_BYTES) {
		size_t len = P->new_bitmap_len - pos < UZ_KDUMP_CHUNK_BYTES ?
			(size_t)(P->new_bitmap_len - pos) : UZ_KDUMP_CHUNK_BYTES;
		memset(chunk, 0, UZ_KDUMP_CHUNK_BYTES);
		if (pos < k->bitmap_len) {
			size_t have = k->bitmap_len - pos < len ? (size_t)(k->bitmap_len - pos) : len;
			if ((err = uz_source_read(&d->src, in_off + pos, chunk, have)))
				break;
		}
		set_patch_bits(chunk, pos * 8, (uint64_t)len * 8, patches, n_patches, &cursor);
		err = uz_pwrite_all(fd, chunk, len, out_off + pos);
	}
	free(chunk);
	return err;
}

/* Compress each patch and append it at *pos; records where it went. */
static struct uz_error *write_patch_data(struct uz_dump *d, int fd,
					 const struct uz_page_patch *patches, size_t n_patches,
					 uz_patch_fill_fn *fill, void *fill_ctx,
					 enum uz_dump_compress compress,
					 struct new_data *out, uint64_t *pos)
{
	uint64_t bs = d->u.kd.block_size;
	uint8_t *page = malloc(bs), *cbuf = malloc(bs);
	struct uz_error *err = NULL;
	if (!page || !cbuf) {
		err = uz_error_create(UZ_ERR_NOMEM, "page buffers");
		goto out;
	}
	out->first_off = *pos;
	out->flag = flag_of_compress(compress);
	for (size_t i = 0; i < n_patches; i++) {
		if ((err = fill(fill_ctx, i, page))) {
			err = uz_error_wrap(err, "producing page 0x%llx",
					    (unsigned long long)patches[i].pfn);
			goto out;
		}
		size_t len;
		bool raw;
		if ((err = uz_page_compress(compress, page, bs, cbuf, &len, &raw)) ||
		    (err = uz_pwrite_all(fd, cbuf, len, *pos)))
			goto out;
		out->len_raw[i] = (uint32_t)len | (raw ? NEW_RAW : 0);
		*pos += len;
	}
out:
	free(page);
	free(cbuf);
	return err;
}

#define DESC_BATCH 4096u

/* A descriptor the writer copies (raw bytes r) must point at page data
 * inside the input's page data area, which ends at data_end. */
static struct uz_error *check_copied_desc(const struct uz_dump *d, const uint8_t *r,
					  uint64_t data_end)
{
	struct page_desc pd = { uz_le64(r), uz_le32(r + 8), uz_le32(r + 12), 0 };
	const char *why = desc_problem(d, &pd);
	if (!why && pd.offset + pd.size > data_end)
		why = "data past the end of the page data area";
	return why ? uz_error_create(UZ_ERR_FORMAT, "offset 0x%llx, size %u: %s",
				     (unsigned long long)pd.offset, pd.size, why)
		   : NULL;
}

/* Where the next patch's data went, into a page descriptor's first 16
 * bytes; *off moves past it. */
static void put_new_desc(uint8_t *o, const struct new_data *nd, size_t i, uint64_t *off)
{
	uint32_t len = nd->len_raw[i] & ~NEW_RAW;
	uz_put_le64(o, *off);
	uz_put_le32(o + 8, len);
	uz_put_le32(o + 12, nd->len_raw[i] & NEW_RAW ? 0 : nd->flag);
	*off += len;
}

/* Stream the descriptor table in PFN order: the input's descriptors with
 * their offsets moved by delta (or replaced by a patch's), merged with the
 * descriptors of patched pages the input does not dump (inserted below
 * max_mapnr, added above it): a descriptor's index is its PFN's rank in the
 * 2nd bitmap. */
static void note_broken(struct uz_dump_write_stats *stats, uint64_t pfn, struct uz_error *why)
{
	if (stats && !stats->broken_pages++) {
		stats->first_broken_pfn = pfn;
		snprintf(stats->first_broken_why, sizeof(stats->first_broken_why), "%s", why->message);
	}
	uz_error_destroy(why);
}

static struct uz_error *write_descs(struct uz_dump *d, int fd, const struct kdump_plan *P,
				    const struct uz_page_patch *patches, size_t n_patches,
				    const struct new_data *nd, struct uz_dump_write_stats *stats)
{
	struct uz_kdump_state *k = &d->u.kd;
	uint8_t *in = malloc(DESC_BATCH * DESC_SIZE), *out = malloc(DESC_BATCH * DESC_SIZE);
	struct uz_error *err = NULL;
	if (!in || !out) {
		err = uz_error_create(UZ_ERR_NOMEM, "descriptor buffers");
		goto done;
	}
	uint64_t in_index = 0, in_have = 0, in_pos = 0;  /* batch read state */
	uint64_t out_index = 0;
	size_t out_n = 0, pi = 0;
	uint64_t new_off = nd->first_off;   /* of patch pi's data */
	uint64_t in_pfn = 0;   /* next PFN the input dumps, max_mapnr when none */
	if ((err = next_dumped(d, &in_pfn)))
		goto done;
	while (in_pfn < k->max_mapnr || pi < n_patches) {
		uint8_t *o = out + out_n * DESC_SIZE;
		if (pi < n_patches && (in_pfn >= k->max_mapnr || patches[pi].pfn < in_pfn)) {
			/* A page the input does not dump. */
			memset(o, 0, DESC_SIZE);
			put_new_desc(o, nd, pi++, &new_off);
		} else {
			if (in_pos == in_have) {
				uint64_t left = k->n_desc - in_index;
				if (!left) {
					err = uz_error_create(UZ_ERR_FORMAT,
							      "the 2nd bitmap sets more PFNs than there are page descriptors (%llu)",
							      (unsigned long long)k->n_desc);
					goto done;
				}
				in_have = left < DESC_BATCH ? left : DESC_BATCH;
				in_pos = 0;
				if ((err = uz_source_read(&d->src, k->desc_off + in_index * DESC_SIZE,
							  in, in_have * DESC_SIZE)))
					goto done;
				in_index += in_have;
			}
			const uint8_t *r = in + in_pos * DESC_SIZE;
			in_pos++;
			memcpy(o, r, DESC_SIZE);
			if (pi < n_patches && patches[pi].pfn == in_pfn) {
				put_new_desc(o, nd, pi++, &new_off);   /* page_flags stay the input's */
			} else {
				struct uz_error *broken = check_copied_desc(d, r, P->data_end_old);
				if (broken) {
					memset(o, 0, 16);   /* points nowhere; page_flags kept */
					note_broken(stats, in_pfn, broken);
				} else {
					uz_put_le64(o, uz_le64(r) + (uint64_t)P->delta);
				}
			}
			in_pfn++;
			if ((err = next_dumped(d, &in_pfn)))
				goto done;
		}
		if (++out_n == DESC_BATCH) {
			if ((err = uz_pwrite_all(fd, out, out_n * DESC_SIZE, P->desc + out_index * DESC_SIZE)))
				goto done;
			out_index += out_n;
			out_n = 0;
		}
	}
	if (out_n)
		err = uz_pwrite_all(fd, out, out_n * DESC_SIZE, P->desc + out_index * DESC_SIZE);
	if (!err && out_index + out_n != k->n_desc + P->n_added + P->n_inserted)
		err = uz_error_create(UZ_ERR_FORMAT, "descriptor count mismatch while writing");
done:
	free(in);
	free(out);
	return err;
}

/* Nothing to change: the streaming rewrite would give the same bytes, so
 * copy the file as it is (in the kernel: copy_file_range), after the same
 * check of every page descriptor the rewrite makes (a dump copied without
 * an error must read without one). */
static struct uz_error *copy_verbatim(struct uz_dump *d, const char *out_path,
				      uint64_t data_end, const struct uz_dump_write_options *opts)
{
	struct uz_kdump_state *k = &d->u.kd;
	uint8_t *batch = malloc(DESC_BATCH * DESC_SIZE);
	if (!batch)
		return uz_error_create(UZ_ERR_NOMEM, "descriptor buffer");
	struct uz_error *err = NULL;
	for (uint64_t i = 0; i < k->n_desc && !err; i += DESC_BATCH) {
		uint64_t n = k->n_desc - i < DESC_BATCH ? k->n_desc - i : DESC_BATCH;
		if ((err = uz_source_read(&d->src, k->desc_off + i * DESC_SIZE, batch, n * DESC_SIZE)))
			break;
		/* A broken one is copied as it is: the copy reads as the input
		 * does, that page unreadable in both. */
		for (uint64_t j = 0; j < n && !err; j++) {
			struct uz_error *broken = check_copied_desc(d, batch + j * DESC_SIZE, data_end);
			if (broken)
				note_broken(opts->stats, UINT64_MAX, uz_error_wrap(broken, "page descriptor %llu",
										   (unsigned long long)(i + j)));
		}
	}
	free(batch);
	if (err)
		return err;
	struct uz_outfile out;
	UZ_TRY(uz_outfile_create(out_path, !opts->no_fsync, &out));
	err = uz_copy_range(&d->src, 0, out.fd, 0, d->src.size);
	if (err) {
		uz_outfile_abort(&out);
		return err;
	}
	return uz_outfile_commit(&out);
}

static struct uz_error *kdump_write(struct uz_dump *d, const char *out_path,
				    const struct uz_page_patch *patches, size_t n_patches,
				    uz_patch_fill_fn *fill, void *fill_ctx,
				    const struct uz_dump_write_options *opts)
{
	struct uz_kdump_state *k = &d->u.kd;
	struct kdump_plan P = { .bs = k->block_size };
	if (d->incomplete)
		return uz_error_create(UZ_ERR_UNSUPPORTED,
				       "rewriting an incomplete kdump file is not supported");
	if (opts->in_place && opts->fell_back)
		*opts->fell_back = true;   /* kdump files are always rewritten */
	uint64_t bs = P.bs;

	/* Sub-header area and the note insertion point. */
	uint64_t area_len = (uint64_t)k->sub_hdr_size * bs;
	if (area_len > SUB_AREA_MAX)
		return uz_error_create(UZ_ERR_UNSUPPORTED, "kdump sub-header area of %llu bytes is too large",
				       (unsigned long long)area_len);
	P.content_len = KH_SIZE;
	struct { uint64_t off, size; } items[] = {
		{ k->offset_note, k->size_note },
		{ k->offset_vmcoreinfo, k->size_vmcoreinfo },
		{ k->offset_eraseinfo, k->size_eraseinfo },
	};
	for (size_t i = 0; i < 3; i++) {
		if (!items[i].size || items[i].off < bs || items[i].off >= bs + area_len)
			continue;
		if (items[i].off + items[i].size > bs + area_len)
			return uz_error_create(UZ_ERR_FORMAT, "kdump sub-header item at 0x%llx overruns the sub-header area",
					       (unsigned long long)items[i].off);
		if (items[i].off < bs + KH_SIZE)
			return uz_error_create(UZ_ERR_FORMAT,
					       "kdump sub-header item at 0x%llx overlaps the kdump_sub_header fields",
					       (unsigned long long)items[i].off);
		if (items[i].off + items[i].size - bs > P.content_len)
			P.content_len = items[i].off + items[i].size - bs;
	}
	if (opts->note_name) {
		if (k->header_version < 4)
			return uz_error_create(UZ_ERR_UNSUPPORTED,
					       "kdump header version %u has no notes area for the extra note",
					       k->header_version);
		if (k->size_note && (k->offset_note < bs || k->offset_note >= bs + area_len))
			return uz_error_create(UZ_ERR_UNSUPPORTED,
					       "kdump notes outside the sub-header area cannot be extended");
		P.note_len = uz_note_size(opts->note_name, opts->note_desc_len);
		/* Right after the last whole note, so stray bytes at the end of
		 * the notes area follow the new note. */
		P.note_ins = k->size_note ? k->offset_note + d->notes_valid - bs : P.content_len;
		P.note_lead = k->size_note ? uz_note_lead(d->notes_valid) : 0;
		P.note_len += P.note_lead;
		for (size_t i = 1; i < 3; i++)
			if (items[i].size && items[i].off < bs + P.note_ins &&
			    items[i].off + items[i].size > bs + P.note_ins)
				return uz_error_create(UZ_ERR_UNSUPPORTED,
						       "kdump sub-header item at 0x%llx spans the end of the notes; cannot grow them",
						       (unsigned long long)items[i].off);
	}
	P.new_sub_blocks = uz_div_round_up(P.content_len + P.note_len, bs);
	if (P.new_sub_blocks < k->sub_hdr_size)
		P.new_sub_blocks = k->sub_hdr_size;

	P.new_max = k->max_mapnr;
	for (size_t i = 0; i < n_patches; i++) {
		if (patches[i].pfn >= k->max_mapnr) {
			P.n_added++;
			P.new_max = patches[i].pfn + 1;
			continue;
		}
		bool dumped;
		UZ_TRY(test_bit(d, true, patches[i].pfn, &dumped));
		P.n_inserted += !dumped;   /* uz_check_patches allowed it (fill_missing) */
	}
	if (k->header_version < 6 && P.new_max > UINT32_MAX)
		return uz_error_create(UZ_ERR_UNSUPPORTED,
				       "kdump header version %u cannot describe PFN 0x%llx",
				       k->header_version, (unsigned long long)P.new_max);
	P.new_bitmap_len = uz_div_round_up(uz_div_round_up(P.new_max, 8), bs) * bs;
	if (P.new_bitmap_len < k->bitmap_len)
		P.new_bitmap_len = k->bitmap_len;
	if (2 * P.new_bitmap_len / bs > UINT32_MAX || P.new_sub_blocks > INT32_MAX)
		return uz_error_create(UZ_ERR_UNSUPPORTED, "kdump output bitmap too large");
	P.bm1 = (1 + P.new_sub_blocks) * bs;
	P.bm2 = P.bm1 + P.new_bitmap_len;
	P.desc = P.bm2 + P.new_bitmap_len;
	P.data = P.desc + (k->n_desc + P.n_added + P.n_inserted) * DESC_SIZE;
	P.data_end_old = d->src.size;
	bool erase_after = k->size_eraseinfo && k->offset_eraseinfo >= k->data_start &&
			   k->offset_eraseinfo <= d->src.size;
	if (erase_after)
		P.data_end_old = k->offset_eraseinfo;
	P.delta = (int64_t)(P.data - k->data_start);
	if (!n_patches && !P.note_len && !P.delta && P.new_max == k->max_mapnr &&
	    P.new_bitmap_len == k->bitmap_len && P.new_sub_blocks == k->sub_hdr_size)
		return copy_verbatim(d, out_path, P.data_end_old, opts);

	/* Header block and sub-header area, edited, in memory but for the
	 * extra note (it can be megabytes): written straight from the caller's
	 * descriptor between the bytes before and after it. */
	uint64_t new_area_len = P.new_sub_blocks * bs;
	uint8_t *head = calloc(1, bs + new_area_len - P.note_len);
	struct new_data nd = { .len_raw = calloc(n_patches ? n_patches : 1, sizeof(uint32_t)) };
	struct uz_outfile out = { .fd = -1 };
	struct uz_error *err = NULL;
	if (!head || !nd.len_raw) {
		err = uz_error_create(UZ_ERR_NOMEM, "kdump header buffers");
		goto fail;
	}
	if ((err = uz_source_read(&d->src, 0, head, bs)))
		goto fail;
	uint8_t *area = head + bs;
	if (P.note_len) {
		if ((err = uz_source_read(&d->src, bs, area, P.note_ins)) ||
		    (err = uz_source_read(&d->src, bs + P.note_ins, area + P.note_ins,
					  P.content_len - P.note_ins)))
			goto fail;
	} else if ((err = uz_source_read(&d->src, bs, area, P.content_len))) {
		goto fail;
	}
	uint64_t ins_abs = bs + P.note_ins;
	if (P.note_len) {
		if (!k->size_note)
			uz_put_le64(area + KH_OFFSET_NOTE, ins_abs);
		uz_put_le64(area + KH_SIZE_NOTE, k->size_note + P.note_len);
		if (k->size_vmcoreinfo && k->offset_vmcoreinfo >= ins_abs &&
		    k->offset_vmcoreinfo < bs + area_len)
			uz_put_le64(area + KH_OFFSET_VMCOREINFO, k->offset_vmcoreinfo + P.note_len);
		if (k->size_eraseinfo && k->offset_eraseinfo >= ins_abs &&
		    k->offset_eraseinfo < bs + area_len)
			uz_put_le64(area + KH_OFFSET_ERASEINFO, k->offset_eraseinfo + P.note_len);
	}
	uint32_t status = k->status;
	if (n_patches)
		status |= flag_of_compress(opts->compress);
	uz_put_le32(head + DH_STATUS, status);
	uz_put_le32(head + DH_SUB_HDR_SIZE, (uint32_t)P.new_sub_blocks);
	uz_put_le32(head + DH_BITMAP_BLOCKS, (uint32_t)(2 * P.new_bitmap_len / bs));
	uz_put_le32(head + DH_MAX_MAPNR, P.new_max > UINT32_MAX ? UINT32_MAX : (uint32_t)P.new_max);
	if (k->header_version >= 6) {
		uz_put_le64(area + KH_MAX_MAPNR_64, P.new_max);
		if (uz_le64(area + KH_END_PFN_64) == k->max_mapnr)
			uz_put_le64(area + KH_END_PFN_64, P.new_max);
	}
	if (k->header_version >= 2 && uz_le64(area + KH_END_PFN) == k->max_mapnr)
		uz_put_le64(area + KH_END_PFN, P.new_max > UINT32_MAX ? UINT32_MAX : P.new_max);

	if ((err = uz_outfile_create(out_path, !opts->no_fsync, &out)))
		goto fail;
	uint64_t pos = P.data + (P.data_end_old - k->data_start);
	if ((err = write_bitmap(d, out.fd, &P, false, patches, n_patches)) ||
	    (err = write_bitmap(d, out.fd, &P, true, patches, n_patches)) ||
	    (err = uz_copy_range(&d->src, k->data_start, out.fd, P.data,
				 P.data_end_old - k->data_start)) ||
	    (err = write_patch_data(d, out.fd, patches, n_patches, fill, fill_ctx,
				    opts->compress, &nd, &pos)))
		goto fail;
	/* Whatever followed the page data (eraseinfo) follows it again. */
	if (erase_after)
		uz_put_le64(area + KH_OFFSET_ERASEINFO, pos + (k->offset_eraseinfo - P.data_end_old));
	if ((err = uz_copy_range(&d->src, P.data_end_old, out.fd, pos,
				 d->src.size - P.data_end_old)) ||
	    (err = write_descs(d, out.fd, &P, patches, n_patches, &nd, opts->stats)) ||
	    (err = uz_pwrite_all(out.fd, head, ins_abs, 0)) ||
	    (P.note_len && (err = uz_note_pwrite(out.fd, ins_abs, P.note_lead, opts->note_name, opts->note_type,
						 opts->note_desc, opts->note_desc_len))) ||
	    (err = uz_pwrite_all(out.fd, head + ins_abs, bs + new_area_len - P.note_len - ins_abs,
				 ins_abs + P.note_len)))
		goto fail;
	if (ftruncate(out.fd, (off_t)(pos + (d->src.size - P.data_end_old))) < 0) {
		err = uz_error_errno(errno, "sizing output");
		goto fail;
	}
	free(head);
	free(nd.len_raw);
	return uz_outfile_commit(&out);
fail:
	if (out.fd >= 0)
		uz_outfile_abort(&out);
	free(head);
	free(nd.len_raw);
	return err;
}

const struct uz_dump_ops uz_kdump_ops = {
	.name = "kdump-compressed",
	.page_state = kdump_page_state,
	.read_page = kdump_read_page,
	.next_pfn = kdump_next_pfn,
	.write = kdump_write,
	.fini = kdump_fini,
};
