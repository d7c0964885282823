/* dump.c - format detection, the page cache and the format-independent part
 * of the public API (notes, VMCOREINFO, physical reads, write dispatch).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump_internal.h"

/* Largest VMCOREINFO we accept (real ones are a few KiB). */
#define VMCOREINFO_MAX (1u << 20)

/* ---- notes ---- */

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

bool uz_note_next(const uint8_t *buf, size_t len, size_t *pos, struct uz_note *note,
		  struct uz_error **err)
{
	*err = NULL;
	size_t p = *pos;
	if (p >= len || len - p < 12)
		return false;
	uint32_t namesz = uz_le32(buf + p), descsz = uz_le32(buf + p + 4);
	uint32_t type = uz_le32(buf + p + 8);
	if (namesz == 0 && descsz == 0 && type == 0)
		return false;   /* zero padding after the last note */
	size_t name_off = p + 12;
	if (namesz > len - name_off || pad4(namesz) > len - name_off) {
		*err = uz_error_create(UZ_ERR_FORMAT,
				       "ELF note at offset %zu of the notes: name size %u exceeds the %zu bytes left",
				       p, namesz, len - name_off);
		return false;
	}
	size_t desc_off = name_off + pad4(namesz);
	if (descsz > len - desc_off) {
		*err = uz_error_create(UZ_ERR_FORMAT,
				       "ELF note at offset %zu of the notes: descriptor size %u exceeds the %zu bytes left",
				       p, descsz, len - desc_off);
		return false;
	}
	/* The name must be NUL-terminated within namesz to be used as a string. */
	note->name = (namesz && buf[name_off + namesz - 1] == '\0') ? (const char *)buf + name_off : "";
	note->namesz = namesz;
	note->type = type;
	note->desc = buf + desc_off;
	note->descsz = descsz;
	size_t next = desc_off + pad4(descsz);
	*pos = next < len ? next : len;
	return true;
}

size_t uz_note_size(const char *name, size_t desc_len)
{
	return 12 + pad4(strlen(name) + 1) + pad4(desc_len);
}

void uz_note_build(uint8_t *out, const char *name, uint32_t type,
		   const void *desc, size_t desc_len)
{
	size_t namesz = strlen(name) + 1;
	memset(out, 0, uz_note_size(name, desc_len));
	uz_put_le32(out, (uint32_t)namesz);
	uz_put_le32(out + 4, (uint32_t)desc_len);
	uz_put_le32(out + 8, type);
	memcpy(out + 12, name, namesz);
	if (desc_len)
		memcpy(out + 12 + pad4(namesz), desc, desc_len);
}

struct uz_error *uz_note_pwrite(int fd, uint64_t off, size_t lead, const char *name,
				uint32_t type, const void *desc, size_t desc_len)
{
	size_t namesz = strlen(name) + 1;
	if (namesz > UZ_NOTE_NAME_MAX)
		return uz_error_create(UZ_ERR_USAGE, "note name of %zu bytes", namesz);
	uint8_t head[12 + UZ_NOTE_NAME_MAX] = { 0 }, pad[3] = { 0 };
	if (lead > sizeof(pad))
		return uz_error_create(UZ_ERR_USAGE, "note lead of %zu bytes", lead);
	if (lead)
		UZ_TRY(uz_pwrite_all(fd, pad, lead, off));
	off += lead;
	size_t head_len = 12 + pad4(namesz);
	uz_put_le32(head, (uint32_t)namesz);
	uz_put_le32(head + 4, (uint32_t)desc_len);
	uz_put_le32(head + 8, type);
	memcpy(head + 12, name, namesz);
	UZ_TRY(uz_pwrite_all(fd, head, head_len, off));
	if (desc_len)
		UZ_TRY(uz_pwrite_all(fd, desc, desc_len, off + head_len));
	return uz_pwrite_all(fd, pad, pad4(desc_len) - desc_len, off + head_len + desc_len);
}

