/* libFuzzer target: the kernel view's list iterators (lib/kernel/tasks.c,
 * vma.c and the user page-table walk) over a fuzzed physical memory image.
 *
 * Input: byte 0 selects the kernel generation (bit 0 set: 5.10-style
 * layouts - thread_group rings, mm->mmap VMA list; clear: 6.1-style -
 * signal->thread_head lists, maple tree) and the paging (bit 1: x86_64
 * 5-level, else 4-level); the rest is physical memory from address 0.
 * Types come from fixed tables in the style of tests/unit/test_kernel_fake.h
 * (own copy: the provider here switches between the two layouts); kernel
 * objects are addressed through the x86_64 kernel-image mapping
 * (VA = 0xffffffff80000000 + PA).  Every iterator must complete or end with
 * an error - never hang, never read out of bounds - and what it reports
 * must be consistent (no task twice, VMAs and PTEs in ascending order).
 *
 * Seeds: run the binary with FUZZ_KERNEL_LISTS_WRITE_SEEDS=DIR to write the
 * valid synthetic images (the committed tests/fuzz/corpus/kernel_lists/
 * seeds) into DIR and exit. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/internal.h"

#define KVA(pa) (0xffffffff80000000ULL + (pa))
#define IMAGE_SIZE 0x6000u
#define SELECT_OLD_LAYOUT 1u
#define SELECT_LA57 2u

/* Physical layout of the valid seed images (page 0: objects; pages 1-4:
 * the four levels of the x86_64 page table, PGD doubling as init_top_pgt;
 * page 5: the top level when 5-level paging is selected). */
enum {
	PA_INIT_TASK = 0x000, PA_P1 = 0x080, PA_T1B = 0x100, PA_P2 = 0x180,
	PA_SIG1 = 0x200, PA_SIG2 = 0x220, PA_MM = 0x240,
	PA_ROOT = 0x300, PA_LEAF1 = 0x400, PA_LEAF2 = 0x500,
	PA_VMA_A = 0x600, PA_VMA_B = 0x640, PA_VMA_C = 0x680,
	PA_PGD = 0x1000, PA_PUD = 0x2000, PA_PMD = 0x3000, PA_PTE = 0x4000, PA_PML5 = 0x5000,
};
enum { OFF_THREAD_LINK = 56, OFF_VM_NEXT = 40, OFF_MMAP = 8, OFF_MAP_COUNT = 32 };

/* ---- fixed type tables ---- */

struct lists_member { const char *type, *member; uint64_t offset, size; };
struct lists_named { const char *name; uint64_t value; };

static const struct lists_member common_members[] = {
	{ "struct task_struct", "tasks", 0, 16 },
	{ "struct task_struct", "pid", 16, 4 },
	{ "struct task_struct", "tgid", 20, 4 },
	{ "struct task_struct", "comm", 24, 16 },
	{ "struct task_struct", "mm", 40, 8 },
	{ "struct task_struct", "signal", 48, 8 },
	{ "struct mm_struct", "pgd", 0, 8 },
	{ "struct vm_area_struct", "vm_start", 0, 8 },
	{ "struct vm_area_struct", "vm_end", 8, 8 },
	{ "struct vm_area_struct", "vm_flags", 16, 8 },
	{ "struct vm_area_struct", "vm_page_prot", 24, 8 },
	{ "struct vm_area_struct", "vm_file", 32, 8 },
	{ NULL, NULL, 0, 0 },
};
/* 6.1: signal_struct.thread_head + task_struct.thread_node; mm_mt maple tree. */
static const struct lists_member new_members[] = {
	{ "struct task_struct", "thread_node", OFF_THREAD_LINK, 16 },
	{ "struct signal_struct", "thread_head", 0, 16 },
	{ "struct mm_struct", "mm_mt", 16, 16 },
	{ "struct maple_tree", "ma_root", 8, 8 },
	{ "struct maple_range_64", "pivot", 8, 120 },
	{ "struct maple_range_64", "slot", 128, 128 },
	{ "struct maple_arange_64", "pivot", 8, 72 },
	{ "struct maple_arange_64", "slot", 80, 80 },
	{ NULL, NULL, 0, 0 },
};
/* 5.10: task_struct.thread_group ring; mm->mmap list through vm_next. */
static const struct lists_member old_members[] = {
	{ "struct task_struct", "thread_group", OFF_THREAD_LINK, 16 },
	{ "struct mm_struct", "mmap", OFF_MMAP, 8 },
	{ "struct mm_struct", "map_count", OFF_MAP_COUNT, 4 },
	{ "struct vm_area_struct", "vm_next", OFF_VM_NEXT, 8 },
	{ NULL, NULL, 0, 0 },
};
static const struct lists_named sizes[] = { { "struct maple_node", 256 }, { NULL, 0 } };
static const struct lists_named symbols[] = { { "init_task", KVA(PA_INIT_TASK) }, { NULL, 0 } };

