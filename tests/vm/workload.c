/*
 * workload.c - `uzfix`, the static helper that runs inside the fixture guests.
 *
 * Owns: filling anonymous memory with pagegen.h content, pushing it to swap
 * with MADV_PAGEOUT, observing where each page ended up (pagemap + mincore)
 * and writing one manifest row per page; plus the small system helpers the
 * busybox initramfs lacks (swapon with a priority, copy stdin to a disk and
 * count the bytes) and `gen`, which prints one expected page on the host.
 * Does not own: zram set-up, dumping, or the host-side manifest columns that
 * need the device table (tests/vm/fixtures adds those).
 *
 * Usage:
 *   uzfix swapon DEV PRIO
 *   uzfix copy DEV                          stdin -> DEV, prints "UZ-COPIED <bytes>"
 *   uzfix gen LABEL INDEX SEED KIND VADDR   4096 expected bytes to stdout
 *   uzfix run SCENARIO PROC OUTDIR SEED NPAGES [writeback] [stride=N]
 *        SCENARIO: region | fork | threads | thp
 *        stride=N (region only): one manifest row per N pages of the paged-out
 *        region (the big benchmark fixture: a full manifest would be 262144 rows)
 * A `run` writes OUTDIR/PROC*.tsv, then OUTDIR/PROC.ready, then sleeps forever.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pagegen.h"

#define PAGE 4096ul
#define CTL_PAGES 8u
#define FORK_CHILD_READS 4u
#define THREADS 3

struct options {
	const char *scenario;
	const char *proc;
	const char *outdir;
	uint32_t seed;
	uint32_t npages;
	int writeback;
	uint32_t manifest_stride; /* rows for every Nth page of a region's swap part */
	int zeromap_kernel; /* 6.12+: zero pages go to si->zeromap, not zram */
};

struct region {
	char label[64];
	unsigned char *base;
	uint32_t npages;
	uint32_t seed;
	uint32_t manifest_stride; /* report pages i with i % stride == 0 */
};

static void die(const char *proc, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "UZ-FAIL %s: ", proc);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (%s)\n", strerror(errno));
	exit(1);
}

static pid_t gettid_compat(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static unsigned char *map_region(const struct options *opt, size_t npages, int advice)
{
	void *p = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die(opt->proc, "mmap %zu pages", npages);
	if (madvise(p, npages * PAGE, advice) != 0)
		die(opt->proc, "madvise %d", advice);
	return p;
}

static void fill_region(struct region *r)
{
	for (uint32_t i = 0; i < r->npages; i++) {
		unsigned char *page = r->base + (size_t)i * PAGE;
		pagegen_fill(page, r->label, i, r->seed, pagegen_pattern_kind(i), (uint64_t)(uintptr_t)page);
	}
}

static int region_matches(const struct region *r, uint32_t first, uint32_t count)
{
	static __thread unsigned char expect[PAGEGEN_PAGE_SIZE];
	for (uint32_t i = first; i < first + count && i < r->npages; i++) {
		unsigned char *page = r->base + (size_t)i * PAGE;
		pagegen_fill(expect, r->label, i, r->seed, pagegen_pattern_kind(i), (uint64_t)(uintptr_t)page);
		if (memcmp(expect, page, PAGE) != 0)
			return 0;
	}
	return 1;
}

static uint64_t pagemap_entry(int fd, const void *addr)
{
	uint64_t entry = 0;
	off_t off = (off_t)((uintptr_t)addr / PAGE * 8);
	if (pread(fd, &entry, sizeof(entry), off) != (ssize_t)sizeof(entry))
		return 0;
	return entry;
}

static int open_pagemap(const char *proc)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		die(proc, "open /proc/self/pagemap");
	return fd;
}

static uint32_t count_swapped(const struct options *opt, const struct region *r)
{
	int fd = open_pagemap(opt->proc);
	uint32_t swapped = 0;
	for (uint32_t i = 0; i < r->npages; i++)
		if (pagemap_entry(fd, r->base + (size_t)i * PAGE) >> 62 & 1)
			swapped++;
	close(fd);
	return swapped;
}

static void page_out(const struct options *opt, const struct region *r)
{
	uint32_t swapped = 0;
	for (int attempt = 0; attempt < 50; attempt++) {
		if (madvise(r->base, (size_t)r->npages * PAGE, MADV_PAGEOUT) != 0)
			die(opt->proc, "madvise MADV_PAGEOUT %s", r->label);
		swapped = count_swapped(opt, r);
		if (swapped == r->npages)
			return;
		usleep(100 * 1000);
	}
	fprintf(stderr, "UZ-WARN %s: only %u of %u pages of %s swapped\n", opt->proc, swapped,
		r->npages, r->label);
}

