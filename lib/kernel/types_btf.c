/* types_btf.c - the BTF + kallsyms implementation of the type/symbol provider
 * (types.h, types_btf.h).  libbpf parses and validates the BTF; we index the
 * names once per BTF object (vmlinux at open, modules on the first miss) and
 * walk types with libbpf's accessors.  Every type id coming out of the BTF
 * is checked (btf__type_by_id returns NULL for a bad one) and every chain of
 * references is bounded, so hostile BTF ends in an error. */
#include "types_btf.h"

#include <bpf/btf.h>
#include <bpf/libbpf_version.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"   /* struct uz_addr_set, for loops in kernel lists */
#include "strmap.h"
#include "vmcoreinfo.h"

enum bt_kind {
	BT_KIND_STRUCT = 1,
	BT_KIND_UNION,
	BT_KIND_ENUM,
	BT_KIND_TYPEDEF,
	BT_KIND_BASE,
	BT_KIND_VAR,
	BT_KIND_ENUMERATOR,
};

/* Index values: BTF object in bits 48..63, enumerator number in 32..47, type
 * id in 0..31. */
#define BT_OBJ_SHIFT 48
#define BT_ENUM_SHIFT 32
#define BT_MAX_OBJECTS 65535u
#define BT_MAX_DEPTH 32           /* typedef/const chains, anonymous nesting */
#define BT_MAX_MEMBER_VISITS 65536u  /* members examined for one path component */
#define BT_MAX_MODULES 65536u
#define BT_MAX_BTF_SIZE (512u << 20)

struct bt_object {
	char name[64];            /* "vmlinux" or the module name */
	struct btf *btf;
};

struct bt_provider {
	struct bt_object *objs;   /* [0] is vmlinux */
	size_t n_objs;
	struct uz_strmap names;   /* (kind, name) -> value; keys borrowed from the BTF strings */
	struct uz_kallsyms *ks;   /* NULL: no symbols */
	uint64_t kaslr_offset;
	char *banner;
	char describe[160];
	/* Module BTF from the dump (read == NULL: none). */
	uz_vread_fn *read;
	void *read_ctx;
	bool modules_tried;
	struct uz_error *modules_error;   /* why module BTF is incomplete, for NOT_FOUND */
};

/* ---- indexing ---- */

static struct uz_error *index_name(struct bt_provider *p, uint32_t kind, const char *name,
				   uint64_t value)
{
	if (!name || !*name)
		return NULL;
	return uz_strmap_put(&p->names, kind, name, strlen(name), value, false, NULL);
}

static struct uz_error *index_object(struct bt_provider *p, size_t obj)
{
	const struct btf *btf = p->objs[obj].btf;
	const struct btf *base = btf__base_btf(btf);
	uint32_t first = base ? btf__type_cnt(base) : 1, end = btf__type_cnt(btf);
	for (uint32_t id = first; id < end; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		if (!t)
			continue;
		const char *name = btf__name_by_offset(btf, t->name_off);
		uint64_t value = (uint64_t)obj << BT_OBJ_SHIFT | id;
		uint32_t kind = 0;
		switch (btf_kind(t)) {
		case BTF_KIND_STRUCT: kind = BT_KIND_STRUCT; break;
		case BTF_KIND_UNION: kind = BT_KIND_UNION; break;
		case BTF_KIND_TYPEDEF: kind = BT_KIND_TYPEDEF; break;
		case BTF_KIND_INT:
		case BTF_KIND_FLOAT: kind = BT_KIND_BASE; break;
		case BTF_KIND_VAR: kind = BT_KIND_VAR; break;
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64: {
			kind = BT_KIND_ENUM;
			uint16_t n = btf_vlen(t);
			for (uint16_t i = 0; i < n; i++) {
				uint32_t name_off = btf_kind(t) == BTF_KIND_ENUM ? btf_enum(t)[i].name_off
										  : btf_enum64(t)[i].name_off;
				UZ_TRY(index_name(p, BT_KIND_ENUMERATOR, btf__name_by_offset(btf, name_off),
						  value | (uint64_t)i << BT_ENUM_SHIFT));
			}
			break;
		}
		default: continue;
		}
		UZ_TRY(index_name(p, kind, name, value));
	}
	return NULL;
}

/* Split BTF from memory.  libbpf declares btf__new_split since 0.3 but
 * exports it only from 1.4 on (Debian 12 ships 1.1); before that the
 * exported way is btf__parse_raw_split on a file, so the bytes go through an
 * anonymous memory file. */
