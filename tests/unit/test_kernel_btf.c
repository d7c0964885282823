/* The BTF + kallsyms provider (lib/kernel/types_btf.c, kallsyms.c) on
 * synthetic input built here: BTF made with libbpf's writer describing C
 * structs of this file (expected offsets, sizes and bit positions come from
 * the compiler: offsetof, sizeof, a bitfield set to 1), kallsyms tables
 * encoded here from a symbol list, and a fake kernel memory holding both plus
 * a module list, read through VMCOREINFO like a dump. */
#include <bpf/btf.h>
#include <stddef.h>

#include "kernel/kallsyms.h"
#include "kernel/types_btf.h"
#include "kernel/vmcoreinfo.h"
#include "ut.h"

/* ---- C layouts the synthetic BTF describes ---- */

struct t_inner {
	int a;
	union {
		long b;
		char c[3];
	};
};

struct t_outer {
	char tag;
	struct t_inner inner;
	struct {
		unsigned int huge : 1;
		unsigned int fullness : 4;
		unsigned int klass : 9;
		unsigned int magic : 8;
	};
	unsigned long arr[7];
	void *ptr;
};

static unsigned first_set_bit(const void *obj, size_t size)
{
	const unsigned char *p = obj;
	for (size_t i = 0; i < size; i++)
		for (unsigned b = 0; b < 8; b++)
			if (p[i] & (1u << b))
				return (unsigned)(i * 8 + b);
	return ~0u;
}

struct bits {
	unsigned huge, fullness, klass, magic;
};

static struct bits bit_positions(void)
{
	struct bits b;
	struct t_outer o;
	memset(&o, 0, sizeof(o)); o.huge = 1; b.huge = first_set_bit(&o, sizeof(o));
	memset(&o, 0, sizeof(o)); o.fullness = 1; b.fullness = first_set_bit(&o, sizeof(o));
	memset(&o, 0, sizeof(o)); o.klass = 1; b.klass = first_set_bit(&o, sizeof(o));
	memset(&o, 0, sizeof(o)); o.magic = 1; b.magic = first_set_bit(&o, sizeof(o));
	return b;
}

enum { T_ENUM_A = 3, T_ENUM_B = -2 };

/* Type ids of the base BTF (btf__add_* returns them in order). */
struct base_ids {
	int int_t, ulong, chr, uint, voidp, list_head, inner, outer, outer_t, cv_outer, arr7, chr3,
	    module, btf_module, btf, name_arr;
};

/* Base ("vmlinux") BTF: the structs above, typedef/const/volatile chains, an
 * enum with a negative enumerator, a 64-bit enum, per-CPU variables, and the
 * kernel structs the module walk uses (list_head, module, btf_module, btf). */
static struct btf *make_base(struct base_ids *id)
{
	struct btf *b = btf__new_empty();
	if (!b)
		return NULL;
	struct bits bp = bit_positions();
	unsigned anon_bits = bp.huge / 32 * 32;   /* the anonymous struct's start */
	id->int_t = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	id->ulong = btf__add_int(b, "long unsigned int", 8, 0);
	id->chr = btf__add_int(b, "char", 1, BTF_INT_SIGNED);
	id->uint = btf__add_int(b, "unsigned int", 4, 0);
	int lng = btf__add_int(b, "long int", 8, BTF_INT_SIGNED);
	id->voidp = btf__add_ptr(b, 0);
	id->chr3 = btf__add_array(b, id->int_t, id->chr, 3);
	id->arr7 = btf__add_array(b, id->int_t, id->ulong, 7);
	id->list_head = btf__add_struct(b, "list_head", 16);
	btf__add_field(b, "next", id->voidp, 0, 0);
	btf__add_field(b, "prev", id->voidp, 64, 0);
	int anon_union = btf__add_union(b, NULL, 8);
	btf__add_field(b, "b", lng, 0, 0);
	btf__add_field(b, "c", id->chr3, 0, 0);
	id->inner = btf__add_struct(b, "t_inner", sizeof(struct t_inner));
	btf__add_field(b, "a", id->int_t, offsetof(struct t_inner, a) * 8, 0);
	btf__add_field(b, NULL, anon_union, offsetof(struct t_inner, b) * 8, 0);
	int anon_bits_struct = btf__add_struct(b, NULL, 4);
	btf__add_field(b, "huge", id->uint, bp.huge - anon_bits, 1);
	btf__add_field(b, "fullness", id->uint, bp.fullness - anon_bits, 4);
	btf__add_field(b, "klass", id->uint, bp.klass - anon_bits, 9);
	btf__add_field(b, "magic", id->uint, bp.magic - anon_bits, 8);
	id->outer = btf__add_struct(b, "t_outer", sizeof(struct t_outer));
	btf__add_field(b, "tag", id->chr, offsetof(struct t_outer, tag) * 8, 0);
	btf__add_field(b, "inner", id->inner, offsetof(struct t_outer, inner) * 8, 0);
	btf__add_field(b, NULL, anon_bits_struct, anon_bits, 0);
	btf__add_field(b, "arr", id->arr7, offsetof(struct t_outer, arr) * 8, 0);
	btf__add_field(b, "ptr", id->voidp, offsetof(struct t_outer, ptr) * 8, 0);
	id->outer_t = btf__add_typedef(b, "t_outer_t", id->outer);
	int c = btf__add_const(b, id->outer_t);
	id->cv_outer = btf__add_volatile(b, c);
	btf__add_typedef(b, "t_cv_outer_t", id->cv_outer);
	int e = btf__add_enum(b, "t_enum", 4);
	btf__add_enum_value(b, "T_ENUM_A", T_ENUM_A);
	btf__add_enum_value(b, "T_ENUM_B", T_ENUM_B);
	btf__add_enum64(b, "t_enum64", 8, false);
	btf__add_enum64_value(b, "T_ENUM_HUGE", 0x8000000000000001ULL);
	(void)e;
	int pcpu_arr = btf__add_array(b, id->int_t, id->int_t, 4);
	btf__add_var(b, "pcpu_counts", BTF_VAR_GLOBAL_ALLOCATED, pcpu_arr);
	btf__add_var(b, "pcpu_ptr", BTF_VAR_GLOBAL_ALLOCATED, id->voidp);
	/* Kernel structs the module walk reads (offsets chosen here). */
	id->name_arr = btf__add_array(b, id->int_t, id->chr, 56);
	id->module = btf__add_struct(b, "module", 88);
	btf__add_field(b, "list", id->list_head, 0, 0);
	btf__add_field(b, "name", id->name_arr, 16 * 8, 0);
	btf__add_field(b, "btf_data", id->voidp, 72 * 8, 0);
	btf__add_field(b, "btf_data_size", id->uint, 80 * 8, 0);
	id->btf_module = btf__add_struct(b, "btf_module", 32);
	btf__add_field(b, "list", id->list_head, 0, 0);
	btf__add_field(b, "module", id->voidp, 16 * 8, 0);
	btf__add_field(b, "btf", id->voidp, 24 * 8, 0);
	id->btf = btf__add_struct(b, "btf", 16);
	btf__add_field(b, "data", id->voidp, 0, 0);
	btf__add_field(b, "data_size", id->uint, 64, 0);
	return b;
}