static const char *expected_state(const struct options *opt, uint64_t pm, int in_cache, uint32_t kind)
{
	if (pm >> 63 & 1)
		return "resident";
	if (!(pm >> 62 & 1))
		return "none";
	if (in_cache)
		return "swapcache";
	if (kind == PAGEGEN_ZERO)
		return opt->zeromap_kernel ? "zeromap" : "zram-same";
	if (kind == PAGEGEN_WORD)
		return "zram-same";
	if (opt->writeback)
		return "writeback";
	return kind == PAGEGEN_RANDOM ? "zram-huge" : "zram";
}

/* Appends one manifest row per page of r, as seen from the calling thread. */
static void report_region(const struct options *opt, FILE *out, const char *scenario,
			  const char *proc, const struct region *r)
{
	int fd = open_pagemap(opt->proc);
	unsigned char *vec = calloc(r->npages, 1);
	if (!vec || mincore(r->base, (size_t)r->npages * PAGE, vec) != 0)
		die(opt->proc, "mincore %s", r->label);
	for (uint32_t i = 0; i < r->npages; i += r->manifest_stride) {
		unsigned char *page = r->base + (size_t)i * PAGE;
		uint64_t pm = pagemap_entry(fd, page);
		uint32_t kind = pagegen_pattern_kind(i);
		int swapped = pm >> 62 & 1;
		int in_cache = swapped && (vec[i] & 1);
		const char *state = expected_state(opt, pm, in_cache, kind);
		fprintf(out, "%s\t%s\t%d\t%d\t0x%" PRIxPTR "\t%s\t%u\t%u\t%s\t%s\t%d\t%" PRIu64 "\t%d\t%s\n",
			scenario, proc, gettid_compat(), getpid(), (uintptr_t)page, r->label, i, r->seed,
			pagegen_kind_names[kind], (pm >> 63 & 1) ? "present" : swapped ? "swap" : "none",
			swapped ? (int)(pm & 0x1f) : -1, swapped ? (uint64_t)((pm >> 5) & ((UINT64_C(1) << 50) - 1)) : 0,
			in_cache, state);
	}
	free(vec);
	close(fd);
}

static FILE *open_report(const struct options *opt, const char *suffix)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s%s.tsv", opt->outdir, opt->proc, suffix);
	FILE *f = fopen(path, "w");
	if (!f)
		die(opt->proc, "open %s", path);
	return f;
}

static void close_report(const struct options *opt, FILE *f)
{
	if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0)
		die(opt->proc, "write report");
}

static void mark_ready(const struct options *opt)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.ready", opt->outdir, opt->proc);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(opt->proc, "create %s", path);
	close(fd);
	fprintf(stderr, "UZ-PROC-READY %s pid %d\n", opt->proc, getpid());
}

static void sleep_forever(void)
{
	for (;;)
		pause();
}

static void setup_region(const struct options *opt, struct region *r, const char *name,
			 uint32_t npages, int advice)
{
	snprintf(r->label, sizeof(r->label), "%s:%s", opt->proc, name);
	r->npages = npages;
	r->seed = opt->seed;
	r->manifest_stride = 1;
	r->base = map_region(opt, npages, advice);
	fill_region(r);
}

static void setup_control(const struct options *opt, struct region *ctl, const char *name)
{
	setup_region(opt, ctl, name, CTL_PAGES, MADV_NOHUGEPAGE);
	if (mlock(ctl->base, (size_t)ctl->npages * PAGE) != 0)
		die(opt->proc, "mlock %s", ctl->label);
}

static void run_region(const struct options *opt)
{
	struct region swap, ctl;
	setup_control(opt, &ctl, "ctl");
	setup_region(opt, &swap, "swap", opt->npages, MADV_NOHUGEPAGE);
	swap.manifest_stride = opt->manifest_stride;
	page_out(opt, &swap);
	FILE *out = open_report(opt, "");
	report_region(opt, out, opt->scenario, opt->proc, &swap);
	report_region(opt, out, opt->scenario, opt->proc, &ctl);
	close_report(opt, out);
	mark_ready(opt);
	sleep_forever();
}

/*
 * Page out first, then fork: parent and child hold the same swap entries
 * (MADV_PAGEOUT skips pages mapped twice).  The child then reads a few pages,
 * which brings them (and readahead neighbours) into the swap cache while the
 * parent's PTEs still hold the swap entries.
 */