bool uz_vmcoreinfo_get(const char *vmcoreinfo, const char *key, char *val, size_t val_size)
{
	size_t klen = strlen(key);
	for (const char *line = vmcoreinfo; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t llen = eol ? (size_t)(eol - line) : strlen(line);
		if (llen > klen && strncmp(line, key, klen) == 0 && line[klen] == '=') {
			size_t vlen = llen - klen - 1;
			if (vlen >= val_size)
				vlen = val_size - 1;
			memcpy(val, line + klen + 1, vlen);
			val[vlen] = '\0';
			return true;
		}
		line = eol ? eol + 1 : NULL;
	}
	return false;
}

/* Validate all notes once at open so that later walks cannot fail, and
 * pick up VMCOREINFO if the format did not provide it separately. */
struct uz_error *uz_dump_scan_notes(struct uz_dump *d)
{
	size_t pos = 0;
	struct uz_note note = { 0 };
	struct uz_error *err;
	while (uz_note_next(d->notes, d->notes_len, &pos, &note, &err)) {
		if (!d->vmcoreinfo && strcmp(note.name, "VMCOREINFO") == 0) {
			if (note.descsz > VMCOREINFO_MAX)
				return uz_error_create(UZ_ERR_FORMAT,
						       "VMCOREINFO note of %zu bytes is implausibly large",
						       note.descsz);
			d->vmcoreinfo = malloc(note.descsz + 1);
			if (!d->vmcoreinfo)
				return uz_error_create(UZ_ERR_NOMEM, "copying VMCOREINFO");
			memcpy(d->vmcoreinfo, note.desc, note.descsz);
			d->vmcoreinfo[note.descsz] = '\0';
		}
	}
	d->notes_valid = pos < d->notes_len ? pos : d->notes_len;
	return err;
}

struct uz_error *uz_dump_set_page_size(struct uz_dump *d, uint64_t page_size)
{
	if (page_size < 4096 || page_size > 65536 || (page_size & (page_size - 1)))
		return uz_error_create(UZ_ERR_FORMAT,
				       "page size %llu is not one of 4 KiB, 16 KiB, 64 KiB",
				       (unsigned long long)page_size);
	d->page_size = page_size;
	d->page_shift = (unsigned)__builtin_ctzll(page_size);
	return NULL;
}

/* ---- open/close ---- */

/* Bytes copied from a pipe per read. */
#define SPOOL_CHUNK (1u << 20)

/* Standard input as a seekable fd.  A regular file is used as it is; a pipe
 * (makedumpfile -F ... | vmcore-unzram -) is spooled as received into an
 * unlinked temporary file in $TMPDIR (else /tmp), because every format needs
 * random access (headers at the start point anywhere).  The spool holds the
 * stream as it came (a flattened file stays flattened and is read through
 * its record index: no reassembled copy is made); it needs as much disk as
 * the stream and disappears when the dump is closed. */
static struct uz_error *open_stdin(int *out_fd)
{
	*out_fd = -1;
	struct stat st;
	if (fstat(STDIN_FILENO, &st) < 0)
		return uz_error_errno(errno, "standard input");
	if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) {
		int fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0);
		if (fd < 0)
			return uz_error_errno(errno, "standard input");
		*out_fd = fd;
		return NULL;
	}
	const char *dir = getenv("TMPDIR");
	char *tmp;
	if (asprintf(&tmp, "%s/.vmcore-unzram-stdin-XXXXXX", dir && *dir ? dir : "/tmp") < 0)
		return uz_error_create(UZ_ERR_NOMEM, "spool file name");
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		struct uz_error *err = uz_error_errno(errno, "creating spool file %s", tmp);
		free(tmp);
		return err;
	}
	unlink(tmp);
	free(tmp);
	uint8_t *buf = malloc(SPOOL_CHUNK);
	struct uz_error *err = buf ? NULL : uz_error_create(UZ_ERR_NOMEM, "spool buffer");
	uint64_t off = 0;
	while (!err) {
		ssize_t n = read(STDIN_FILENO, buf, SPOOL_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = uz_error_errno(errno, "reading standard input at byte %llu",
					     (unsigned long long)off);
			break;
		}
		if (n == 0)
			break;
		err = uz_pwrite_all(fd, buf, (size_t)n, off);
		off += (uint64_t)n;
	}
	free(buf);
	if (err) {
		close(fd);
		return uz_error_wrap(err, "spooling standard input");
	}
	*out_fd = fd;
	return NULL;
}

