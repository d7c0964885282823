/* source.c - the bytes of a dump: a plain file, or a makedumpfile flattened
 * file read through an in-memory index of its records (no reassembled copy
 * is written).
 *
 * Flattened layout (makedumpfile -F, QEMU 7.2 kdump-*): a 4096-byte header
 * starting with "makedumpfile" and big-endian int64 type (1) and version (1),
 * then records of a big-endian int64 pair (offset in the reassembled file,
 * size) followed by size bytes; an offset of -1 ends the stream.  A later
 * record overwrites an earlier one where they overlap (makedumpfile -R seeks
 * and writes them in order); bytes no record covers are zeros.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump_internal.h"

#define FLAT_SIGNATURE "makedumpfile"
#define FLAT_HEADER_SIZE 4096u
#define FLAT_TYPE 1u
#define FLAT_RECORD_HEADER 16u
/* Bytes of the reassembled file that no record may leave unwritten. */
#define FLAT_MAX_UNWRITTEN (64ull << 20)

static struct uz_error *pread_exact(int fd, uint64_t off, void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return uz_error_errno(errno, "reading %zu bytes at file offset 0x%llx",
					      len, (unsigned long long)off);
		}
		if (n == 0)
			return uz_error_create(UZ_ERR_FORMAT,
					       "file truncated: nothing to read at offset 0x%llx",
					       (unsigned long long)off);
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return NULL;
}