static struct btf *new_split_btf(const void *data, size_t size, struct btf *base)
{
#if LIBBPF_MAJOR_VERSION > 1 || (LIBBPF_MAJOR_VERSION == 1 && LIBBPF_MINOR_VERSION >= 4)
	return btf__new_split(data, (uint32_t)size, base);
#else
	/* An anonymous memory file, named through /proc/self/fd; where /proc
	 * is not mounted (a chroot, a minimal initramfs), a temporary file. */
	int fd = memfd_create("uz-module-btf", MFD_CLOEXEC);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	bool tmp = fd < 0 || access(path, R_OK) != 0;
	if (tmp) {
		if (fd >= 0)
			close(fd);
		const char *dir = getenv("TMPDIR");
		snprintf(path, sizeof(path), "%s/uz-module-btf-XXXXXX", dir && *dir ? dir : "/tmp");
		if ((fd = mkstemp(path)) < 0)
			return NULL;
	}
	const uint8_t *p = data;
	size_t done = 0;
	struct btf *btf = NULL;
	while (done < size) {
		ssize_t n = write(fd, p + done, size - done);
		if (n <= 0) {
			errno = n < 0 ? errno : EIO;
			break;
		}
		done += (size_t)n;
	}
	if (done == size)
		btf = btf__parse_raw_split(path, base);
	int e = errno;
	close(fd);
	if (tmp)
		unlink(path);
	errno = e;
	return btf;
#endif
}

static struct uz_error *add_object(struct bt_provider *p, const char *name, const void *data,
				   size_t size)
{
	if (p->n_objs >= BT_MAX_OBJECTS)
		return uz_error_create(UZ_ERR_UNSUPPORTED, "more than %u BTF objects", BT_MAX_OBJECTS);
	if (size == 0 || size > BT_MAX_BTF_SIZE)
		return uz_error_create(UZ_ERR_FORMAT, "BTF of %s has %zu bytes (expected 1..%u)", name,
				       size, BT_MAX_BTF_SIZE);
	struct bt_object *objs = realloc(p->objs, (p->n_objs + 1) * sizeof(*objs));
	if (!objs)
		return uz_error_create(UZ_ERR_NOMEM, "adding BTF of %s", name);
	p->objs = objs;
	errno = 0;
	struct btf *btf = p->n_objs ? new_split_btf(data, size, p->objs[0].btf)
				    : btf__new(data, (uint32_t)size);
	if (!btf) {
		int e = errno ? errno : EINVAL;
		return uz_error_create(UZ_ERR_FORMAT, "BTF of %s (%zu bytes) is invalid: libbpf: %s",
				       name, size, strerror(e));
	}
	btf__set_pointer_size(btf, 8);   /* both supported architectures are LP64 */
	struct bt_object *o = &p->objs[p->n_objs];
	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "%s", name);
	o->btf = btf;
	p->n_objs++;
	return uz_error_wrap(index_object(p, p->n_objs - 1), "indexing BTF of %s", name);
}

/* ---- module BTF from the dump ---- */

static struct uz_error *load_modules(struct bt_provider *p);

/* Find (kind, name); on a miss, read module BTF once and look again. */
static struct uz_error *bt_lookup(struct bt_provider *p, uint32_t kind, const char *name,
				  size_t len, uint64_t *value)
{
	struct uz_strmap_entry *e = uz_strmap_get(&p->names, kind, name, len);
	if (!e && p->read && !p->modules_tried) {
		p->modules_tried = true;
		p->modules_error = load_modules(p);
		e = uz_strmap_get(&p->names, kind, name, len);
	}
	if (e) {
		*value = e->value;
		return NULL;
	}
	/* A module whose BTF could not be read may define it: not knowing is
	 * not absence (callers take NOT_FOUND for "this kernel has none"). */
	if (p->modules_error && p->modules_error->code != UZ_ERR_NOT_FOUND)
		return uz_error_create(p->modules_error->code,
				       "%.*s not found in BTF, and module BTF is incomplete: %s",
				       (int)len, name, p->modules_error->message);
	if (p->modules_error)
		return uz_error_create(UZ_ERR_NOT_FOUND, "%.*s not found in BTF (module BTF incomplete: %s)",
				       (int)len, name, p->modules_error->message);
	return uz_error_create(UZ_ERR_NOT_FOUND, "%.*s not found in BTF", (int)len, name);
}

static struct uz_error *bt_type(const struct btf *btf, uint32_t id, const struct btf_type **t)
{
	*t = btf__type_by_id(btf, id);
	if (!*t)
		return uz_error_create(UZ_ERR_FORMAT, "BTF type id %u does not exist", id);
	return NULL;
}

/* Skip typedef, const, volatile, restrict and type tags. */
static struct uz_error *bt_peel(const struct btf *btf, uint32_t id, uint32_t *out,
				const struct btf_type **t)
{
	for (int depth = 0; depth < BT_MAX_DEPTH; depth++) {
		UZ_TRY(bt_type(btf, id, t));
		switch (btf_kind(*t)) {
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_CONST:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPE_TAG:
			id = (*t)->type;
			continue;
		default:
			*out = id;
			return NULL;
		}
	}
	return uz_error_create(UZ_ERR_FORMAT, "BTF type %u: typedef chain deeper than %d", id,
			       BT_MAX_DEPTH);
}