struct uz_error *uz_dump_open(const char *path, struct uz_dump **out)
{
	return uz_dump_open_file(path, false, out);
}

static int by_split_start(const void *a, const void *b)
{
	const struct uz_dump *x = *(struct uz_dump *const *)a, *y = *(struct uz_dump *const *)b;
	return x->u.kd.split_start < y->u.kd.split_start ? -1 :
	       x->u.kd.split_start > y->u.kd.split_start;
}

struct uz_error *uz_dump_open_split(const char *const *paths, size_t n, struct uz_dump **out)
{
	*out = NULL;
	if (n == 0)
		return uz_error_create(UZ_ERR_USAGE, "split dump: no files given");
	if (n == 1)
		return uz_dump_open_file(paths[0], true, out);
	struct uz_dump **parts = calloc(n, sizeof(*parts));
	if (!parts)
		return uz_error_create(UZ_ERR_NOMEM, "split dump file list");
	struct uz_error *err = NULL;
	for (size_t i = 0; i < n && !err; i++) {
		err = uz_dump_open_file(paths[i], true, &parts[i]);
		if (!err && parts[i]->format != UZ_DUMP_KDUMP)
			err = uz_error_create(UZ_ERR_FORMAT, "%s: not a kdump-compressed file, cannot be part of a split dump",
					      paths[i]);
		else if (!err && !parts[i]->u.kd.split)
			err = uz_error_create(UZ_ERR_FORMAT,
					      "%s: not a split dump file (sub-header split flag is 0)", paths[i]);
	}
	if (err) {
		for (size_t i = 0; i < n; i++)
			uz_dump_close(parts[i]);
		free(parts);
		return err;
	}
	qsort(parts, n, sizeof(*parts), by_split_start);
	struct uz_dump *head = parts[0];
	err = uz_kdump_join_split(head, parts + 1, n - 1);   /* takes parts[1..] */
	free(parts);
	if (err) {
		uz_dump_close(head);
		return err;
	}
	*out = head;
	return NULL;
}

struct uz_error *uz_dump_open_file(const char *path, bool allow_split_member,
				   struct uz_dump **out)
{
	*out = NULL;
	struct uz_dump *d = calloc(1, sizeof(*d));
	if (!d)
		return uz_error_create(UZ_ERR_NOMEM, "allocating dump");
	d->src.fd = -1;
	d->allow_split_member = allow_split_member;
	struct uz_error *err = NULL;
	d->path = strdup(path);
	if (!d->path) {
		err = uz_error_create(UZ_ERR_NOMEM, "allocating dump");
		goto fail;
	}
	int fd = -1;
	if (strcmp(path, "-") == 0) {
		err = open_stdin(&fd);
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			err = uz_error_errno(errno, "%s: open", path);
	}
	if (err) {
		free(d->path);
		free(d);
		return err;
	}
	if ((err = uz_source_init(&d->src, fd)))
		goto fail;
	uint8_t magic[8];
	if (d->src.size < sizeof(magic)) {
		err = uz_error_create(UZ_ERR_FORMAT, "file of %llu bytes is too small to be a dump",
				      (unsigned long long)d->src.size);
		goto fail;
	}
	if ((err = uz_source_read(&d->src, 0, magic, sizeof(magic))))
		goto fail;
	if (memcmp(magic, "\x7f" "ELF", 4) == 0) {
		err = uz_elf_open(d);
	} else if (memcmp(magic, "KDUMP   ", 8) == 0) {
		err = uz_kdump_open(d);
	} else if (memcmp(magic, "DISKDUMP", 8) == 0) {
		err = uz_error_create(UZ_ERR_UNSUPPORTED,
				      "old diskdump format (DISKDUMP signature) is not supported");
	} else {
		err = uz_error_create(UZ_ERR_FORMAT,
				      "not a vmcore: no ELF, KDUMP or makedumpfile signature at offset 0");
	}
	if (err)
		goto fail;
	d->cache.data = malloc(UZ_PAGE_CACHE_SLOTS * d->page_size);
	if (!d->cache.data) {
		err = uz_error_create(UZ_ERR_NOMEM, "allocating page cache");
		goto fail;
	}
	*out = d;
	return NULL;
fail:
	err = uz_error_wrap(err, "%s", path);
	uz_dump_close(d);
	return err;
}

