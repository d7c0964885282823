#include "strmap.h"

#include <stdlib.h>
#include <string.h>

/* FNV-1a mixed with the kind: fast, good enough for identifier strings. */
static uint64_t strmap_hash(uint32_t kind, const char *key, size_t keylen)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ ((uint64_t)kind * 0x9e3779b97f4a7c15ULL);
	for (size_t i = 0; i < keylen; i++) {
		h ^= (unsigned char)key[i];
		h *= 0x100000001b3ULL;
	}
	return h ^ (h >> 29);
}

void uz_strmap_init(struct uz_strmap *map, bool own_keys)
{
	memset(map, 0, sizeof(*map));
	map->own_keys = own_keys;
}

void uz_strmap_free(struct uz_strmap *map)
{
	if (map->own_keys) {
		for (size_t i = 0; i < map->capacity; i++)
			free((char *)map->slots[i].key);
	}
	free(map->slots);
	map->slots = NULL;
	map->capacity = map->count = 0;
}

static struct uz_strmap_entry *strmap_find_slot(struct uz_strmap_entry *slots, size_t capacity,
						uint32_t kind, const char *key, size_t keylen,
						uint64_t hash)
{
	size_t mask = capacity - 1;
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		struct uz_strmap_entry *e = &slots[i];
		if (!e->key)
			return e;
		if (e->hash == hash && e->kind == kind && e->keylen == keylen &&
		    memcmp(e->key, key, keylen) == 0)
			return e;
	}
}

static struct uz_error *strmap_grow(struct uz_strmap *map)
{
	size_t capacity = map->capacity ? map->capacity * 2 : 64;
	struct uz_strmap_entry *slots = calloc(capacity, sizeof(*slots));
	if (!slots)
		return uz_error_create(UZ_ERR_NOMEM, "growing a name table to %zu slots", capacity);
	for (size_t i = 0; i < map->capacity; i++) {
		struct uz_strmap_entry *e = &map->slots[i];
		if (e->key)
			*strmap_find_slot(slots, capacity, e->kind, e->key, e->keylen, e->hash) = *e;
	}
	free(map->slots);
	map->slots = slots;
	map->capacity = capacity;
	return NULL;
}

struct uz_error *uz_strmap_put(struct uz_strmap *map, uint32_t kind,
			       const char *key, size_t keylen, uint64_t value,
			       bool replace, bool *inserted)
{
	if (keylen > UINT32_MAX)
		return uz_error_create(UZ_ERR_USAGE, "name of %zu bytes is too long", keylen);
	if ((map->count + 1) * 4 > map->capacity * 3)
		UZ_TRY(strmap_grow(map));
	uint64_t hash = strmap_hash(kind, key, keylen);
	struct uz_strmap_entry *e = strmap_find_slot(map->slots, map->capacity, kind, key,
						     keylen, hash);
	if (e->key) {
		if (replace)
			e->value = value;
		if (inserted)
			*inserted = false;
		return NULL;
	}
	const char *stored = key;
	if (map->own_keys) {
		char *copy = malloc(keylen + 1);
		if (!copy)
			return uz_error_create(UZ_ERR_NOMEM, "copying a name of %zu bytes", keylen);
		memcpy(copy, key, keylen);
		copy[keylen] = '\0';
		stored = copy;
	}
	e->key = stored;
	e->keylen = (uint32_t)keylen;
	e->kind = kind;
	e->hash = hash;
	e->value = value;
	map->count++;
	if (inserted)
		*inserted = true;
	return NULL;
}

struct uz_strmap_entry *uz_strmap_get(const struct uz_strmap *map, uint32_t kind,
				      const char *key, size_t keylen)
{
	if (!map->capacity)
		return NULL;
	struct uz_strmap_entry *e = strmap_find_slot(map->slots, map->capacity, kind, key, keylen,
						     strmap_hash(kind, key, keylen));
	return e->key ? e : NULL;
}