static void run_fork(const struct options *opt)
{
	struct region swap, ctl;
	setup_control(opt, &ctl, "ctl");
	setup_region(opt, &swap, "swap", opt->npages, MADV_NOHUGEPAGE);
	page_out(opt, &swap);
	int pipefd[2];
	if (pipe(pipefd) != 0)
		die(opt->proc, "pipe");
	pid_t child = fork();
	if (child < 0)
		die(opt->proc, "fork");
	if (child == 0) {
		close(pipefd[0]);
		if (!region_matches(&swap, 0, FORK_CHILD_READS))
			die(opt->proc, "child read back wrong bytes");
		char child_proc[64];
		snprintf(child_proc, sizeof(child_proc), "%s-child", opt->proc);
		FILE *out = open_report(opt, "-child");
		report_region(opt, out, opt->scenario, child_proc, &swap);
		report_region(opt, out, opt->scenario, child_proc, &ctl);
		close_report(opt, out);
		if (write(pipefd[1], "r", 1) != 1)
			die(opt->proc, "child pipe");
		sleep_forever();
	}
	close(pipefd[1]);
	char byte;
	if (read(pipefd[0], &byte, 1) != 1)
		die(opt->proc, "child did not report");
	FILE *out = open_report(opt, "");
	report_region(opt, out, opt->scenario, opt->proc, &swap);
	report_region(opt, out, opt->scenario, opt->proc, &ctl);
	close_report(opt, out);
	mark_ready(opt);
	sleep_forever();
}

struct thread_job {
	const struct options *opt;
	int number;
	pthread_barrier_t *done;
};

static void *thread_main(void *arg)
{
	struct thread_job *job = arg;
	struct options topt = *job->opt;
	char proc[64], swap_name[32], ctl_name[32];
	snprintf(proc, sizeof(proc), "%s-t%d", job->opt->proc, job->number);
	snprintf(swap_name, sizeof(swap_name), "t%d-swap", job->number);
	snprintf(ctl_name, sizeof(ctl_name), "t%d-ctl", job->number);
	struct region swap, ctl;
	setup_control(&topt, &ctl, ctl_name);
	setup_region(&topt, &swap, swap_name, topt.npages, MADV_NOHUGEPAGE);
	page_out(&topt, &swap);
	char suffix[16];
	snprintf(suffix, sizeof(suffix), "-t%d", job->number);
	FILE *out = open_report(&topt, suffix);
	report_region(&topt, out, topt.scenario, proc, &swap);
	report_region(&topt, out, topt.scenario, proc, &ctl);
	close_report(&topt, out);
	pthread_barrier_wait(job->done);
	if (job->number != 0)
		sleep_forever();
	return NULL;
}

static void run_threads(const struct options *opt)
{
	pthread_barrier_t done;
	pthread_barrier_init(&done, NULL, THREADS);
	struct thread_job jobs[THREADS];
	pthread_t ids[THREADS];
	for (int t = 0; t < THREADS; t++)
		jobs[t] = (struct thread_job){ .opt = opt, .number = t, .done = &done };
	for (int t = 1; t < THREADS; t++)
		if (pthread_create(&ids[t], NULL, thread_main, &jobs[t]) != 0)
			die(opt->proc, "pthread_create");
	thread_main(&jobs[0]);
	mark_ready(opt);
	sleep_forever();
}