void uz_dump_close(struct uz_dump *d)
{
	if (!d)
		return;
	if (d->ops && d->ops->fini)
		d->ops->fini(d);
	if (d->src.fd >= 0)
		close(d->src.fd);
	uz_source_fini(&d->src);
	free(d->cache.data);
	free(d->vmcoreinfo);
	free(d->notes);
	free(d->path);
	free(d);
}

/* ---- accessors ---- */

enum uz_dump_format uz_dump_format(const struct uz_dump *d)
{
	return d->src.flattened ? UZ_DUMP_FLAT : d->format;
}

enum uz_dump_format uz_dump_contents_format(const struct uz_dump *d)
{
	return d->format;
}

enum uz_arch uz_dump_arch(const struct uz_dump *d) { return d->arch; }
uint64_t uz_dump_page_size(const struct uz_dump *d) { return d->page_size; }
uint64_t uz_dump_max_pfn(const struct uz_dump *d) { return d->max_pfn; }
const char *uz_dump_vmcoreinfo(const struct uz_dump *d) { return d->vmcoreinfo; }
bool uz_dump_incomplete(const struct uz_dump *d) { return d->incomplete; }

bool uz_dump_phys_base(const struct uz_dump *d, uint64_t *phys_base)
{
	if (!d->phys_base_known)
		return false;
	*phys_base = d->phys_base;
	return true;
}

size_t uz_dump_segment_count(const struct uz_dump *d)
{
	return d->format == UZ_DUMP_ELF ? d->u.elf.n_loads : 0;
}

bool uz_dump_segment(const struct uz_dump *d, size_t index, struct uz_dump_segment *seg)
{
	if (d->format != UZ_DUMP_ELF || index >= d->u.elf.n_loads)
		return false;
	/* loads are sorted by paddr; report them in program-header order. */
	size_t seen = 0;
	const struct uz_elf_state *e = &d->u.elf;
	for (size_t ph = 0; ph < e->phnum; ph++) {
		const uint8_t *p = e->phdrs + ph * 56;
		if (uz_le32(p) != 1 /* PT_LOAD */)
			continue;
		if (seen++ == index) {
			seg->vaddr = uz_le64(p + 16);
			seg->paddr = uz_le64(p + 24);
			seg->filesz = uz_le64(p + 32);
			seg->memsz = uz_le64(p + 40);
			return true;
		}
	}
	return false;
}

/* ---- notes API ---- */

struct uz_error *uz_dump_next_note(const struct uz_dump *d, size_t *cursor,
				   struct uz_dump_note *out)
{
	struct uz_note note = { 0 };
	struct uz_error *err;
	if (!uz_note_next(d->notes, d->notes_len, cursor, &note, &err))
		return err ? err : uz_error_create(UZ_ERR_NOT_FOUND, "no more notes");
	out->name = note.name;
	out->type = note.type;
	out->desc = note.desc;
	out->len = note.descsz;
	return NULL;
}

