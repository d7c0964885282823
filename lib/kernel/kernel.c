/* kernel.c - building the kernel view: VMCOREINFO, finding and checking the
 * debuginfo, choosing the architecture, and the cached symbol/type lookups. */
#include <ctype.h>
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

/* ---- versions ---- */

uint32_t uz_parse_kernel_version(const char *s)
{
	unsigned v[3] = { 0, 0, 0 };
	for (int i = 0; i < 3; i++) {
		if (!isdigit((unsigned char)*s))
			break;
		unsigned long n = strtoul(s, (char **)&s, 10);
		v[i] = n > 255 ? 255 : (unsigned)n;
		if (*s != '.')
			break;
		s++;
	}
	return UZ_KERNEL_VERSION(v[0], v[1], v[2]);
}

uint32_t uz_banner_version(const char *banner)
{
	if (!banner)
		return 0;
	/* Debian: "... #1 SMP PREEMPT_DYNAMIC Debian 6.1.176-1 (2025-...)"; the
	 * release string ("6.1.0-50-cloud-amd64") has only the ABI number. */
	const char *d = strstr(banner, " Debian ");
	while (d) {
		if (isdigit((unsigned char)d[8]))
			return uz_parse_kernel_version(d + 8);
		d = strstr(d + 1, " Debian ");
	}
	const char *l = strstr(banner, "Linux version ");
	return l ? uz_parse_kernel_version(l + 14) : 0;
}

/* ---- accessors ---- */

struct uz_dump *uz_kernel_dump(const struct uz_kernel *k) { return k->dump; }
enum uz_arch uz_kernel_arch(const struct uz_kernel *k) { return k->arch_id; }
const char *uz_kernel_release(const struct uz_kernel *k) { return k->release; }
const char *uz_kernel_types_source(const struct uz_kernel *k) { return k->types_source; }
uint32_t uz_kernel_version(const struct uz_kernel *k) { return k->version; }
uint64_t uz_kernel_page_size(const struct uz_kernel *k) { return k->page_size; }
unsigned uz_kernel_page_shift(const struct uz_kernel *k) { return k->page_shift; }
uint64_t uz_kernel_kaslr_offset(const struct uz_kernel *k) { return k->kaslr_offset; }

const char *uz_kernel_vmcoreinfo(const struct uz_kernel *k, const char *key)
{
	return k->vmci ? uz_vmci_get(k->vmci, key) : NULL;
}

/* ---- symbols and types, cached ---- */

static struct uz_error *no_provider(const char *what)
{
	return uz_error_create(UZ_ERR_NOT_FOUND, "%s: no type information loaded", what);
}

struct uz_error *uz_kernel_symbol(struct uz_kernel *k, const char *name, uint64_t *addr)
{
	size_t len = strlen(name);
	struct uz_strmap_entry *e = uz_strmap_get(&k->symbol_cache, 0, name, len);
	if (e && e->value) {
		*addr = e->value - 1;
		return NULL;
	}
	uint64_t link;
	struct uz_error *err = k->types.ops ? k->types.ops->symbol(k->types.impl, name, &link)
					    : no_provider(name);
	if (!err) {
		*addr = link + k->kaslr_offset;
	} else if (err->code == UZ_ERR_NOT_FOUND) {
		/* VMCOREINFO's SYMBOL() values are runtime addresses already. */
		struct uz_error *err2 = k->vmci ? uz_vmci_symbol(k->vmci, name, addr)
						: no_provider(name);
		if (!err2) {
			uz_error_destroy(err);
			err = NULL;
		} else {
			uz_error_destroy(err2);
			if (k->modules_loaded && k->n_modules) {
				err2 = uz_kernel_module_symbol(k, NULL, name, addr);
				if (!err2) {
					uz_error_destroy(err);
					err = NULL;
				} else {
					uz_error_destroy(err2);
				}
			}
		}
	}
	if (err)
		return err;
	UZ_TRY(uz_strmap_put(&k->symbol_cache, 0, name, len, *addr + 1, true, NULL));
	return NULL;
}

struct uz_error *uz_kernel_find_symbol(struct uz_kernel *k, const char *name, uint64_t *addr, bool *found)
{
	struct uz_error *err = uz_kernel_symbol(k, name, addr);
	*found = !err;
	if (err && err->code == UZ_ERR_NOT_FOUND) {
		uz_error_destroy(err);
		return NULL;
	}
	return err;
}

struct uz_error *uz_kernel_type_size(struct uz_kernel *k, const char *type, uint64_t *size)
{
	if (!k->types.ops)
		return no_provider(type);
	return k->types.ops->type_size(k->types.impl, type, size);
}

struct uz_error *uz_kernel_member(struct uz_kernel *k, const char *type,
				  const char *member, struct uz_member *out)
{
	char key[512];
	int n = snprintf(key, sizeof(key), "%s%c%s", type, '\0', member);
	if (n < 0 || (size_t)n >= sizeof(key))
		return uz_error_create(UZ_ERR_USAGE, "member name %s.%s is too long", type, member);
	struct uz_strmap_entry *e = uz_strmap_get(&k->member_cache, 0, key, (size_t)n);
	if (e) {
		if (!e->value)
			return uz_error_create(UZ_ERR_NOT_FOUND, "%s has no member %s", type, member);
		*out = *(const struct uz_member *)(uintptr_t)e->value;
		return NULL;
	}
	struct uz_error *err = k->types.ops
		? k->types.ops->member(k->types.impl, type, member, out)
		: no_provider(type);
	if (err && err->code != UZ_ERR_NOT_FOUND)
		return err;
	uint64_t value = 0;
	if (!err) {
		struct uz_member *copy = malloc(sizeof(*copy));
		if (!copy)
			return uz_error_create(UZ_ERR_NOMEM, "caching member %s.%s", type, member);
		*copy = *out;
		value = (uint64_t)(uintptr_t)copy;
	}
	bool inserted;
	struct uz_error *perr = uz_strmap_put(&k->member_cache, 0, key, (size_t)n, value, false, &inserted);
	if (perr || !inserted)
		free((void *)(uintptr_t)value);
	if (perr) {
		uz_error_destroy(err);
		return perr;
	}
	return err;
}

