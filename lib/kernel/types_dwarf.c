/* types_dwarf.c - the DWARF implementation of the type/symbol provider
 * (types.h): a debug vmlinux and debug modules read with elfutils.
 *
 * Names are indexed incrementally: a lookup that misses scans further
 * compilation units (top-level DIEs only) until the name appears or every
 * file is exhausted, so the common lookups (struct task_struct, struct page,
 * ...) cost a few CUs and a full scan happens at most once per file.
 */
#include "types.h"

#include <ctype.h>
#include <errno.h>
#include <unistd.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "strmap.h"

enum dw_kind {
	DW_KIND_STRUCT = 1,
	DW_KIND_UNION,
	DW_KIND_ENUM,
	DW_KIND_TYPEDEF,
	DW_KIND_BASE,
	DW_KIND_ENUMERATOR,
	DW_KIND_VARIABLE,
	DW_KIND_SYM_GLOBAL,
	DW_KIND_SYM_LOCAL,
};

/* Index values: file index in the top byte, DIE offset below; bit 55 marks a
 * variable DIE that is only a declaration (replaced by a definition later). */
#define DW_VALUE_FILE_SHIFT 56
#define DW_VALUE_DECL_BIT (1ULL << 55)
#define DW_VALUE_OFF_MASK (DW_VALUE_DECL_BIT - 1)

struct dw_file {
	char *path;
	Dwfl *dwfl;
	Dwfl_Module *mod;
	Dwarf *dbg;
	Dwarf_CU *cursor;     /* last CU indexed (NULL: none yet) */
	/* .debug_info as mapped from the file (NULL: a copy, e.g. relocated or
	 * decompressed, whose pages must not be dropped) and how far its pages
	 * were already given back after indexing. */
	const uint8_t *info_map;
	size_t info_size, info_released;
	const char *raw;      /* the whole file as mapped, if info_map is set */
	size_t raw_size;
	bool opened;
	bool complete;        /* every CU indexed (or the file could not be opened) */
	struct uz_error *open_error;  /* kept for the NOT_FOUND message */
};

struct dw_provider {
	struct dw_file *files;     /* [0] is vmlinux */
	size_t n_files;
	struct uz_strmap names;    /* DWARF names -> value */
	struct uz_strmap symbols;  /* vmlinux ELF symtab: name -> address */
	char *banner;
	uint8_t build_id[64];
	size_t build_id_len;
	char describe[512];
};

static int dw_find_no_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
				Dwarf_Addr base, const char *file_name,
				const char *debuglink_file, GElf_Word debuglink_crc,
				char **debuginfo_file_name)
{
	(void)mod; (void)userdata; (void)modname; (void)base; (void)file_name;
	(void)debuglink_file; (void)debuglink_crc; (void)debuginfo_file_name;
	return -1;  /* the file itself carries the DWARF */
}

static const Dwfl_Callbacks dw_offline_callbacks = {
	.find_debuginfo = dw_find_no_debuginfo,
	.section_address = dwfl_offline_section_address,
};

/* Finds .debug_info in the file's own read-only mapping.  A full index scan
 * reads every byte of it (163 MB for a Debian 6.1 vmlinux) and the mapped
 * pages would stay resident, counted in the process's RSS, although later
 * lookups touch only a few DIEs; dw_release_scanned drops them behind the
 * scan.  Only a file libdwfl did not relocate (not ET_REL) and whose section
 * is not compressed qualifies: then the bytes are the file's, and a dropped
 * page is read back from it unchanged if libdw needs it again. */
static void dw_find_info_map(struct dw_file *f)
{
	Elf *elf = dwarf_getelf(f->dbg);
	GElf_Ehdr ehdr;
	size_t shstrndx, raw_size;
	const char *raw = elf ? elf_rawfile(elf, &raw_size) : NULL;
	if (!raw || !gelf_getehdr(elf, &ehdr) || ehdr.e_type == ET_REL ||
	    elf_getshdrstrndx(elf, &shstrndx) != 0)
		return;
	for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
		GElf_Shdr sh;
		const char *name;
		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)) ||
		    strcmp(name, ".debug_info") != 0 || (sh.sh_flags & SHF_COMPRESSED))
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		if (d && d->d_buf && (const char *)d->d_buf >= raw &&
		    (const char *)d->d_buf + d->d_size <= raw + raw_size) {
			f->info_map = d->d_buf;
			f->info_size = d->d_size;
			f->raw = raw;
			f->raw_size = raw_size;
		}
		return;
	}
}