static struct uz_error *bt_size(const struct btf *btf, uint32_t id, uint64_t *size)
{
	const struct btf_type *t = NULL;
	uint32_t peeled = 0;
	UZ_TRY(bt_peel(btf, id, &peeled, &t));
	if (btf_kind(t) == BTF_KIND_PTR) {
		*size = 8;
		return NULL;
	}
	int64_t s = btf__resolve_size(btf, peeled);
	if (s < 0)
		return uz_error_create(UZ_ERR_FORMAT, "BTF type %u (%s) has no size", peeled,
				       btf__name_by_offset(btf, t->name_off) ? btf__name_by_offset(btf, t->name_off) : "?");
	*size = (uint64_t)s;
	return NULL;
}

struct bt_ref {
	const struct btf *btf;
	uint32_t id;
};

static struct uz_error *bt_ref_of(struct bt_provider *p, uint64_t value, struct bt_ref *ref)
{
	size_t obj = (size_t)(value >> BT_OBJ_SHIFT);
	if (obj >= p->n_objs)
		return uz_error_create(UZ_ERR_FORMAT, "bad BTF index value 0x%" PRIx64, value);
	ref->btf = p->objs[obj].btf;
	ref->id = (uint32_t)value;
	return NULL;
}

/* Resolve a C type spelling.  *is_pointer for "T *". */
static struct uz_error *bt_find_type(struct bt_provider *p, const char *type, struct bt_ref *ref,
				     bool *is_pointer)
{
	*is_pointer = false;
	size_t len = strlen(type);
	while (len && type[len - 1] == ' ')
		len--;
	if (len && type[len - 1] == '*') {
		*is_pointer = true;
		return NULL;
	}
	static const struct { const char *prefix; uint32_t kind; } tagged[] = {
		{ "struct ", BT_KIND_STRUCT }, { "union ", BT_KIND_UNION }, { "enum ", BT_KIND_ENUM },
	};
	uint64_t value = 0;
	for (size_t i = 0; i < sizeof(tagged) / sizeof(tagged[0]); i++) {
		size_t pl = strlen(tagged[i].prefix);
		if (len > pl && strncmp(type, tagged[i].prefix, pl) == 0) {
			UZ_TRY(bt_lookup(p, tagged[i].kind, type + pl, len - pl, &value));
			return bt_ref_of(p, value, ref);
		}
	}
	char base[64], trimmed[256];
	if (len >= sizeof(trimmed))
		return uz_error_create(UZ_ERR_USAGE, "type name %s is too long", type);
	memcpy(trimmed, type, len);
	trimmed[len] = '\0';
	if (uz_types_base_name(trimmed, base, sizeof(base))) {
		UZ_TRY(bt_lookup(p, BT_KIND_BASE, base, strlen(base), &value));
		return bt_ref_of(p, value, ref);
	}
	struct uz_error *err = bt_lookup(p, BT_KIND_TYPEDEF, trimmed, len, &value);
	if (err && err->code == UZ_ERR_NOT_FOUND) {
		uz_error_destroy(err);
		err = bt_lookup(p, BT_KIND_BASE, trimmed, len, &value);   /* _Bool, __int128 */
	}
	if (err)
		return uz_error_wrap(err, "type %s", type);
	return bt_ref_of(p, value, ref);
}

static struct uz_error *bt_type_size(void *impl, const char *type, uint64_t *size)
{
	struct bt_ref ref = { NULL, 0 };
	bool is_pointer;
	UZ_TRY(bt_find_type(impl, type, &ref, &is_pointer));
	if (is_pointer) {
		*size = 8;
		return NULL;
	}
	return uz_error_wrap(bt_size(ref.btf, ref.id, size), "sizeof(%s)", type);
}

/* A member found by name: its type, bit offset from the aggregate's start,
 * and bitfield width (0: not a bitfield). */
struct bt_found {
	uint32_t type;
	uint64_t bit_offset;
	uint32_t bitfield;
};

/* Look for `name` in struct/union `agg`, descending into anonymous members.
 * Returns 1 found, 0 absent, -1 BTF error (*err set). */