/* A module's split BTF: struct <name>_t { int x; struct t_inner in; } and a
 * struct list_head of its own that must lose to vmlinux's. */
static struct btf *make_module(struct btf *base, const struct base_ids *id, const char *type_name,
			       uint32_t list_head_size)
{
	struct btf *m = btf__new_empty_split(base);
	if (!m)
		return NULL;
	btf__add_struct(m, type_name, 4 + sizeof(struct t_inner) + 4);
	btf__add_field(m, "x", id->int_t, 0, 0);
	btf__add_field(m, "in", id->inner, 8 * 8, 0);
	btf__add_struct(m, "list_head", list_head_size);
	return m;
}

static const void *raw(const struct btf *b, uint32_t *size)
{
	return btf__raw_data(b, size);
}

/* ---- types ---- */

UT_TEST(btf_types_from_memory)
{
	struct base_ids id;
	struct btf *b = make_base(&id);
	UT_ASSERT(b);
	uint32_t size;
	const void *data = raw(b, &size);
	UT_ASSERT(data);
	struct uz_types t;
	UT_OK(uz_types_btf_open_memory(data, size, NULL, 0, &t));
	uint64_t v;
	UT_OK(t.ops->type_size(t.impl, "struct t_outer", &v));
	UT_ASSERT_EQ(v, sizeof(struct t_outer));
	UT_OK(t.ops->type_size(t.impl, "t_outer_t", &v));
	UT_ASSERT_EQ(v, sizeof(struct t_outer));
	UT_OK(t.ops->type_size(t.impl, "t_cv_outer_t", &v));    /* typedef -> volatile -> const -> typedef */
	UT_ASSERT_EQ(v, sizeof(struct t_outer));
	UT_OK(t.ops->type_size(t.impl, "unsigned long", &v));
	UT_ASSERT_EQ(v, sizeof(unsigned long));
	UT_OK(t.ops->type_size(t.impl, "long", &v));
	UT_ASSERT_EQ(v, sizeof(long));
	UT_OK(t.ops->type_size(t.impl, "unsigned", &v));
	UT_ASSERT_EQ(v, sizeof(unsigned));
	UT_OK(t.ops->type_size(t.impl, "struct t_inner *", &v));
	UT_ASSERT_EQ(v, 8);
	UT_OK(t.ops->type_size(t.impl, "enum t_enum", &v));
	UT_ASSERT_EQ(v, 4);
	UT_ERR(t.ops->type_size(t.impl, "struct nope", &v), UZ_ERR_NOT_FOUND);
	UT_ERR(t.ops->type_size(t.impl, "unsigned short", &v), UZ_ERR_NOT_FOUND);

	struct uz_member m;
	UT_OK(t.ops->member(t.impl, "struct t_outer", "inner", &m));
	UT_ASSERT_EQ(m.offset, offsetof(struct t_outer, inner));
	UT_ASSERT_EQ(m.size, sizeof(struct t_inner));
	UT_ASSERT_EQ(m.bit_size, 0);
	UT_OK(t.ops->member(t.impl, "struct t_outer", "inner.b", &m));      /* through an anonymous union */
	UT_ASSERT_EQ(m.offset, offsetof(struct t_outer, inner.b));
	UT_ASSERT_EQ(m.size, sizeof(long));
	UT_OK(t.ops->member(t.impl, "t_cv_outer_t", "inner.c[2]", &m));
	UT_ASSERT_EQ(m.offset, offsetof(struct t_outer, inner.c) + 2);
	UT_ASSERT_EQ(m.size, 1);
	UT_OK(t.ops->member(t.impl, "struct t_outer", "arr[5]", &m));
	UT_ASSERT_EQ(m.offset, offsetof(struct t_outer, arr) + 5 * sizeof(unsigned long));
	UT_ASSERT_EQ(m.size, sizeof(unsigned long));
	UT_OK(t.ops->member(t.impl, "struct t_outer", "arr", &m));
	UT_ASSERT_EQ(m.size, sizeof(((struct t_outer *)0)->arr));
	UT_OK(t.ops->member(t.impl, "struct t_outer", "ptr", &m));
	UT_ASSERT_EQ(m.offset, offsetof(struct t_outer, ptr));
	UT_ASSERT_EQ(m.size, 8);

	/* Bitfields in an anonymous struct: storage unit of the declared type. */
	struct bits bp = bit_positions();
	static const struct { const char *name; unsigned width; } fields[] = {
		{ "huge", 1 }, { "fullness", 4 }, { "klass", 9 }, { "magic", 8 },
	};
	unsigned positions[4] = { bp.huge, bp.fullness, bp.klass, bp.magic };
	for (int i = 0; i < 4; i++) {
		UT_OK(t.ops->member(t.impl, "struct t_outer", fields[i].name, &m));
		UT_ASSERT_EQ(m.bit_size, fields[i].width);
		UT_ASSERT_EQ(m.size, 4);
		UT_ASSERT_EQ(m.offset * 8 + m.bit_offset, positions[i]);
		UT_ASSERT(m.offset % 4 == 0);
	}
	UT_ERR(t.ops->member(t.impl, "struct t_outer", "nothere", &m), UZ_ERR_NOT_FOUND);
	UT_ERR(t.ops->member(t.impl, "struct t_outer", "tag.x", &m), UZ_ERR_NOT_FOUND);
	UT_ERR(t.ops->member(t.impl, "struct t_outer", "tag[1]", &m), UZ_ERR_USAGE);
	UT_ERR(t.ops->member(t.impl, "struct t_outer *", "tag", &m), UZ_ERR_USAGE);

	int64_t e;
	UT_OK(t.ops->enumerator(t.impl, "T_ENUM_A", &e));
	UT_ASSERT_EQ(e, T_ENUM_A);
	UT_OK(t.ops->enumerator(t.impl, "T_ENUM_B", &e));
	UT_ASSERT(e == T_ENUM_B);
	UT_OK(t.ops->enumerator(t.impl, "T_ENUM_HUGE", &e));
	UT_ASSERT_EQ(e, 0x8000000000000001ULL);
	UT_ERR(t.ops->enumerator(t.impl, "T_ENUM_C", &e), UZ_ERR_NOT_FOUND);

	UT_OK(t.ops->array_len(t.impl, "struct t_outer", "arr", &v));
	UT_ASSERT_EQ(v, 7);
	UT_OK(t.ops->array_len(t.impl, "struct t_outer", "inner.c", &v));
	UT_ASSERT_EQ(v, 3);
	UT_OK(t.ops->array_len(t.impl, NULL, "pcpu_counts", &v));
	UT_ASSERT_EQ(v, 4);
	UT_ERR(t.ops->array_len(t.impl, NULL, "swap_info", &v), UZ_ERR_NOT_FOUND);
	enum uz_var_kind k;
	UT_OK(t.ops->var_kind(t.impl, "pcpu_ptr", &k));
	UT_ASSERT_EQ(k, UZ_VAR_POINTER);
	UT_OK(t.ops->var_kind(t.impl, "pcpu_counts", &k));
	UT_ASSERT_EQ(k, UZ_VAR_ARRAY);

	/* Module split BTF: its own types resolve through base ids; a name
	 * vmlinux already has keeps vmlinux's type. */
	struct btf *mb = make_module(b, &id, "alpha_t", 99);
	UT_ASSERT(mb);
	const void *mdata = raw(mb, &size);
	UT_OK(uz_types_btf_add_module(&t, "alpha", mdata, size));
	UT_OK(t.ops->member(t.impl, "struct alpha_t", "in.b", &m));
	UT_ASSERT_EQ(m.offset, 8 + offsetof(struct t_inner, b));
	UT_OK(t.ops->type_size(t.impl, "struct list_head", &v));
	UT_ASSERT_EQ(v, 16);
	UT_ASSERT_EQ(uz_types_btf_object_count(&t), 2);
	UT_ERR(uz_types_btf_add_module(&t, "garbage", "not btf at all", 14), UZ_ERR_FORMAT);
	UT_ASSERT(t.ops->banner(t.impl) == NULL);
	size_t id_len;
	UT_ASSERT(t.ops->build_id(t.impl, &id_len) == NULL && id_len == 0);
	UT_ERR(t.ops->symbol(t.impl, "anything", &v), UZ_ERR_NOT_FOUND);
	uz_types_destroy(&t);
	btf__free(mb);
	btf__free(b);
}

