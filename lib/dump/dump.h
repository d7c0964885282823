/* dump.h - reading and rewriting vmcore files (the dump-format layer).
 *
 * Owns: the on-disk formats (ELF64 /proc/vmcore, QEMU and makedumpfile -E
 * ELF; makedumpfile's kdump-compressed format, also as written by QEMU; the
 * flattened format), the physical-page view of a dump (which PFNs are
 * present, zero, filtered out or holes, and their bytes), the notes
 * (VMCOREINFO, PRSTATUS), and writing a copy with pages replaced or added.
 *
 * Does not own: any kernel knowledge (virtual addresses, page tables,
 * symbols): that is lib/kernel.  Memory use is bounded and independent of
 * the dump size: page data is streamed, and random reads go through a small
 * cache.
 */
#ifndef UZ_DUMP_H
#define UZ_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../error.h"

enum uz_dump_format {
	UZ_DUMP_ELF,       /* ELF64 core (kernel /proc/vmcore, QEMU, makedumpfile -E) */
	UZ_DUMP_KDUMP,     /* makedumpfile kdump-compressed ("KDUMP   " signature) */
	UZ_DUMP_FLAT,      /* makedumpfile flattened file (-F; read only; contents
			    * kdump-compressed or ELF, see uz_dump_contents_format) */
};

enum uz_arch {
	UZ_ARCH_UNKNOWN = 0,
	UZ_ARCH_X86_64,
	UZ_ARCH_AARCH64,
};

/* Page compression in a kdump-compressed file (per page; also the writer's choice). */
enum uz_dump_compress {
	UZ_COMPRESS_NONE,
	UZ_COMPRESS_ZLIB,
	UZ_COMPRESS_LZO,
	UZ_COMPRESS_SNAPPY,
	UZ_COMPRESS_ZSTD,
};

enum uz_page_state {
	UZ_PAGE_PRESENT,   /* bytes are in the dump */
	UZ_PAGE_ZERO,      /* ELF zero fill (p_filesz < p_memsz); kdump files store
			    * zero pages as data, so they are PRESENT there */
	UZ_PAGE_EXCLUDED,  /* RAM, but filtered out by makedumpfile (or, in an
			    * incomplete kdump file, its data never written) */
	UZ_PAGE_HOLE,      /* not RAM / not described by the dump at all */
};

struct uz_dump;

/* Open a dump read-only.  Detects the format from its contents.  path "-"
 * is standard input: a regular file is read in place, a pipe is first
 * spooled to an unlinked temporary file in $TMPDIR (the stream as received,
 * not reassembled; it needs as much disk as the stream).  Errors:
 * UZ_ERR_IO, UZ_ERR_FORMAT (corrupt/truncated, naming what and where),
 * UZ_ERR_UNSUPPORTED (ELF32, big-endian, other machines, one file of a
 * split set: see uz_dump_open_split). */
struct uz_error *uz_dump_open(const char *path, struct uz_dump **out);
void uz_dump_close(struct uz_dump *dump);
/* Open a makedumpfile --split set (kdump-compressed files, any order) as one
 * dump.  Each file holds the pages of its sub-header's start_pfn..end_pfn;
 * together they must cover every PFN exactly once, with the same header
 * (UZ_ERR_FORMAT naming the file otherwise).  One path: a plain dump, or a
 * lone split file whose other pages then read as EXCLUDED.  Writing a split
 * set produces one file (every page recompressed with opts->compress). */
struct uz_error *uz_dump_open_split(const char *const *paths, size_t n, struct uz_dump **out);

enum uz_dump_format uz_dump_format(const struct uz_dump *dump);
enum uz_arch uz_dump_arch(const struct uz_dump *dump);
uint64_t uz_dump_page_size(const struct uz_dump *dump);
/* One past the highest PFN the dump describes. */
uint64_t uz_dump_max_pfn(const struct uz_dump *dump);
/* For a flattened file uz_dump_format() says UZ_DUMP_FLAT; this says what
 * the reassembled contents are (UZ_DUMP_KDUMP or UZ_DUMP_ELF).  For other
 * files it equals uz_dump_format(). */
enum uz_dump_format uz_dump_contents_format(const struct uz_dump *dump);
/* The VMCOREINFO text (NUL-terminated) or NULL if the dump has none. */
const char *uz_dump_vmcoreinfo(const struct uz_dump *dump);
/* True if makedumpfile marked the dump incomplete (cut short). */
bool uz_dump_incomplete(const struct uz_dump *dump);

struct uz_error *uz_dump_page_state(struct uz_dump *dump, uint64_t pfn,
				    enum uz_page_state *state);
/* Read one whole page.  PRESENT and ZERO pages succeed; EXCLUDED and HOLE
 * pages fail with UZ_ERR_FAULT naming the PFN and why. */