static int bt_find_member(const struct btf *btf, const struct btf_type *agg, const char *name,
			  size_t len, int depth, unsigned *budget, struct bt_found *found,
			  struct uz_error **err)
{
	if (depth > BT_MAX_DEPTH)
		return 0;
	const struct btf_member *m = btf_members(agg);
	uint16_t n = btf_vlen(agg);
	for (uint16_t i = 0; i < n; i++) {
		/* Anonymous members can nest (or, in hostile BTF, loop) with any
		 * fan-out: bound the total work, not only the depth. */
		if (++*budget > BT_MAX_MEMBER_VISITS) {
			*err = uz_error_create(UZ_ERR_FORMAT, "looking for member %.*s: more than %u "
					       "members through anonymous structs", (int)len, name,
					       BT_MAX_MEMBER_VISITS);
			return -1;
		}
		const char *mn = btf__name_by_offset(btf, m[i].name_off);
		uint64_t bits = btf_member_bit_offset(agg, i);
		if (mn && *mn) {
			if (strlen(mn) == len && memcmp(mn, name, len) == 0) {
				found->type = m[i].type;
				found->bit_offset = bits;
				found->bitfield = btf_member_bitfield_size(agg, i);
				return 1;
			}
			continue;
		}
		const struct btf_type *inner = NULL;
		uint32_t inner_id = 0;
		*err = bt_peel(btf, m[i].type, &inner_id, &inner);
		if (*err)
			return -1;
		if (!btf_is_composite(inner))
			continue;
		int rc = bt_find_member(btf, inner, name, len, depth + 1, budget, found, err);
		if (rc != 0) {
			if (rc == 1)
				found->bit_offset += bits;
			return rc;
		}
	}
	return 0;
}

/* Walk a member path "a.b[2].c"; *mtype is the last member's type. */
static struct uz_error *bt_member_walk(struct bt_provider *p, const char *type, const char *path,
				       struct uz_member *out, struct bt_ref *mtype)
{
	struct bt_ref ref = { NULL, 0 };
	bool is_pointer;
	UZ_TRY(bt_find_type(p, type, &ref, &is_pointer));
	if (is_pointer)
		return uz_error_create(UZ_ERR_USAGE, "%s is a pointer type, it has no members", type);
	const struct btf *btf = ref.btf;
	uint32_t cur = ref.id, bitfield = 0;
	uint64_t bits = 0;
	memset(out, 0, sizeof(*out));
	const char *s = path;
	bool indexed_last = false;
	for (;;) {
		const struct btf_type *agg = NULL;
		uint32_t agg_id = 0;
		UZ_TRY(bt_peel(btf, cur, &agg_id, &agg));
		if (!btf_is_composite(agg))
			return uz_error_create(UZ_ERR_NOT_FOUND, "%s.%s: %.*s is not a struct or union",
					       type, path, (int)(s - path), path);
		size_t len = strcspn(s, ".[");
		struct bt_found f;
		struct uz_error *err = NULL;
		unsigned budget = 0;
		int rc = len ? bt_find_member(btf, agg, s, len, 0, &budget, &f, &err) : 0;
		if (rc < 0)
			return uz_error_wrap(err, "%s.%s", type, path);
		if (rc == 0)
			return uz_error_create(UZ_ERR_NOT_FOUND, "%s has no member %s", type, path);
		bits += f.bit_offset;
		bitfield = f.bitfield;
		cur = f.type;
		s += len;
		indexed_last = false;
		while (*s == '[') {
			char *end;
			unsigned long long index = strtoull(s + 1, &end, 0);
			if (*end != ']')
				return uz_error_create(UZ_ERR_USAGE, "bad array index in %s", path);
			const struct btf_type *arr = NULL;
			uint32_t arr_id = 0;
			UZ_TRY(bt_peel(btf, cur, &arr_id, &arr));
			if (!btf_is_array(arr))
				return uz_error_create(UZ_ERR_USAGE, "%s.%s: indexing a non-array", type, path);
			uint64_t esize = 0;
			UZ_TRY(bt_size(btf, btf_array(arr)->type, &esize));
			bits += esize * 8 * index;
			cur = btf_array(arr)->type;
			bitfield = 0;
			indexed_last = true;
			s = end + 1;
		}
		if (*s == '\0')
			break;
		if (*s != '.')
			return uz_error_create(UZ_ERR_USAGE, "bad member path %s", path);
		s++;
	}
	mtype->btf = btf;
	mtype->id = cur;
	uint64_t unit = 0;
	UZ_TRY(bt_size(btf, cur, &unit));
	if (!bitfield && !indexed_last) {
		/* BTF without kind_flag encodes a bitfield in its int type. */
		const struct btf_type *t = NULL;
		uint32_t id = 0;
		UZ_TRY(bt_peel(btf, cur, &id, &t));
		if (btf_is_int(t) && btf_int_bits(t) != unit * 8) {
			bitfield = btf_int_bits(t);
			bits += btf_int_offset(t);
		}
	}
	if (bitfield) {
		if (unit == 0 || unit > 8)
			return uz_error_create(UZ_ERR_UNSUPPORTED, "bitfield %s.%s of %" PRIu64 " bytes",
					       type, path, unit);
		/* Same normalisation as the DWARF provider: the storage unit of the
		 * declared type if the field fits in one, else the smallest
		 * power-of-two span from the containing byte. */
		uint64_t unit_bits = unit * 8;
		if (bits % unit_bits + bitfield <= unit_bits) {
			out->offset = bits / unit_bits * unit;
			out->bit_offset = (uint32_t)(bits % unit_bits);
			out->size = unit;
		} else {
			out->offset = bits / 8;
			out->bit_offset = (uint32_t)(bits % 8);
			uint64_t bytes = (out->bit_offset + bitfield + 7) / 8;
			out->size = bytes <= 1 ? 1 : bytes <= 2 ? 2 : bytes <= 4 ? 4 : 8;
		}
		out->bit_size = bitfield;
		return NULL;
	}
	if (bits % 8)
		return uz_error_create(UZ_ERR_FORMAT, "%s.%s is at bit %" PRIu64 ", not a byte boundary",
				       type, path, bits);
	out->offset = bits / 8;
	out->size = unit;
	return NULL;
}