UT_TEST(btf_rejects_garbage)
{
	struct uz_types t;
	static const uint8_t junk[64] = { 0x9f, 0xeb, 1, 0, 24, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f };
	UT_ERR(uz_types_btf_open_memory(junk, sizeof(junk), NULL, 0, &t), UZ_ERR_FORMAT);
	UT_ERR(uz_types_btf_open_memory(junk, 0, NULL, 0, &t), UZ_ERR_FORMAT);
	UT_ASSERT(t.ops == NULL);
}

/* ---- kallsyms ---- */

struct sym {
	char type;
	const char *name;
	uint64_t addr;     /* runtime, or per-CPU offset when absolute */
	bool absolute;
};

/* Tokens 0..127 are single characters, 128.. a few common substrings. */
static const char *const multi_tokens[] = { "kallsyms_", "init_", "swap", "_info", "__" };

struct ks_tables {
	uint8_t names[16384];
	size_t names_len;
	uint8_t token_table[2048];
	size_t token_table_len;
	uint8_t token_index[512];
	uint8_t offsets[64 * 8];
};

static void build_tokens(struct ks_tables *k)
{
	size_t n = 0;
	for (unsigned t = 0; t < 256; t++) {
		k->token_index[2 * t] = (uint8_t)n;
		k->token_index[2 * t + 1] = (uint8_t)(n >> 8);
		size_t nm = sizeof(multi_tokens) / sizeof(multi_tokens[0]);
		if (t >= 128 && t - 128 < nm) {
			size_t l = strlen(multi_tokens[t - 128]);
			memcpy(k->token_table + n, multi_tokens[t - 128], l);
			n += l;
		} else if (t > 0 && t < 128) {
			k->token_table[n++] = (uint8_t)t;
		}
		k->token_table[n++] = 0;
	}
	k->token_table_len = n;
}

