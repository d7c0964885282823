/* vma.c - the VMAs of an mm in address order: the maple tree mm->mm_mt
 * (6.1+) or the vm_next list (before 6.1).
 *
 * Maple tree facts (include/linux/maple_tree.h, lib/maple_tree.c, 6.1 and
 * 6.12): an encoded node pointer ("enode") has the node address in the bits
 * above MAPLE_NODE_MASK (255) and the node type in bits 3..6
 * (MAPLE_NODE_TYPE_SHIFT 3, MASK 0xf); xa_is_node(e) = (e & 3) == 2 && e >
 * 4096 for the root (which carries MAPLE_ROOT_NODE = 2); child pointers
 * in internal nodes are node | type << 3 | 4, low two bits clear.  maple_leaf_64 and maple_range_64 nodes use struct maple_range_64
 * (pivot[15], slot[16]), maple_arange_64 uses struct maple_arange_64
 * (pivot[9], slot[10], gap[10]).  Slot i covers (pivot[i-1], pivot[i]];
 * the last used slot ends at the node's max; unused pivots are 0.  Member
 * offsets and array lengths come from the debuginfo. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAPLE_NODE_MASK 255ULL
#define MAPLE_NODE_TYPE_SHIFT 3
#define MAPLE_NODE_TYPE_MASK 0xfULL
#define MAPLE_HEIGHT_LIMIT 32          /* MAPLE_HEIGHT_MAX is 31 */
#define MAPLE_MAX_NODES (1u << 20)
#define MAPLE_MAX_SLOTS 64
#define UZ_MAX_VMAS (1u << 24)

struct vma_offsets {
	struct uz_member vm_start, vm_end, vm_flags, vm_page_prot, vm_file;
};

struct maple_layout {
	uint64_t node_size;
	int64_t type_leaf64, type_range64, type_arange64;
	struct uz_member r_pivot, r_slot, a_pivot, a_slot;
	uint64_t r_npivots, r_nslots, a_npivots, a_nslots;
};

struct vma_walk {
	struct uz_kernel *k;
	uint64_t mm;
	struct vma_offsets o;
	struct maple_layout ml;
	uz_vma_fn *cb;
	void *ctx;
	uint64_t last_end;
	uint64_t count;
	uint64_t nodes;
	unsigned char *node_buf[MAPLE_HEIGHT_LIMIT + 1];
};

/* range_end: for maple leaves the last index of the slot, which must be
 * vm_end - 1 (0: no range to check). */
static struct uz_error *emit_vma(struct vma_walk *w, uint64_t vma, uint64_t range_start,
				 uint64_t range_end)
{
	struct uz_kernel *k = w->k;
	if (++w->count > UZ_MAX_VMAS)
		return uz_error_create(UZ_ERR_FORMAT, "mm 0x%" PRIx64 " has more than %u VMAs: corrupt", w->mm,
				       UZ_MAX_VMAS);
	struct uz_vma_info info = { .vma = vma };
	uint64_t file;
	UZ_TRY(uz_kernel_read_member_raw(k, vma, &w->o.vm_start, &info.start));
	UZ_TRY(uz_kernel_read_member_raw(k, vma, &w->o.vm_end, &info.end));
	UZ_TRY(uz_kernel_read_member_raw(k, vma, &w->o.vm_flags, &info.vm_flags));
	UZ_TRY(uz_kernel_read_member_raw(k, vma, &w->o.vm_page_prot, &info.vm_page_prot));
	UZ_TRY(uz_kernel_read_member_raw(k, vma, &w->o.vm_file, &file));
	info.anonymous = file == 0;
	if (info.start >= info.end || info.start < w->last_end)
		return uz_error_create(UZ_ERR_FORMAT,
				       "VMA 0x%" PRIx64 " of mm 0x%" PRIx64 " spans [0x%" PRIx64 ", 0x%" PRIx64 ") after one ending at 0x%" PRIx64 ": the VMA tree is corrupt",
				       vma, w->mm, info.start, info.end, w->last_end);
	if (range_end && (info.start != range_start || info.end - 1 != range_end))
		return uz_error_create(UZ_ERR_FORMAT,
				       "VMA 0x%" PRIx64 " of mm 0x%" PRIx64 " spans [0x%" PRIx64 ", 0x%" PRIx64 ") but its maple slot covers [0x%" PRIx64 ", 0x%" PRIx64 "]",
				       vma, w->mm, info.start, info.end, range_start, range_end);
	w->last_end = info.end;
	return w->cb(w->ctx, &info);
}

