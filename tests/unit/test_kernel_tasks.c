/* Tasks, VMAs (maple tree) and user page tables over synthetic kernel
 * memory: every object lives in fake physical memory and is addressed
 * through the x86_64 kernel-image mapping (VA = 0xffffffff80000000 + PA,
 * phys_base 0), with struct layouts from a table-driven provider.  Covers
 * the happy path and corrupt input: cycles, wild pointers, deep trees. */
#include "test_kernel_fake.h"
#include "ut.h"

#define KVA(pa) (0xffffffff80000000ULL + (pa))
#define MEM_SIZE (1u << 20)

static const struct fake_member members[] = {
	{ "struct task_struct", "tasks", 0, 16, 0, 0 },
	{ "struct task_struct", "pid", 16, 4, 0, 0 },
	{ "struct task_struct", "tgid", 20, 4, 0, 0 },
	{ "struct task_struct", "comm", 24, 16, 0, 0 },
	{ "struct task_struct", "mm", 40, 8, 0, 0 },
	{ "struct task_struct", "signal", 48, 8, 0, 0 },
	{ "struct task_struct", "thread_node", 56, 16, 0, 0 },
	{ "struct signal_struct", "thread_head", 0, 16, 0, 0 },
	{ "struct mm_struct", "pgd", 0, 8, 0, 0 },
	{ "struct mm_struct", "mm_mt", 16, 16, 0, 0 },
	{ "struct maple_tree", "ma_root", 8, 8, 0, 0 },
	{ "struct maple_range_64", "pivot", 8, 120, 0, 0 },
	{ "struct maple_range_64", "slot", 128, 128, 0, 0 },
	{ "struct maple_arange_64", "pivot", 8, 72, 0, 0 },
	{ "struct maple_arange_64", "slot", 80, 80, 0, 0 },
	{ "struct vm_area_struct", "vm_start", 0, 8, 0, 0 },
	{ "struct vm_area_struct", "vm_end", 8, 8, 0, 0 },
	{ "struct vm_area_struct", "vm_flags", 16, 8, 0, 0 },
	{ "struct vm_area_struct", "vm_page_prot", 24, 8, 0, 0 },
	{ "struct vm_area_struct", "vm_file", 32, 8, 0, 0 },
	{ NULL, NULL, 0, 0, 0, 0 },
};
static const struct fake_named sizes[] = { { "struct maple_node", 256 }, { NULL, 0 } };
/* Physical layout of the synthetic kernel. */
enum {
	PA_INIT_TASK = 0x10000, PA_P1 = 0x10100, PA_T1B = 0x10200, PA_P2 = 0x10300,
	PA_SIG1 = 0x11000, PA_SIG2 = 0x11100, PA_MM = 0x12000,
	PA_ROOT = 0x13000, PA_LEAF1 = 0x13100, PA_LEAF2 = 0x13200,
	PA_VMA_A = 0x14000, PA_VMA_B = 0x14100, PA_VMA_C = 0x14200,
	PA_PGD = 0x20000, PA_PUD = 0x21000, PA_PMD = 0x22000, PA_PTE = 0x23000,
};
static const struct fake_named symbols[] = { { "init_task", KVA(PA_INIT_TASK) }, { NULL, 0 } };
static const struct fake_types types = { members, sizes, symbols, NULL, NULL };

static void list_link(struct fake_mem *m, const uint64_t *nodes, size_t n)
{
	/* A circular list through the given list_head physical addresses. */
	for (size_t i = 0; i < n; i++) {
		put64(m, nodes[i], KVA(nodes[(i + 1) % n]));
		put64(m, nodes[i] + 8, KVA(nodes[(i + n - 1) % n]));
	}
}

static void task(struct fake_mem *m, uint64_t pa, int32_t pid, int32_t tgid, const char *comm,
		 uint64_t mm, uint64_t sig)
{
	put32(m, pa + 16, (uint32_t)pid);
	put32(m, pa + 20, (uint32_t)tgid);
	memcpy(m->buf + pa + 24, comm, strlen(comm) + 1);
	put64(m, pa + 40, mm);
	put64(m, pa + 48, sig);
}