struct uz_error *uz_source_read(const struct uz_dump_source *src, uint64_t off,
				void *buf, size_t len)
{
	uint64_t end;
	if (!uz_add_ok(off, len, &end) || end > src->size)
		return uz_error_create(UZ_ERR_FORMAT,
				       "%zu bytes at offset 0x%llx lie past the end of the dump (0x%llx bytes)%s",
				       len, (unsigned long long)off,
				       (unsigned long long)src->size,
				       src->flattened ? " (reassembled)" : "");
	if (!src->flattened)
		return pread_exact(src->fd, off, buf, len);

	uint8_t *out = buf;
	/* First extent ending after off. */
	size_t lo = 0, hi = src->n_extents;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct uz_flat_extent *e = &src->extents[mid];
		if (e->logical + e->len <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	uint64_t pos = off;
	for (size_t i = lo; pos < end; i++) {
		const struct uz_flat_extent *e = i < src->n_extents ? &src->extents[i] : NULL;
		uint64_t next = e ? e->logical : end;
		if (next > end)
			next = end;
		if (pos < next) {   /* a gap no record covers */
			memset(out + (pos - off), 0, next - pos);
			pos = next;
			continue;
		}
		if (!e)
			break;
		uint64_t stop = e->logical + e->len < end ? e->logical + e->len : end;
		UZ_TRY(pread_exact(src->fd, e->file_offset + (pos - e->logical),
				   out + (pos - off), stop - pos));
		pos = stop;
	}
	return NULL;
}

/* ---- flattened index ---- */

struct flat_record {
	uint64_t logical, len, file_offset;
	size_t seq;
};

static int cmp_record(const void *a, const void *b)
{
	const struct flat_record *x = a, *y = b;
	if (x->logical != y->logical)
		return x->logical < y->logical ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Max-heap of record indices ordered by seq. */
struct seq_heap {
	size_t *idx;
	size_t n;
	const struct flat_record *recs;
};

static void heap_push(struct seq_heap *h, size_t r)
{
	size_t i = h->n++;
	h->idx[i] = r;
	while (i) {
		size_t parent = (i - 1) / 2;
		if (h->recs[h->idx[parent]].seq >= h->recs[h->idx[i]].seq)
			break;
		size_t t = h->idx[parent];
		h->idx[parent] = h->idx[i];
		h->idx[i] = t;
		i = parent;
	}
}

static void heap_pop(struct seq_heap *h)
{
	h->idx[0] = h->idx[--h->n];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, best = i;
		if (l < h->n && h->recs[h->idx[l]].seq > h->recs[h->idx[best]].seq)
			best = l;
		if (r < h->n && h->recs[h->idx[r]].seq > h->recs[h->idx[best]].seq)
			best = r;
		if (best == i)
			break;
		size_t t = h->idx[best];
		h->idx[best] = h->idx[i];
		h->idx[i] = t;
		i = best;
	}
}

static bool push_extent(struct uz_dump_source *src, size_t *cap, uint64_t logical,
			uint64_t len, uint64_t file_offset)
{
	if (src->n_extents) {
		struct uz_flat_extent *last = &src->extents[src->n_extents - 1];
		if (last->logical + last->len == logical &&
		    last->file_offset + last->len == file_offset) {
			last->len += len;
			return true;
		}
	}
	if (src->n_extents == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct uz_flat_extent *n = realloc(src->extents, ncap * sizeof(*n));
		if (!n)
			return false;
		src->extents = n;
		*cap = ncap;
	}
	src->extents[src->n_extents++] = (struct uz_flat_extent){ logical, len, file_offset };
	return true;
}

/* Turn records (sorted by logical, then seq) into non-overlapping extents
 * where the later record wins. */
static struct uz_error *resolve_overlaps(struct uz_dump_source *src,
					 struct flat_record *recs, size_t n)
{
	size_t cap = 0;
	bool overlap = false;
	for (size_t i = 1; i < n; i++)
		if (recs[i].logical < recs[i - 1].logical + recs[i - 1].len)
			overlap = true;
	if (!overlap) {
		for (size_t i = 0; i < n; i++)
			if (!push_extent(src, &cap, recs[i].logical, recs[i].len,
					 recs[i].file_offset))
				return uz_error_create(UZ_ERR_NOMEM, "indexing flattened records");
		return NULL;
	}

	struct uz_error *err = NULL;
	uint64_t *bounds = malloc(2 * n * sizeof(*bounds));
	struct seq_heap heap = { malloc(n * sizeof(size_t)), 0, recs };
	if (!bounds || !heap.idx) {
		err = uz_error_create(UZ_ERR_NOMEM, "indexing flattened records");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		bounds[2 * i] = recs[i].logical;
		bounds[2 * i + 1] = recs[i].logical + recs[i].len;
	}
	qsort(bounds, 2 * n, sizeof(*bounds), cmp_u64);
	size_t next_rec = 0;
	for (size_t k = 0; k + 1 < 2 * n; k++) {
		uint64_t a = bounds[k], b = bounds[k + 1];
		if (a == b)
			continue;
		while (next_rec < n && recs[next_rec].logical <= a)
			heap_push(&heap, next_rec++);
		while (heap.n && recs[heap.idx[0]].logical + recs[heap.idx[0]].len <= a)
			heap_pop(&heap);
		if (!heap.n)
			continue;
		/* Records that ended but are not on top stay in the heap until
		 * they surface (lazy deletion). */
		const struct flat_record *w = &recs[heap.idx[0]];
		if (!push_extent(src, &cap, a, b - a, w->file_offset + (a - w->logical))) {
			err = uz_error_create(UZ_ERR_NOMEM, "indexing flattened records");
			goto out;
		}
	}
out:
	free(bounds);
	free(heap.idx);
	return err;
}

static struct uz_error *index_flattened(struct uz_dump_source *src)
{
	uint8_t hdr[32];
	UZ_TRY(pread_exact(src->fd, 0, hdr, sizeof(hdr)));
	uint64_t type = uz_be64(hdr + 16), version = uz_be64(hdr + 24);
	if (type != FLAT_TYPE)
		return uz_error_create(UZ_ERR_FORMAT,
				       "flattened header: type %llu at offset 16, expected 1",
				       (unsigned long long)type);
	if (version != 1)
		return uz_error_create(UZ_ERR_UNSUPPORTED,
				       "flattened header: version %llu not supported",
				       (unsigned long long)version);

	struct flat_record *recs = NULL;
	size_t n = 0, cap = 0;
	uint64_t pos = FLAT_HEADER_SIZE;
	uint64_t logical_size = 0;
	struct uz_error *err = NULL;
	for (;;) {
		uint8_t rh[FLAT_RECORD_HEADER];
		if (pos + FLAT_RECORD_HEADER > src->file_size) {
			err = uz_error_create(UZ_ERR_FORMAT,
					      "flattened file truncated: record %zu header at offset 0x%llx is past the end (no end marker)",
					      n, (unsigned long long)pos);
			goto fail;
		}
		if ((err = pread_exact(src->fd, pos, rh, sizeof(rh))))
			goto fail;
		uint64_t off = uz_be64(rh), size = uz_be64(rh + 8);
		if (off == UINT64_MAX)   /* end marker (-1) */
			break;
		uint64_t data = pos + FLAT_RECORD_HEADER, end;
		if ((int64_t)off < 0 || (int64_t)size < 0 ||
		    !uz_add_ok(data, size, &end) || end > src->file_size ||
		    off + size > INT64_MAX) {
			err = uz_error_create(UZ_ERR_FORMAT,
					      "flattened record %zu at offset 0x%llx: offset 0x%llx size 0x%llx out of range (file size 0x%llx)",
					      n, (unsigned long long)pos, (unsigned long long)off,
					      (unsigned long long)size,
					      (unsigned long long)src->file_size);
			goto fail;
		}
		if (size) {
			if (n == cap) {
				size_t ncap = cap ? cap * 2 : 256;
				struct flat_record *r = realloc(recs, ncap * sizeof(*r));
				if (!r) {
					err = uz_error_create(UZ_ERR_NOMEM, "indexing flattened records");
					goto fail;
				}
				recs = r;
				cap = ncap;
			}
			recs[n] = (struct flat_record){ off, size, data, n };
			n++;
			if (off + size > logical_size)
				logical_size = off + size;
		}
		pos = end;
	}
	qsort(recs, n, sizeof(*recs), cmp_record);
	if ((err = resolve_overlaps(src, recs, n)))
		goto fail;
	free(recs);
	recs = NULL;
	/* makedumpfile writes every byte of the reassembled file; a file that
	 * leaves most of it unwritten would make us stream zeros for ever. */
	uint64_t covered = 0;
	for (size_t i = 0; i < src->n_extents; i++)
		covered += src->extents[i].len;
	if (logical_size - covered > FLAT_MAX_UNWRITTEN) {
		err = uz_error_create(UZ_ERR_FORMAT,
				      "flattened file leaves 0x%llx of its 0x%llx reassembled bytes unwritten",
				      (unsigned long long)(logical_size - covered),
				      (unsigned long long)logical_size);
		goto fail;
	}
	src->size = logical_size;
	return NULL;
fail:
	free(recs);
	free(src->extents);
	src->extents = NULL;
	src->n_extents = 0;
	return err;
}

struct uz_error *uz_source_init(struct uz_dump_source *src, int fd)
{
	memset(src, 0, sizeof(*src));
	src->fd = fd;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return uz_error_errno(errno, "fstat");
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return uz_error_create(UZ_ERR_UNSUPPORTED,
				       "not a regular file or a block device");
	src->file_size = (uint64_t)st.st_size;
	src->size = src->file_size;
	char sig[16];
	if (src->file_size >= FLAT_HEADER_SIZE) {
		UZ_TRY(pread_exact(fd, 0, sig, sizeof(sig)));
		if (memcmp(sig, FLAT_SIGNATURE, sizeof(FLAT_SIGNATURE)) == 0) {
			src->flattened = true;
			return index_flattened(src);
		}
	}
	return NULL;
}

void uz_source_fini(struct uz_dump_source *src)
{
	free(src->extents);
	src->extents = NULL;
	src->n_extents = 0;
}