/* Give back the mapped .debug_info pages before byte `upto` (see
 * dw_find_info_map), in steps of at least 8 MiB unless `all`.  Best effort:
 * a failing madvise only leaves the pages resident. */
static void dw_release_scanned(struct dw_file *f, size_t upto, bool all)
{
	const size_t step = 8u << 20;
	if (!f->info_map || upto > f->info_size || upto <= f->info_released ||
	    (!all && upto < f->info_released + step))
		return;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = ((uintptr_t)f->info_map + f->info_released + page - 1) & ~(page - 1);
	uintptr_t b = ((uintptr_t)f->info_map + upto) & ~(page - 1);
	if (all)
		b = ((uintptr_t)f->info_map + upto + page - 1) & ~(page - 1);
	if (b > a)
		(void)madvise((void *)a, b - a, MADV_DONTNEED);
	f->info_released = upto;
}

static struct uz_error *dw_file_open(struct dw_file *f)
{
	if (f->opened)
		return NULL;
	f->opened = true;
	size_t len = strlen(f->path);
	if (len > 3 && (strcmp(f->path + len - 3, ".xz") == 0 || strcmp(f->path + len - 3, ".gz") == 0 ||
			(len > 4 && strcmp(f->path + len - 4, ".zst") == 0)))
		return uz_error_create(UZ_ERR_UNSUPPORTED,
				       "%s is compressed; decompress it first", f->path);
	if (access(f->path, R_OK) != 0)
		return uz_error_errno(errno, "opening %s", f->path);
	f->dwfl = dwfl_begin(&dw_offline_callbacks);
	if (!f->dwfl)
		return uz_error_create(UZ_ERR_NOMEM, "dwfl_begin for %s: %s", f->path,
				       dwfl_errmsg(-1));
	dwfl_report_begin(f->dwfl);
	f->mod = dwfl_report_offline(f->dwfl, f->path, f->path, -1);
	if (!f->mod)
		return uz_error_create(UZ_ERR_FORMAT, "opening %s: %s", f->path, dwfl_errmsg(-1));
	if (dwfl_report_end(f->dwfl, NULL, NULL) != 0)
		return uz_error_create(UZ_ERR_FORMAT, "opening %s: %s", f->path, dwfl_errmsg(-1));
	Dwarf_Addr bias;
	f->dbg = dwfl_module_getdwarf(f->mod, &bias);
	if (!f->dbg)
		return uz_error_create(UZ_ERR_FORMAT, "%s has no usable DWARF: %s", f->path,
				       dwfl_errmsg(-1));
	dw_find_info_map(f);
	return NULL;
}

/* After a full scan: every other page of the mapped file too (.debug_str,
 * .debug_abbrev, the symbol table...); lookups fault back the few they need. */
static void dw_release_file(struct dw_file *f)
{
	if (!f->raw)
		return;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = ((uintptr_t)f->raw + page - 1) & ~(page - 1);
	uintptr_t b = ((uintptr_t)f->raw + f->raw_size) & ~(page - 1);
	if (b > a)
		(void)madvise((void *)a, b - a, MADV_DONTNEED);
}

static void dw_file_close(struct dw_file *f)
{
	if (f->dwfl)
		dwfl_end(f->dwfl);
	uz_error_destroy(f->open_error);
	free(f->path);
}

static bool die_is_declaration(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	bool flag = false;
	if (dwarf_attr(die, DW_AT_declaration, &attr) && dwarf_formflag(&attr, &flag) == 0)
		return flag;
	return false;
}

static const char *die_name_integrated(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	if (!dwarf_attr_integrate(die, DW_AT_name, &attr))
		return NULL;
	return dwarf_formstring(&attr);
}

static struct uz_error *dw_index_die(struct dw_provider *p, size_t file_index, Dwarf_Die *die)
{
	int tag = dwarf_tag(die);
	uint32_t kind;
	switch (tag) {
	case DW_TAG_structure_type: kind = DW_KIND_STRUCT; break;
	case DW_TAG_union_type: kind = DW_KIND_UNION; break;
	case DW_TAG_enumeration_type: kind = DW_KIND_ENUM; break;
	case DW_TAG_typedef: kind = DW_KIND_TYPEDEF; break;
	case DW_TAG_base_type: kind = DW_KIND_BASE; break;
	case DW_TAG_variable: kind = DW_KIND_VARIABLE; break;
	default: return NULL;
	}
	uint64_t value = ((uint64_t)file_index << DW_VALUE_FILE_SHIFT) | dwarf_dieoffset(die);
	bool declaration = die_is_declaration(die);