static uint64_t load_u64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static struct uz_error *maple_walk(struct vma_walk *w, uint64_t enode, uint64_t min, uint64_t max,
				   unsigned depth)
{
	struct maple_layout *ml = &w->ml;
	if (depth >= MAPLE_HEIGHT_LIMIT)
		return uz_error_create(UZ_ERR_FORMAT, "maple tree of mm 0x%" PRIx64 " is deeper than %u",
				       w->mm, MAPLE_HEIGHT_LIMIT);
	if (++w->nodes > MAPLE_MAX_NODES)
		return uz_error_create(UZ_ERR_FORMAT, "maple tree of mm 0x%" PRIx64 " has more than %u nodes",
				       w->mm, MAPLE_MAX_NODES);
	uint64_t node = enode & ~MAPLE_NODE_MASK;
	int64_t type = (int64_t)((enode >> MAPLE_NODE_TYPE_SHIFT) & MAPLE_NODE_TYPE_MASK);
	const struct uz_member *pm, *sm;
	uint64_t npiv, nslots;
	if (type == ml->type_leaf64 || type == ml->type_range64) {
		pm = &ml->r_pivot; sm = &ml->r_slot; npiv = ml->r_npivots; nslots = ml->r_nslots;
	} else if (type == ml->type_arange64) {
		pm = &ml->a_pivot; sm = &ml->a_slot; npiv = ml->a_npivots; nslots = ml->a_nslots;
	} else {
		return uz_error_create(UZ_ERR_FORMAT, "maple node 0x%" PRIx64 " of mm 0x%" PRIx64 " has type %" PRId64,
				       node, w->mm, type);
	}
	bool leaf = type == ml->type_leaf64;
	unsigned char *buf = w->node_buf[depth];
	UZ_TRY(uz_error_wrap(uz_kernel_read(w->k, node, buf, (size_t)ml->node_size),
			     "maple node of mm 0x%" PRIx64, w->mm));
	for (uint64_t i = 0; i < nslots; i++) {
		uint64_t lo = i == 0 ? min : load_u64(buf + pm->offset + (i - 1) * 8) + 1;
		uint64_t hi = max;
		if (i < npiv) {
			uint64_t piv = load_u64(buf + pm->offset + i * 8);
			if (piv == 0 && i > 0)
				break;  /* unused pivots are 0 */
			if (piv < max)
				hi = piv;
		}
		if (i > 0 && lo == 0)
			break;  /* previous pivot was ULONG_MAX */
		if (hi < lo)
			return uz_error_create(UZ_ERR_FORMAT, "maple node 0x%" PRIx64 " of mm 0x%" PRIx64 " has decreasing pivots",
					       node, w->mm);
		uint64_t entry = load_u64(buf + sm->offset + i * 8);
		if (leaf) {
			/* NULL is a gap; internal entries (XA_ZERO_ENTRY...) are not VMAs. */
			if (entry && (entry & 3) == 0)
				UZ_TRY(emit_vma(w, entry, lo, hi));
		} else if (entry) {
			/* Child enodes are node | type << 3 | 4 (only the root
			 * carries MAPLE_ROOT_NODE = 2, making it xa_is_node). */
			if ((entry & ~MAPLE_NODE_MASK) == 0 || (entry & 3) != 0)
				return uz_error_create(UZ_ERR_FORMAT,
						       "maple node 0x%" PRIx64 " of mm 0x%" PRIx64 " slot %" PRIu64 " holds 0x%" PRIx64 ", not a node",
						       node, w->mm, i, entry);
			UZ_TRY(maple_walk(w, entry, lo, hi, depth + 1));
		}
		if (hi >= max)
			break;
	}
	return NULL;
}