static void vma(struct fake_mem *m, uint64_t pa, uint64_t start, uint64_t end, uint64_t file)
{
	put64(m, pa, start);
	put64(m, pa + 8, end);
	put64(m, pa + 16, 0x73);
	put64(m, pa + 24, 0x8000000000000025ULL);
	put64(m, pa + 32, file);
}

static void build(struct fake_mem *m)
{
	fake_mem_init(m, 0, MEM_SIZE);
	/* Processes: init_task -> P1 (threads P1, T1b) -> P2 -> init_task. */
	uint64_t procs[3] = { PA_INIT_TASK, PA_P1, PA_P2 };
	list_link(m, procs, 3);
	task(m, PA_INIT_TASK, 0, 0, "swapper/0", 0, 0);
	task(m, PA_P1, 100, 100, "proc1", KVA(PA_MM), KVA(PA_SIG1));
	task(m, PA_T1B, 101, 100, "proc1-thread", KVA(PA_MM), KVA(PA_SIG1));
	task(m, PA_P2, 200, 200, "kthread", 0, KVA(PA_SIG2));
	uint64_t threads1[3] = { PA_SIG1, PA_P1 + 56, PA_T1B + 56 };
	list_link(m, threads1, 3);
	uint64_t threads2[2] = { PA_SIG2, PA_P2 + 56 };
	list_link(m, threads2, 2);
	/* mm: a two-level maple tree holding VMAs A, B, C. */
	put64(m, PA_MM, KVA(PA_PGD));
	put64(m, PA_MM + 16 + 8, KVA(PA_ROOT) | (3 << 3) | 4 | 2);   /* arange64 root */
	put64(m, PA_ROOT + 8, 0x5fffff);                             /* pivots */
	put64(m, PA_ROOT + 16, UINT64_MAX);
	put64(m, PA_ROOT + 80, KVA(PA_LEAF1) | (1 << 3) | 4);        /* slots: leaf64 */
	put64(m, PA_ROOT + 88, KVA(PA_LEAF2) | (1 << 3) | 4);
	put64(m, PA_LEAF1 + 8, 0x3fffff);        /* NULL gap */
	put64(m, PA_LEAF1 + 16, 0x400fff);       /* A */
	put64(m, PA_LEAF1 + 24, 0x5fffff);       /* gap up to the node's max */
	put64(m, PA_LEAF1 + 128 + 8, KVA(PA_VMA_A));
	put64(m, PA_LEAF2 + 8, 0x6fffff);        /* B */
	put64(m, PA_LEAF2 + 16, 0x7effffffffffULL);
	put64(m, PA_LEAF2 + 24, 0x7f0000001fffULL); /* C */
	put64(m, PA_LEAF2 + 32, UINT64_MAX);
	put64(m, PA_LEAF2 + 128, KVA(PA_VMA_B));
	put64(m, PA_LEAF2 + 128 + 16, KVA(PA_VMA_C));
	vma(m, PA_VMA_A, 0x400000, 0x401000, 0);
	vma(m, PA_VMA_B, 0x600000, 0x700000, 0xffff888000001000ULL);
	vma(m, PA_VMA_C, 0x7f0000000000ULL, 0x7f0000002000ULL, 0);
	/* User page tables: 0x400000 present, 0x401000 a swap entry. */
	put64(m, PA_PGD + 0 * 8, PA_PUD | 0x67);
	put64(m, PA_PUD + 0 * 8, PA_PMD | 0x67);
	put64(m, PA_PMD + 2 * 8, PA_PTE | 0x67);   /* 0x400000 >> 21 = 2 */
	put64(m, PA_PTE + 0 * 8, 0x8000000000777067ULL);
	put64(m, PA_PTE + 1 * 8, 0x07fffffffffffc00ULL);   /* type 0 offset 1 */
}

static struct uz_error *open_view(struct fake_mem *m, struct uz_kernel **k)
{
	struct uz_kernel_setup s = {
		.arch = UZ_ARCH_X86_64, .page_size = 4096, .version = UZ_KERNEL_VERSION(6, 1, 0),
		.vmcoreinfo = "OSRELEASE=6.1.0-synthetic\nPAGESIZE=4096\nNUMBER(phys_base)=0\n"
			      "SYMBOL(init_top_pgt)=ffffffff80001000\nNUMBER(KERNEL_IMAGE_SIZE)=1073741824\n",
		.phys = fake_reader(m), .types = fake_types(&types), .max_pfn = MEM_SIZE / 4096,
		.skip_late_init = true,
	};
	return uz_kernel_open_custom(&s, k);
}