static void encode_name(struct ks_tables *k, char type, const char *name)
{
	uint8_t enc[1024];
	size_t n = 0;
	enc[n++] = (uint8_t)type;
	for (const char *s = name; *s;) {
		size_t nm = sizeof(multi_tokens) / sizeof(multi_tokens[0]), i;
		for (i = 0; i < nm; i++)
			if (strncmp(s, multi_tokens[i], strlen(multi_tokens[i])) == 0)
				break;
		if (i < nm) {
			enc[n++] = (uint8_t)(128 + i);
			s += strlen(multi_tokens[i]);
		} else {
			enc[n++] = (uint8_t)*s++;
		}
	}
	if (n >= 128) {   /* 6.1+: two-byte length, seven low bits first */
		k->names[k->names_len++] = (uint8_t)(0x80 | (n & 0x7f));
		k->names[k->names_len++] = (uint8_t)(n >> 7);
	} else {
		k->names[k->names_len++] = (uint8_t)n;
	}
	memcpy(k->names + k->names_len, enc, n);
	k->names_len += n;
}

/* KS_PLACE_RELATIVE: 7.0/7.1+ (scripts/kallsyms.c --pc-relative, 7.1.13),
 * `base` being the address of kallsyms_offsets[0]. */
enum ks_mode { KS_RELATIVE, KS_ABSOLUTE_PERCPU, KS_ADDRESSES, KS_PLACE_RELATIVE };

static void build_kallsyms(struct ks_tables *k, const struct sym *syms, size_t n, enum ks_mode mode,
			   uint64_t base, struct uz_kallsyms_raw *raw)
{
	memset(k, 0, sizeof(*k));
	build_tokens(k);
	for (size_t i = 0; i < n; i++) {
		encode_name(k, syms[i].type, syms[i].name);
		uint64_t v;
		if (mode == KS_ADDRESSES) {
			v = syms[i].addr;
			memcpy(k->offsets + 8 * i, &v, 8);
			continue;
		}
		int32_t off;
		if (mode == KS_RELATIVE)
			off = (int32_t)(uint32_t)(syms[i].addr - base);
		else if (mode == KS_PLACE_RELATIVE)   /* .long sym - . */
			off = (int32_t)(int64_t)(syms[i].addr - (base + 4 * i));
		else if (syms[i].absolute)
			off = (int32_t)syms[i].addr;
		else
			off = (int32_t)(-(int64_t)(syms[i].addr - base) - 1);
		memcpy(k->offsets + 4 * i, &off, 4);
	}
	memset(raw, 0, sizeof(*raw));
	raw->num_syms = (uint32_t)n;
	raw->names = k->names;
	raw->names_size = k->names_len;
	raw->token_table = k->token_table;
	raw->token_table_size = k->token_table_len;
	raw->token_index = k->token_index;
	raw->token_index_size = sizeof(k->token_index);
	raw->offsets = k->offsets;
	raw->offsets_size = n * (mode == KS_ADDRESSES ? 8 : 4);
	raw->absolute_addresses = mode == KS_ADDRESSES;
	raw->place_relative = mode == KS_PLACE_RELATIVE;
	raw->relative_base = mode == KS_PLACE_RELATIVE ? 0 : base;
	raw->offsets_addr = mode == KS_PLACE_RELATIVE ? base : 0;
}

#define BASE 0xffffffff93000000ULL
static char long_name[201];