static struct uz_error *bt_member(void *impl, const char *type, const char *member,
				  struct uz_member *out)
{
	struct bt_ref mtype = { NULL, 0 };
	return bt_member_walk(impl, type, member, out, &mtype);
}

static struct uz_error *bt_var_type(struct bt_provider *p, const char *name, struct bt_ref *ref)
{
	uint64_t value = 0;
	struct uz_error *err = bt_lookup(p, BT_KIND_VAR, name, strlen(name), &value);
	if (err && err->code == UZ_ERR_NOT_FOUND)
		return uz_error_wrap(err, "variable %s (vmlinux BTF describes only per-CPU variables)",
				     name);
	UZ_TRY(err);
	UZ_TRY(bt_ref_of(p, value, ref));
	const struct btf_type *t = NULL;
	UZ_TRY(bt_type(ref->btf, ref->id, &t));
	ref->id = t->type;
	return NULL;
}

static struct uz_error *bt_array_len(void *impl, const char *type, const char *name, uint64_t *len)
{
	struct bt_provider *p = impl;
	struct bt_ref ref = { NULL, 0 };
	if (type) {
		struct uz_member m;
		UZ_TRY(bt_member_walk(p, type, name, &m, &ref));
	} else {
		UZ_TRY(bt_var_type(p, name, &ref));
	}
	const struct btf_type *t = NULL;
	uint32_t id = 0;
	UZ_TRY(bt_peel(ref.btf, ref.id, &id, &t));
	if (!btf_is_array(t))
		return uz_error_create(UZ_ERR_USAGE, "%s%s%s is not an array", type ? type : "",
				       type ? "." : "", name);
	*len = btf_array(t)->nelems;
	return NULL;
}

static struct uz_error *bt_var_kind(void *impl, const char *name, enum uz_var_kind *kind)
{
	struct bt_ref ref = { NULL, 0 };
	UZ_TRY(bt_var_type(impl, name, &ref));
	const struct btf_type *t = NULL;
	uint32_t id = 0;
	UZ_TRY(bt_peel(ref.btf, ref.id, &id, &t));
	*kind = btf_is_ptr(t) ? UZ_VAR_POINTER : btf_is_array(t) ? UZ_VAR_ARRAY : UZ_VAR_OTHER;
	return NULL;
}

static struct uz_error *bt_enumerator(void *impl, const char *name, int64_t *value)
{
	struct bt_provider *p = impl;
	uint64_t v = 0;
	UZ_TRY(bt_lookup(p, BT_KIND_ENUMERATOR, name, strlen(name), &v));
	struct bt_ref ref = { NULL, 0 };
	UZ_TRY(bt_ref_of(p, v, &ref));
	const struct btf_type *t = NULL;
	UZ_TRY(bt_type(ref.btf, ref.id, &t));
	uint16_t i = (uint16_t)(v >> BT_ENUM_SHIFT);
	if (i >= btf_vlen(t))
		return uz_error_create(UZ_ERR_FORMAT, "enumerator %s: bad index", name);
	/* kind_flag marks a signed enum (pahole 1.24+); without it the value is
	 * unsigned, as DWARF's DW_FORM_udata would give. */
	if (btf_is_enum(t)) {
		int32_t raw = btf_enum(t)[i].val;
		*value = btf_kflag(t) ? (int64_t)raw : (int64_t)(uint32_t)raw;
	} else if (btf_is_enum64(t)) {
		*value = (int64_t)btf_enum64_value(&btf_enum64(t)[i]);
	} else {
		return uz_error_create(UZ_ERR_FORMAT, "enumerator %s: not in an enum", name);
	}
	return NULL;
}

static struct uz_error *bt_symbol(void *impl, const char *name, uint64_t *addr)
{
	struct bt_provider *p = impl;
	const struct uz_kallsyms_symbol *s = p->ks ? uz_kallsyms_lookup(p->ks, name) : NULL;
	if (!s)
		return uz_error_create(UZ_ERR_NOT_FOUND, "symbol %s not found in the dump's kallsyms", name);
	/* Link-time equivalent: kernel.c adds KERNELOFFSET back (see types_btf.h). */
	*addr = s->absolute ? s->addr : s->addr - p->kaslr_offset;
	return NULL;
}

static const char *bt_banner(void *impl)
{
	return ((struct bt_provider *)impl)->banner;
}

static const uint8_t *bt_build_id(void *impl, size_t *len)
{
	(void)impl;
	*len = 0;
	return NULL;
}