struct seen_tasks {
	int n;
	int32_t pid[8], tgid[8];
	char comm[8][16];
	uint64_t mm[8];
};

static struct uz_error *collect_task(void *ctx, const struct uz_task_info *t)
{
	struct seen_tasks *s = ctx;
	if (s->n < 8) {
		s->pid[s->n] = t->pid;
		s->tgid[s->n] = t->tgid;
		s->mm[s->n] = t->mm;
		memcpy(s->comm[s->n], t->comm, 16);
	}
	s->n++;
	return NULL;
}

UT_TEST(tasks_and_threads)
{
	struct fake_mem m;
	build(&m);
	struct uz_kernel *k;
	UT_OK(open_view(&m, &k));
	struct seen_tasks s = { 0 };
	UT_OK(uz_kernel_for_each_task(k, collect_task, &s));
	uz_kernel_close(k);
	free(m.buf);
	UT_ASSERT_EQ(s.n, 3);   /* init_task (the idle task) is not listed */
	UT_ASSERT_EQ(s.pid[0], 100);
	UT_ASSERT_EQ(s.pid[1], 101);
	UT_ASSERT_EQ(s.tgid[1], 100);
	UT_ASSERT(strcmp(s.comm[1], "proc1-thread") == 0);
	UT_ASSERT_EQ(s.mm[1], KVA(PA_MM));
	UT_ASSERT_EQ(s.pid[2], 200);
	UT_ASSERT_EQ(s.mm[2], 0);
}

UT_TEST(task_list_corruption)
{
	struct fake_mem m;
	struct uz_kernel *k;
	struct seen_tasks s;
	/* P2 points back to P1 instead of init_task: a loop not through the head. */
	build(&m);
	put64(&m, PA_P2, KVA(PA_P1));
	UT_OK(open_view(&m, &k));
	memset(&s, 0, sizeof(s));
	UT_ERR(uz_kernel_for_each_task(k, collect_task, &s), UZ_ERR_FORMAT);
	uz_kernel_close(k);
	free(m.buf);
	/* A thread list that loops on itself. */
	build(&m);
	put64(&m, PA_T1B + 56, KVA(PA_P1 + 56));
	UT_OK(open_view(&m, &k));
	UT_ERR(uz_kernel_for_each_task(k, collect_task, &s), UZ_ERR_FORMAT);
	uz_kernel_close(k);
	free(m.buf);
	/* A wild pointer: outside the fake memory. */
	build(&m);
	put64(&m, PA_P1, KVA(0x3fff0000));
	UT_OK(open_view(&m, &k));
	UT_ERR(uz_kernel_for_each_task(k, collect_task, &s), UZ_ERR_FAULT);
	uz_kernel_close(k);
	free(m.buf);
}

struct seen_vmas {
	int n;
	struct uz_vma_info v[8];
};

static struct uz_error *collect_vma(void *ctx, const struct uz_vma_info *v)
{
	struct seen_vmas *s = ctx;
	if (s->n < 8)
		s->v[s->n] = *v;
	s->n++;
	return NULL;
}

