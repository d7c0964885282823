/* kallsyms.c - decoding the kernel's compressed symbol table from the dump.
 *
 * The format (scripts/kallsyms.c writes it, kernel/kallsyms.c reads it;
 * stable in what matters here from 4.6 to 6.19, then place-relative):
 *   - kallsyms_num_syms: unsigned int, number of symbols.
 *   - kallsyms_names: per symbol a length then that many token numbers.  The
 *     length is one byte, or, when its high bit is set, two bytes holding
 *     seven low bits then eight high bits (6.1, "big" symbol names for Rust;
 *     older kernels never set the bit, so one rule reads every version).
 *   - kallsyms_token_table: 256 NUL-terminated strings; kallsyms_token_index:
 *     256 u16 offsets of each token in that table.  Expanding a name's token
 *     numbers gives the type letter ('T', 'd', ...) followed by the name.
 *   - addresses: kallsyms_offsets (s32) relative to kallsyms_relative_base
 *     (CONFIG_KALLSYMS_BASE_RELATIVE, 4.6+; always from 6.11), or
 *     kallsyms_addresses (unsigned long) before that.  With
 *     CONFIG_KALLSYMS_ABSOLUTE_PERCPU (x86_64 SMP up to 6.14) a non-negative
 *     offset is an absolute per-CPU value and a negative one means
 *     relative_base - 1 - offset; without it every offset is an unsigned
 *     distance from relative_base.  Which rule applies is not recorded in the
 *     dump; we tell them apart by the sign bits: without absolute per-CPU
 *     symbols no offset can be negative (the image is far below 2 GiB), with
 *     them every ordinary symbol (_text first) is negative.
 *   - kallsyms_relative_base and kallsyms_addresses are relocated with the
 *     kernel, so the addresses we compute are runtime addresses.
 *   - Place-relative offsets (64-bit or relocatable kernels, between 6.19
 *     and 7.1: absent in 6.19.6, present in 7.1.13, 7.2.6 and Debian 7.3.4;
 *     upstream "kallsyms: Get rid of kallsyms relative base", Ard
 *     Biesheuvel, posted 2026-01-16): kallsyms_relative_base is gone, from
 *     the kernel and from VMCOREINFO, and kallsyms_sym_address(i) is
 *     offset_to_ptr(&kallsyms_offsets[i]), i.e. the address of the entry
 *     itself plus the entry as a signed 32-bit value (kernel/kallsyms.c,
 *     scripts/kallsyms.c `--pc-relative`, scripts/link-vmlinux.sh 7.1.13).
 *     No per-CPU special case remains.  Told apart by VMCOREINFO: it has
 *     SYMBOL(kallsyms_offsets) but no SYMBOL(kallsyms_relative_base).
 * VMCOREINFO carries SYMBOL() for all of these since 6.0 (kernel/crash_core.c,
 * later kernel/vmcore_info.c), as runtime addresses.
 */
#include "kallsyms.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "vmcoreinfo.h"

struct uz_kallsyms {
	struct uz_kallsyms_symbol *syms;
	size_t n;
	char *pool;                 /* all names, NUL-separated */
	struct uz_strmap by_name;   /* name -> index (keys borrowed from pool) */
};

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

void uz_kallsyms_free(struct uz_kallsyms *ks)
{
	if (!ks)
		return;
	uz_strmap_free(&ks->by_name);
	free(ks->syms);
	free(ks->pool);
	free(ks);
}

size_t uz_kallsyms_count(const struct uz_kallsyms *ks) { return ks->n; }

const struct uz_kallsyms_symbol *uz_kallsyms_at(const struct uz_kallsyms *ks, size_t index)
{
	return index < ks->n ? &ks->syms[index] : NULL;
}

const struct uz_kallsyms_symbol *uz_kallsyms_lookup(const struct uz_kallsyms *ks, const char *name)
{
	struct uz_strmap_entry *e = uz_strmap_get(&ks->by_name, 0, name, strlen(name));
	return e ? &ks->syms[e->value] : NULL;
}

struct token {
	const uint8_t *text;
	size_t len;
};

static struct uz_error *load_tokens(const struct uz_kallsyms_raw *raw, struct token tokens[256])
{
	if (!raw->token_index || raw->token_index_size < 512)
		return uz_error_create(UZ_ERR_FORMAT, "kallsyms_token_index has %zu bytes, not 512",
				       raw->token_index_size);
	for (unsigned t = 0; t < 256; t++) {
		size_t off = le16(raw->token_index + 2 * t);
		if (!raw->token_table || off >= raw->token_table_size)
			return uz_error_create(UZ_ERR_FORMAT,
					       "kallsyms token %u starts at %zu, past the %zu-byte token table",
					       t, off, raw->token_table_size);
		const uint8_t *end = memchr(raw->token_table + off, '\0', raw->token_table_size - off);
		if (!end)
			return uz_error_create(UZ_ERR_FORMAT, "kallsyms token %u at %zu is not terminated",
					       t, off);
		tokens[t].text = raw->token_table + off;
		tokens[t].len = (size_t)(end - tokens[t].text);
	}
	return NULL;
}

