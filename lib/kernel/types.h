/* types.h - the type and symbol provider interface of the kernel view.
 *
 * Owns: the small vtable through which lib/kernel asks "how big is struct X",
 * "where is member Y", "how long is array Z", "what is enumerator E", "where
 * is symbol S (link-time address)" and "what banner / build id was this
 * debuginfo built with".  One implementation today reads DWARF from a debug
 * vmlinux and debug modules (types_dwarf.c); a BTF+kallsyms provider reading
 * the dump itself can be added behind the same interface without touching
 * any user.  Tests plug in their own table-driven provider.
 *
 * Does not own: KASLR relocation (kernel.c adds KERNELOFFSET), module load
 * addresses (modules.c reads them from the dump), caching of member lookups
 * (kernel.c caches across providers).
 */
#ifndef UZ_KERNEL_TYPES_H
#define UZ_KERNEL_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel.h"

/* What kind of object a global variable is (for mem_section and friends,
 * whose declaration changed between an array and a pointer). */
enum uz_var_kind {
	UZ_VAR_OTHER,
	UZ_VAR_POINTER,
	UZ_VAR_ARRAY,
};

struct uz_types_ops {
	/* Link-time address of a vmlinux symbol (no KASLR applied). */
	struct uz_error *(*symbol)(void *impl, const char *name, uint64_t *addr);
	struct uz_error *(*type_size)(void *impl, const char *type, uint64_t *size);
	struct uz_error *(*member)(void *impl, const char *type, const char *member,
				   struct uz_member *out);
	/* Array length of a global variable (type == NULL) or of a member. */
	struct uz_error *(*array_len)(void *impl, const char *type, const char *name,
				      uint64_t *len);
	struct uz_error *(*enumerator)(void *impl, const char *name, int64_t *value);
	/* Kind of a global variable's type. */
	struct uz_error *(*var_kind)(void *impl, const char *name, enum uz_var_kind *kind);
	/* The linux_banner text built into the debuginfo's image, or NULL if the
	 * provider cannot know it. */
	const char *(*banner)(void *impl);
	/* GNU build id of the vmlinux, or NULL/0 length if unknown. */
	const uint8_t *(*build_id)(void *impl, size_t *len);
	/* Description for error messages ("/path/vmlinux-6.1.0-50-cloud-amd64"). */
	const char *(*describe)(void *impl);
	void (*destroy)(void *impl);
};

struct uz_types {
	const struct uz_types_ops *ops;
	void *impl;
};

/* DWARF provider: vmlinux plus zero or more debug module files (ET_REL .ko
 * with DWARF; relocations are applied by libdwfl).  Module files are opened
 * lazily, on the first lookup vmlinux cannot answer. */
struct uz_error *uz_types_dwarf_open(const char *vmlinux_path,
				     const char *const *module_paths, size_t n_modules,
				     struct uz_types *out);

/* Add a debug module file after opening (kernel.c learns the loaded modules
 * only once it can read the dump).  Duplicates are ignored. */
struct uz_error *uz_types_dwarf_add_module(struct uz_types *types, const char *path);

/* A C base-type spelling ("unsigned long") in the compilers' canonical form
 * ("long unsigned int"), which both DWARF and BTF (made from DWARF) use.
 * False if `type` is not a base type made of those words. */
bool uz_types_base_name(const char *type, char *out, size_t out_size);

static inline void uz_types_destroy(struct uz_types *types)
{
	if (types->ops && types->ops->destroy)
		types->ops->destroy(types->impl);
	types->ops = NULL;
	types->impl = NULL;
}

#endif