	if (tag == DW_TAG_enumeration_type && !declaration) {
		Dwarf_Die child;
		if (dwarf_child(die, &child) == 0) {
			do {
				if (dwarf_tag(&child) != DW_TAG_enumerator)
					continue;
				const char *en = dwarf_diename(&child);
				if (!en)
					continue;
				uint64_t ev = ((uint64_t)file_index << DW_VALUE_FILE_SHIFT) |
					      dwarf_dieoffset(&child);
				UZ_TRY(uz_strmap_put(&p->names, DW_KIND_ENUMERATOR, en, strlen(en), ev,
						     false, NULL));
			} while (dwarf_siblingof(&child, &child) == 0);
		}
	}

	if (kind == DW_KIND_VARIABLE) {
		const char *name = die_name_integrated(die);
		if (!name)
			return NULL;
		size_t len = strlen(name);
		if (declaration)
			value |= DW_VALUE_DECL_BIT;
		struct uz_strmap_entry *e = uz_strmap_get(&p->names, kind, name, len);
		if (e) {
			if ((e->value & DW_VALUE_DECL_BIT) && !declaration)
				e->value = value;
			return NULL;
		}
		return uz_strmap_put(&p->names, kind, name, len, value, false, NULL);
	}
	if (declaration)
		return NULL;
	const char *name = dwarf_diename(die);
	if (!name)
		return NULL;
	return uz_strmap_put(&p->names, kind, name, strlen(name), value, false, NULL);
}

/* Index the next CU of the first incomplete file.  *progressed is false when
 * every file is complete. */
static struct uz_error *dw_index_step(struct dw_provider *p, bool *progressed)
{
	*progressed = false;
	for (size_t i = 0; i < p->n_files; i++) {
		struct dw_file *f = &p->files[i];
		if (f->complete)
			continue;
		if (!f->opened) {
			struct uz_error *err = dw_file_open(f);
			if (err) {
				/* A missing module file only means its types are absent. */
				if (i == 0)
					return err;
				f->open_error = err;
				f->complete = true;
				*progressed = true;
				return NULL;
			}
		}
		Dwarf_CU *next;
		Dwarf_Die cudie;
		uint8_t unit_type;
		Dwarf_Half version;
		int rc = dwarf_get_units(f->dbg, f->cursor, &next, &version, &unit_type, &cudie, NULL);
		if (rc != 0) {
			f->complete = true;  /* 1: no more units; -1: corrupt, stop here */
			dw_release_scanned(f, f->info_size, true);
			dw_release_file(f);
			*progressed = true;
			return NULL;
		}
		f->cursor = next;
		dw_release_scanned(f, (size_t)dwarf_dieoffset(&cudie), false);
		Dwarf_Die child;
		if (dwarf_child(&cudie, &child) == 0) {
			do {
				UZ_TRY(dw_index_die(p, i, &child));
			} while (dwarf_siblingof(&child, &child) == 0);
		}
		*progressed = true;
		return NULL;
	}
	return NULL;
}

/* Find (kind, name), indexing further CUs as needed. */
static struct uz_error *dw_lookup(struct dw_provider *p, uint32_t kind, const char *name,
				  size_t len, uint64_t *value)
{
	for (;;) {
		struct uz_strmap_entry *e = uz_strmap_get(&p->names, kind, name, len);
		/* A variable seen only as a declaration may still get its definition. */
		if (e && !(kind == DW_KIND_VARIABLE && (e->value & DW_VALUE_DECL_BIT))) {
			*value = e->value;
			return NULL;
		}
		bool progressed;
		UZ_TRY(dw_index_step(p, &progressed));
		if (!progressed) {
			if (e) {
				*value = e->value;
				return NULL;
			}
			return uz_error_create(UZ_ERR_NOT_FOUND, "%.*s not found in the debuginfo",
					       (int)len, name);
		}
	}
}

static struct uz_error *dw_value_die(struct dw_provider *p, uint64_t value, Dwarf_Die *die)
{
	size_t fi = (size_t)(value >> DW_VALUE_FILE_SHIFT);
	if (fi >= p->n_files || !p->files[fi].dbg ||
	    !dwarf_offdie(p->files[fi].dbg, value & DW_VALUE_OFF_MASK, die))
		return uz_error_create(UZ_ERR_FORMAT, "bad DWARF DIE reference 0x%llx",
				       (unsigned long long)(value & DW_VALUE_OFF_MASK));
	return NULL;
}