bool uz_kernel_has_member(struct uz_kernel *k, const char *type, const char *member)
{
	struct uz_member m;
	struct uz_error *err = uz_kernel_member(k, type, member, &m);
	uz_error_destroy(err);
	return err == NULL;
}

struct uz_error *uz_kernel_array_len(struct uz_kernel *k, const char *type,
				     const char *name, uint64_t *len)
{
	if (!k->types.ops)
		return no_provider(name);
	return k->types.ops->array_len(k->types.impl, type, name, len);
}

struct uz_error *uz_kernel_enumerator(struct uz_kernel *k, const char *name, int64_t *value)
{
	if (!k->types.ops)
		return no_provider(name);
	return k->types.ops->enumerator(k->types.impl, name, value);
}

/* ---- construction ---- */

static void free_member_cache(struct uz_strmap *map)
{
	for (size_t i = 0; i < map->capacity; i++)
		if (map->slots[i].key)
			free((void *)(uintptr_t)map->slots[i].value);
	uz_strmap_free(map);
}

void uz_kernel_close(struct uz_kernel *k)
{
	if (!k)
		return;
	uz_kernel_free_modules(k);
	free_member_cache(&k->member_cache);
	uz_strmap_free(&k->symbol_cache);
	uz_types_destroy(&k->types);
	uz_vmci_free(k->vmci);
	free(k);
}

static const struct uz_arch_ops *arch_ops(enum uz_arch arch)
{
	switch (arch) {
	case UZ_ARCH_X86_64: return &uz_arch_x86_64;
	case UZ_ARCH_AARCH64: return &uz_arch_aarch64;
	default: return NULL;
	}
}

struct uz_error *uz_kernel_alloc(enum uz_arch arch, struct uz_kernel **out)
{
	*out = NULL;
	const struct uz_arch_ops *ops = arch_ops(arch);
	if (!ops)
		return uz_error_create(UZ_ERR_UNSUPPORTED, "dump architecture %d is not supported", (int)arch);
	struct uz_kernel *k = calloc(1, sizeof(*k));
	if (!k)
		return uz_error_create(UZ_ERR_NOMEM, "allocating the kernel view");
	k->arch_id = arch;
	k->arch = ops;
	uz_strmap_init(&k->member_cache, true);
	uz_strmap_init(&k->symbol_cache, true);
	*out = k;
	return NULL;
}

struct uz_error *uz_set_page_size(struct uz_kernel *k, uint64_t page_size)
{
	if (page_size < 4096 || page_size > 65536 || (page_size & (page_size - 1)))
		return uz_error_create(UZ_ERR_FORMAT, "page size %" PRIu64 " is not 4K..64K", page_size);
	k->page_size = page_size;
	k->page_shift = (unsigned)__builtin_ctzll(page_size);
	return NULL;
}

/* VMCOREINFO-level set-up shared by real and synthetic views. */
struct uz_error *uz_kernel_init_vmcoreinfo(struct uz_kernel *k, const char *text, uint32_t version)
{
	UZ_TRY(uz_vmci_parse(text, strlen(text), &k->vmci));
	const char *rel = uz_vmci_get(k->vmci, "OSRELEASE");
	if (rel)
		snprintf(k->release, sizeof(k->release), "%s", rel);
	uint64_t pagesize;
	if (!k->page_size && uz_vmci_number(k->vmci, "PAGESIZE", &pagesize) == NULL)
		UZ_TRY(uz_set_page_size(k, pagesize));
	if (!k->page_size)
		return uz_error_create(UZ_ERR_FORMAT, "neither the dump nor VMCOREINFO gives the page size");
	struct uz_error *err = uz_vmci_number(k->vmci, "KERNELOFFSET", &k->kaslr_offset);
	if (err && err->code != UZ_ERR_NOT_FOUND)
		return err;
	uz_error_destroy(err);
	if (version)
		k->version = version;
	else if (!k->version)
		k->version = uz_parse_kernel_version(k->release);
	return NULL;
}

struct uz_error *uz_kernel_init_arch(struct uz_kernel *k, bool late)
{
	UZ_TRY(uz_error_wrap(k->arch->init(k), "%s kernel page tables", k->arch->name));
	if (late)
		UZ_TRY(uz_error_wrap(k->arch->init_late(k), "%s kernel layout", k->arch->name));
	return NULL;
}

struct uz_error *uz_kernel_open_custom(const struct uz_kernel_setup *setup, struct uz_kernel **out)
{
	struct uz_kernel *k;
	*out = NULL;
	UZ_TRY(uz_kernel_alloc(setup->arch, &k));
	k->phys = setup->phys;
	k->types = setup->types;
	k->max_pfn = setup->max_pfn;
	k->version = setup->version;
	struct uz_error *err = uz_set_page_size(k, setup->page_size);
	if (!err && setup->vmcoreinfo) {
		err = uz_kernel_init_vmcoreinfo(k, setup->vmcoreinfo, setup->version);
		if (!err)
			err = uz_kernel_init_arch(k, !setup->skip_late_init);
	}
	if (err) {
		uz_kernel_close(k);
		return err;
	}
	*out = k;
	return NULL;
}

