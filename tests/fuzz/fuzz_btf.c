/* libFuzzer target for the dump-only type provider: the kallsyms decoder
 * (lib/kernel/kallsyms.c) on arbitrary tables, and the BTF provider
 * (lib/kernel/types_btf.c) on arbitrary BTF and on valid BTF with arbitrary
 * bytes XORed in (libbpf accepts much of that: type ids pointing nowhere,
 * typedef loops, bad member types), as vmlinux BTF and as a module's split
 * BTF.  Invariants: no crash, no hang, no leak; lookups end in an answer or
 * an error. */
#include <bpf/btf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kallsyms.h"
#include "kernel/types_btf.h"

static void fuzz_kallsyms(const uint8_t *data, size_t size)
{
	/* num_syms (2 bytes), flags, token table length (2), names length (2),
	 * then token index (512), token table, names, offsets. */
	if (size < 7 + 512)
		return;
	struct uz_kallsyms_raw raw;
	memset(&raw, 0, sizeof(raw));
	raw.num_syms = (uint32_t)(data[0] | data[1] << 8);
	raw.absolute_addresses = data[2] & 1;
	raw.relative_base = data[2] & 2 ? 0xffffffff81000000ull : 0;
	size_t ttable = (size_t)(data[3] | data[4] << 8), names = (size_t)(data[5] | data[6] << 8);
	data += 7;
	size -= 7;
	raw.token_index = data;
	raw.token_index_size = 512;
	data += 512;
	size -= 512;
	if (ttable > size)
		ttable = size;
	raw.token_table = data;
	raw.token_table_size = ttable;
	data += ttable;
	size -= ttable;
	if (names > size)
		names = size;
	raw.names = data;
	raw.names_size = names;
	raw.offsets = data + names;
	raw.offsets_size = size - names;
	struct uz_kallsyms *ks;
	struct uz_error *err = uz_kallsyms_decode(&raw, &ks);
	if (err) {
		uz_error_destroy(err);
		return;
	}
	if (uz_kallsyms_count(ks) != raw.num_syms)
		abort();
	for (size_t i = 0; i < uz_kallsyms_count(ks); i++) {
		const struct uz_kallsyms_symbol *s = uz_kallsyms_at(ks, i);
		if (uz_kallsyms_lookup(ks, s->name) == NULL)
			abort();   /* every decoded name must be found */
	}
	uz_kallsyms_free(ks);
}

/* A small valid BTF with the shapes the provider walks. */
static struct btf *seed_btf(void)
{
	struct btf *b = btf__new_empty();
	if (!b)
		return NULL;
	int i = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	int ul = btf__add_int(b, "long unsigned int", 8, 0);
	int p = btf__add_ptr(b, 0);
	int arr = btf__add_array(b, i, ul, 4);
	int u = btf__add_union(b, NULL, 8);
	btf__add_field(b, "x", ul, 0, 0);
	btf__add_field(b, "y", p, 0, 0);
	int s = btf__add_struct(b, "s", 64);
	btf__add_field(b, "a", i, 0, 0);
	btf__add_field(b, NULL, u, 64, 0);
	btf__add_field(b, "arr", arr, 128, 0);
	btf__add_field(b, "bf", i, 384, 3);
	btf__add_field(b, "bf2", i, 387, 29);
	int td = btf__add_typedef(b, "s_t", s);
	btf__add_const(b, td);
	btf__add_enum(b, "e", 4);
	btf__add_enum_value(b, "E_A", 1);
	btf__add_enum_value(b, "E_B", -1);
	btf__add_var(b, "v", BTF_VAR_GLOBAL_ALLOCATED, arr);
	return b;
}

static void lookups(struct uz_types *t)
{
	static const char *const types[] = { "struct s", "s_t", "int", "unsigned long", "enum e",
					     "union u", "struct s *", "struct m" };
	static const char *const members[] = { "a", "x", "y", "arr", "arr[3]", "bf", "bf2", "a.b",
					       "arr[9999999999]", "zz", "x[1]", "" };
	uint64_t v;
	int64_t sv;
	struct uz_member m;
	enum uz_var_kind k;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		uz_error_destroy(t->ops->type_size(t->impl, types[i], &v));
		for (size_t j = 0; j < sizeof(members) / sizeof(members[0]); j++) {
			uz_error_destroy(t->ops->member(t->impl, types[i], members[j], &m));
			uz_error_destroy(t->ops->array_len(t->impl, types[i], members[j], &v));
		}
	}
	uz_error_destroy(t->ops->enumerator(t->impl, "E_A", &sv));
	uz_error_destroy(t->ops->enumerator(t->impl, "E_B", &sv));
	uz_error_destroy(t->ops->array_len(t->impl, NULL, "v", &v));
	uz_error_destroy(t->ops->var_kind(t->impl, "v", &k));
	uz_error_destroy(t->ops->symbol(t->impl, "v", &v));
}

static void fuzz_btf(const uint8_t *data, size_t size, int how)
{
	struct btf *seed = seed_btf();
	if (!seed)
		return;
	uint32_t seed_size;
	const uint8_t *seed_raw = btf__raw_data(seed, &seed_size);
	uint8_t *buf = NULL;
	size_t buf_size = 0;
	if (how == 0) {            /* arbitrary bytes as vmlinux BTF */
		buf_size = size;
		buf = malloc(size ? size : 1);
		if (buf)
			memcpy(buf, data, size);
	} else if (seed_raw) {     /* the seed with input XORed in */
		buf_size = seed_size;
		buf = malloc(seed_size);
		if (buf) {
			memcpy(buf, seed_raw, seed_size);
			for (size_t i = 0; i + 1 < size; i += 2)
				buf[data[i] % seed_size] ^= data[i + 1];
		}
	}
	struct uz_types t;
	struct uz_error *err = buf ? uz_types_btf_open_memory(how == 2 ? seed_raw : buf,
							       how == 2 ? seed_size : buf_size, NULL, 0, &t)
				   : NULL;
	if (buf && !err) {
		if (how == 2) {   /* arbitrary bytes as a module's split BTF */
			uz_error_destroy(uz_types_btf_add_module(&t, "m", data, size));
			uz_error_destroy(uz_types_btf_add_module(&t, "m2", buf, buf_size));
		}
		lookups(&t);
		uz_types_destroy(&t);
	}
	uz_error_destroy(err);
	free(buf);
	btf__free(seed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int mode = data[0] % 4;
	if (mode == 0)
		fuzz_kallsyms(data + 1, size - 1);
	else
		fuzz_btf(data + 1, size - 1, mode - 1);
	return 0;
}