struct uz_error *uz_dump_find_note(struct uz_dump *d, const char *name,
				   uint32_t type, const void **desc, size_t *len)
{
	size_t cursor = 0;
	struct uz_dump_note note = { 0 };
	struct uz_error *err;
	while (!(err = uz_dump_next_note(d, &cursor, &note))) {
		if (note.type == type && strcmp(note.name, name) == 0) {
			*desc = note.desc;
			*len = note.len;
			return NULL;
		}
	}
	if (err->code != UZ_ERR_NOT_FOUND)
		return err;
	uz_error_destroy(err);
	return uz_error_create(UZ_ERR_NOT_FOUND, "no ELF note \"%s\" of type %u in the dump",
			       name, type);
}

/* ---- pages ---- */

struct uz_error *uz_dump_page_state(struct uz_dump *d, uint64_t pfn,
				    enum uz_page_state *state)
{
	if (pfn >= d->max_pfn) {
		*state = UZ_PAGE_HOLE;
		return NULL;
	}
	return d->ops->page_state(d, pfn, state);
}

/* Why a page cannot be read, naming the fix where there is one. */
static const char *state_name(const struct uz_dump *d, enum uz_page_state s)
{
	switch (s) {
	case UZ_PAGE_PRESENT: return "present";
	case UZ_PAGE_ZERO: return "zero";
	case UZ_PAGE_EXCLUDED:
		return d->incomplete ? "not in the dump: the dump is incomplete (makedumpfile stopped before writing it)"
				     : "excluded from the dump (filtered by makedumpfile; zram-keep, or makedumpfile-zram --zram-keep in the capture kernel, keeps what vmcore-unzram needs)";
	case UZ_PAGE_HOLE: return "not in the dump (no RAM there)";
	}
	return "unknown";
}

void uz_dump_set_read_observer(struct uz_dump *dump, uz_read_observer_fn *fn, void *ctx)
{
	dump->read_observer = fn;
	dump->read_observer_ctx = fn ? ctx : NULL;
}

/* The cached copy of pfn's page, read into the least recently used slot
 * if it is not cached.  The pointer is valid until the next cache use. */
static struct uz_error *cached_page(struct uz_dump *d, uint64_t pfn, const uint8_t **page)
{
	if (d->read_observer)
		d->read_observer(d->read_observer_ctx, pfn);
	struct uz_page_cache *c = &d->cache;
	c->clock++;
	size_t victim = 0;
	for (size_t i = 0; i < UZ_PAGE_CACHE_SLOTS; i++) {
		if (c->valid[i] && c->pfn[i] == pfn) {
			c->last_use[i] = c->clock;
			*page = c->data + i * d->page_size;
			return NULL;
		}
		if (!c->valid[i] || (c->valid[victim] && c->last_use[i] < c->last_use[victim]))
			victim = i;
	}
	enum uz_page_state state;
	UZ_TRY(uz_dump_page_state(d, pfn, &state));
	if (state == UZ_PAGE_EXCLUDED || state == UZ_PAGE_HOLE)
		return uz_error_create(UZ_ERR_FAULT, "page 0x%llx (physical 0x%llx) is %s",
				       (unsigned long long)pfn,
				       (unsigned long long)(pfn << d->page_shift),
				       state_name(d, state));
	uint8_t *slot = c->data + victim * d->page_size;
	c->valid[victim] = false;
	struct uz_error *err = d->ops->read_page(d, pfn, slot);
	if (err)
		return uz_error_wrap(err, "reading page 0x%llx", (unsigned long long)pfn);
	c->valid[victim] = true;
	c->pfn[victim] = pfn;
	c->last_use[victim] = c->clock;
	*page = slot;
	return NULL;
}

struct uz_error *uz_dump_read_page(struct uz_dump *d, uint64_t pfn, void *buf)
{
	const uint8_t *page;
	UZ_TRY(cached_page(d, pfn, &page));
	memcpy(buf, page, d->page_size);
	return NULL;
}

/* Copies straight from the cache: the kernel view reads mostly a few bytes
 * at a time (pointers, list heads), so a page-sized bounce buffer per read
 * cost more than the read. */