static const char *bt_describe(void *impl)
{
	return ((struct bt_provider *)impl)->describe;
}

static void bt_destroy(void *impl)
{
	struct bt_provider *p = impl;
	if (!p)
		return;
	uz_strmap_free(&p->names);
	for (size_t i = p->n_objs; i > 0; i--)   /* split BTF before its base */
		btf__free(p->objs[i - 1].btf);
	free(p->objs);
	uz_kallsyms_free(p->ks);
	uz_error_destroy(p->modules_error);
	free(p->banner);
	free(p);
}

static const struct uz_types_ops bt_ops = {
	.symbol = bt_symbol,
	.type_size = bt_type_size,
	.member = bt_member,
	.array_len = bt_array_len,
	.enumerator = bt_enumerator,
	.var_kind = bt_var_kind,
	.banner = bt_banner,
	.build_id = bt_build_id,
	.describe = bt_describe,
	.destroy = bt_destroy,
};

/* ---- reading from the dump ---- */

static struct uz_error *runtime_symbol(struct bt_provider *p, const char *name, uint64_t *addr)
{
	const struct uz_kallsyms_symbol *s = p->ks ? uz_kallsyms_lookup(p->ks, name) : NULL;
	if (!s)
		return uz_error_create(UZ_ERR_NOT_FOUND, "symbol %s not found in the dump's kallsyms", name);
	*addr = s->addr;
	return NULL;
}

/* A scalar member (pointer, integer) of the object at addr. */
static struct uz_error *read_scalar(struct bt_provider *p, uint64_t addr, const struct uz_member *m,
				    uint64_t *val)
{
	if (m->size == 0 || m->size > 8 || m->bit_size)
		return uz_error_create(UZ_ERR_FORMAT, "member of %" PRIu64 " bytes is not a plain scalar",
				       m->size);
	uint8_t bytes[8] = { 0 };
	UZ_TRY(p->read(p->read_ctx, addr + m->offset, bytes, (size_t)m->size));
	uint64_t v = 0;
	for (size_t i = 0; i < m->size; i++)
		v |= (uint64_t)bytes[i] << (8 * i);   /* both architectures are little endian */
	*val = v;
	return NULL;
}

static struct uz_error *read_blob(struct bt_provider *p, uint64_t addr, uint64_t size, void **out)
{
	*out = NULL;
	if (size == 0 || size > BT_MAX_BTF_SIZE)
		return uz_error_create(UZ_ERR_FORMAT, "BTF of %" PRIu64 " bytes at 0x%" PRIx64, size, addr);
	void *buf = malloc((size_t)size);
	if (!buf)
		return uz_error_create(UZ_ERR_NOMEM, "BTF of %" PRIu64 " bytes", size);
	struct uz_error *err = p->read(p->read_ctx, addr, buf, (size_t)size);
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	return NULL;
}

/* The BPF subsystem's copy of each module's BTF (kernel/bpf/btf.c, 5.11+:
 * struct module.btf_data is cleared once the module is live, because .BTF
 * is not an allocated section). */
struct module_btf {
	uint64_t module, data, size;
};

static struct uz_error *read_btf_modules(struct bt_provider *p, struct module_btf **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	uint64_t head = 0;
	UZ_TRY(runtime_symbol(p, "btf_modules", &head));
	struct uz_member list, module, btf, data, data_size;
	UZ_TRY(bt_member(p, "struct btf_module", "list", &list));
	UZ_TRY(bt_member(p, "struct btf_module", "module", &module));
	UZ_TRY(bt_member(p, "struct btf_module", "btf", &btf));
	UZ_TRY(bt_member(p, "struct btf", "data", &data));
	UZ_TRY(bt_member(p, "struct btf", "data_size", &data_size));
	struct uz_member next = { .offset = 0, .size = 8 };
	uint64_t node = 0;
	UZ_TRY(read_scalar(p, head, &next, &node));
	struct uz_error *err = NULL;
	struct uz_addr_set seen;
	uz_addr_set_init(&seen);
	while (node != head) {
		bool dup;
		err = uz_addr_set_add(&seen, node, &dup);
		if (!err && (dup || *n >= BT_MAX_MODULES))
			err = uz_error_create(UZ_ERR_FORMAT, "btf_modules loops at 0x%" PRIx64, node);
		if (err)
			break;
		uint64_t bm = node - list.offset, b;
		struct module_btf e = { 0, 0, 0 };
		err = read_scalar(p, bm, &module, &e.module);
		if (!err)
			err = read_scalar(p, bm, &btf, &b);
		if (!err && b)
			err = read_scalar(p, b, &data, &e.data);
		if (!err && b)
			err = read_scalar(p, b, &data_size, &e.size);
		if (!err) {
			struct module_btf *grown = realloc(*out, (*n + 1) * sizeof(*grown));
			if (!grown) {
				err = uz_error_create(UZ_ERR_NOMEM, "btf_modules");
				break;
			}
			*out = grown;
			(*out)[(*n)++] = e;
		}
		if (!err)
			err = read_scalar(p, node, &next, &node);
		if (err)
			break;
	}
	uz_addr_set_free(&seen);
	if (err) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return uz_error_wrap(err, "reading btf_modules");
}