static bool has_prefix(const char *s, const char *prefix, const char **rest)
{
	size_t n = strlen(prefix);
	if (strncmp(s, prefix, n) != 0)
		return false;
	*rest = s + n;
	return true;
}

/* Resolve a C type spelling to a DIE.  *is_pointer is set for "T *". */
static struct uz_error *dw_find_type(struct dw_provider *p, const char *type, Dwarf_Die *die,
				     bool *is_pointer)
{
	*is_pointer = false;
	char buf[256];
	size_t len = strlen(type);
	if (len >= sizeof(buf))
		return uz_error_create(UZ_ERR_USAGE, "type name %s is too long", type);
	memcpy(buf, type, len + 1);
	while (len && buf[len - 1] == ' ')
		buf[--len] = '\0';
	if (len && buf[len - 1] == '*') {
		*is_pointer = true;
		return NULL;
	}
	const char *name;
	uint64_t value;
	uint32_t kind = 0;
	if (has_prefix(buf, "struct ", &name))
		kind = DW_KIND_STRUCT;
	else if (has_prefix(buf, "union ", &name))
		kind = DW_KIND_UNION;
	else if (has_prefix(buf, "enum ", &name))
		kind = DW_KIND_ENUM;
	if (kind) {
		UZ_TRY(dw_lookup(p, kind, name, strlen(name), &value));
		return dw_value_die(p, value, die);
	}
	char base[64];
	if (uz_types_base_name(buf, base, sizeof(base))) {
		UZ_TRY(dw_lookup(p, DW_KIND_BASE, base, strlen(base), &value));
		return dw_value_die(p, value, die);
	}
	struct uz_error *err = dw_lookup(p, DW_KIND_TYPEDEF, buf, len, &value);
	if (err && err->code == UZ_ERR_NOT_FOUND) {
		uz_error_destroy(err);
		err = dw_lookup(p, DW_KIND_BASE, buf, len, &value);
	}
	if (err)
		return uz_error_wrap(err, "type %s", type);
	return dw_value_die(p, value, die);
}

static struct uz_error *dw_die_size(Dwarf_Die *die, uint64_t *size)
{
	Dwarf_Die peeled;
	if (dwarf_peel_type(die, &peeled) != 0)
		peeled = *die;
	int tag = dwarf_tag(&peeled);
	if (tag == DW_TAG_pointer_type || tag == DW_TAG_reference_type) {
		Dwarf_Attribute attr;
		Dwarf_Word w;
		if (dwarf_attr(&peeled, DW_AT_byte_size, &attr) && dwarf_formudata(&attr, &w) == 0)
			*size = w;
		else
			*size = 8;  /* both supported architectures are LP64 */
		return NULL;
	}
	Dwarf_Word w;
	if (dwarf_aggregate_size(&peeled, &w) != 0)
		return uz_error_create(UZ_ERR_FORMAT, "size of DWARF type %s: %s",
				       dwarf_diename(&peeled) ? dwarf_diename(&peeled) : "(anonymous)",
				       dwarf_errmsg(-1));
	*size = w;
	return NULL;
}

static struct uz_error *dw_type_size(void *impl, const char *type, uint64_t *size)
{
	struct dw_provider *p = impl;
	Dwarf_Die die;
	bool is_pointer;
	UZ_TRY(dw_find_type(p, type, &die, &is_pointer));
	if (is_pointer) {
		*size = 8;
		return NULL;
	}
	return uz_error_wrap(dw_die_size(&die, size), "sizeof(%s)", type);
}

static struct uz_error *member_location(Dwarf_Die *member, uint64_t *offset)
{
	Dwarf_Attribute attr;
	*offset = 0;
	if (!dwarf_attr(member, DW_AT_data_member_location, &attr))
		return NULL;  /* union members and bitfields with data_bit_offset */
	Dwarf_Word w;
	if (dwarf_formudata(&attr, &w) == 0) {
		*offset = w;
		return NULL;
	}
	Dwarf_Op *ops;
	size_t n_ops;
	if (dwarf_getlocation(&attr, &ops, &n_ops) == 0 && n_ops == 1 &&
	    ops[0].atom == DW_OP_plus_uconst) {
		*offset = ops[0].number;
		return NULL;
	}
	return uz_error_create(UZ_ERR_UNSUPPORTED, "member %s has a location expression we do not handle",
			       dwarf_diename(member) ? dwarf_diename(member) : "(anonymous)");
}