struct uz_error *uz_dump_read_phys(struct uz_dump *d, uint64_t paddr, void *buf, size_t len)
{
	uint8_t *out = buf;
	while (len) {
		uint64_t pfn = paddr >> d->page_shift;
		size_t in_page = (size_t)(paddr & (d->page_size - 1));
		size_t n = d->page_size - in_page;
		if (n > len)
			n = len;
		const uint8_t *page;
		UZ_TRY(cached_page(d, pfn, &page));
		memcpy(out, page + in_page, n);
		out += n;
		len -= n;
		if (len && paddr + n < paddr)
			return uz_error_create(UZ_ERR_FAULT, "physical read wraps around");
		paddr += n;
	}
	return NULL;
}

struct uz_error *uz_dump_next_pfn(struct uz_dump *d, uint64_t *pfn)
{
	if (*pfn >= d->max_pfn)
		return uz_error_create(UZ_ERR_NOT_FOUND, "no present page at or above 0x%llx",
				       (unsigned long long)*pfn);
	return d->ops->next_pfn(d, pfn);
}

/* ---- writing ---- */

void uz_dump_write_options_init(const struct uz_dump *in, struct uz_dump_write_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->format = in->format;
	opts->compress = in->format == UZ_DUMP_KDUMP ? in->u.kd.compress : UZ_COMPRESS_NONE;
}

/* Physical addresses above 52 bits exist on neither architecture. */
#define MAX_PHYS_BITS 52

struct uz_error *uz_check_patches(struct uz_dump *d, const struct uz_page_patch *patches,
				  size_t n_patches, bool fill_missing)
{
	for (size_t i = 0; i < n_patches; i++) {
		uint64_t pfn = patches[i].pfn;
		if (i && pfn <= patches[i - 1].pfn)
			return uz_error_create(UZ_ERR_USAGE,
					       "page patches must be sorted by PFN and unique (patch %zu: 0x%llx after 0x%llx)",
					       i, (unsigned long long)pfn,
					       (unsigned long long)patches[i - 1].pfn);
		if (pfn >= (1ull << (MAX_PHYS_BITS - d->page_shift)))
			return uz_error_create(UZ_ERR_USAGE,
					       "patch PFN 0x%llx is beyond the %d-bit physical address space",
					       (unsigned long long)pfn, MAX_PHYS_BITS);
		if (pfn >= d->max_pfn || fill_missing)
			continue;
		enum uz_page_state state;
		UZ_TRY(uz_dump_page_state(d, pfn, &state));
		if (state != UZ_PAGE_PRESENT && state != UZ_PAGE_ZERO)
			return uz_error_create(UZ_ERR_USAGE,
					       "cannot replace page 0x%llx: it is %s",
					       (unsigned long long)pfn, state_name(d, state));
	}
	return NULL;
}

struct uz_error *uz_dump_copy_source(struct uz_dump *d, int fd, const char *fd_name)
{
	/* Our readers all use pread, so the file position is free to use. */
	if (lseek(d->src.fd, 0, SEEK_SET) < 0)
		return uz_error_errno(errno, "seeking %s", d->path);
	return uz_copy_stream(d->src.fd, d->path, fd, fd_name);
}

/* A plain temporary file for the output before it is flattened: next to
 * the target, or in $TMPDIR when the target is standard output. */
static struct uz_error *plain_temp(const char *out_path, char **path)
{
	int n;
	if (strcmp(out_path, "-") == 0) {
		const char *t = getenv("TMPDIR");
		n = asprintf(path, "%s/uz-flatten-XXXXXX", t && *t ? t : "/tmp");
	} else {
		char *dir_copy = strdup(out_path), *base_copy = strdup(out_path);
		n = dir_copy && base_copy ?
			asprintf(path, "%s/.%s.plain-XXXXXX", dirname(dir_copy), basename(base_copy)) : -1;
		free(dir_copy);
		free(base_copy);
	}
	if (n < 0) {
		*path = NULL;
		return uz_error_create(UZ_ERR_NOMEM, "temporary file name");
	}
	int fd = mkstemp(*path);
	if (fd < 0) {
		struct uz_error *err = uz_error_errno(errno, "creating temporary file %s", *path);
		free(*path);
		*path = NULL;
		return err;
	}
	close(fd);
	return NULL;
}