static struct uz_error *maple_layout(struct uz_kernel *k, struct maple_layout *ml)
{
	UZ_TRY(uz_kernel_type_size(k, "struct maple_node", &ml->node_size));
	if (ml->node_size == 0 || ml->node_size > 1024)
		return uz_error_create(UZ_ERR_FORMAT, "struct maple_node of %" PRIu64 " bytes", ml->node_size);
	/* enum maple_type { maple_dense, maple_leaf_64, maple_range_64, maple_arange_64 } */
	static const char *const names[3] = { "maple_leaf_64", "maple_range_64", "maple_arange_64" };
	int64_t *vals[3] = { &ml->type_leaf64, &ml->type_range64, &ml->type_arange64 };
	for (int i = 0; i < 3; i++) {
		struct uz_error *err = uz_kernel_enumerator(k, names[i], vals[i]);
		if (err) {
			uz_error_destroy(err);
			*vals[i] = i + 1;
		}
	}
	UZ_TRY(uz_kernel_member(k, "struct maple_range_64", "pivot", &ml->r_pivot));
	UZ_TRY(uz_kernel_member(k, "struct maple_range_64", "slot", &ml->r_slot));
	UZ_TRY(uz_kernel_member(k, "struct maple_arange_64", "pivot", &ml->a_pivot));
	UZ_TRY(uz_kernel_member(k, "struct maple_arange_64", "slot", &ml->a_slot));
	ml->r_npivots = ml->r_pivot.size / 8;
	ml->r_nslots = ml->r_slot.size / 8;
	ml->a_npivots = ml->a_pivot.size / 8;
	ml->a_nslots = ml->a_slot.size / 8;
	const struct uz_member *ms[4] = { &ml->r_pivot, &ml->r_slot, &ml->a_pivot, &ml->a_slot };
	for (int i = 0; i < 4; i++)
		if (ms[i]->offset + ms[i]->size > ml->node_size || ms[i]->size / 8 > MAPLE_MAX_SLOTS)
			return uz_error_create(UZ_ERR_FORMAT, "maple node layout does not fit struct maple_node");
	return NULL;
}

static struct uz_error *walk_maple_mm(struct vma_walk *w, const struct uz_member *mm_mt)
{
	struct uz_kernel *k = w->k;
	UZ_TRY(maple_layout(k, &w->ml));
	uint64_t root;
	UZ_TRY(uz_kernel_read_member(k, w->mm + mm_mt->offset, "struct maple_tree", "ma_root", &root));
	if (!root)
		return NULL;
	if ((root & 3) != 2 || root <= 4096) {
		/* A single entry for index 0 stored in the root itself. */
		return (root & 3) == 0 ? emit_vma(w, root, 0, 0) : NULL;
	}
	struct uz_error *err = NULL;
	for (unsigned i = 0; i <= MAPLE_HEIGHT_LIMIT; i++) {
		w->node_buf[i] = malloc((size_t)w->ml.node_size);
		if (!w->node_buf[i]) {
			err = uz_error_create(UZ_ERR_NOMEM, "allocating maple node buffers");
			break;
		}
	}
	if (!err)
		err = maple_walk(w, root, 0, UINT64_MAX, 0);
	for (unsigned i = 0; i <= MAPLE_HEIGHT_LIMIT; i++)
		free(w->node_buf[i]);
	return err;
}

static struct uz_error *walk_list_mm(struct vma_walk *w)
{
	struct uz_kernel *k = w->k;
	uint64_t vma, map_count = 0;
	UZ_TRY(uz_kernel_read_member(k, w->mm, "struct mm_struct", "mmap", &vma));
	struct uz_error *err = uz_kernel_read_member(k, w->mm, "struct mm_struct", "map_count", &map_count);
	uz_error_destroy(err);
	struct uz_member next;
	UZ_TRY(uz_kernel_member(k, "struct vm_area_struct", "vm_next", &next));
	/* The list is sorted, so emit_vma's ordering check also catches cycles. */
	for (uint64_t n = 0; vma; n++) {
		if (map_count && n > map_count)
			return uz_error_create(UZ_ERR_FORMAT, "VMA list of mm 0x%" PRIx64 " is longer than map_count %" PRIu64,
					       w->mm, map_count);
		UZ_TRY(emit_vma(w, vma, 0, 0));
		UZ_TRY(uz_kernel_read_member_raw(k, vma, &next, &vma));
	}
	return NULL;
}

struct uz_error *uz_kernel_for_each_vma(struct uz_kernel *k, uint64_t mm, uz_vma_fn *cb, void *ctx)
{
	struct vma_walk w = { .k = k, .mm = mm, .cb = cb, .ctx = ctx };
	static const char V[] = "struct vm_area_struct";
	UZ_TRY(uz_kernel_member(k, V, "vm_start", &w.o.vm_start));
	UZ_TRY(uz_kernel_member(k, V, "vm_end", &w.o.vm_end));
	UZ_TRY(uz_kernel_member(k, V, "vm_flags", &w.o.vm_flags));
	UZ_TRY(uz_kernel_member(k, V, "vm_page_prot", &w.o.vm_page_prot));
	UZ_TRY(uz_kernel_member(k, V, "vm_file", &w.o.vm_file));
	struct uz_member mm_mt;
	struct uz_error *err = uz_kernel_member(k, "struct mm_struct", "mm_mt", &mm_mt);
	if (!err)
		return walk_maple_mm(&w, &mm_mt);
	if (err->code != UZ_ERR_NOT_FOUND)
		return err;
	uz_error_destroy(err);
	return walk_list_mm(&w);
}