static bool die_type(Dwarf_Die *die, Dwarf_Die *type)
{
	Dwarf_Attribute attr;
	return dwarf_attr_integrate(die, DW_AT_type, &attr) && dwarf_formref_die(&attr, type);
}

/* Look for `name` among the members of the struct/union `agg`, descending
 * into anonymous struct/union members.  Returns 1 found, 0 absent. */
static int find_member(Dwarf_Die *agg, const char *name, size_t len, Dwarf_Die *found,
		       uint64_t *offset, int depth)
{
	if (depth > 16)
		return 0;
	Dwarf_Die child;
	if (dwarf_child(agg, &child) != 0)
		return 0;
	do {
		if (dwarf_tag(&child) != DW_TAG_member)
			continue;
		const char *mn = dwarf_diename(&child);
		uint64_t off;
		if (mn) {
			if (strlen(mn) == len && memcmp(mn, name, len) == 0) {
				if (member_location(&child, &off)) {
					/* Reported by the caller as not found in a usable form. */
					return 0;
				}
				*found = child;
				*offset = off;
				return 1;
			}
			continue;
		}
		Dwarf_Die type, peeled;
		if (!die_type(&child, &type))
			continue;
		if (dwarf_peel_type(&type, &peeled) != 0)
			continue;
		int tag = dwarf_tag(&peeled);
		if (tag != DW_TAG_structure_type && tag != DW_TAG_union_type)
			continue;
		uint64_t inner;
		if (find_member(&peeled, name, len, found, &inner, depth + 1) == 1) {
			struct uz_error *err = member_location(&child, &off);
			if (err) {
				uz_error_destroy(err);
				return 0;
			}
			*offset = off + inner;
			return 1;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return 0;
}

static struct uz_error *array_first_len(Dwarf_Die *array, uint64_t *len)
{
	Dwarf_Die sub;
	if (dwarf_child(array, &sub) != 0)
		return uz_error_create(UZ_ERR_FORMAT, "array type without dimensions");
	do {
		if (dwarf_tag(&sub) != DW_TAG_subrange_type)
			continue;
		Dwarf_Attribute attr;
		Dwarf_Word w;
		if (dwarf_attr(&sub, DW_AT_count, &attr) && dwarf_formudata(&attr, &w) == 0) {
			*len = w;
			return NULL;
		}
		if (dwarf_attr(&sub, DW_AT_upper_bound, &attr)) {
			/* Bounds are unsigned except in DW_FORM_sdata: elfutils'
			 * formsdata sign-extends data1/2/4, so GCC's one-byte
			 * bound 254 of size_class[255] would read as -2. */
			Dwarf_Sword sw;
			if (dwarf_whatform(&attr) == DW_FORM_sdata) {
				if (dwarf_formsdata(&attr, &sw) == 0) {
					*len = (uint64_t)(sw + 1);
					return NULL;
				}
			} else if (dwarf_formudata(&attr, &w) == 0) {
				*len = w + 1;
				return NULL;
			}
		}
		*len = 0;  /* flexible or unknown-length array: "[]" */
		return NULL;
	} while (dwarf_siblingof(&sub, &sub) == 0);
	return uz_error_create(UZ_ERR_FORMAT, "array type without dimensions");
}

/* Walk a member path "a.b[2].c" starting at aggregate `type`. */
static struct uz_error *dw_member_die(struct dw_provider *p, const char *type, const char *path,
				      struct uz_member *out, Dwarf_Die *member_type)
{
	Dwarf_Die die;
	bool is_pointer;
	UZ_TRY(dw_find_type(p, type, &die, &is_pointer));
	if (is_pointer)
		return uz_error_create(UZ_ERR_USAGE, "%s is a pointer type, it has no members", type);
	uint64_t offset = 0;
	Dwarf_Die cur = die, mdie;
	memset(out, 0, sizeof(*out));
	const char *s = path;
	for (;;) {
		Dwarf_Die agg;
		if (dwarf_peel_type(&cur, &agg) != 0)
			agg = cur;
		int tag = dwarf_tag(&agg);
		if (tag != DW_TAG_structure_type && tag != DW_TAG_union_type)
			return uz_error_create(UZ_ERR_NOT_FOUND, "%s.%s: %.*s is not a struct or union",
					       type, path, (int)(s - path), path);
		size_t len = strcspn(s, ".[");
		uint64_t moff;
		if (!len || find_member(&agg, s, len, &mdie, &moff, 0) != 1)
			return uz_error_create(UZ_ERR_NOT_FOUND, "%s has no member %s", type, path);
		offset += moff;
		s += len;
		if (!die_type(&mdie, &cur))
			return uz_error_create(UZ_ERR_FORMAT, "member %s.%s has no type", type, path);
		while (*s == '[') {
			char *end;
			unsigned long long index = strtoull(s + 1, &end, 0);
			if (*end != ']')
				return uz_error_create(UZ_ERR_USAGE, "bad array index in %s", path);
			Dwarf_Die arr;
			if (dwarf_peel_type(&cur, &arr) != 0 || dwarf_tag(&arr) != DW_TAG_array_type)
				return uz_error_create(UZ_ERR_USAGE, "%s.%s: indexing a non-array", type, path);
			Dwarf_Die elem;
			uint64_t esize;
			if (!die_type(&arr, &elem))
				return uz_error_create(UZ_ERR_FORMAT, "array without element type in %s", path);
			UZ_TRY(dw_die_size(&elem, &esize));
			offset += esize * index;
			cur = elem;
			s = end + 1;
		}
		if (*s == '\0')
			break;
		if (*s != '.')
			return uz_error_create(UZ_ERR_USAGE, "bad member path %s", path);
		s++;
	}
	/* Bitfield? */
	Dwarf_Attribute attr;
	Dwarf_Word bit_size = 0;
	if (!(*s == '\0' && s > path && s[-1] == ']') && dwarf_attr(&mdie, DW_AT_bit_size, &attr) &&
	    dwarf_formudata(&attr, &bit_size) == 0 && bit_size) {
		uint64_t unit;
		UZ_TRY(dw_die_size(&cur, &unit));
		if (unit == 0 || unit > 8)
			return uz_error_create(UZ_ERR_UNSUPPORTED, "bitfield %s.%s of %llu bytes",
					       type, path, (unsigned long long)unit);
		/* Bit position from the start of the enclosing struct, LSB first. */
		uint64_t total_bit;
		Dwarf_Word w;
		if (dwarf_attr(&mdie, DW_AT_data_bit_offset, &attr) && dwarf_formudata(&attr, &w) == 0) {
			total_bit = offset * 8 + w;  /* offset had no data_member_location */
		} else if (dwarf_attr(&mdie, DW_AT_bit_offset, &attr) && dwarf_formudata(&attr, &w) == 0) {
			/* DWARF 2/3: counted from the MSB of the storage unit (little endian). */
			Dwarf_Word storage = unit;
			if (dwarf_attr(&mdie, DW_AT_byte_size, &attr))
				dwarf_formudata(&attr, &storage);
			total_bit = offset * 8 + storage * 8 - w - bit_size;
		} else {
			total_bit = offset * 8;
		}
		uint64_t unit_bits = unit * 8;
		if ((total_bit % unit_bits) + bit_size <= unit_bits) {
			out->offset = total_bit / unit_bits * unit;
			out->bit_offset = (uint32_t)(total_bit % unit_bits);
			out->size = unit;
		} else {
			out->offset = total_bit / 8;
			out->bit_offset = (uint32_t)(total_bit % 8);
			uint64_t bytes = (out->bit_offset + bit_size + 7) / 8;
			out->size = bytes <= 1 ? 1 : bytes <= 2 ? 2 : bytes <= 4 ? 4 : 8;
		}
		out->bit_size = (uint32_t)bit_size;
		*member_type = cur;
		return NULL;
	}
	out->offset = offset;
	UZ_TRY(dw_die_size(&cur, &out->size));
	*member_type = cur;
	return NULL;
}

static struct uz_error *dw_member(void *impl, const char *type, const char *member,
				  struct uz_member *out)
{
	Dwarf_Die mtype;
	return dw_member_die(impl, type, member, out, &mtype);
}

static struct uz_error *dw_array_len(void *impl, const char *type, const char *name,
				     uint64_t *len)
{
	struct dw_provider *p = impl;
	Dwarf_Die t;
	if (type) {
		struct uz_member m;
		UZ_TRY(dw_member_die(p, type, name, &m, &t));
	} else {
		uint64_t value;
		UZ_TRY(dw_lookup(p, DW_KIND_VARIABLE, name, strlen(name), &value));
		Dwarf_Die var;
		UZ_TRY(dw_value_die(p, value, &var));
		if (!die_type(&var, &t))
			return uz_error_create(UZ_ERR_FORMAT, "variable %s has no type", name);
	}
	Dwarf_Die arr;
	if (dwarf_peel_type(&t, &arr) != 0 || dwarf_tag(&arr) != DW_TAG_array_type)
		return uz_error_create(UZ_ERR_USAGE, "%s%s%s is not an array", type ? type : "",
				       type ? "." : "", name);
	return uz_error_wrap(array_first_len(&arr, len), "length of %s", name);
}

static struct uz_error *dw_enumerator(void *impl, const char *name, int64_t *value)
{
	struct dw_provider *p = impl;
	uint64_t v;
	UZ_TRY(dw_lookup(p, DW_KIND_ENUMERATOR, name, strlen(name), &v));
	Dwarf_Die die;
	UZ_TRY(dw_value_die(p, v, &die));
	Dwarf_Attribute attr;
	if (!dwarf_attr(&die, DW_AT_const_value, &attr))
		return uz_error_create(UZ_ERR_FORMAT, "enumerator %s has no value", name);
	Dwarf_Sword sw;
	Dwarf_Word w;
	if (dwarf_whatform(&attr) == DW_FORM_udata && dwarf_formudata(&attr, &w) == 0) {
		*value = (int64_t)w;
		return NULL;
	}
	if (dwarf_formsdata(&attr, &sw) == 0) {
		*value = sw;
		return NULL;
	}
	return uz_error_create(UZ_ERR_FORMAT, "enumerator %s: %s", name, dwarf_errmsg(-1));
}

static struct uz_error *dw_var_kind(void *impl, const char *name, enum uz_var_kind *kind)
{
	struct dw_provider *p = impl;
	uint64_t value;
	UZ_TRY(dw_lookup(p, DW_KIND_VARIABLE, name, strlen(name), &value));
	Dwarf_Die var, t, peeled;
	UZ_TRY(dw_value_die(p, value, &var));
	*kind = UZ_VAR_OTHER;
	if (die_type(&var, &t) && dwarf_peel_type(&t, &peeled) == 0) {
		int tag = dwarf_tag(&peeled);
		if (tag == DW_TAG_pointer_type)
			*kind = UZ_VAR_POINTER;
		else if (tag == DW_TAG_array_type)
			*kind = UZ_VAR_ARRAY;
	}
	return NULL;
}

static struct uz_error *dw_symbol(void *impl, const char *name, uint64_t *addr)
{
	struct dw_provider *p = impl;
	size_t len = strlen(name);
	struct uz_strmap_entry *e = uz_strmap_get(&p->symbols, DW_KIND_SYM_GLOBAL, name, len);
	if (!e)
		e = uz_strmap_get(&p->symbols, DW_KIND_SYM_LOCAL, name, len);
	if (!e)
		return uz_error_create(UZ_ERR_NOT_FOUND, "symbol %s not found in %s", name,
				       p->files[0].path);
	*addr = e->value;
	return NULL;
}

static const char *dw_banner(void *impl)
{
	return ((struct dw_provider *)impl)->banner;
}

static const uint8_t *dw_build_id(void *impl, size_t *len)
{
	struct dw_provider *p = impl;
	*len = p->build_id_len;
	return p->build_id_len ? p->build_id : NULL;
}

static const char *dw_describe(void *impl)
{
	return ((struct dw_provider *)impl)->describe;
}

static void dw_destroy(void *impl)
{
	struct dw_provider *p = impl;
	if (!p)
		return;
	for (size_t i = 0; i < p->n_files; i++)
		dw_file_close(&p->files[i]);
	free(p->files);
	uz_strmap_free(&p->names);
	uz_strmap_free(&p->symbols);
	free(p->banner);
	free(p);
}

static const struct uz_types_ops dw_ops = {
	.symbol = dw_symbol,
	.type_size = dw_type_size,
	.member = dw_member,
	.array_len = dw_array_len,
	.enumerator = dw_enumerator,
	.var_kind = dw_var_kind,
	.banner = dw_banner,
	.build_id = dw_build_id,
	.describe = dw_describe,
	.destroy = dw_destroy,
};

/* Read the NUL-terminated string at link-time address addr from the ELF
 * image's allocated sections. */
static char *elf_string_at(Elf *elf, uint64_t addr, size_t max)
{
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS || !(sh.sh_flags & SHF_ALLOC))
			continue;
		if (addr < sh.sh_addr || addr - sh.sh_addr >= sh.sh_size)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		if (!data || !data->d_buf)
			return NULL;
		uint64_t off = addr - sh.sh_addr;
		if (off >= data->d_size)
			return NULL;
		const char *s = (const char *)data->d_buf + off;
		size_t avail = data->d_size - off;
		size_t n = strnlen(s, avail < max ? avail : max);
		return strndup(s, n);
	}
	return NULL;
}