struct lists_types { bool old_layout; };

static const struct lists_named *find_named(const struct lists_named *t, const char *name)
{
	for (; t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

static const struct lists_member *find_member(const struct lists_member *t, const char *type, const char *member)
{
	for (; t->type; t++)
		if (!strcmp(t->type, type) && !strcmp(t->member, member))
			return t;
	return NULL;
}

static struct uz_error *lists_symbol(void *impl, const char *name, uint64_t *addr)
{
	(void)impl;
	const struct lists_named *s = find_named(symbols, name);
	if (!s)
		return uz_error_create(UZ_ERR_NOT_FOUND, "fuzz types: no symbol %s", name);
	*addr = s->value;
	return NULL;
}

static struct uz_error *lists_type_size(void *impl, const char *type, uint64_t *size)
{
	(void)impl;
	const struct lists_named *s = find_named(sizes, type);
	if (!s)
		return uz_error_create(UZ_ERR_NOT_FOUND, "fuzz types: no type %s", type);
	*size = s->value;
	return NULL;
}

static struct uz_error *lists_member(void *impl, const char *type, const char *member, struct uz_member *out)
{
	const struct lists_types *t = impl;
	const struct lists_member *m = find_member(common_members, type, member);
	if (!m)
		m = find_member(t->old_layout ? old_members : new_members, type, member);
	if (!m)
		return uz_error_create(UZ_ERR_NOT_FOUND, "fuzz types: %s has no member %s", type, member);
	memset(out, 0, sizeof(*out));
	out->offset = m->offset;
	out->size = m->size;
	return NULL;
}

static struct uz_error *lists_array_len(void *impl, const char *type, const char *name, uint64_t *len)
{
	(void)impl; (void)type; (void)len;
	return uz_error_create(UZ_ERR_NOT_FOUND, "fuzz types: no array %s", name);
}

static struct uz_error *lists_enumerator(void *impl, const char *name, int64_t *value)
{
	(void)impl; (void)value;
	return uz_error_create(UZ_ERR_NOT_FOUND, "fuzz types: no enumerator %s", name);
}

static struct uz_error *lists_var_kind(void *impl, const char *name, enum uz_var_kind *kind)
{
	(void)impl; (void)kind;
	return uz_error_create(UZ_ERR_NOT_FOUND, "fuzz types: no variable %s", name);
}

static const char *lists_banner(void *impl) { (void)impl; return NULL; }
static const uint8_t *lists_build_id(void *impl, size_t *len) { (void)impl; *len = 0; return NULL; }
static const char *lists_describe(void *impl) { (void)impl; return "fuzz list types"; }

static const struct uz_types_ops lists_types_ops = {
	.symbol = lists_symbol,
	.type_size = lists_type_size,
	.member = lists_member,
	.array_len = lists_array_len,
	.enumerator = lists_enumerator,
	.var_kind = lists_var_kind,
	.banner = lists_banner,
	.build_id = lists_build_id,
	.describe = lists_describe,
	.destroy = NULL,
};

/* ---- physical memory: the fuzz input ---- */

struct image {
	const uint8_t *data;
	size_t size;
};

static struct uz_error *image_read(void *ctx, uint64_t paddr, void *buf, size_t len)
{
	const struct image *im = ctx;
	if (paddr > im->size || len > im->size - paddr)
		return uz_error_create(UZ_ERR_FAULT, "physical 0x%llx+%zu not in the image",
				       (unsigned long long)paddr, len);
	memcpy(buf, im->data + paddr, len);
	return NULL;
}

/* ---- consistency checks on what the iterators report ---- */

#define MAX_MMS 4
#define MAX_TASKS_KEPT 4096

struct task_check {
	uint64_t tasks[MAX_TASKS_KEPT];
	size_t n;
	uint64_t mms[MAX_MMS];
	size_t n_mms;
};

static struct uz_error *check_task(void *ctx, const struct uz_task_info *t)
{
	struct task_check *c = ctx;
	for (size_t i = 0; i < c->n; i++)
		if (c->tasks[i] == t->task)
			abort();   /* the walker promises each task once */
	if (c->n < MAX_TASKS_KEPT)
		c->tasks[c->n++] = t->task;
	if (memchr(t->comm, '\0', sizeof(t->comm)) == NULL)
		abort();
	if (t->mm && c->n_mms < MAX_MMS) {
		for (size_t i = 0; i < c->n_mms; i++)
			if (c->mms[i] == t->mm)
				return NULL;
		c->mms[c->n_mms++] = t->mm;
	}
	return NULL;
}

struct vma_check {
	uint64_t last_end;
	uint64_t starts[8];
	size_t n;
};

static struct uz_error *check_vma(void *ctx, const struct uz_vma_info *v)
{
	struct vma_check *c = ctx;
	if (v->start >= v->end || v->start < c->last_end)
		abort();   /* the walker promises ascending, non-overlapping VMAs */
	c->last_end = v->end;
	if (c->n < 8)
		c->starts[c->n++] = v->start;
	return NULL;
}

struct pte_check {
	uint64_t start, end, last;
	bool any;
	uint64_t image_size;
	uint64_t count;
};

static struct uz_error *check_pte(void *ctx, const struct uz_pte_ref *r)
{
	struct pte_check *c = ctx;
	if (r->vaddr < c->start || r->vaddr >= c->end || (c->any && r->vaddr <= c->last) || r->pte == 0)
		abort();
	if (r->pte_paddr > c->image_size || 8 > c->image_size - r->pte_paddr)
		abort();   /* reported an entry it cannot have read */
	c->last = r->vaddr;
	c->count++;
	c->any = true;
	return NULL;
}

/* What one input produced (checked for the seeds when they are written). */
struct lists_counts {
	size_t tasks, vmas, ptes;
	bool tasks_ok, vmas_ok, ptes_ok;
	char first_error[256];
};

static void note_error(struct lists_counts *out, const struct uz_error *err)
{
	if (out && err && !out->first_error[0])
		snprintf(out->first_error, sizeof(out->first_error), "%s", err->message);
}

static void exercise_mm(struct uz_kernel *k, uint64_t mm, uint64_t image_size, struct lists_counts *out)
{
	struct vma_check vc = { 0 };
	struct uz_error *err = uz_kernel_for_each_vma(k, mm, check_vma, &vc);
	if (out && !out->vmas) {
		out->vmas = vc.n;
		out->vmas_ok = err == NULL;
	}
	note_error(out, err);
	uz_error_destroy(err);
	struct pte_check pc = { 0, UINT64_MAX, 0, false, image_size, 0 };
	err = uz_kernel_walk_ptes(k, mm, 0, UINT64_MAX, check_pte, &pc);
	if (out && !out->ptes) {
		out->ptes = pc.count;
		out->ptes_ok = err == NULL;
	}
	note_error(out, err);
	uz_error_destroy(err);
	/* A partial range starting inside the first VMA. */
	if (vc.n) {
		struct pte_check part = { vc.starts[0] + 0x1000, vc.starts[0] + 0x40000000ULL, 0, false,
					  image_size, 0 };
		uz_error_destroy(uz_kernel_walk_ptes(k, mm, part.start, part.end, check_pte, &part));
	}
	for (size_t i = 0; i < vc.n; i++) {
		struct uz_pte_ref ref;
		uz_error_destroy(uz_kernel_user_vtop(k, mm, vc.starts[i], &ref));
	}
}

static const char VMCOREINFO_4LEVEL[] =
	"OSRELEASE=6.1.0-fuzz\nPAGESIZE=4096\nNUMBER(phys_base)=0\n"
	"SYMBOL(init_top_pgt)=ffffffff80001000\nNUMBER(KERNEL_IMAGE_SIZE)=1073741824\n";
static const char VMCOREINFO_5LEVEL[] =
	"OSRELEASE=6.1.0-fuzz\nPAGESIZE=4096\nNUMBER(phys_base)=0\nNUMBER(pgtable_l5_enabled)=1\n"
	"SYMBOL(init_top_pgt)=ffffffff80005000\nNUMBER(KERNEL_IMAGE_SIZE)=1073741824\n";

static void run_image(const uint8_t *data, size_t size, struct lists_counts *out)
{
	if (size < 1)
		return;
	struct lists_types lt = { .old_layout = (data[0] & SELECT_OLD_LAYOUT) != 0 };
	struct image im = { data + 1, size - 1 };
	struct uz_kernel_setup s = {
		.arch = UZ_ARCH_X86_64, .page_size = 4096,
		.version = lt.old_layout ? UZ_KERNEL_VERSION(5, 10, 0) : UZ_KERNEL_VERSION(6, 1, 0),
		.vmcoreinfo = (data[0] & SELECT_LA57) ? VMCOREINFO_5LEVEL : VMCOREINFO_4LEVEL,
		.phys = { image_read, &im },
		.types = { &lists_types_ops, &lt },
		.max_pfn = (im.size + 4095) / 4096,
		.skip_late_init = true,
	};
	struct uz_kernel *k;
	struct uz_error *err = uz_kernel_open_custom(&s, &k);
	if (err) {
		uz_error_destroy(err);
		return;
	}
	static struct task_check tc;   /* too big for the stack; reset per input */
	tc.n = 0;
	tc.n_mms = 0;
	tc.mms[tc.n_mms++] = KVA(PA_MM);
	err = uz_kernel_for_each_task(k, check_task, &tc);
	if (out) {
		out->tasks = tc.n;
		out->tasks_ok = err == NULL;
	}
	note_error(out, err);
	uz_error_destroy(err);
	for (size_t i = 0; i < tc.n_mms; i++)
		exercise_mm(k, tc.mms[i], im.size, i == 0 ? out : NULL);
	uz_kernel_close(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run_image(data, size, NULL);
	return 0;
}

/* ---- seed images ---- */

static void put64(uint8_t *m, uint64_t pa, uint64_t v) { memcpy(m + pa, &v, 8); }
static void put32(uint8_t *m, uint64_t pa, uint32_t v) { memcpy(m + pa, &v, 4); }

static void list_link(uint8_t *m, const uint64_t *nodes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		put64(m, nodes[i], KVA(nodes[(i + 1) % n]));
		put64(m, nodes[i] + 8, KVA(nodes[(i + n - 1) % n]));
	}
}

static void put_task(uint8_t *m, uint64_t pa, int32_t pid, int32_t tgid, const char *comm, uint64_t mm,
		     uint64_t sig)
{
	put32(m, pa + 16, (uint32_t)pid);
	put32(m, pa + 20, (uint32_t)tgid);
	memcpy(m + pa + 24, comm, strlen(comm) + 1);
	put64(m, pa + 40, mm);
	put64(m, pa + 48, sig);
}

static void put_vma(uint8_t *m, uint64_t pa, uint64_t start, uint64_t end, uint64_t file, uint64_t next)
{
	put64(m, pa, start);
	put64(m, pa + 8, end);
	put64(m, pa + 16, 0x73);
	put64(m, pa + 24, 0x8000000000000025ULL);
	put64(m, pa + 32, file);
	put64(m, pa + OFF_VM_NEXT, next);
}

/* image[0] is the selector byte; image + 1 is physical memory. */
static void build_seed(uint8_t *image, bool old_layout, bool swap_heavy, bool la57)
{
	memset(image, 0, IMAGE_SIZE + 1);
	image[0] = (uint8_t)((old_layout ? SELECT_OLD_LAYOUT : 0) | (la57 ? SELECT_LA57 : 0));
	uint8_t *m = image + 1;
	uint64_t procs[3] = { PA_INIT_TASK, PA_P1, PA_P2 };
	list_link(m, procs, 3);
	put_task(m, PA_INIT_TASK, 0, 0, "swapper/0", 0, 0);
	put_task(m, PA_P1, 100, 100, "proc1", KVA(PA_MM), KVA(PA_SIG1));
	put_task(m, PA_T1B, 101, 100, "proc1-thread", KVA(PA_MM), KVA(PA_SIG1));
	put_task(m, PA_P2, 200, 200, "kthread", 0, KVA(PA_SIG2));
	if (old_layout) {
		uint64_t ring1[2] = { PA_P1 + OFF_THREAD_LINK, PA_T1B + OFF_THREAD_LINK };
		list_link(m, ring1, 2);
		uint64_t ring2[1] = { PA_P2 + OFF_THREAD_LINK };
		list_link(m, ring2, 1);
	} else {
		uint64_t threads1[3] = { PA_SIG1, PA_P1 + OFF_THREAD_LINK, PA_T1B + OFF_THREAD_LINK };
		list_link(m, threads1, 3);
		uint64_t threads2[2] = { PA_SIG2, PA_P2 + OFF_THREAD_LINK };
		list_link(m, threads2, 2);
	}
	put64(m, PA_MM, KVA(la57 ? PA_PML5 : PA_PGD));
	if (old_layout) {
		put64(m, PA_MM + OFF_MMAP, KVA(PA_VMA_A));
		put32(m, PA_MM + OFF_MAP_COUNT, 3);
	} else {
		/* A two-level maple tree: arange64 root over two leaf64 nodes. */
		put64(m, PA_MM + 16 + 8, KVA(PA_ROOT) | (3 << 3) | 4 | 2);
		put64(m, PA_ROOT + 8, 0x5fffff);
		put64(m, PA_ROOT + 16, UINT64_MAX);
		put64(m, PA_ROOT + 80, KVA(PA_LEAF1) | (1 << 3) | 4);
		put64(m, PA_ROOT + 88, KVA(PA_LEAF2) | (1 << 3) | 4);
		put64(m, PA_LEAF1 + 8, 0x3fffff);
		put64(m, PA_LEAF1 + 16, 0x400fff);
		put64(m, PA_LEAF1 + 24, 0x5fffff);
		put64(m, PA_LEAF1 + 128 + 8, KVA(PA_VMA_A));
		put64(m, PA_LEAF2 + 8, 0x6fffff);
		put64(m, PA_LEAF2 + 16, 0x7effffffffffULL);
		put64(m, PA_LEAF2 + 24, 0x7f0000001fffULL);
		put64(m, PA_LEAF2 + 32, UINT64_MAX);
		put64(m, PA_LEAF2 + 128, KVA(PA_VMA_B));
		put64(m, PA_LEAF2 + 128 + 16, KVA(PA_VMA_C));
	}
	put_vma(m, PA_VMA_A, 0x400000, 0x401000, 0, old_layout ? KVA(PA_VMA_B) : 0);
	put_vma(m, PA_VMA_B, 0x600000, 0x700000, 0xffff888000001000ULL, old_layout ? KVA(PA_VMA_C) : 0);
	put_vma(m, PA_VMA_C, 0x7f0000000000ULL, 0x7f0000002000ULL, 0, 0);
	/* User page tables: 0x400000 present, 0x401000.. swap entries. */
	put64(m, PA_PGD + 0 * 8, PA_PUD | 0x67);
	put64(m, PA_PUD + 0 * 8, PA_PMD | 0x67);
	put64(m, PA_PMD + 2 * 8, PA_PTE | 0x67);
	put64(m, PA_PTE + 0 * 8, 0x8000000000004067ULL);
	put64(m, PA_PTE + 1 * 8, 0x07fffffffffffc00ULL);
	if (swap_heavy)
		for (uint64_t i = 2; i < 512; i += 3)
			put64(m, PA_PTE + i * 8, ~((i << 12) | 0x3ffULL) & 0x07fffffffffffc00ULL);
	if (la57) {
		put64(m, PA_PML5 + 0 * 8, PA_PGD | 0x67);
	} else {
		/* The kernel half of init_top_pgt: a 1 GiB huge entry at PGD
		 * 511/PUD 510 (under 5-level paging PGD 511 would be user space). */
		put64(m, PA_PGD + 511 * 8, PA_PUD | 0x63);
		put64(m, PA_PUD + 510 * 8, 0x0000000000000e3ULL);
	}
}

static int write_seeds(const char *dir)
{
	static uint8_t image[IMAGE_SIZE + 1];
	static const struct { const char *name; bool old_layout, swap_heavy, la57; } seeds[] = {
		{ "seed-6.1-maple", false, false, false },
		{ "seed-6.1-maple-swap", false, true, false },
		{ "seed-6.1-maple-swap-5level", false, true, true },
		{ "seed-5.10-list", true, false, false },
		{ "seed-5.10-list-swap", true, true, false },
		{ "seed-5.10-list-5level", true, false, true },
	};
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		build_seed(image, seeds[i].old_layout, seeds[i].swap_heavy, seeds[i].la57);
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, seeds[i].name);
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(image, 1, sizeof(image), f) != sizeof(image) || fclose(f) != 0) {
			fprintf(stderr, "cannot write %s\n", path);
			return 1;
		}
		/* A seed must be a complete, valid kernel: 3 tasks, 3 VMAs, its PTEs. */
		struct lists_counts c = { 0 };
		run_image(image, sizeof(image), &c);
		size_t want_ptes = seeds[i].swap_heavy ? 2 + 170 : 2;
		if (!c.tasks_ok || c.tasks != 3 || !c.vmas_ok || c.vmas != 3 || !c.ptes_ok || c.ptes != want_ptes) {
			fprintf(stderr, "%s: tasks %zu (%s), VMAs %zu (%s), PTEs %zu (%s): not the built image: %s\n",
				seeds[i].name, c.tasks, c.tasks_ok ? "ok" : "error", c.vmas, c.vmas_ok ? "ok" : "error",
				c.ptes, c.ptes_ok ? "ok" : "error", c.first_error);
			return 1;
		}
		printf("%s: %zu tasks, %zu VMAs, %zu PTEs\n", seeds[i].name, c.tasks, c.vmas, c.ptes);
	}
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	const char *dir = getenv("FUZZ_KERNEL_LISTS_WRITE_SEEDS");
	if (dir)
		exit(write_seeds(dir));
	return 0;
}
