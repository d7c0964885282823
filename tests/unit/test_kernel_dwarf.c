/* The DWARF provider (lib/kernel/types_dwarf.c) reading this test binary's
 * own debuginfo: the expected sizes and offsets come from the compiler
 * (sizeof/offsetof, bit positions found by setting a bitfield), so nested
 * anonymous unions, arrays, typedefs, enumerators and bitfields are checked
 * against an independent source. */
#include <stddef.h>

#include "kernel/types.h"
#include "ut.h"

struct uz_test_inner {
	int a;
	union {
		long b;
		char c[3];
	};
};

struct uz_test_outer {
	char tag;
	struct uz_test_inner inner;
	struct {
		unsigned int huge : 1;
		unsigned int fullness : 4;
		unsigned int klass : 9;
		unsigned int magic : 8;
	};
	unsigned short straddle_pad;
	unsigned long arr[7];
	struct uz_test_inner inners[3];
	void *ptr;
};

enum uz_test_enum { UZ_TEST_A = 3, UZ_TEST_B = -2, UZ_TEST_BIG = 0x7fffffff };
typedef struct uz_test_outer uz_test_outer_t;

/* Globals so that the compiler emits the types. */
struct uz_test_outer uz_test_global[5];
enum uz_test_enum uz_test_enum_var;
uz_test_outer_t *uz_test_ptr;

static struct uz_error *open_self(struct uz_types *t)
{
	return uz_types_dwarf_open("/proc/self/exe", NULL, 0, t);
}

/* Bit position (from the start of the struct, LSB first) of a bitfield. */
static unsigned first_set_bit(const void *obj, size_t size)
{
	const unsigned char *p = obj;
	for (size_t i = 0; i < size; i++)
		for (unsigned b = 0; b < 8; b++)
			if (p[i] & (1u << b))
				return (unsigned)(i * 8 + b);
	return ~0u;
}

UT_TEST(sizes_and_members)
{
	struct uz_types t;
	UT_OK(open_self(&t));
	uint64_t v;
	struct uz_member m;
	UT_OK(t.ops->type_size(t.impl, "struct uz_test_outer", &v));
	UT_ASSERT_EQ(v, sizeof(struct uz_test_outer));
	UT_OK(t.ops->type_size(t.impl, "uz_test_outer_t", &v));
	UT_ASSERT_EQ(v, sizeof(struct uz_test_outer));
	UT_OK(t.ops->type_size(t.impl, "unsigned long", &v));
	UT_ASSERT_EQ(v, sizeof(unsigned long));
	UT_OK(t.ops->type_size(t.impl, "unsigned int", &v));
	UT_ASSERT_EQ(v, 4);
	UT_OK(t.ops->type_size(t.impl, "struct uz_test_inner *", &v));
	UT_ASSERT_EQ(v, 8);
	UT_OK(t.ops->type_size(t.impl, "enum uz_test_enum", &v));
	UT_ASSERT_EQ(v, sizeof(enum uz_test_enum));

	UT_OK(t.ops->member(t.impl, "struct uz_test_outer", "inner", &m));
	UT_ASSERT_EQ(m.offset, offsetof(struct uz_test_outer, inner));
	UT_ASSERT_EQ(m.size, sizeof(struct uz_test_inner));
	UT_OK(t.ops->member(t.impl, "struct uz_test_outer", "inner.b", &m));
	UT_ASSERT_EQ(m.offset, offsetof(struct uz_test_outer, inner) + offsetof(struct uz_test_inner, b));
	UT_ASSERT_EQ(m.size, sizeof(long));
	UT_OK(t.ops->member(t.impl, "struct uz_test_inner", "c", &m));  /* through the anonymous union */
	UT_ASSERT_EQ(m.offset, offsetof(struct uz_test_inner, c));
	UT_ASSERT_EQ(m.size, 3);
	UT_OK(t.ops->member(t.impl, "uz_test_outer_t", "inners[2].a", &m));
	UT_ASSERT_EQ(m.offset, offsetof(struct uz_test_outer, inners) + 2 * sizeof(struct uz_test_inner));
	UT_ASSERT_EQ(m.size, sizeof(int));
	UT_OK(t.ops->member(t.impl, "struct uz_test_outer", "arr", &m));
	UT_ASSERT_EQ(m.offset, offsetof(struct uz_test_outer, arr));
	UT_ASSERT_EQ(m.size, 7 * sizeof(unsigned long));
	UT_OK(t.ops->member(t.impl, "struct uz_test_outer", "ptr", &m));
	UT_ASSERT_EQ(m.offset, offsetof(struct uz_test_outer, ptr));
	UT_ASSERT_EQ(m.size, 8);
	UT_ERR(t.ops->member(t.impl, "struct uz_test_outer", "nope", &m), UZ_ERR_NOT_FOUND);
	UT_ERR(t.ops->member(t.impl, "struct uz_test_outer", "inner.a.x", &m), UZ_ERR_NOT_FOUND);
	UT_ERR(t.ops->type_size(t.impl, "struct uz_test_missing", &v), UZ_ERR_NOT_FOUND);
	uz_types_destroy(&t);
}

