/* tasks.c - iterating processes and threads: init_task.tasks, then each
 * process's threads through signal->thread_head/thread_node (3.14 .. 7.x)
 * or task->thread_group (older; removed in 6.7).  Every list walk is
 * bounded and checked against a visited set, so a corrupt dump ends with an
 * error, never a hang. */
#include <inttypes.h>
#include <string.h>

#include "internal.h"

/* PID_MAX_LIMIT (include/linux/threads.h) is 4M on 64-bit: no more tasks. */
#define UZ_MAX_TASKS (4u << 20)

struct task_offsets {
	struct uz_member tasks, pid, tgid, comm, mm, signal;
	bool thread_head_mode;       /* signal->thread_head + task->thread_node */
	struct uz_member thread_head, thread_node, thread_group;
};

static struct uz_error *task_offsets(struct uz_kernel *k, struct task_offsets *o)
{
	static const char T[] = "struct task_struct";
	UZ_TRY(uz_kernel_member(k, T, "tasks", &o->tasks));
	UZ_TRY(uz_kernel_member(k, T, "pid", &o->pid));
	UZ_TRY(uz_kernel_member(k, T, "tgid", &o->tgid));
	UZ_TRY(uz_kernel_member(k, T, "comm", &o->comm));
	UZ_TRY(uz_kernel_member(k, T, "mm", &o->mm));
	UZ_TRY(uz_kernel_member(k, T, "signal", &o->signal));
	if (uz_kernel_has_member(k, "struct signal_struct", "thread_head") &&
	    uz_kernel_has_member(k, T, "thread_node")) {
		o->thread_head_mode = true;
		UZ_TRY(uz_kernel_member(k, "struct signal_struct", "thread_head", &o->thread_head));
		UZ_TRY(uz_kernel_member(k, T, "thread_node", &o->thread_node));
	} else {
		UZ_TRY(uz_kernel_member(k, T, "thread_group", &o->thread_group));
	}
	return NULL;
}

struct task_walk {
	struct uz_kernel *k;
	struct task_offsets o;
	struct uz_addr_set seen;
	uint64_t count;
	uz_task_fn *cb;
	void *ctx;
};

static struct uz_error *emit_task(struct task_walk *w, uint64_t task)
{
	bool seen;
	UZ_TRY(uz_addr_set_add(&w->seen, task, &seen));
	if (seen)
		return uz_error_create(UZ_ERR_FORMAT, "task 0x%" PRIx64 " is reached twice: the task lists are cyclic",
				       task);
	if (++w->count > UZ_MAX_TASKS)
		return uz_error_create(UZ_ERR_FORMAT, "more than %u tasks: the task lists are corrupt",
				       UZ_MAX_TASKS);
	struct uz_kernel *k = w->k;
	struct uz_task_info info;
	memset(&info, 0, sizeof(info));
	info.task = task;
	uint64_t v;
	UZ_TRY(uz_kernel_read_member_raw(k, task, &w->o.pid, &v));
	info.pid = (int32_t)(uint32_t)v;
	UZ_TRY(uz_kernel_read_member_raw(k, task, &w->o.tgid, &v));
	info.tgid = (int32_t)(uint32_t)v;
	UZ_TRY(uz_kernel_read_member_raw(k, task, &w->o.mm, &info.mm));
	size_t comm_len = w->o.comm.size < sizeof(info.comm) ? (size_t)w->o.comm.size : sizeof(info.comm);
	UZ_TRY(uz_kernel_read(k, task + w->o.comm.offset, info.comm, comm_len));
	info.comm[sizeof(info.comm) - 1] = '\0';
	return w->cb(w->ctx, &info);
}

static struct uz_error *walk_threads(struct task_walk *w, uint64_t leader)
{
	struct uz_kernel *k = w->k;
	if (!w->o.thread_head_mode) {
		/* thread_group is a ring through every thread, leader included. */
		uint64_t t = leader;
		for (uint64_t steps = 0;; steps++) {
			if (steps > UZ_MAX_TASKS)
				return uz_error_create(UZ_ERR_FORMAT, "thread ring of 0x%" PRIx64 " does not close", leader);
			UZ_TRY(emit_task(w, t));
			uint64_t next;
			UZ_TRY(uz_kernel_read_u64(k, t + w->o.thread_group.offset, &next));
			t = next - w->o.thread_group.offset;
			if (t == leader)
				return NULL;
		}
	}
	uint64_t signal;
	UZ_TRY(uz_kernel_read_member_raw(k, leader, &w->o.signal, &signal));
	if (!signal)
		return emit_task(w, leader);  /* fully exited: no signal struct left */
	uint64_t head = signal + w->o.thread_head.offset;
	uint64_t node;
	UZ_TRY(uz_error_wrap(uz_kernel_read_u64(k, head, &node), "thread list of task 0x%" PRIx64, leader));
	for (uint64_t steps = 0; node != head; steps++) {
		if (steps > UZ_MAX_TASKS)
			return uz_error_create(UZ_ERR_FORMAT, "thread list of 0x%" PRIx64 " does not close", leader);
		UZ_TRY(emit_task(w, node - w->o.thread_node.offset));
		UZ_TRY(uz_error_wrap(uz_kernel_read_u64(k, node, &node), "thread list of task 0x%" PRIx64,
				     leader));
	}
	return NULL;
}

struct uz_error *uz_kernel_for_each_task(struct uz_kernel *k, uz_task_fn *cb, void *ctx)
{
	struct task_walk w = { .k = k, .cb = cb, .ctx = ctx };
	UZ_TRY(task_offsets(k, &w.o));
	uint64_t init_task;
	UZ_TRY(uz_kernel_symbol(k, "init_task", &init_task));
	uz_addr_set_init(&w.seen);
	struct uz_addr_set processes;
	uz_addr_set_init(&processes);
	struct uz_error *err = NULL;
	uint64_t head = init_task + w.o.tasks.offset;
	uint64_t node;
	err = uz_kernel_read_u64(k, head, &node);
	for (uint64_t steps = 0; !err && node != head; steps++) {
		uint64_t task = node - w.o.tasks.offset;
		bool seen;
		err = uz_addr_set_add(&processes, task, &seen);
		if (err)
			break;
		if (seen || steps > UZ_MAX_TASKS) {
			err = uz_error_create(UZ_ERR_FORMAT,
					      "process list from init_task loops at task 0x%" PRIx64 " without returning",
					      task);
			break;
		}
		err = walk_threads(&w, task);
		if (!err)
			err = uz_error_wrap(uz_kernel_read_u64(k, node, &node),
					    "process list after task 0x%" PRIx64, task);
	}
	uz_addr_set_free(&processes);
	uz_addr_set_free(&w.seen);
	return err;
}