static struct uz_error *dw_load_symtab(struct dw_provider *p)
{
	struct dw_file *f = &p->files[0];
	GElf_Addr bias;
	Elf *elf = dwfl_module_getelf(f->mod, &bias);
	if (!elf)
		return uz_error_create(UZ_ERR_FORMAT, "%s: %s", f->path, dwfl_errmsg(-1));
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		size_t n = sh.sh_size / sh.sh_entsize;
		for (size_t i = 1; i < n; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF)
				continue;
			int type = GELF_ST_TYPE(sym.st_info);
			if (type != STT_OBJECT && type != STT_FUNC && type != STT_NOTYPE)
				continue;
			const char *name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!name || !*name)
				continue;
			uint32_t kind = GELF_ST_BIND(sym.st_info) == STB_LOCAL ? DW_KIND_SYM_LOCAL
									       : DW_KIND_SYM_GLOBAL;
			UZ_TRY(uz_strmap_put(&p->symbols, kind, name, strlen(name), sym.st_value, false,
					     NULL));
		}
	}
	if (p->symbols.count == 0)
		return uz_error_create(UZ_ERR_FORMAT, "%s has no symbol table", f->path);
	struct uz_strmap_entry *banner = uz_strmap_get(&p->symbols, DW_KIND_SYM_GLOBAL, "linux_banner", 12);
	p->banner = banner ? elf_string_at(elf, banner->value, 1024) : NULL;
	const unsigned char *bits;
	GElf_Addr vaddr;
	int len = dwfl_module_build_id(f->mod, &bits, &vaddr);
	if (len > 0 && (size_t)len <= sizeof(p->build_id)) {
		memcpy(p->build_id, bits, (size_t)len);
		p->build_id_len = (size_t)len;
	}
	return NULL;
}