static void keep_first(struct uz_error **first, struct uz_error *err)
{
	if (!*first)
		*first = err;
	else
		uz_error_destroy(err);
}

static struct uz_error *load_modules(struct bt_provider *p)
{
	uint64_t head = 0;
	UZ_TRY(runtime_symbol(p, "modules", &head));
	struct uz_member list, name, btf_data = { 0 }, btf_data_len = { 0 };
	UZ_TRY(bt_member(p, "struct module", "list", &list));
	UZ_TRY(bt_member(p, "struct module", "name", &name));
	struct uz_error *no_field = bt_member(p, "struct module", "btf_data", &btf_data);
	if (!no_field)
		no_field = bt_member(p, "struct module", "btf_data_size", &btf_data_len);
	if (no_field)
		return uz_error_wrap(no_field, "the kernel has no module BTF (CONFIG_DEBUG_INFO_BTF_MODULES)");
	struct module_btf *copies = NULL;
	size_t n_copies = 0;
	struct uz_error *first = read_btf_modules(p, &copies, &n_copies);

	struct uz_member next = { .offset = 0, .size = 8 };
	uint64_t node = 0;
	struct uz_addr_set seen;
	uz_addr_set_init(&seen);
	struct uz_error *err = read_scalar(p, head, &next, &node);
	for (size_t count = 0; !err && node != head; count++) {
		bool dup;
		err = uz_addr_set_add(&seen, node, &dup);
		if (!err && (dup || count >= BT_MAX_MODULES))
			err = uz_error_create(UZ_ERR_FORMAT, "the module list loops at 0x%" PRIx64, node);
		if (err)
			break;
		uint64_t mod = node - list.offset, data = 0, size = 0;
		char mod_name[64] = "";
		size_t name_len = name.size < sizeof(mod_name) - 1 ? (size_t)name.size : sizeof(mod_name) - 1;
		err = p->read(p->read_ctx, mod + name.offset, mod_name, name_len);
		if (err)
			break;
		mod_name[sizeof(mod_name) - 1] = '\0';
		err = read_scalar(p, mod, &btf_data, &data);
		if (!err)
			err = read_scalar(p, mod, &btf_data_len, &size);
		if (err)
			break;
		for (size_t i = 0; !data && i < n_copies; i++) {
			if (copies[i].module == mod) {
				data = copies[i].data;
				size = copies[i].size;
			}
		}
		if (data && size) {
			void *blob;
			struct uz_error *merr = read_blob(p, data, size, &blob);
			if (!merr) {
				merr = add_object(p, mod_name, blob, (size_t)size);
				free(blob);
			}
			if (merr)
				keep_first(&first, uz_error_wrap(merr, "BTF of module %s", mod_name));
		}
		err = read_scalar(p, node, &next, &node);
	}
	free(copies);
	uz_addr_set_free(&seen);
	if (err) {
		uz_error_destroy(first);
		return uz_error_wrap(err, "reading the module list");
	}
	return first;
}

/* ---- construction ---- */

static struct uz_error *provider_new(const void *btf, size_t size, struct uz_kallsyms *ks,
				     uint64_t kaslr_offset, struct bt_provider **out)
{
	*out = NULL;
	struct bt_provider *p = calloc(1, sizeof(*p));
	if (!p) {
		uz_kallsyms_free(ks);
		return uz_error_create(UZ_ERR_NOMEM, "allocating the BTF provider");
	}
	uz_strmap_init(&p->names, false);
	p->ks = ks;
	p->kaslr_offset = kaslr_offset;
	struct uz_error *err = add_object(p, "vmlinux", btf, size);
	if (err) {
		bt_destroy(p);
		return err;
	}
	*out = p;
	return NULL;
}

static void set_describe(struct bt_provider *p)
{
	snprintf(p->describe, sizeof(p->describe), "BTF and kallsyms in the dump (%u types, %zu symbols)",
		 btf__type_cnt(p->objs[0].btf) - 1, p->ks ? uz_kallsyms_count(p->ks) : (size_t)0);
}

struct uz_error *uz_types_btf_open_memory(const void *btf, size_t size, struct uz_kallsyms *ks,
					  uint64_t kaslr_offset, struct uz_types *out)
{
	out->ops = NULL;
	out->impl = NULL;
	struct bt_provider *p;
	UZ_TRY(uz_error_wrap(provider_new(btf, size, ks, kaslr_offset, &p), "loading BTF"));
	set_describe(p);
	out->ops = &bt_ops;
	out->impl = p;
	return NULL;
}