struct uz_error *uz_dump_read_page(struct uz_dump *dump, uint64_t pfn, void *buf);
/* Read len bytes at a physical address (may cross pages). */
struct uz_error *uz_dump_read_phys(struct uz_dump *dump, uint64_t paddr,
				   void *buf, size_t len);

/* Called with the PFN of every page read through uz_dump_read_page or
 * uz_dump_read_phys (each page of a read crossing pages), also when the
 * page cache serves it, in the order of the reads.  For zram-keep: the pages
 * a walk of the kernel's structures touched are the pages a later walk of a
 * filtered copy will need.  fn NULL removes the observer. */
typedef void uz_read_observer_fn(void *ctx, uint64_t pfn);
void uz_dump_set_read_observer(struct uz_dump *dump, uz_read_observer_fn *fn, void *ctx);

/* Iterate the present (and zero) PFNs in increasing order.  *pfn is the
 * starting point on input and the found PFN on output; returns
 * UZ_ERR_NOT_FOUND when there are no more. */
struct uz_error *uz_dump_next_pfn(struct uz_dump *dump, uint64_t *pfn);

/* ELF PT_LOAD segments in program-header order (kdump files have none:
 * count 0).  vaddr is p_vaddr as written (0 in QEMU dumps). */
struct uz_dump_segment {
	uint64_t paddr, vaddr, memsz, filesz;
};
size_t uz_dump_segment_count(const struct uz_dump *dump);
bool uz_dump_segment(const struct uz_dump *dump, size_t index, struct uz_dump_segment *seg);

/* phys_base recorded by makedumpfile/QEMU in the kdump sub-header; false
 * when the dump does not record it (ELF). */
bool uz_dump_phys_base(const struct uz_dump *dump, uint64_t *phys_base);

/* ---- notes ---- */

struct uz_dump_note {
	const char *name;       /* "CORE", "VMCOREINFO", "QEMU", ... */
	uint32_t type;          /* NT_PRSTATUS = 1, ... */
	const void *desc;       /* dump-owned memory */
	size_t len;
};
/* Iterate all notes in file order: *cursor = 0 to start; returns
 * UZ_ERR_NOT_FOUND after the last one. */
struct uz_error *uz_dump_next_note(const struct uz_dump *dump, size_t *cursor,
				   struct uz_dump_note *note);

/* ---- writing ---- */

/* One page of the output that differs from the input.  Patches are passed
 * sorted by pfn, unique.  A pfn below uz_dump_max_pfn() replaces that page
 * (it must be PRESENT or ZERO in the input, unless the options' fill_missing
 * is set); a pfn at or above it adds a new page. */
struct uz_page_patch {
	uint64_t pfn;
};

/* Produces the bytes of patches[index] (page_size bytes) on demand, so that
 * the caller never holds all the new pages in memory at once. */
typedef struct uz_error *uz_patch_fill_fn(void *ctx, size_t index, void *page);

struct uz_dump_write_options {
	/* Output format and the compression of new kdump pages; defaults (set by
	 * uz_dump_write_options_init) are the input's own (a flattened input is
	 * written as a plain kdump-compressed or ELF file unless `flattened`).  Same format:
	 * unchanged kdump pages keep their compressed bytes whatever `compress`
	 * says.  Other format (ELF <-> kdump), or a split set as input: the
	 * output is built afresh from the pages (kdump: every page compressed
	 * with `compress`, zero pages sharing one stored zero page; ELF: one
	 * PT_LOAD per run of present PFNs, excluded pages become holes). */
	enum uz_dump_format format;
	enum uz_dump_compress compress;
	/* An extra ELF note added to the output (e.g. the rewrite record):
	 * name "VMCOREUNZRAM"-style, type, descriptor bytes.  NULL for none. */
	const char *note_name;
	uint32_t note_type;
	const void *note_desc;
	size_t note_desc_len;
	/* ELF only: out_path must be the input's own path; the file is updated
	 * in place at a cost proportional to the patches (pages and the note
	 * appended, the note under a PT_NOTE of its own, replaced pages
	 * overwritten, the program header table grown into the free bytes
	 * after it, the header written last; no segment data moves).  When
	 * the layout has no room (or the input is kdump/flattened), falls back to the
	 * streaming rewrite through a temporary file and sets *fell_back (if
	 * non-NULL).  After an in-place write, close and reopen the dump. */
	bool in_place;
	bool *fell_back;
	/* Patches below uz_dump_max_pfn() may also target pages the input
	 * lacks (EXCLUDED, HOLE, or ELF zero fill): they become PRESENT in the
	 * output (zram-keep).  kdump: the PFN's bits are set in both bitmaps and
	 * its descriptor inserted at its rank; ELF: a zero-fill segment is split
	 * around the page, a hole gets a new PT_LOAD.  Off (vmcore-unzram):
	 * replacing a page the input does not hold is a caller bug. */
	bool fill_missing;
	/* Write the output in makedumpfile's flattened format (what `-F`
	 * writes; `makedumpfile -R` reassembles it).  out_path "-" is then
	 * standard output.  The dump is first written to a temporary file (in
	 * $TMPDIR for "-", else next to out_path) and streamed from there, so it
	 * needs as much free disk as the output. */
	bool flattened;
	/* Set to true (if non-NULL) once the first byte of a flattened output
	 * has been written: before that, a failed write left the target
	 * untouched (standard output included). */
	bool *flat_started;
	/* Skip the fsync before the rename (the rename itself stays atomic):
	 * for scratch output whose loss on a power cut does not matter, and
	 * for measuring the copy apart from the disk's write-back. */
	bool no_fsync;
	/* If non-NULL, told what the writer had to leave out (see below). */
	struct uz_dump_write_stats *stats;
};