struct uz_error *uz_types_dwarf_open(const char *vmlinux_path,
				     const char *const *module_paths, size_t n_modules,
				     struct uz_types *out)
{
	out->ops = NULL;
	out->impl = NULL;
	struct dw_provider *p = calloc(1, sizeof(*p));
	if (!p)
		return uz_error_create(UZ_ERR_NOMEM, "allocating the DWARF provider");
	uz_strmap_init(&p->names, false);
	uz_strmap_init(&p->symbols, true);
	p->files = calloc(n_modules + 1, sizeof(*p->files));
	struct uz_error *err = NULL;
	if (!p->files) {
		err = uz_error_create(UZ_ERR_NOMEM, "allocating the DWARF provider");
		goto fail;
	}
	p->n_files = n_modules + 1;
	for (size_t i = 0; i < p->n_files; i++) {
		p->files[i].path = strdup(i == 0 ? vmlinux_path : module_paths[i - 1]);
		if (!p->files[i].path) {
			err = uz_error_create(UZ_ERR_NOMEM, "copying a path");
			goto fail;
		}
	}
	snprintf(p->describe, sizeof(p->describe), "%s", vmlinux_path);
	err = dw_file_open(&p->files[0]);
	if (err)
		goto fail;
	err = dw_load_symtab(p);
	if (err)
		goto fail;
	out->ops = &dw_ops;
	out->impl = p;
	return NULL;
fail:
	dw_destroy(p);
	return uz_error_wrap(err, "loading debuginfo %s", vmlinux_path);
}

struct uz_error *uz_types_dwarf_add_module(struct uz_types *types, const char *path)
{
	if (types->ops != &dw_ops)
		return uz_error_create(UZ_ERR_USAGE, "adding a module debug file to a non-DWARF provider");
	struct dw_provider *p = types->impl;
	if (p->n_files >= 255)
		return uz_error_create(UZ_ERR_UNSUPPORTED, "more than 254 module debug files");
	for (size_t i = 0; i < p->n_files; i++)
		if (strcmp(p->files[i].path, path) == 0)
			return NULL;
	struct dw_file *files = realloc(p->files, (p->n_files + 1) * sizeof(*files));
	if (!files)
		return uz_error_create(UZ_ERR_NOMEM, "adding module debug file %s", path);
	p->files = files;
	struct dw_file *f = &files[p->n_files];
	memset(f, 0, sizeof(*f));
	f->path = strdup(path);
	if (!f->path)
		return uz_error_create(UZ_ERR_NOMEM, "adding module debug file %s", path);
	p->n_files++;
	return NULL;
}