static const struct sym *test_symbols(size_t *n)
{
	memset(long_name, 'q', 200);
	long_name[200] = '\0';
	static struct sym syms[] = {
		{ 'A', "fixed_percpu_data", 0, true },
		{ 'A', "runqueues", 0x31980, true },
		{ 'T', "_text", BASE, false },
		{ 't', "init_swap_info", BASE + 0x100, false },
		{ 'D', "kallsyms_swap_info", BASE + 0x2000, false },
		{ 'd', "dup", BASE + 0x3000, false },
		{ 'D', "dup", BASE + 0x4000, false },
		{ 't', "dup", BASE + 0x5000, false },
		{ 'b', long_name, BASE + 0x6000, false },
		{ 'R', "__start_BTF", BASE + 0x7000, false },
	};
	*n = sizeof(syms) / sizeof(syms[0]);
	return syms;
}

static void check_symbols(struct ut_state *ut_, const struct uz_kallsyms *ks, const struct sym *syms,
			  size_t n, bool percpu)
{
	UT_ASSERT_EQ(uz_kallsyms_count(ks), n - (percpu ? 0 : 2));
	size_t first = percpu ? 0 : 2;
	for (size_t i = first; i < n; i++) {
		const struct uz_kallsyms_symbol *s = uz_kallsyms_at(ks, i - first);
		UT_ASSERT(s);
		UT_ASSERT(strcmp(s->name, syms[i].name) == 0);
		UT_ASSERT_EQ(s->type, syms[i].type);
		UT_ASSERT_EQ(s->addr, syms[i].addr);
		UT_ASSERT_EQ(s->absolute, percpu && syms[i].absolute);
	}
	const struct uz_kallsyms_symbol *d = uz_kallsyms_lookup(ks, "dup");
	UT_ASSERT(d && d->type == 'D' && d->addr == BASE + 0x4000);   /* the global wins */
	d = uz_kallsyms_lookup(ks, long_name);
	UT_ASSERT(d && d->addr == BASE + 0x6000);
	UT_ASSERT(uz_kallsyms_lookup(ks, "missing") == NULL);
}

UT_TEST(kallsyms_decode_modes)
{
	size_t n;
	const struct sym *syms = test_symbols(&n);
	static struct ks_tables k;
	struct uz_kallsyms_raw raw;
	struct uz_kallsyms *ks;

	build_kallsyms(&k, syms, n, KS_ABSOLUTE_PERCPU, BASE, &raw);
	UT_OK(uz_kallsyms_decode(&raw, &ks));
	check_symbols(ut_, ks, syms, n, true);
	uz_kallsyms_free(ks);
	if (ut_->failed)
		return;

	build_kallsyms(&k, syms + 2, n - 2, KS_RELATIVE, BASE, &raw);
	UT_OK(uz_kallsyms_decode(&raw, &ks));
	check_symbols(ut_, ks, syms, n, false);
	uz_kallsyms_free(ks);
	if (ut_->failed)
		return;

	build_kallsyms(&k, syms + 2, n - 2, KS_ADDRESSES, 0, &raw);
	UT_OK(uz_kallsyms_decode(&raw, &ks));
	check_symbols(ut_, ks, syms, n, false);
	uz_kallsyms_free(ks);
	if (ut_->failed)
		return;

	/* 7.0/7.1+: each offset relative to its own entry; the table sits
	 * after the symbols (offsets negative) in the real image. */
	build_kallsyms(&k, syms + 2, n - 2, KS_PLACE_RELATIVE, BASE + 0x800000, &raw);
	int32_t first;
	memcpy(&first, k.offsets, 4);
	UT_ASSERT(first < 0);
	UT_OK(uz_kallsyms_decode(&raw, &ks));
	check_symbols(ut_, ks, syms, n, false);
	uz_kallsyms_free(ks);
}

UT_TEST(kallsyms_hostile)
{
	size_t n;
	const struct sym *syms = test_symbols(&n);
	static struct ks_tables k;
	struct uz_kallsyms_raw raw, bad;
	struct uz_kallsyms *ks;
	build_kallsyms(&k, syms, n, KS_ABSOLUTE_PERCPU, BASE, &raw);

	bad = raw; bad.names_size -= 3;                      /* last name cut */
	UT_ERR(uz_kallsyms_decode(&bad, &ks), UZ_ERR_FORMAT);
	bad = raw; bad.num_syms = (uint32_t)n + 1;           /* more names than the table */
	UT_ERR(uz_kallsyms_decode(&bad, &ks), UZ_ERR_FORMAT);
	bad = raw; bad.num_syms = UZ_KALLSYMS_MAX_SYMS + 1;
	UT_ERR(uz_kallsyms_decode(&bad, &ks), UZ_ERR_FORMAT);
	bad = raw; bad.num_syms = 0;
	UT_ERR(uz_kallsyms_decode(&bad, &ks), UZ_ERR_FORMAT);
	bad = raw; bad.offsets_size = 4 * (n - 1);
	UT_ERR(uz_kallsyms_decode(&bad, &ks), UZ_ERR_FORMAT);
	bad = raw; bad.token_index_size = 100;
	UT_ERR(uz_kallsyms_decode(&bad, &ks), UZ_ERR_FORMAT);
	bad = raw; bad.token_table_size = k.token_table_len - 1;   /* last token unterminated */
	UT_ERR(uz_kallsyms_decode(&bad, &ks), UZ_ERR_FORMAT);
	uint8_t saved = k.token_index[511];
	k.token_index[511] = 0xff;                            /* token 255 far past the table */
	UT_ERR(uz_kallsyms_decode(&raw, &ks), UZ_ERR_FORMAT);
	k.token_index[511] = saved;
	saved = k.names[0];
	k.names[0] = 0;                                       /* empty name */
	UT_ERR(uz_kallsyms_decode(&raw, &ks), UZ_ERR_FORMAT);
	k.names[0] = saved;
	UT_OK(uz_kallsyms_decode(&raw, &ks));                 /* restored: fine again */
	uz_kallsyms_free(ks);
}