/* Length prefix of the name at *pos; advances *pos past it. */
static struct uz_error *name_length(const uint8_t *names, size_t size, size_t *pos, size_t *len,
				    uint32_t index)
{
	if (*pos >= size)
		return uz_error_create(UZ_ERR_FORMAT, "kallsyms name %u starts at %zu, past the %zu-byte table",
				       index, *pos, size);
	size_t l = names[*pos];
	if (l & 0x80) {
		if (*pos + 1 >= size)
			return uz_error_create(UZ_ERR_FORMAT, "kallsyms name %u: truncated length", index);
		l = (l & 0x7f) | (size_t)names[*pos + 1] << 7;
		*pos += 2;
	} else {
		*pos += 1;
	}
	if (l > size - *pos)
		return uz_error_create(UZ_ERR_FORMAT, "kallsyms name %u of %zu bytes runs past the table",
				       index, l);
	*len = l;
	return NULL;
}

static struct uz_error *append_pool(char **pool, size_t *used, size_t *cap, const char *s, size_t len)
{
	if (*used + len + 1 > *cap) {
		size_t ncap = *cap ? *cap : 4096;
		while (*used + len + 1 > ncap)
			ncap *= 2;
		char *grown = realloc(*pool, ncap);
		if (!grown)
			return uz_error_create(UZ_ERR_NOMEM, "kallsyms names (%zu bytes)", ncap);
		*pool = grown;
		*cap = ncap;
	}
	memcpy(*pool + *used, s, len);
	(*pool)[*used + len] = '\0';
	*used += len + 1;
	return NULL;
}

static struct uz_error *decode_into(const struct uz_kallsyms_raw *raw, struct uz_kallsyms *ks)
{
	if (raw->num_syms == 0 || raw->num_syms > UZ_KALLSYMS_MAX_SYMS)
		return uz_error_create(UZ_ERR_FORMAT, "kallsyms_num_syms is %u (expected 1..%u)",
				       raw->num_syms, UZ_KALLSYMS_MAX_SYMS);
	size_t width = raw->absolute_addresses ? 8 : 4;
	if (!raw->offsets || raw->offsets_size / width < raw->num_syms)
		return uz_error_create(UZ_ERR_FORMAT, "kallsyms %s has %zu bytes, too few for %u symbols",
				       raw->absolute_addresses ? "addresses" : "offsets",
				       raw->offsets_size, raw->num_syms);
	if (!raw->names)
		return uz_error_create(UZ_ERR_FORMAT, "kallsyms_names is missing");
	struct token tokens[256];
	UZ_TRY(load_tokens(raw, tokens));

	bool absolute_percpu = false;
	if (!raw->absolute_addresses && !raw->place_relative)
		for (uint32_t i = 0; i < raw->num_syms && !absolute_percpu; i++)
			absolute_percpu = (int32_t)le32(raw->offsets + 4 * (size_t)i) < 0;

