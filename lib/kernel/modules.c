/* modules.c - loaded modules, from the dump: the `modules` list of struct
 * module (list, name), and each module's own symbol table as kallsyms keeps
 * it (module->kallsyms->{symtab,num_symtab,strtab}, 4.5+), which holds the
 * relocated address of every core symbol including statics.  That is the
 * reliable source of module symbol addresses whatever the module memory
 * layout (core_layout before 6.4, mem[] after). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define UZ_MAX_MODULES 65536
#define UZ_MAX_MODULE_SYMBOLS (1u << 20)
#define ELF64_SYM_SIZE 24    /* st_name u32, st_info u8, st_other u8, st_shndx u16, st_value u64, st_size u64 */

void uz_kernel_free_modules(struct uz_kernel *k)
{
	for (size_t i = 0; i < k->n_modules; i++)
		uz_strmap_free(&k->modules[i].symbols);
	free(k->modules);
	k->modules = NULL;
	k->n_modules = 0;
}

struct uz_error *uz_kernel_load_modules(struct uz_kernel *k)
{
	if (k->modules_loaded)
		return NULL;
	uint64_t head;
	UZ_TRY(uz_kernel_symbol(k, "modules", &head));
	struct uz_member list, name;
	UZ_TRY(uz_kernel_member(k, "struct module", "list", &list));
	UZ_TRY(uz_kernel_member(k, "struct module", "name", &name));
	struct uz_member kallsyms = { 0 };
	bool have_kallsyms = uz_kernel_has_member(k, "struct module", "kallsyms");
	if (have_kallsyms)
		UZ_TRY(uz_kernel_member(k, "struct module", "kallsyms", &kallsyms));
	struct uz_member symtab, num_symtab, strtab;
	const char *ks_type = have_kallsyms ? "struct mod_kallsyms" : "struct module";
	UZ_TRY(uz_kernel_member(k, ks_type, "symtab", &symtab));
	UZ_TRY(uz_kernel_member(k, ks_type, "num_symtab", &num_symtab));
	UZ_TRY(uz_kernel_member(k, ks_type, "strtab", &strtab));

	struct uz_error *err = NULL;
	struct uz_addr_set seen;
	uz_addr_set_init(&seen);
	uint64_t node;
	err = uz_kernel_read_u64(k, head, &node);
	while (!err && node != head) {
		uint64_t mod = node - list.offset;
		bool dup;
		err = uz_addr_set_add(&seen, mod, &dup);
		if (err)
			break;
		if (dup || k->n_modules >= UZ_MAX_MODULES) {
			err = uz_error_create(UZ_ERR_FORMAT, "the module list loops at 0x%" PRIx64, mod);
			break;
		}
		struct uz_module *grown = realloc(k->modules, (k->n_modules + 1) * sizeof(*grown));
		if (!grown) {
			err = uz_error_create(UZ_ERR_NOMEM, "growing the module table");
			break;
		}
		k->modules = grown;
		struct uz_module *m = &k->modules[k->n_modules];
		memset(m, 0, sizeof(*m));
		uz_strmap_init(&m->symbols, true);
		k->n_modules++;
		m->addr = mod;
		size_t name_len = name.size < sizeof(m->name) ? (size_t)name.size : sizeof(m->name);
		err = uz_kernel_read(k, mod + name.offset, m->name, name_len);
		if (err)
			break;
		m->name[sizeof(m->name) - 1] = '\0';
		uint64_t ks = mod;
		if (have_kallsyms)
			err = uz_kernel_read_member_raw(k, mod, &kallsyms, &ks);
		if (!err && ks) {
			m->kallsyms = ks;
			err = uz_kernel_read_member_raw(k, ks, &symtab, &m->symtab);
			if (!err)
				err = uz_kernel_read_member_raw(k, ks, &num_symtab, &m->num_symtab);
			if (!err)
				err = uz_kernel_read_member_raw(k, ks, &strtab, &m->strtab);
		}
		if (!err)
			err = uz_kernel_read_u64(k, node, &node);
	}
	uz_addr_set_free(&seen);
	if (err) {
		uz_kernel_free_modules(k);
		return uz_error_wrap(err, "reading the module list");
	}
	k->modules_loaded = true;
	return NULL;
}

static struct uz_error *load_module_symbols(struct uz_kernel *k, struct uz_module *m)
{
	if (m->symbols_loaded)
		return NULL;
	if (!m->symtab || !m->strtab || m->num_symtab > UZ_MAX_MODULE_SYMBOLS)
		return uz_error_create(UZ_ERR_FORMAT, "module %s has no usable kallsyms (%" PRIu64 " symbols)",
				       m->name, m->num_symtab);
	unsigned char sym[ELF64_SYM_SIZE];
	for (uint64_t i = 1; i < m->num_symtab; i++) {
		UZ_TRY(uz_error_wrap(uz_kernel_read(k, m->symtab + i * ELF64_SYM_SIZE, sym, sizeof(sym)),
				     "symbol %" PRIu64 " of module %s", i, m->name));
		uint32_t st_name;
		uint16_t st_shndx;
		uint64_t st_value;
		memcpy(&st_name, sym, 4);
		memcpy(&st_shndx, sym + 6, 2);
		memcpy(&st_value, sym + 8, 8);
		if (st_shndx == 0 /* SHN_UNDEF */ || st_name == 0)
			continue;
		char name[256];
		UZ_TRY(uz_error_wrap(uz_kernel_read_string(k, m->strtab + st_name, name, sizeof(name)),
				     "symbol name %" PRIu64 " of module %s", i, m->name));
		UZ_TRY(uz_strmap_put(&m->symbols, 0, name, strlen(name), st_value, false, NULL));
	}
	m->symbols_loaded = true;
	return NULL;
}

struct uz_error *uz_kernel_module_symbol(struct uz_kernel *k, const char *module,
					 const char *name, uint64_t *addr)
{
	UZ_TRY(uz_kernel_load_modules(k));
	bool any = false;
	for (size_t i = 0; i < k->n_modules; i++) {
		struct uz_module *m = &k->modules[i];
		if (module && strcmp(m->name, module) != 0)
			continue;
		any = true;
		UZ_TRY(load_module_symbols(k, m));
		struct uz_strmap_entry *e = uz_strmap_get(&m->symbols, 0, name, strlen(name));
		if (e) {
			*addr = e->value;
			return NULL;
		}
	}
	if (module && !any)
		return uz_error_create(UZ_ERR_NOT_FOUND, "module %s is not loaded in the dump", module);
	return uz_error_create(UZ_ERR_NOT_FOUND, "symbol %s not found in %s%s", name,
			       module ? "module " : "any loaded module", module ? module : "");
}

size_t uz_kernel_module_count(const struct uz_kernel *k)
{
	return k->n_modules;
}

const char *uz_kernel_module_name(const struct uz_kernel *k, size_t index)
{
	return index < k->n_modules ? k->modules[index].name : NULL;
}