static struct uz_error *open_from_dump(uz_vread_fn *read, void *ctx, const struct uz_vmci *vmci,
				       struct bt_provider **out)
{
	struct uz_kallsyms *ks;
	UZ_TRY(uz_kallsyms_read(read, ctx, vmci, &ks));
	const struct uz_kallsyms_symbol *start = uz_kallsyms_lookup(ks, "__start_BTF");
	const struct uz_kallsyms_symbol *stop = uz_kallsyms_lookup(ks, "__stop_BTF");
	if (!start || !stop || stop->addr <= start->addr) {
		/* __start_BTF is a data symbol: kallsyms lists data symbols only
		 * with CONFIG_KALLSYMS_ALL (off in Debian's arm64 6.1 cloud
		 * kernel, which does have BTF), so tell the two causes apart. */
		/* init_task is data in every kernel: without it, kallsyms holds
		 * only text (and the few data symbols inside text ranges). */
		bool has_data = uz_kallsyms_lookup(ks, "init_task") != NULL;
		uz_kallsyms_free(ks);
		if (!has_data)
			return uz_error_create(UZ_ERR_NOT_FOUND,
					       "cannot locate the kernel's BTF: kallsyms lists no data symbols "
					       "(CONFIG_KALLSYMS_ALL is off), so __start_BTF is unknown; give a debug vmlinux");
		return uz_error_create(UZ_ERR_NOT_FOUND,
				       "the kernel has no BTF (no __start_BTF/__stop_BTF in kallsyms: "
				       "CONFIG_DEBUG_INFO_BTF is off); give a debug vmlinux");
	}
	uint64_t kaslr = 0;
	struct uz_error *err = uz_vmci_number(vmci, "KERNELOFFSET", &kaslr);
	if (err && err->code != UZ_ERR_NOT_FOUND) {
		uz_kallsyms_free(ks);
		return err;
	}
	uz_error_destroy(err);
	uint64_t size = stop->addr - start->addr;
	if (size > BT_MAX_BTF_SIZE) {
		uz_kallsyms_free(ks);
		return uz_error_create(UZ_ERR_FORMAT, "vmlinux BTF of %" PRIu64 " bytes", size);
	}
	void *blob = malloc((size_t)size);
	if (!blob) {
		uz_kallsyms_free(ks);
		return uz_error_create(UZ_ERR_NOMEM, "vmlinux BTF of %" PRIu64 " bytes", size);
	}
	err = read(ctx, start->addr, blob, (size_t)size);
	if (err) {
		free(blob);
		uz_kallsyms_free(ks);
		return uz_error_wrap(err, "reading vmlinux BTF (%" PRIu64 " bytes)", size);
	}
	struct bt_provider *p;
	err = provider_new(blob, (size_t)size, ks, kaslr, &p);
	free(blob);
	if (err)
		return uz_error_wrap(err, "vmlinux BTF at 0x%" PRIx64, start->addr);
	p->read = read;
	p->read_ctx = ctx;
	uint64_t banner_addr = 0;
	if (runtime_symbol(p, "linux_banner", &banner_addr) == NULL) {
		char text[512];
		err = read(ctx, banner_addr, text, sizeof(text));
		if (err) {
			bt_destroy(p);
			return uz_error_wrap(err, "reading linux_banner");
		}
		p->banner = strndup(text, strnlen(text, sizeof(text) - 1));
		if (!p->banner) {
			bt_destroy(p);
			return uz_error_create(UZ_ERR_NOMEM, "copying linux_banner");
		}
	}
	/* Without linux_banner in kallsyms (odd, not fatal) banner() is NULL and
	 * kernel_open.c skips its banner check. */
	set_describe(p);
	*out = p;
	return NULL;
}

struct uz_error *uz_types_btf_open(uz_vread_fn *read, void *ctx, const struct uz_vmci *vmci,
				   struct uz_types *out)
{
	out->ops = NULL;
	out->impl = NULL;
	struct bt_provider *p;
	UZ_TRY(uz_error_wrap(open_from_dump(read, ctx, vmci, &p), "type information from the dump"));
	out->ops = &bt_ops;
	out->impl = p;
	return NULL;
}

struct uz_error *uz_types_btf_add_module(struct uz_types *types, const char *module,
					 const void *btf, size_t size)
{
	if (types->ops != &bt_ops)
		return uz_error_create(UZ_ERR_USAGE, "adding module BTF to a non-BTF provider");
	return add_object(types->impl, module, btf, size);
}

struct uz_error *uz_types_btf_runtime_symbol(struct uz_types *types, const char *name,
					     uint64_t *addr)
{
	if (types->ops != &bt_ops)
		return uz_error_create(UZ_ERR_USAGE, "runtime symbol from a non-BTF provider");
	return runtime_symbol(types->impl, name, addr);
}

size_t uz_types_btf_object_count(const struct uz_types *types)
{
	return types->ops == &bt_ops ? ((const struct bt_provider *)types->impl)->n_objs : 0;
}