/* kdump: a page descriptor of the input that cannot be used (data outside
 * the page data area, impossible size or flags) belongs to one page only,
 * and the page is unreadable in the input already.  The writer does not
 * give up the whole output for it: it writes that descriptor with offset,
 * size and flags 0 (the page stays unreadable, now without pointing
 * anywhere) and counts it here. */
struct uz_dump_write_stats {
	uint64_t broken_pages;
	uint64_t first_broken_pfn;
	char first_broken_why[160];
};

void uz_dump_write_options_init(const struct uz_dump *in,
				struct uz_dump_write_options *opts);

/* Stream the input to out_path with the patches applied.  Every byte not
 * patched stays identical apart from the headers that must change (ELF:
 * e_phnum, p_offset/p_filesz; kdump: header, sub-header sizes, bitmaps,
 * descriptor offsets); compressed page data is copied, not recompressed.
 * Writes to a temporary file next to out_path (mode 0600), fsyncs it and
 * renames it only when complete.  opts may be NULL (defaults).
 * ELF: pages stored only as zero fill (p_filesz < p_memsz) cannot be
 * replaced (UZ_ERR_UNSUPPORTED).  kdump: incomplete inputs cannot be
 * rewritten (UZ_ERR_UNSUPPORTED). */
struct uz_error *uz_dump_write(struct uz_dump *in, const char *out_path,
			       const struct uz_page_patch *patches, size_t n_patches,
			       uz_patch_fill_fn *fill, void *fill_ctx,
			       const struct uz_dump_write_options *opts);

/* What a rewrite must keep about the crash: the notes (but those named
 * skip_note, e.g. the rewrite record) in order and byte for byte, the
 * VMCOREINFO text, and, when both dumps have the same format, the header
 * fields that describe the crash rather than the file's layout (ELF: the
 * ELF header but e_phnum and e_shoff, and every PT_LOAD of IN with the
 * same addresses and size in OUT; kdump: the disk_dump_header but the
 * compression flags, sub-header size, bitmap size and max_mapnr, the
 * sub-header's phys_base, dump_level and split, and the eraseinfo bytes).
 * *n_notes: the notes compared.  UZ_ERR_MISMATCH names what differs. */
struct uz_error *uz_dump_compare_metadata(struct uz_dump *in, struct uz_dump *out, const char *skip_note,
					  uint64_t *n_notes);

/* An 8-byte little-endian word to store at a physical address. */
struct uz_word_patch {
	uint64_t paddr, value;
};
/* ELF only (UZ_ERR_UNSUPPORTED otherwise): writes each word into path, the
 * opened dump's own file, at every file offset that holds its physical
 * address (a page may be stored twice, as in /proc/vmcore's kernel text
 * segment), then fsyncs; no stop-signal checks.  For completing an
 * in-place update that was cut short after its record was written. */
struct uz_error *uz_dump_patch_words(struct uz_dump *dump, const char *path,
				     const struct uz_word_patch *words, size_t n);

/* Copy the dump's file to fd exactly as it was read (for standard input:
 * the stream as received, flattened or not), e.g. to pass a filtered dump
 * through unchanged when it cannot be improved. */
struct uz_error *uz_dump_copy_source(struct uz_dump *dump, int fd, const char *fd_name);
/* Copy in_fd to out_fd from their current positions until in_fd's end
 * (pipes included), through a bounded buffer. */
struct uz_error *uz_copy_stream(int in_fd, const char *in_name, int out_fd, const char *out_name);

/* True when both paths name one existing file (same device and inode:
 * through symlinks, hard links and other spellings alike). */
bool uz_path_same_file(const char *a, const char *b);
/* Fails (UZ_ERR_IO, naming it) unless out_path could be created: its
 * directory exists and is writable, and out_path is not a directory.  For
 * checking before a long analysis what the final write would find. */
struct uz_error *uz_output_path_check(const char *out_path);

/* Find the first ELF note in the dump with this name and type (e.g. the
 * rewrite record); returns UZ_ERR_NOT_FOUND if absent.  *desc points into
 * dump-owned memory. */
struct uz_error *uz_dump_find_note(struct uz_dump *dump, const char *name,
				   uint32_t type, const void **desc, size_t *len);

#endif
