/* dump_internal.h - what the format back-ends of lib/dump share.
 *
 * Owns: the uz_dump object layout, the byte source (a plain file or a
 * flattened file seen through its record index), the per-format operation
 * table, the page cache, little-endian field access, the page codecs and the
 * temporary-output helper.  Not a public interface: only the files of lib/dump
 * include it.
 */
#ifndef UZ_DUMP_INTERNAL_H
#define UZ_DUMP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dump.h"

/* ---- little-endian field access (dumps of x86_64 and aarch64 are LE) ---- */

static inline uint16_t uz_le16(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t uz_le32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

static inline uint64_t uz_le64(const void *p)
{
	const uint8_t *b = p;
	return (uint64_t)uz_le32(b) | (uint64_t)uz_le32(b + 4) << 32;
}

static inline uint64_t uz_be64(const void *p)
{
	const uint8_t *b = p;
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static inline void uz_put_le16(void *p, uint16_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static inline void uz_put_le32(void *p, uint32_t v)
{
	uint8_t *b = p;
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static inline void uz_put_le64(void *p, uint64_t v)
{
	uint8_t *b = p;
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static inline void uz_put_be64(void *p, uint64_t v)
{
	uint8_t *b = p;
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
}

/* a + b, false on overflow. */
static inline bool uz_add_ok(uint64_t a, uint64_t b, uint64_t *sum)
{
	return !__builtin_add_overflow(a, b, sum);
}

static inline uint64_t uz_div_round_up(uint64_t x, uint64_t y)
{
	return x / y + (x % y != 0);
}

/* ---- byte source ---- */

/* One stretch of the reassembled (logical) file stored in the flattened file. */
struct uz_flat_extent {
	uint64_t logical;      /* offset in the reassembled file */
	uint64_t len;
	uint64_t file_offset;  /* where its bytes are in the flattened file */
};

struct uz_dump_source {
	int fd;
	uint64_t file_size;    /* of the file on disk */
	uint64_t size;         /* of the logical file (== file_size unless flattened) */
	bool flattened;
	struct uz_flat_extent *extents;  /* sorted by logical, non-overlapping */
	size_t n_extents;
};

/* Reads exactly len bytes at logical offset off; fails with UZ_ERR_FORMAT
 * ("truncated") past the end.  Gaps of a flattened file read as zeros. */
struct uz_error *uz_source_read(const struct uz_dump_source *src, uint64_t off,
				void *buf, size_t len);
/* Set up src for fd: detects the flattened format and indexes it. */
struct uz_error *uz_source_init(struct uz_dump_source *src, int fd);
void uz_source_fini(struct uz_dump_source *src);

/* ---- page cache ---- */

#define UZ_PAGE_CACHE_SLOTS 32

struct uz_page_cache {
	uint8_t *data;                       /* UZ_PAGE_CACHE_SLOTS pages */
	uint64_t pfn[UZ_PAGE_CACHE_SLOTS];
	uint64_t last_use[UZ_PAGE_CACHE_SLOTS];
	bool valid[UZ_PAGE_CACHE_SLOTS];
	uint64_t clock;
};

/* ---- format back-ends ---- */

struct uz_dump_ops {
	const char *name;
	struct uz_error *(*page_state)(struct uz_dump *d, uint64_t pfn,
				       enum uz_page_state *state);
	/* Fill buf with the page; called only for PRESENT/ZERO pages. */
	struct uz_error *(*read_page)(struct uz_dump *d, uint64_t pfn, void *buf);
	struct uz_error *(*next_pfn)(struct uz_dump *d, uint64_t *pfn);
	struct uz_error *(*write)(struct uz_dump *d, const char *out_path,
				  const struct uz_page_patch *patches, size_t n_patches,
				  uz_patch_fill_fn *fill, void *fill_ctx,
				  const struct uz_dump_write_options *opts);
	void (*fini)(struct uz_dump *d);
};

struct uz_elf_load {
	uint64_t paddr, vaddr, memsz, filesz, offset;
	uint64_t max_end;      /* max paddr+memsz over this and all earlier (sorted) loads */
	size_t phdr_index;
};

struct uz_elf_state {
	uint8_t ehdr[64];
	uint64_t phoff;
	size_t phnum;
	uint8_t *phdrs;         /* phnum * 56 bytes, as in the file */
	size_t first_note_valid;    /* bytes of whole notes in the first PT_NOTE */
	struct uz_elf_load *loads;  /* PT_LOADs sorted by paddr */
	size_t n_loads;
};

struct uz_kdump_state {
	uint32_t header_version;
	uint32_t status;
	uint32_t block_size;
	uint32_t sub_hdr_size;
	uint32_t bitmap_blocks;
	uint64_t max_mapnr;
	uint64_t bitmap1_off, bitmap2_off, bitmap_len;   /* each bitmap's length */
	uint64_t desc_off;
	uint64_t n_desc;         /* bits set in the 2nd bitmap */
	uint64_t data_start;
	/* Sub-header fields (zero when the header version predates them). */
	uint64_t phys_base;
	uint64_t offset_vmcoreinfo, size_vmcoreinfo;
	uint64_t offset_note, size_note;
	uint64_t offset_eraseinfo, size_eraseinfo;
	uint32_t split;
	/* makedumpfile --split: this file's PFN range [split_start, split_end)
	 * (the whole dump when not split).  In the file a split set is opened
	 * through (the member with start 0), the other members, sorted. */
	uint64_t split_start, split_end;
	struct uz_dump **split_parts;
	size_t n_split_parts;
	enum uz_dump_compress compress;  /* from the status flags */
	/* rank[i] = number of dumped PFNs below i * UZ_KDUMP_RANK_PFNS. */
	uint64_t *rank;
	size_t n_rank;
	/* One cached chunk of the 2nd bitmap (and of the 1st). */
	uint8_t *bm2_chunk, *bm1_chunk;
	uint64_t bm2_chunk_index, bm1_chunk_index;   /* UINT64_MAX: none */
	uint8_t *cbuf;           /* compressed page buffer (block_size bytes) */
};

/* PFNs per rank entry: one 4 KiB chunk of the bitmap. */
#define UZ_KDUMP_CHUNK_BYTES 4096u
#define UZ_KDUMP_RANK_PFNS (UZ_KDUMP_CHUNK_BYTES * 8u)

struct uz_dump {
	struct uz_dump_source src;
	char *path;
	const struct uz_dump_ops *ops;
	enum uz_dump_format format;    /* ELF or KDUMP: of the (logical) contents */
	enum uz_arch arch;
	uint64_t page_size;
	unsigned page_shift;
	uint64_t max_pfn;
	bool incomplete;
	char *vmcoreinfo;
	uint8_t *notes;                /* all ELF notes, back to back, as in the file */
	size_t notes_len;
	size_t notes_valid;            /* length of the whole notes at the start */
	bool allow_split_member;       /* set before opening a member of a split set */
	bool phys_base_known;
	uint64_t phys_base;
	struct uz_page_cache cache;
	uz_read_observer_fn *read_observer;   /* uz_dump_set_read_observer */
	void *read_observer_ctx;
	union {
		struct uz_elf_state elf;
		struct uz_kdump_state kd;
	} u;
};

/* The header fields that describe the crash, not the layout, are the same
 * in both dumps (metadata.c); UZ_ERR_MISMATCH names the first that is not. */
struct uz_error *uz_elf_compare_header(struct uz_dump *in, struct uz_dump *out);
struct uz_error *uz_kdump_compare_header(struct uz_dump *in, struct uz_dump *out);

extern const struct uz_dump_ops uz_elf_ops;
extern const struct uz_dump_ops uz_kdump_ops;

/* Format probes: open the format-specific part (d->src is set up).  They set
 * ops, format, arch, max_pfn, notes, vmcoreinfo (page size may come later
 * from VMCOREINFO, see uz_dump_set_page_size). */
struct uz_error *uz_elf_open(struct uz_dump *d);
struct uz_error *uz_kdump_open(struct uz_dump *d);

/* Notes helper: walk a buffer of ELF notes.  Returns false at the end;
 * sets *err (and returns false) on a malformed note. */
struct uz_note {
	const char *name;      /* NUL-terminated inside the buffer, or "" */
	size_t namesz;
	uint32_t type;
	const uint8_t *desc;
	size_t descsz;
};
bool uz_note_next(const uint8_t *buf, size_t len, size_t *pos, struct uz_note *note,
		  struct uz_error **err);
/* Validate d->notes and take VMCOREINFO from them unless already set;
 * format back-ends call it once their notes are loaded. */
struct uz_error *uz_dump_scan_notes(struct uz_dump *d);
/* Set page_size/page_shift after checking the size is 4, 16 or 64 KiB. */
struct uz_error *uz_dump_set_page_size(struct uz_dump *d, uint64_t page_size);
/* Serialised size of a note with this name and descriptor. */
size_t uz_note_size(const char *name, size_t desc_len);
/* Write the note into out (uz_note_size bytes). */
void uz_note_build(uint8_t *out, const char *name, uint32_t type,
		   const void *desc, size_t desc_len);
/* Write lead zero bytes (0-3, see uz_note_lead) then the note at off in fd,
 * without copying desc (a rewrite record can be megabytes); name at most
 * UZ_NOTE_NAME_MAX bytes. */
#define UZ_NOTE_NAME_MAX 64u
struct uz_error *uz_note_pwrite(int fd, uint64_t off, size_t lead, const char *name,
				uint32_t type, const void *desc, size_t desc_len);
/* Notes start on 4-byte boundaries of their area.  When the valid notes end
 * short of one (the last note's padding cut off by a p_filesz or size_note
 * that is not a multiple of 4), a note appended there needs this many zero
 * bytes first. */
static inline size_t uz_note_lead(uint64_t valid_len)
{
	return (size_t)((4 - (valid_len & 3)) & 3);
}

/* VMCOREINFO "KEY=value" lookup (value up to end of line), NULL if absent. */
bool uz_vmcoreinfo_get(const char *vmcoreinfo, const char *key, char *val, size_t val_size);

/* ---- page codecs ---- */
struct uz_error *uz_page_decompress(enum uz_dump_compress c, const void *in, size_t in_len,
				    void *out, size_t page_size);
/* Compress one page; *out_len == page_size and *stored_raw set when the
 * compressed form would not be smaller.  out must hold page_size bytes. */
struct uz_error *uz_page_compress(enum uz_dump_compress c, const void *in, size_t page_size,
				  void *out, size_t *out_len, bool *stored_raw);
const char *uz_compress_name(enum uz_dump_compress c);

/* ---- output ---- */

struct uz_outfile {
	int fd;
	char *tmp_path;
	char *final_path;
	bool durable;
};

/* Create a temporary file next to final_path (mode 0600).  durable: fsync
 * it before the rename (uz_dump_write_options.no_fsync says otherwise). */
struct uz_error *uz_outfile_create(const char *final_path, bool durable,
				   struct uz_outfile *out);
/* fsync (if durable), rename to the final path, fsync the directory. */
struct uz_error *uz_outfile_commit(struct uz_outfile *out);
/* Remove the temporary file (no-op after commit). */
void uz_outfile_abort(struct uz_outfile *out);
struct uz_error *uz_pwrite_all(int fd, const void *buf, size_t len, uint64_t off);
/* The same without the stop-signal check that every other write makes
 * (lib/interrupt.h): for the short last step of an in-place update, which
 * finishes rather than leave half its PTEs written. */
struct uz_error *uz_pwrite_all_uninterruptible(int fd, const void *buf, size_t len, uint64_t off);
/* write() all of buf to a stream (pipes included); fd_name for messages. */
struct uz_error *uz_write_all(int fd, const void *buf, size_t len, const char *fd_name);
/* Copy len bytes from the logical source at in_off to fd at out_off. */
struct uz_error *uz_copy_range(const struct uz_dump_source *src, uint64_t in_off,
			       int fd, uint64_t out_off, uint64_t len);
struct uz_error *uz_write_zeros(int fd, uint64_t off, uint64_t len);

/* Stream the whole file in_fd to out_fd in makedumpfile's flattened format
 * (flatten.c); the names are for messages. */
struct uz_error *uz_flatten_fd(int in_fd, const char *in_name, int out_fd, const char *out_name);

/* Write the dump in the other format (opts->format != d->format): see
 * convert.c.  Patches must have been checked. */
struct uz_error *uz_dump_convert(struct uz_dump *d, const char *out_path,
				 const struct uz_page_patch *patches, size_t n_patches,
				 uz_patch_fill_fn *fill, void *fill_ctx,
				 const struct uz_dump_write_options *opts);

/* Open path; allow_split_member accepts one file of a split set. */
struct uz_error *uz_dump_open_file(const char *path, bool allow_split_member,
				   struct uz_dump **out);
/* True if d is a split set or one file of one (uz_dump_open_split). */
bool uz_kdump_is_split_set(const struct uz_dump *d);
/* Attach the other members (sorted by start PFN) to head, after checking the
 * set is consistent and covers every PFN; takes ownership of parts. */
struct uz_error *uz_kdump_join_split(struct uz_dump *head, struct uz_dump **parts, size_t n);

/* Check patches are sorted, unique, inside the physical address space, and
 * (unless fill_missing) that replaced pages are in the dump. */
struct uz_error *uz_check_patches(struct uz_dump *d, const struct uz_page_patch *patches,
				  size_t n_patches, bool fill_missing);

#endif