UT_TEST(bitfields)
{
	struct uz_types t;
	UT_OK(open_self(&t));
	static const struct { const char *name; unsigned width; } fields[] = {
		{ "huge", 1 }, { "fullness", 4 }, { "klass", 9 }, { "magic", 8 },
	};
	for (size_t i = 0; i < 4; i++) {
		struct uz_test_outer o;
		memset(&o, 0, sizeof(o));
		switch (i) {
		case 0: o.huge = 1; break;
		case 1: o.fullness = 1; break;
		case 2: o.klass = 1; break;
		case 3: o.magic = 1; break;
		}
		unsigned want_bit = first_set_bit(&o, sizeof(o));
		struct uz_member m;
		UT_OK(t.ops->member(t.impl, "struct uz_test_outer", fields[i].name, &m));
		UT_ASSERT_EQ(m.bit_size, fields[i].width);
		UT_ASSERT_EQ(m.offset * 8 + m.bit_offset, want_bit);
		UT_ASSERT(m.bit_offset + m.bit_size <= m.size * 8);
	}
	uz_types_destroy(&t);
}

UT_TEST(arrays_enums_symbols)
{
	struct uz_types t;
	UT_OK(open_self(&t));
	uint64_t v, a, b;
	UT_OK(t.ops->array_len(t.impl, NULL, "uz_test_global", &v));
	UT_ASSERT_EQ(v, 5);
	UT_OK(t.ops->array_len(t.impl, "struct uz_test_outer", "arr", &v));
	UT_ASSERT_EQ(v, 7);
	UT_ERR(t.ops->array_len(t.impl, NULL, "uz_test_ptr", &v), UZ_ERR_USAGE);
	int64_t e;
	UT_OK(t.ops->enumerator(t.impl, "UZ_TEST_A", &e));
	UT_ASSERT_EQ(e, UZ_TEST_A);
	UT_OK(t.ops->enumerator(t.impl, "UZ_TEST_B", &e));
	UT_ASSERT_EQ(e, (int64_t)UZ_TEST_B);
	UT_OK(t.ops->enumerator(t.impl, "UZ_TEST_BIG", &e));
	UT_ASSERT_EQ(e, UZ_TEST_BIG);
	UT_ERR(t.ops->enumerator(t.impl, "UZ_TEST_NONE", &e), UZ_ERR_NOT_FOUND);
	enum uz_var_kind kind;
	UT_OK(t.ops->var_kind(t.impl, "uz_test_ptr", &kind));
	UT_ASSERT_EQ(kind, UZ_VAR_POINTER);
	UT_OK(t.ops->var_kind(t.impl, "uz_test_global", &kind));
	UT_ASSERT_EQ(kind, UZ_VAR_ARRAY);
	/* Link-time addresses: a PIE is relocated, differences are not. */
	UT_OK(t.ops->symbol(t.impl, "uz_test_global", &a));
	UT_OK(t.ops->symbol(t.impl, "uz_test_ptr", &b));
	UT_ASSERT_EQ(b - a, (uint64_t)((uintptr_t)&uz_test_ptr - (uintptr_t)&uz_test_global));
	UT_ERR(t.ops->symbol(t.impl, "uz_test_no_such_symbol", &a), UZ_ERR_NOT_FOUND);
	UT_ASSERT(t.ops->banner(t.impl) == NULL);  /* not a kernel */
	uz_types_destroy(&t);
}

UT_TEST(bad_files)
{
	struct uz_types t;
	UT_ERR(uz_types_dwarf_open("/nonexistent/vmlinux", NULL, 0, &t), UZ_ERR_IO);
	UT_ERR(uz_types_dwarf_open("/proc/self/status", NULL, 0, &t), UZ_ERR_FORMAT);
	/* A module file that cannot be opened only hides that module's types. */
	const char *mods[] = { "/nonexistent/zram.ko" };
	UT_OK(uz_types_dwarf_open("/proc/self/exe", mods, 1, &t));
	uint64_t v;
	UT_ERR(t.ops->type_size(t.impl, "struct zram", &v), UZ_ERR_NOT_FOUND);
	UT_OK(t.ops->type_size(t.impl, "struct uz_test_inner", &v));
	uz_types_destroy(&t);
}

UT_MAIN(UT_CASE(sizes_and_members), UT_CASE(bitfields), UT_CASE(arrays_enums_symbols), UT_CASE(bad_files))
