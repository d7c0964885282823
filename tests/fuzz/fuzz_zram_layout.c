/* libFuzzer target for lib/zram/zram_layout.c: the XArray walk over
 * arbitrary memory (cycles, wild shifts, sibling loops), object spans from
 * arbitrary class geometry, flag-word and obj decoding, and bitfield reads.
 * Invariants checked: no crash, no hang (bounded walks), and every span the
 * code accepts lies inside its zspage. */
#include "zram/zram_layout.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BASE 0xffff888000000000ull

struct arena { const uint8_t *p; size_t n; };

static struct uz_error *arena_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct arena *a = ctx;
	if (addr < BASE || addr - BASE > a->n || len > a->n - (addr - BASE))
		return uz_error_create(UZ_ERR_FAULT, "0x%llx outside", (unsigned long long)addr);
	memcpy(buf, a->p + (addr - BASE), len);
	return NULL;
}

static struct uz_error *count(void *ctx, uint64_t index, uint64_t entry)
{
	(void)index;
	(void)entry;
	size_t *n = ctx;
	if (++*n > 100000)
		abort();   /* node limit must have stopped us long before */
	return NULL;
}

static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 32)
		return 0;
	/* header: 8 head offset, 8 index, 4 class size, 4 objs/pages, 4 idx, 4 len */
	struct arena a = { data + 32, size - 32 };
	static const struct uz_xa_layout l = { 0, 40, 6 };
	uint64_t head = BASE + (get64(data) % (a.n + 1)) + (data[0] & 2);
	uint64_t index = get64(data + 8);
	uint64_t e;
	uz_error_destroy(uz_xa_load(&l, arena_read, &a, head, index, &e));
	size_t n = 0;
	uz_error_destroy(uz_xa_for_each(&l, arena_read, &a, head, 64, count, &n));

	struct uz_zs_class c;
	uint32_t w[4];
	memcpy(w, data + 16, 16);
	c.size = w[0] & 0x1ffff;
	c.objs_per_zspage = w[1] & 0xffff;
	c.pages_per_zspage = w[1] >> 16;
	struct uz_zs_obj_span s;
	bool huge = data[1] & 1;
	struct uz_error *err = uz_zs_object_span(&c, 4096, w[2], huge, w[3] & 0x1ffff, &s);
	if (!err) {
		uint64_t end_page = s.page_in_zspage + s.data_page + (s.second_len ? 1 : 0);
		if (end_page >= c.pages_per_zspage || s.first_len + s.second_len != (w[3] & 0x1ffff) ||
		    s.data_offset + s.first_len > 4096)
			abort();
	}
	uz_error_destroy(err);

	struct uz_zram_flag_layout fl = { 13, 14, -1, 15, 17, 19, 2, 32 };
	struct uz_zram_slot sl;
	uz_zram_slot_decode(&fl, 4096, get64(data), get64(data + 8), &sl);
	if (sl.kind == UZ_SLOT_STORED && (sl.size == 0 || sl.size > 4096))
		abort();
	struct uz_zs_obj_layout ol;
	if (!uz_zs_obj_layout_init(52, 12, data[2] & 1, &ol)) {
		uint64_t pfn;
		uint32_t idx;
		uz_zs_obj_decode(&ol, get64(data + 16), &pfn, &idx);
		if (pfn >> ol.pfn_bits)
			abort();
	}
	uint64_t v;
	uz_bitfield_get(a.p, a.n, data[3], data[4], data[5], &v);
	return 0;
}