static struct uz_error *write_flattened(struct uz_dump *in, const char *out_path,
					const struct uz_page_patch *patches, size_t n_patches,
					uz_patch_fill_fn *fill, void *fill_ctx,
					const struct uz_dump_write_options *opts)
{
	if (opts->in_place)
		return uz_error_create(UZ_ERR_USAGE, "a flattened output cannot be written in place");
	struct uz_dump_write_options plain_opts = *opts;
	plain_opts.flattened = false;
	plain_opts.no_fsync = true;   /* read back and deleted at once */
	char *plain;
	UZ_TRY(plain_temp(out_path, &plain));
	struct uz_error *err = uz_dump_write(in, plain, patches, n_patches, fill, fill_ctx,
					     &plain_opts);
	int fd = -1;
	if (!err && (fd = open(plain, O_RDONLY | O_CLOEXEC)) < 0)
		err = uz_error_errno(errno, "opening %s", plain);
	unlink(plain);   /* the open descriptor keeps it until we are done */
	if (!err && strcmp(out_path, "-") == 0) {
		if (opts->flat_started)
			*opts->flat_started = true;
		err = uz_flatten_fd(fd, plain, STDOUT_FILENO, "standard output");
	} else if (!err) {
		struct uz_outfile out;
		if (!(err = uz_outfile_create(out_path, !opts->no_fsync, &out))) {
			err = uz_flatten_fd(fd, plain, out.fd, out.tmp_path);
			if (!err)
				err = uz_outfile_commit(&out);
			else
				uz_outfile_abort(&out);
		}
	}
	if (fd >= 0)
		close(fd);
	free(plain);
	return err;
}

struct uz_error *uz_dump_write(struct uz_dump *in, const char *out_path,
			       const struct uz_page_patch *patches, size_t n_patches,
			       uz_patch_fill_fn *fill, void *fill_ctx,
			       const struct uz_dump_write_options *opts)
{
	struct uz_dump_write_options defaults;
	if (!opts) {
		uz_dump_write_options_init(in, &defaults);
		opts = &defaults;
	}
	if (opts->flattened)
		return write_flattened(in, out_path, patches, n_patches, fill, fill_ctx, opts);
	if (strcmp(out_path, "-") == 0)
		return uz_error_create(UZ_ERR_USAGE,
				       "standard output takes only the flattened format");
	if (opts->fell_back)
		*opts->fell_back = false;
	if (opts->note_name && (!*opts->note_name || strlen(opts->note_name) > 255))
		return uz_error_create(UZ_ERR_USAGE, "extra note: bad name");
	/* The readers (ours included) refuse more than 64 MiB of notes. */
	if (opts->note_name && opts->note_desc_len > (60u << 20))
		return uz_error_create(UZ_ERR_UNSUPPORTED,
				       "extra note of %zu bytes is larger than the 60 MiB a dump's notes may hold",
				       opts->note_desc_len);
	if (n_patches && !fill)
		return uz_error_create(UZ_ERR_USAGE, "page patches without a fill function");
	UZ_TRY(uz_check_patches(in, patches, n_patches, opts->fill_missing));
	/* A split set is written as one file through the converter (its page
	 * data is spread over several files; every page is recompressed). */
	if (opts->format != in->format || uz_kdump_is_split_set(in))
		return uz_error_wrap(uz_dump_convert(in, out_path, patches, n_patches, fill,
						     fill_ctx, opts),
				     "converting to %s", out_path);
	return uz_error_wrap(in->ops->write(in, out_path, patches, n_patches, fill, fill_ctx, opts),
			     "writing %s", out_path);
}