	ks->syms = calloc(raw->num_syms, sizeof(*ks->syms));
	if (!ks->syms)
		return uz_error_create(UZ_ERR_NOMEM, "kallsyms table of %u symbols", raw->num_syms);
	size_t *name_off = calloc(raw->num_syms, sizeof(*name_off));
	if (!name_off)
		return uz_error_create(UZ_ERR_NOMEM, "kallsyms table of %u symbols", raw->num_syms);
	size_t used = 0, cap = 0, pos = 0;
	char name[UZ_KALLSYMS_MAX_NAME + 1];
	struct uz_error *err = NULL;
	for (uint32_t i = 0; i < raw->num_syms && !err; i++) {
		size_t len = 0;
		err = name_length(raw->names, raw->names_size, &pos, &len, i);
		if (err)
			break;
		size_t n = 0;
		for (size_t j = 0; j < len && !err; j++) {
			const struct token *t = &tokens[raw->names[pos + j]];
			if (n + t->len > UZ_KALLSYMS_MAX_NAME)
				err = uz_error_create(UZ_ERR_FORMAT, "kallsyms name %u is longer than %u bytes",
						      i, UZ_KALLSYMS_MAX_NAME);
			else
				memcpy(name + n, t->text, t->len);
			n += t->len;
		}
		pos += len;
		if (err)
			break;
		if (n < 2) {
			err = uz_error_create(UZ_ERR_FORMAT, "kallsyms name %u is empty", i);
			break;
		}
		struct uz_kallsyms_symbol *s = &ks->syms[i];
		s->type = name[0];
		name_off[i] = used;
		err = append_pool(&ks->pool, &used, &cap, name + 1, n - 1);
		if (err)
			break;
		if (raw->absolute_addresses) {
			s->addr = le64(raw->offsets + 8 * (size_t)i);
		} else if (raw->place_relative) {
			int32_t off = (int32_t)le32(raw->offsets + 4 * (size_t)i);
			s->addr = raw->offsets_addr + 4 * (uint64_t)i + (uint64_t)(int64_t)off;
		} else {
			int32_t off = (int32_t)le32(raw->offsets + 4 * (size_t)i);
			if (!absolute_percpu) {
				s->addr = raw->relative_base + (uint32_t)off;
			} else if (off >= 0) {
				s->addr = (uint64_t)off;
				s->absolute = true;
			} else {
				s->addr = raw->relative_base - 1 - (uint64_t)(int64_t)off;
			}
		}
	}
	if (!err) {
		ks->n = raw->num_syms;
		for (size_t i = 0; i < ks->n && !err; i++) {
			struct uz_kallsyms_symbol *s = &ks->syms[i];
			s->name = ks->pool + name_off[i];
			size_t len = strlen(s->name);
			bool global = s->type >= 'A' && s->type <= 'Z';
			struct uz_strmap_entry *e = uz_strmap_get(&ks->by_name, 0, s->name, len);
			if (e) {
				char old = ks->syms[e->value].type;
				if (global && !(old >= 'A' && old <= 'Z'))
					e->value = i;
				continue;
			}
			err = uz_strmap_put(&ks->by_name, 0, s->name, len, i, false, NULL);
		}
	}
	free(name_off);
	return err;
}

struct uz_error *uz_kallsyms_decode(const struct uz_kallsyms_raw *raw, struct uz_kallsyms **out)
{
	*out = NULL;
	struct uz_kallsyms *ks = calloc(1, sizeof(*ks));
	if (!ks)
		return uz_error_create(UZ_ERR_NOMEM, "allocating kallsyms");
	uz_strmap_init(&ks->by_name, false);
	struct uz_error *err = decode_into(raw, ks);
	if (err) {
		uz_kallsyms_free(ks);
		return uz_error_wrap(err, "decoding kallsyms");
	}
	*out = ks;
	return NULL;
}

/* ---- reading the tables from the dump ---- */

/* Bytes read past the last token offset to find its NUL (tokens are short:
 * a few dozen bytes at most in every kernel seen). */
#define TOKEN_SLACK 512
#define NAMES_CHUNK (256u << 10)
#define NAMES_MAX (64u << 20)

struct raw_buffers {
	uint8_t *names, *token_table, *offsets;
	uint8_t token_index[512];
};

static void raw_buffers_free(struct raw_buffers *b)
{
	free(b->names);
	free(b->token_table);
	free(b->offsets);
}

static struct uz_error *vmci_sym(const struct uz_vmci *vmci, const char *name, uint64_t *addr)
{
	return uz_error_wrap(uz_vmci_symbol(vmci, name, addr),
			     "VMCOREINFO has no SYMBOL(%s) (it has since Linux 6.0)", name);
}

/* Read kallsyms_names chunk by chunk until all num_syms names are inside. */
static struct uz_error *read_names(uz_vread_fn *read, void *ctx, uint64_t addr, uint32_t num_syms,
				   struct raw_buffers *b, size_t *size)
{
	size_t have = 0, pos = 0;
	uint32_t scanned = 0;
	while (scanned < num_syms) {
		if (have >= NAMES_MAX)
			return uz_error_create(UZ_ERR_FORMAT, "kallsyms_names is larger than %u bytes",
					       NAMES_MAX);
		uint8_t *grown = realloc(b->names, have + NAMES_CHUNK);
		if (!grown)
			return uz_error_create(UZ_ERR_NOMEM, "reading kallsyms_names");
		b->names = grown;
		UZ_TRY(uz_error_wrap(read(ctx, addr + have, b->names + have, NAMES_CHUNK),
				     "reading kallsyms_names"));
		have += NAMES_CHUNK;
		/* Scan whole entries only. */
		while (scanned < num_syms && pos < have) {
			size_t l = b->names[pos], hdr = 1;
			if (l & 0x80) {
				if (pos + 1 >= have)
					break;
				l = (l & 0x7f) | (size_t)b->names[pos + 1] << 7;
				hdr = 2;
			}
			if (pos + hdr + l > have)
				break;
			pos += hdr + l;
			scanned++;
		}
	}
	*size = pos;
	return NULL;
}