/* ---- the whole provider over fake kernel memory ---- */

#define MEM_VA 0xffffffff81000000ULL
#define MEM_SIZE (2u << 20)
#define KASLR 0x12200000ULL

struct fake_mem {
	uint8_t *bytes;
	uint64_t va;
	size_t size;
};

static struct uz_error *fake_read(void *ctx, uint64_t vaddr, void *buf, size_t len)
{
	struct fake_mem *m = ctx;
	if (vaddr < m->va || vaddr - m->va > m->size || len > m->size - (vaddr - m->va))
		return uz_error_create(UZ_ERR_FAULT, "0x%" PRIx64 " is not in the fake memory", vaddr);
	memcpy(buf, m->bytes + (vaddr - m->va), len);
	return NULL;
}

static void put64(struct fake_mem *m, uint64_t va, uint64_t v) { memcpy(m->bytes + (va - m->va), &v, 8); }
static void put32(struct fake_mem *m, uint64_t va, uint32_t v) { memcpy(m->bytes + (va - m->va), &v, 4); }
static void put(struct fake_mem *m, uint64_t va, const void *p, size_t n) { memcpy(m->bytes + (va - m->va), p, n); }

/* Layout of the fake image (offsets from MEM_VA + KASLR). */
enum {
	OFF_NUM = 0x100, OFF_BASE = 0x108, OFF_TINDEX = 0x200, OFF_TTABLE = 0x400, OFF_OFFSETS = 0xc00,
	OFF_BANNER = 0x1000, OFF_MODULES = 0x1100, OFF_BTF_MODULES = 0x1110, OFF_MOD_A = 0x1200,
	OFF_MOD_B = 0x1300, OFF_BTFMOD_B = 0x1400, OFF_BTF_B = 0x1500, OFF_BTF = 0x2000,
	OFF_MODBTF_A = 0x40000, OFF_MODBTF_B = 0x48000, OFF_NAMES = 0x50000,
};