static unsigned long smaps_anon_huge_kb(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	if (!f)
		return 0;
	char line[256];
	int in_vma = 0;
	unsigned long kb = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end;
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in_vma = (uintptr_t)addr >= start && (uintptr_t)addr < end;
			continue;
		}
		if (in_vma && sscanf(line, "AnonHugePages: %lu kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

static void run_thp(const struct options *opt)
{
	const size_t huge = 2ul << 20;
	struct region swap, ctl;
	setup_control(opt, &ctl, "ctl");
	void *raw = mmap(NULL, 2 * huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		die(opt->proc, "mmap THP");
	unsigned char *aligned = (unsigned char *)(((uintptr_t)raw + huge - 1) & ~(uintptr_t)(huge - 1));
	if (madvise(aligned, huge, MADV_HUGEPAGE) != 0)
		die(opt->proc, "madvise MADV_HUGEPAGE");
	snprintf(swap.label, sizeof(swap.label), "%s:swap", opt->proc);
	swap.base = aligned;
	swap.npages = (uint32_t)(huge / PAGE);
	swap.seed = opt->seed;
	swap.manifest_stride = 1;
	fill_region(&swap);
	fprintf(stderr, "UZ-THP %s AnonHugePages %lu kB before pageout\n", opt->proc,
		smaps_anon_huge_kb(aligned));
	page_out(opt, &swap);
	FILE *out = open_report(opt, "");
	report_region(opt, out, opt->scenario, opt->proc, &swap);
	report_region(opt, out, opt->scenario, opt->proc, &ctl);
	close_report(opt, out);
	mark_ready(opt);
	sleep_forever();
}

static int kernel_has_zeromap(void)
{
	struct utsname u;
	unsigned major = 0, minor = 0;
	if (uname(&u) != 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return 0;
	return major > 6 || (major == 6 && minor >= 12);
}

static int cmd_swapon(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: uzfix swapon DEV PRIO\n");
		return 2;
	}
	int prio = atoi(argv[3]);
	int flags = SWAP_FLAG_PREFER | ((prio << SWAP_FLAG_PRIO_SHIFT) & SWAP_FLAG_PRIO_MASK);
	if (swapon(argv[2], flags) != 0) {
		fprintf(stderr, "UZ-FAIL swapon %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	return 0;
}

static int cmd_copy(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: uzfix copy DEV < data\n");
		return 2;
	}
	int fd = open(argv[2], O_WRONLY);
	if (fd < 0) {
		fprintf(stderr, "UZ-FAIL copy: open %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	static unsigned char buf[1 << 20];
	unsigned long long total = 0;
	for (;;) {
		ssize_t got = read(0, buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			fprintf(stderr, "UZ-FAIL copy: read: %s\n", strerror(errno));
			return 1;
		}
		if (got == 0)
			break;
		for (ssize_t done = 0; done < got;) {
			ssize_t put = write(fd, buf + done, (size_t)(got - done));
			if (put < 0 && errno == EINTR)
				continue;
			if (put <= 0) {
				fprintf(stderr, "UZ-FAIL copy: write %s: %s\n", argv[2], strerror(errno));
				return 1;
			}
			done += put;
		}
		total += (unsigned long long)got;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fprintf(stderr, "UZ-FAIL copy: sync %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	printf("UZ-COPIED %llu\n", total);
	return 0;
}

static int cmd_gen(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: uzfix gen LABEL INDEX SEED KIND VADDR\n");
		return 2;
	}
	uint32_t kind = 0;
	for (uint32_t k = PAGEGEN_TEXT; k <= PAGEGEN_ZERORUNS; k++)
		if (strcmp(argv[5], pagegen_kind_names[k]) == 0)
			kind = k;
	if (!kind) {
		fprintf(stderr, "uzfix gen: unknown kind '%s'\n", argv[5]);
		return 2;
	}
	unsigned char page[PAGEGEN_PAGE_SIZE];
	pagegen_fill(page, argv[2], (uint32_t)strtoul(argv[3], NULL, 0), (uint32_t)strtoul(argv[4], NULL, 0),
		     kind, strtoull(argv[6], NULL, 0));
	return fwrite(page, 1, sizeof(page), stdout) == sizeof(page) ? 0 : 1;
}

static int cmd_run(int argc, char **argv)
{
	if (argc < 7) {
		fprintf(stderr, "usage: uzfix run SCENARIO PROC OUTDIR SEED NPAGES [writeback] [stride=N]\n");
		return 2;
	}
	struct options opt = {
		.scenario = argv[2],
		.proc = argv[3],
		.outdir = argv[4],
		.seed = (uint32_t)strtoul(argv[5], NULL, 0),
		.npages = (uint32_t)strtoul(argv[6], NULL, 0),
		.manifest_stride = 1,
		.zeromap_kernel = kernel_has_zeromap(),
	};
	for (int i = 7; i < argc; i++) {
		if (strcmp(argv[i], "writeback") == 0)
			opt.writeback = 1;
		else if (strncmp(argv[i], "stride=", 7) == 0 && strtoul(argv[i] + 7, NULL, 10) > 0)
			opt.manifest_stride = (uint32_t)strtoul(argv[i] + 7, NULL, 10);
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	if (strcmp(opt.scenario, "region") == 0)
		run_region(&opt);
	else if (strcmp(opt.scenario, "fork") == 0)
		run_fork(&opt);
	else if (strcmp(opt.scenario, "threads") == 0)
		run_threads(&opt);
	else if (strcmp(opt.scenario, "thp") == 0)
		run_thp(&opt);
	fprintf(stderr, "uzfix run: unknown scenario '%s'\n", opt.scenario);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "swapon") == 0)
		return cmd_swapon(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "copy") == 0)
		return cmd_copy(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "gen") == 0)
		return cmd_gen(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return cmd_run(argc, argv);
	fprintf(stderr, "usage: uzfix swapon|copy|gen|run ...\n");
	return 2;
}