static struct uz_error *read_tables(uz_vread_fn *read, void *ctx, const struct uz_vmci *vmci,
				    struct raw_buffers *b, struct uz_kallsyms_raw *raw)
{
	uint64_t a_num = 0, a_names = 0, a_ttable = 0, a_tindex = 0, a_offsets = 0;
	UZ_TRY(vmci_sym(vmci, "kallsyms_num_syms", &a_num));
	UZ_TRY(vmci_sym(vmci, "kallsyms_names", &a_names));
	UZ_TRY(vmci_sym(vmci, "kallsyms_token_table", &a_ttable));
	UZ_TRY(vmci_sym(vmci, "kallsyms_token_index", &a_tindex));
	struct uz_error *err = uz_vmci_symbol(vmci, "kallsyms_offsets", &a_offsets);
	if (err) {
		uz_error_destroy(err);
		UZ_TRY(vmci_sym(vmci, "kallsyms_addresses", &a_offsets));
		raw->absolute_addresses = true;
	} else {
		uint64_t a_base = 0;
		err = uz_vmci_symbol(vmci, "kallsyms_relative_base", &a_base);
		if (err && err->code == UZ_ERR_NOT_FOUND) {
			/* 7.0/7.1+: entries relative to their own address (see the
			 * top of this file). */
			uz_error_destroy(err);
			raw->place_relative = true;
			raw->offsets_addr = a_offsets;
		} else {
			UZ_TRY(uz_error_wrap(err, "VMCOREINFO SYMBOL(kallsyms_relative_base)"));
			uint8_t base[8];
			UZ_TRY(uz_error_wrap(read(ctx, a_base, base, 8), "reading kallsyms_relative_base"));
			raw->relative_base = le64(base);
		}
	}
	uint8_t num[4];
	UZ_TRY(uz_error_wrap(read(ctx, a_num, num, 4), "reading kallsyms_num_syms"));
	raw->num_syms = le32(num);
	if (raw->num_syms == 0 || raw->num_syms > UZ_KALLSYMS_MAX_SYMS)
		return uz_error_create(UZ_ERR_FORMAT, "kallsyms_num_syms is %u (expected 1..%u)",
				       raw->num_syms, UZ_KALLSYMS_MAX_SYMS);

	UZ_TRY(uz_error_wrap(read(ctx, a_tindex, b->token_index, sizeof(b->token_index)),
			     "reading kallsyms_token_index"));
	raw->token_index = b->token_index;
	raw->token_index_size = sizeof(b->token_index);
	size_t max_off = 0;
	for (unsigned t = 0; t < 256; t++)
		if (le16(b->token_index + 2 * t) > max_off)
			max_off = le16(b->token_index + 2 * t);
	raw->token_table_size = max_off + TOKEN_SLACK;
	b->token_table = malloc(raw->token_table_size);
	if (!b->token_table)
		return uz_error_create(UZ_ERR_NOMEM, "reading kallsyms_token_table");
	UZ_TRY(uz_error_wrap(read(ctx, a_ttable, b->token_table, raw->token_table_size),
			     "reading kallsyms_token_table"));
	raw->token_table = b->token_table;

	raw->offsets_size = (size_t)raw->num_syms * (raw->absolute_addresses ? 8 : 4);
	b->offsets = malloc(raw->offsets_size);
	if (!b->offsets)
		return uz_error_create(UZ_ERR_NOMEM, "reading kallsyms offsets");
	UZ_TRY(uz_error_wrap(read(ctx, a_offsets, b->offsets, raw->offsets_size),
			     "reading kallsyms_%s", raw->absolute_addresses ? "addresses" : "offsets"));
	raw->offsets = b->offsets;

	UZ_TRY(read_names(read, ctx, a_names, raw->num_syms, b, &raw->names_size));
	raw->names = b->names;
	return NULL;
}

struct uz_error *uz_kallsyms_read(uz_vread_fn *read, void *ctx, const struct uz_vmci *vmci,
				  struct uz_kallsyms **out)
{
	*out = NULL;
	struct raw_buffers b;
	memset(&b, 0, sizeof(b));
	struct uz_kallsyms_raw raw;
	memset(&raw, 0, sizeof(raw));
	struct uz_error *err = read_tables(read, ctx, vmci, &b, &raw);
	if (!err)
		err = uz_kallsyms_decode(&raw, out);
	raw_buffers_free(&b);
	return uz_error_wrap(err, "kallsyms from the dump");
}