UT_TEST(btf_provider_over_fake_memory)
{
	struct base_ids id;
	struct btf *b = make_base(&id);
	struct btf *ma = b ? make_module(b, &id, "alpha_t", 99) : NULL;
	struct btf *mb = b ? make_module(b, &id, "beta_t", 98) : NULL;
	UT_ASSERT(b && ma && mb);
	uint32_t bsize, asize, bbsize;
	const void *bdata = raw(b, &bsize), *adata = raw(ma, &asize), *bbdata = raw(mb, &bbsize);
	UT_ASSERT(bsize < OFF_MODBTF_A - OFF_BTF && asize < 0x8000 && bbsize < 0x8000);

	struct fake_mem mem = { calloc(1, MEM_SIZE), MEM_VA + KASLR, MEM_SIZE };
	UT_ASSERT(mem.bytes);
	uint64_t va = mem.va;
	static const char banner[] = "Linux version 6.1.0-test (synthetic) #1 SMP\n";
	const struct sym syms[] = {
		{ 'A', "runqueues", 0x31980, true },
		{ 'T', "_text", va, false },
		{ 'D', "linux_banner", va + OFF_BANNER, false },
		{ 'D', "modules", va + OFF_MODULES, false },
		{ 'd', "btf_modules", va + OFF_BTF_MODULES, false },
		{ 'R', "__start_BTF", va + OFF_BTF, false },
		{ 'R', "__stop_BTF", va + OFF_BTF + bsize, false },
	};
	size_t n = sizeof(syms) / sizeof(syms[0]);
	static struct ks_tables k;
	struct uz_kallsyms_raw kraw;
	build_kallsyms(&k, syms, n, KS_ABSOLUTE_PERCPU, va, &kraw);
	put32(&mem, va + OFF_NUM, (uint32_t)n);
	put64(&mem, va + OFF_BASE, va);
	put(&mem, va + OFF_TINDEX, k.token_index, sizeof(k.token_index));
	put(&mem, va + OFF_TTABLE, k.token_table, k.token_table_len);
	put(&mem, va + OFF_OFFSETS, k.offsets, 4 * n);
	put(&mem, va + OFF_NAMES, k.names, k.names_len);
	put(&mem, va + OFF_BANNER, banner, sizeof(banner));
	put(&mem, va + OFF_BTF, bdata, bsize);
	put(&mem, va + OFF_MODBTF_A, adata, asize);
	put(&mem, va + OFF_MODBTF_B, bbdata, bbsize);
	/* modules -> alpha (btf_data set) -> beta (btf_data cleared, BTF via btf_modules) -> modules */
	put64(&mem, va + OFF_MODULES, va + OFF_MOD_A);
	put64(&mem, va + OFF_MOD_A, va + OFF_MOD_B);
	put64(&mem, va + OFF_MOD_B, va + OFF_MODULES);
	put(&mem, va + OFF_MOD_A + 16, "alpha", 6);
	put64(&mem, va + OFF_MOD_A + 72, va + OFF_MODBTF_A);
	put32(&mem, va + OFF_MOD_A + 80, asize);
	put(&mem, va + OFF_MOD_B + 16, "beta", 5);
	put64(&mem, va + OFF_BTF_MODULES, va + OFF_BTFMOD_B);
	put64(&mem, va + OFF_BTFMOD_B, va + OFF_BTF_MODULES);
	put64(&mem, va + OFF_BTFMOD_B + 16, va + OFF_MOD_B);
	put64(&mem, va + OFF_BTFMOD_B + 24, va + OFF_BTF_B);
	put64(&mem, va + OFF_BTF_B, va + OFF_MODBTF_B);
	put32(&mem, va + OFF_BTF_B + 8, bbsize);

	char vmci_text[1024];
	snprintf(vmci_text, sizeof(vmci_text),
		 "OSRELEASE=6.1.0-test\nPAGESIZE=4096\nKERNELOFFSET=%llx\n"
		 "SYMBOL(kallsyms_names)=%llx\nSYMBOL(kallsyms_num_syms)=%llx\n"
		 "SYMBOL(kallsyms_token_table)=%llx\nSYMBOL(kallsyms_token_index)=%llx\n"
		 "SYMBOL(kallsyms_offsets)=%llx\nSYMBOL(kallsyms_relative_base)=%llx\n",
		 (unsigned long long)KASLR, (unsigned long long)(va + OFF_NAMES),
		 (unsigned long long)(va + OFF_NUM), (unsigned long long)(va + OFF_TTABLE),
		 (unsigned long long)(va + OFF_TINDEX), (unsigned long long)(va + OFF_OFFSETS),
		 (unsigned long long)(va + OFF_BASE));
	struct uz_vmci *vmci;
	UT_OK(uz_vmci_parse(vmci_text, strlen(vmci_text), &vmci));
	struct uz_types t;
	UT_OK(uz_types_btf_open(fake_read, &mem, vmci, &t));

	uint64_t v;
	UT_OK(t.ops->symbol(t.impl, "modules", &v));          /* link-time: runtime - KERNELOFFSET */
	UT_ASSERT_EQ(v, va + OFF_MODULES - KASLR);
	UT_OK(uz_types_btf_runtime_symbol(&t, "modules", &v));
	UT_ASSERT_EQ(v, va + OFF_MODULES);
	UT_OK(t.ops->symbol(t.impl, "runqueues", &v));        /* per-CPU: unchanged */
	UT_ASSERT_EQ(v, 0x31980);
	UT_ASSERT(t.ops->banner(t.impl) && strcmp(t.ops->banner(t.impl), banner) == 0);
	UT_OK(t.ops->type_size(t.impl, "struct t_outer", &v));
	UT_ASSERT_EQ(v, sizeof(struct t_outer));
	UT_ASSERT_EQ(uz_types_btf_object_count(&t), 1);       /* modules not read yet */
	struct uz_member m;
	UT_OK(t.ops->member(t.impl, "struct beta_t", "in.a", &m));   /* a miss loads module BTF */
	UT_ASSERT_EQ(m.offset, 8 + offsetof(struct t_inner, a));
	UT_ASSERT_EQ(uz_types_btf_object_count(&t), 3);
	UT_OK(t.ops->type_size(t.impl, "struct alpha_t", &v));
	UT_ASSERT_EQ(v, 4 + sizeof(struct t_inner) + 4);
	UT_OK(t.ops->type_size(t.impl, "struct list_head", &v));
	UT_ASSERT_EQ(v, 16);
	UT_ERR(t.ops->type_size(t.impl, "struct gamma_t", &v), UZ_ERR_NOT_FOUND);
	uz_types_destroy(&t);

	/* A module list that loops without returning to its head ends in an
	 * error, not a hang; a miss then is not NOT_FOUND ("none") but the
	 * list's error: the type may be in a module that was not reached. */
	put64(&mem, va + OFF_MOD_B, va + OFF_MOD_A);
	UT_OK(uz_types_btf_open(fake_read, &mem, vmci, &t));
	struct uz_error *err = t.ops->type_size(t.impl, "struct nowhere", &v);
	UT_ASSERT(err && err->code == UZ_ERR_FORMAT && strstr(err->message, "loop"));
	uz_error_destroy(err);
	uz_types_destroy(&t);

	/* No BTF in the kernel (kallsyms has data symbols, init_task among
	 * them): a clear error naming the config option. */
	put64(&mem, va + OFF_MOD_B, va + OFF_MODULES);
	memset(k.names, 0, sizeof(k.names));
	const struct sym no_btf[] = { { 'T', "_text", va, false }, { 'D', "modules", va + OFF_MODULES, false },
				      { 'D', "init_task", va + OFF_MODULES + 64, false } };
	build_kallsyms(&k, no_btf, 3, KS_RELATIVE, va, &kraw);
	put32(&mem, va + OFF_NUM, 3);
	put(&mem, va + OFF_TINDEX, k.token_index, sizeof(k.token_index));
	put(&mem, va + OFF_OFFSETS, k.offsets, 12);
	put(&mem, va + OFF_NAMES, k.names, k.names_len);
	err = uz_types_btf_open(fake_read, &mem, vmci, &t);
	UT_ASSERT(err && err->code == UZ_ERR_NOT_FOUND && strstr(err->message, "CONFIG_DEBUG_INFO_BTF"));
	uz_error_destroy(err);

	/* kallsyms with text symbols only (CONFIG_KALLSYMS_ALL off, as in
	 * Debian's arm64 6.1): the BTF may exist but cannot be located, and
	 * the error must say that rather than blame BTF. */
	memset(k.names, 0, sizeof(k.names));
	const struct sym text_only[] = { { 'T', "_text", va, false }, { 'T', "_stext", va + 0x100, false } };
	build_kallsyms(&k, text_only, 2, KS_RELATIVE, va, &kraw);
	put32(&mem, va + OFF_NUM, 2);
	put(&mem, va + OFF_TINDEX, k.token_index, sizeof(k.token_index));
	put(&mem, va + OFF_OFFSETS, k.offsets, 8);
	put(&mem, va + OFF_NAMES, k.names, k.names_len);
	err = uz_types_btf_open(fake_read, &mem, vmci, &t);
	UT_ASSERT(err && err->code == UZ_ERR_NOT_FOUND && strstr(err->message, "CONFIG_KALLSYMS_ALL"));
	uz_error_destroy(err);

	uz_vmci_free(vmci);
	free(mem.bytes);
	btf__free(ma);
	btf__free(mb);
	btf__free(b);
}