UT_TEST(maple_tree_vmas)
{
	struct fake_mem m;
	build(&m);
	struct uz_kernel *k;
	UT_OK(open_view(&m, &k));
	struct seen_vmas s = { 0 };
	UT_OK(uz_kernel_for_each_vma(k, KVA(PA_MM), collect_vma, &s));
	UT_ASSERT_EQ(s.n, 3);
	UT_ASSERT_EQ(s.v[0].start, 0x400000);
	UT_ASSERT_EQ(s.v[0].end, 0x401000);
	UT_ASSERT(s.v[0].anonymous);
	UT_ASSERT_EQ(s.v[0].vm_flags, 0x73);
	UT_ASSERT_EQ(s.v[0].vm_page_prot, 0x8000000000000025ULL);
	UT_ASSERT_EQ(s.v[1].start, 0x600000);
	UT_ASSERT(!s.v[1].anonymous);
	UT_ASSERT_EQ(s.v[2].start, 0x7f0000000000ULL);
	UT_ASSERT_EQ(s.v[2].vma, KVA(PA_VMA_C));
	uz_kernel_close(k);

	/* A child pointing back at the root: bounded by the height limit. */
	put64(&m, PA_ROOT + 88, KVA(PA_ROOT) | (3 << 3) | 4);
	UT_OK(open_view(&m, &k));
	s.n = 0;
	UT_ERR(uz_kernel_for_each_vma(k, KVA(PA_MM), collect_vma, &s), UZ_ERR_FORMAT);
	uz_kernel_close(k);
	/* A VMA whose bounds disagree with its slot. */
	put64(&m, PA_ROOT + 88, KVA(PA_LEAF2) | (1 << 3) | 4);
	put64(&m, PA_VMA_B + 8, 0x680000);
	UT_OK(open_view(&m, &k));
	UT_ERR(uz_kernel_for_each_vma(k, KVA(PA_MM), collect_vma, &s), UZ_ERR_FORMAT);
	uz_kernel_close(k);
	/* An unknown node type (dense = 0). */
	put64(&m, PA_VMA_B + 8, 0x700000);
	put64(&m, PA_ROOT + 80, KVA(PA_LEAF1) | 4);
	UT_OK(open_view(&m, &k));
	UT_ERR(uz_kernel_for_each_vma(k, KVA(PA_MM), collect_vma, &s), UZ_ERR_FORMAT);
	uz_kernel_close(k);
	free(m.buf);
}

struct seen_ptes {
	int n;
	struct uz_pte_ref r[8];
};

static struct uz_error *collect_pte(void *ctx, const struct uz_pte_ref *r)
{
	struct seen_ptes *s = ctx;
	if (s->n < 8)
		s->r[s->n] = *r;
	s->n++;
	return NULL;
}

UT_TEST(user_page_tables)
{
	struct fake_mem m;
	build(&m);
	struct uz_kernel *k;
	UT_OK(open_view(&m, &k));
	struct seen_ptes s = { 0 };
	UT_OK(uz_kernel_walk_ptes(k, KVA(PA_MM), 0, UINT64_MAX, collect_pte, &s));
	UT_ASSERT_EQ(s.n, 2);
	UT_ASSERT_EQ(s.r[0].vaddr, 0x400000);
	UT_ASSERT_EQ(s.r[0].pte_paddr, PA_PTE);
	UT_ASSERT_EQ(s.r[1].vaddr, 0x401000);
	UT_ASSERT_EQ(s.r[1].pte_paddr, PA_PTE + 8);
	struct uz_pte_ref ref;
	UT_OK(uz_kernel_user_vtop(k, KVA(PA_MM), 0x401abc, &ref));
	UT_ASSERT_EQ(ref.pte, 0x07fffffffffffc00ULL);
	struct uz_pte_info info;
	uz_kernel_pte_decode(k, ref.pte, &info);
	UT_ASSERT_EQ(info.kind, UZ_PTE_SWAP);
	UT_ASSERT_EQ(info.swap_offset, 1);
	UT_ERR(uz_kernel_user_vtop(k, KVA(PA_MM), 0x7f0000000000ULL, &ref), UZ_ERR_FAULT);
	/* Kernel reads through the image mapping and through init_top_pgt. */
	uint64_t v;
	UT_OK(uz_kernel_read_member(k, KVA(PA_P1), "struct task_struct", "pid", &v));
	UT_ASSERT_EQ(v, 100);
	char comm[16];
	UT_OK(uz_kernel_read_string(k, KVA(PA_T1B + 24), comm, sizeof(comm)));
	UT_ASSERT(strcmp(comm, "proc1-thread") == 0);
	UT_OK(uz_kernel_read_string(k, KVA(PA_T1B + 24), comm, 6));
	UT_ASSERT(strcmp(comm, "proc1") == 0);   /* truncated to the buffer */
	/* vmalloc-style address: PGD index 0x1d2 of init_top_pgt (PA 0x1000) is empty. */
	UT_ERR(uz_kernel_vtop(k, 0xffffe90000000000ULL, &v), UZ_ERR_FAULT);
	uz_kernel_close(k);
	free(m.buf);
}

UT_MAIN(UT_CASE(tasks_and_threads), UT_CASE(task_list_corruption), UT_CASE(maple_tree_vmas),
	UT_CASE(user_page_tables))
