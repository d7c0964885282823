/* strmap.h - a small open-addressing hash map from (kind, string) to a
 * 64-bit value, used by the kernel view for symbol tables, the DWARF name
 * index and lookup caches.
 *
 * Owns: hashing, probing and growth.  Does not own the key strings unless
 * asked to (own_keys): the DWARF index borrows names that live in the mapped
 * .debug_str for as long as the provider is open.
 */
#ifndef UZ_KERNEL_STRMAP_H
#define UZ_KERNEL_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../error.h"

struct uz_strmap_entry {
	const char *key;       /* NULL: empty slot */
	uint32_t keylen;
	uint32_t kind;         /* caller-defined namespace (struct, enum, ...) */
	uint64_t hash;
	uint64_t value;
};

struct uz_strmap {
	struct uz_strmap_entry *slots;
	size_t capacity;       /* power of two, or 0 */
	size_t count;
	bool own_keys;         /* keys are copied on insert and freed with the map */
};

void uz_strmap_init(struct uz_strmap *map, bool own_keys);
void uz_strmap_free(struct uz_strmap *map);

/* Insert or (if replace) overwrite.  *inserted (may be NULL) tells whether
 * the key was new. */
struct uz_error *uz_strmap_put(struct uz_strmap *map, uint32_t kind,
			       const char *key, size_t keylen, uint64_t value,
			       bool replace, bool *inserted);
/* Returns the entry or NULL. */
struct uz_strmap_entry *uz_strmap_get(const struct uz_strmap *map, uint32_t kind,
				      const char *key, size_t keylen);

#endif