/* 7.1+ VMCOREINFO has SYMBOL(kallsyms_offsets) and no
 * SYMBOL(kallsyms_relative_base) (kernel/vmcore_info.c 7.1.13): read
 * through uz_kallsyms_read, the addresses come out place-relative, with
 * _text and the per-CPU-free symbol set of a 7.x x86_64 kernel. */
UT_TEST(kallsyms_read_place_relative)
{
	enum { K_NUM = 0x100, K_TINDEX = 0x200, K_TTABLE = 0x400, K_OFFSETS = 0xc00, K_NAMES = 0x2000 };
	uint64_t va = 0xffffffff81000000ULL + 0x2a400000ULL;
	const struct sym syms[] = {
		{ 'T', "_text", va, false },
		{ 'T', "zs_malloc", va + 0x3a1230, false },
		{ 'D', "swap_info", va + 0x1e40a80, false },
		{ 'b', "nr_swapfiles", va + 0x2f00010, false },
	};
	size_t n = sizeof(syms) / sizeof(syms[0]);
	static struct ks_tables k;
	struct uz_kallsyms_raw kraw;
	build_kallsyms(&k, syms, n, KS_PLACE_RELATIVE, va + K_OFFSETS, &kraw);
	struct fake_mem mem = { calloc(1, 0x48000), va, 0x48000 };   /* names are read 256 KiB at a time */
	UT_ASSERT(mem.bytes);
	uint32_t num = (uint32_t)n;
	memcpy(mem.bytes + K_NUM, &num, 4);
	memcpy(mem.bytes + K_TINDEX, k.token_index, sizeof(k.token_index));
	memcpy(mem.bytes + K_TTABLE, k.token_table, k.token_table_len);
	memcpy(mem.bytes + K_OFFSETS, k.offsets, 4 * n);
	memcpy(mem.bytes + K_NAMES, k.names, k.names_len);
	char text[512];
	snprintf(text, sizeof(text),
		 "OSRELEASE=7.3.4+deb13-cloud-amd64\nPAGESIZE=4096\n"
		 "SYMBOL(kallsyms_names)=%llx\nSYMBOL(kallsyms_num_syms)=%llx\n"
		 "SYMBOL(kallsyms_token_table)=%llx\nSYMBOL(kallsyms_token_index)=%llx\n"
		 "SYMBOL(kallsyms_offsets)=%llx\n",
		 (unsigned long long)(va + K_NAMES), (unsigned long long)(va + K_NUM),
		 (unsigned long long)(va + K_TTABLE), (unsigned long long)(va + K_TINDEX),
		 (unsigned long long)(va + K_OFFSETS));
	struct uz_vmci *vmci;
	UT_OK(uz_vmci_parse(text, strlen(text), &vmci));
	struct uz_kallsyms *ks = NULL;
	UT_OK(uz_kallsyms_read(fake_read, &mem, vmci, &ks));
	UT_ASSERT(ks);
	if (ks) {
		UT_ASSERT_EQ(uz_kallsyms_count(ks), n);
		for (size_t i = 0; i < n; i++) {
			const struct uz_kallsyms_symbol *s = uz_kallsyms_lookup(ks, syms[i].name);
			UT_ASSERT(s && s->addr == syms[i].addr && !s->absolute);
		}
	}
	uz_kallsyms_free(ks);
	uz_vmci_free(vmci);
	free(mem.bytes);
}

UT_MAIN(UT_CASE(btf_types_from_memory), UT_CASE(btf_rejects_garbage), UT_CASE(kallsyms_decode_modes),
	UT_CASE(kallsyms_hostile), UT_CASE(btf_provider_over_fake_memory),
	UT_CASE(kallsyms_read_place_relative))
