/* inspect.c - --ps, --vtop, --zram-info, --slot and --vaddr (see inspect.h). */
#include "inspect.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "zram/zram.h"

struct session {
	struct uz_dump *dump;
	struct uz_kernel *k;
};

static struct uz_error *session_open(const char *path, const struct uz_kernel_options *kopts,
				     struct session *s)
{
	memset(s, 0, sizeof(*s));
	UZ_TRY(uz_dump_open(path, &s->dump));
	return uz_kernel_open(s->dump, kopts, &s->k);
}

/* Opens the zram model and attaches the --backing-dev images. */
static struct uz_error *model_open(struct session *s, const struct uz_backing_images *bk,
				   struct uz_zram_model **m)
{
	UZ_TRY(uz_zram_model_open(s->k, m));
	for (size_t i = 0; bk && i < bk->n; i++)
		UZ_TRY(uz_error_wrap(uz_zram_attach_backing(*m, bk->devs[i], bk->images[i]), "--backing-dev"));
	return NULL;
}

static void session_close(struct session *s)
{
	if (s->k)
		uz_kernel_close(s->k);
	if (s->dump)
		uz_dump_close(s->dump);
}

/* Ends a JSON document written to standard output.  An earlier error wins;
 * otherwise a failed write (full disk, closed pipe) is the error. */
static struct uz_error *finish_stdout_json(struct json *j, struct uz_error *err)
{
	if (!json_finish(j) && !err)
		return uz_error_create(UZ_ERR_IO, "writing to standard output failed");
	return err;
}

struct ps_ctx {
	struct json *j;
};

static struct uz_error *ps_task(void *ctx, const struct uz_task_info *t)
{
	struct ps_ctx *p = ctx;
	if (p->j) {
		json_begin_object(p->j);
		json_key(p->j, "pid"); json_int(p->j, t->pid);
		json_key(p->j, "tgid"); json_int(p->j, t->tgid);
		json_key(p->j, "task"); json_hex(p->j, t->task);
		json_key(p->j, "mm"); json_hex(p->j, t->mm);
		json_key(p->j, "comm"); json_string(p->j, t->comm);
		json_end_object(p->j);
		return NULL;
	}
	/* crash shows kernel threads' names in brackets. */
	printf("%7d %7d  %16" PRIx64 "  %16" PRIx64 "  %s%s%s\n", t->pid, t->tgid, t->task, t->mm,
	       t->mm ? "" : "[", t->comm, t->mm ? "" : "]");
	return NULL;
}

struct uz_error *uz_inspect_ps(const char *dump_path, const struct uz_kernel_options *kopts, bool json)
{
	struct session s;
	struct uz_error *err = session_open(dump_path, kopts, &s);
	struct json j;
	struct ps_ctx p = { NULL };
	if (!err) {
		if (json) {
			json_init(&j, stdout);
			json_begin_array(&j);
			p.j = &j;
		} else {
			printf("%7s %7s  %16s  %16s  %s\n", "PID", "TGID", "TASK", "MM", "COMM");
		}
		err = uz_kernel_for_each_task(s.k, ps_task, &p);
		if (json) {
			json_end_array(&j);
			err = finish_stdout_json(&j, err);
		}
	}
	session_close(&s);
	return err;
}

struct find_ctx {
	int32_t pid;
	struct uz_task_info found;
	bool have;
};

static struct uz_error *find_task(void *ctx, const struct uz_task_info *t)
{
	struct find_ctx *f = ctx;
	if (t->pid == f->pid && !f->have) {
		f->found = *t;
		f->have = true;
	}
	return NULL;
}

/* The last-level entry process `pid` has for vaddr, and the task itself. */
static struct uz_error *find_user_pte(struct session *s, const char *dump_path, int32_t pid,
				      uint64_t vaddr, struct uz_task_info *task, struct uz_pte_ref *ref)
{
	struct find_ctx f = { .pid = pid };
	UZ_TRY(uz_kernel_for_each_task(s->k, find_task, &f));
	if (!f.have)
		return uz_error_create(UZ_ERR_NOT_FOUND, "no task with PID %d in %s", pid, dump_path);
	if (!f.found.mm)
		return uz_error_create(UZ_ERR_NOT_FOUND, "PID %d (%s) is a kernel thread: it has no user memory",
				       pid, f.found.comm);
	*task = f.found;
	return uz_kernel_user_vtop(s->k, f.found.mm, vaddr, ref);
}

static const char *pte_kind_name(enum uz_pte_kind k)
{
	switch (k) {
	case UZ_PTE_NONE: return "none";
	case UZ_PTE_PRESENT: return "present";
	case UZ_PTE_SWAP: return "swap";
	case UZ_PTE_OTHER: return "other";
	}
	return "?";
}

struct uz_error *uz_inspect_vtop(const char *dump_path, const struct uz_kernel_options *kopts,
				 int32_t pid, uint64_t vaddr, bool json)
{
	struct session s;
	struct uz_error *err = session_open(dump_path, kopts, &s);
	struct uz_task_info task;
	struct uz_pte_ref ref;
	struct uz_pte_info info;
	if (!err)
		err = find_user_pte(&s, dump_path, pid, vaddr, &task, &ref);
	if (!err) {
		uz_kernel_pte_decode(s.k, ref.pte, &info);
		uint64_t ps = uz_kernel_page_size(s.k);
		if (json) {
			struct json j;
			json_init(&j, stdout);
			json_begin_object(&j);
			json_key(&j, "pid"); json_int(&j, pid);
			json_key(&j, "comm"); json_string(&j, task.comm);
			json_key(&j, "vaddr"); json_hex(&j, vaddr);
			json_key(&j, "pte_paddr"); json_hex(&j, ref.pte_paddr);
			json_key(&j, "pte"); json_hex(&j, ref.pte);
			json_key(&j, "kind"); json_string(&j, pte_kind_name(info.kind));
			if (info.kind == UZ_PTE_PRESENT) {
				json_key(&j, "paddr");
				json_hex(&j, info.pfn * ps + (vaddr & (ps - 1)));
			} else if (info.kind == UZ_PTE_SWAP) {
				json_key(&j, "swap_type"); json_uint(&j, info.swap_type);
				json_key(&j, "swap_offset"); json_uint(&j, info.swap_offset);
			}
			json_end_object(&j);
			err = finish_stdout_json(&j, err);
		} else {
			printf("PID %d (%s) VIRTUAL 0x%" PRIx64 "\n", pid, task.comm, vaddr);
			printf("  PTE at physical 0x%" PRIx64 ": 0x%" PRIx64 " (%s)\n", ref.pte_paddr, ref.pte,
			       pte_kind_name(info.kind));
			if (info.kind == UZ_PTE_PRESENT)
				printf("  PHYSICAL 0x%" PRIx64 "\n", info.pfn * ps + (vaddr & (ps - 1)));
			else if (info.kind == UZ_PTE_SWAP)
				printf("  SWAP type %u offset %" PRIu64 "\n", info.swap_type, info.swap_offset);
		}
	}
	session_close(&s);
	return err;
}

static void zram_info_text(struct uz_zram_model *m, const struct uz_zram_device_info *d,
			   const struct uz_zram_slot_stats *st, uint64_t page_size)
{
	printf("%s: disksize %" PRIu64 " MiB (%" PRIu64 " slots)", d->name, d->disksize >> 20, d->nr_slots);
	printf(", algorithms");
	for (unsigned p = 0; p < d->n_comps; p++)
		if (d->comp_algs[p])
			printf(" %s%s", p ? "+" : "", d->comp_algs[p]);
	if (d->swap_type >= 0)
		printf(", swap type %d", d->swap_type);
	else
		printf(", not swap");
	printf("\n");
	if (d->backing_dev) {
		printf("  backing device %s", d->backing_name[0] ? d->backing_name : "(name not in the dump)");
		if (d->backing_known)
			printf(": %" PRIu64 " blocks of %" PRIu64 " bytes", d->backing_nr_pages, page_size);
		if (st->backing_bitmap_read)
			printf(", %" PRIu64 " in use (bitmap)", st->backing_blocks_used);
		if (d->valid_bd_count)
			printf(", kernel bd_count %" PRIu64, d->bd_count);
		printf("\n");
		if (d->backing_image) {
			printf("  image %s: %" PRIu64 " bytes", d->backing_image, d->backing_image_size);
			if (d->backing_known && d->backing_image_size < d->backing_nr_pages * page_size)
				printf(", SHORTER than the %" PRIu64 " bytes the kernel recorded: blocks past its end cannot be read",
				       d->backing_nr_pages * page_size);
			printf("\n");
		}
	}
	printf("  slots: %" PRIu64 " stored (%" PRIu64 " uncompressed), %" PRIu64 " same-filled (%" PRIu64
	       " zero), %" PRIu64 " written back, %" PRIu64 " empty",
	       st->stored, st->huge, st->same_filled, st->same_filled_zero, st->written_back, st->empty);
	if (st->unreadable)
		printf(", %" PRIu64 " unreadable (table not in dump)", st->unreadable);
	if (st->inconsistent)
		printf(", %" PRIu64 " inconsistent", st->inconsistent);
	printf("\n");
	for (unsigned p = 0; p < d->n_comps; p++)
		if (st->compressed_by_prio[p])
			printf("  compressed with %s: %" PRIu64 "\n", d->comp_algs[p] ? d->comp_algs[p] : "?",
			       st->compressed_by_prio[p]);
	printf("  compressed bytes %" PRIu64 "; kernel mm_stat: orig %" PRIu64 " compr %" PRIu64
	       " mem_used %" PRIu64 " same %" PRIu64 " huge %" PRIu64 " stored %" PRIu64 "\n",
	       st->stored_bytes, d->mm_stat.orig_data_size, d->mm_stat.compr_data_size,
	       d->mm_stat.mem_used_total, d->mm_stat.same_pages, d->mm_stat.huge_pages,
	       d->mm_stat.pages_stored);
	(void)m;
}

static void zram_info_json(struct json *j, const struct uz_zram_device_info *d,
			   const struct uz_zram_slot_stats *st, uint64_t page_size)
{
	json_begin_object(j);
	json_key(j, "name"); json_string(j, d->name);
	json_key(j, "zram"); json_hex(j, d->zram);
	json_key(j, "disksize"); json_uint(j, d->disksize);
	json_key(j, "slots"); json_uint(j, d->nr_slots);
	json_key(j, "algorithms");
	json_begin_array(j);
	for (unsigned p = 0; p < d->n_comps; p++) {
		if (d->comp_algs[p])
			json_string(j, d->comp_algs[p]);
		else
			json_null(j);
	}
	json_end_array(j);
	json_key(j, "swap_type"); json_int(j, d->swap_type);
	json_key(j, "backing_device"); json_bool(j, d->backing_dev != 0);
	if (d->backing_dev) {
		json_key(j, "backing");
		json_begin_object(j);
		json_key(j, "name"); if (d->backing_name[0]) json_string(j, d->backing_name); else json_null(j);
		json_key(j, "file"); json_hex(j, d->backing_dev);
		json_key(j, "bdev"); json_hex(j, d->backing_bdev);
		if (d->backing_known) {
			json_key(j, "nr_pages"); json_uint(j, d->backing_nr_pages);
			json_key(j, "block_size"); json_uint(j, page_size);
		}
		if (st->backing_bitmap_read) {
			json_key(j, "blocks_used"); json_uint(j, st->backing_blocks_used);
		}
		if (d->valid_bd_count) {
			json_key(j, "bd_count"); json_uint(j, d->bd_count);
		}
		if (d->backing_image) {
			json_key(j, "image"); json_string(j, d->backing_image);
			json_key(j, "image_size"); json_uint(j, d->backing_image_size);
		}
		json_end_object(j);
	}
	json_key(j, "slot_kinds");
	json_begin_object(j);
	json_key(j, "stored"); json_uint(j, st->stored);
	json_key(j, "huge"); json_uint(j, st->huge);
	json_key(j, "same_filled"); json_uint(j, st->same_filled);
	json_key(j, "same_filled_zero"); json_uint(j, st->same_filled_zero);
	json_key(j, "written_back"); json_uint(j, st->written_back);
	json_key(j, "empty"); json_uint(j, st->empty);
	json_key(j, "unreadable"); json_uint(j, st->unreadable);
	json_key(j, "inconsistent"); json_uint(j, st->inconsistent);
	json_key(j, "compressed_by_priority");
	json_begin_array(j);
	for (unsigned p = 0; p < d->n_comps; p++)
		json_uint(j, st->compressed_by_prio[p]);
	json_end_array(j);
	json_key(j, "stored_bytes"); json_uint(j, st->stored_bytes);
	json_end_object(j);
	json_key(j, "mm_stat");
	json_begin_object(j);
	json_key(j, "orig_data_size"); json_uint(j, d->mm_stat.orig_data_size);
	json_key(j, "compr_data_size"); json_uint(j, d->mm_stat.compr_data_size);
	json_key(j, "mem_used_total"); json_uint(j, d->mm_stat.mem_used_total);
	json_key(j, "same_pages"); json_uint(j, d->mm_stat.same_pages);
	json_key(j, "huge_pages"); json_uint(j, d->mm_stat.huge_pages);
	json_key(j, "pages_stored"); json_uint(j, d->mm_stat.pages_stored);
	json_end_object(j);
	json_end_object(j);
}

struct uz_error *uz_inspect_zram(const char *dump_path, const struct uz_kernel_options *kopts,
				 const struct uz_backing_images *bk, bool json)
{
	struct session s;
	struct uz_zram_model *m = NULL;
	struct uz_error *err = session_open(dump_path, kopts, &s);
	if (!err)
		err = model_open(&s, bk, &m);
	if (!err)
		err = uz_zram_require_readable(m);   /* say why, not "no zram devices" */
	struct json j;
	if (!err && json) {
		json_init(&j, stdout);
		json_begin_object(&j);
		json_key(&j, "kernel"); json_string(&j, uz_kernel_release(s.k));
		json_key(&j, "devices");
		json_begin_array(&j);
	}
	for (size_t i = 0; !err && i < uz_zram_device_count(m); i++) {
		struct uz_zram_slot_stats st;
		err = uz_zram_device_scan(m, i, &st);
		if (err)
			break;
		if (json)
			zram_info_json(&j, uz_zram_device(m, i), &st, uz_kernel_page_size(s.k));
		else
			zram_info_text(m, uz_zram_device(m, i), &st, uz_kernel_page_size(s.k));
	}
	if (!err && json) {
		json_end_array(&j);
		json_end_object(&j);
		err = finish_stdout_json(&j, err);
	}
	if (!err && !json && uz_zram_device_count(m) == 0)
		printf("no zram devices in %s\n", dump_path);
	if (m)
		uz_zram_model_close(m);
	session_close(&s);
	return err;
}

/* ---- --slot and --vaddr: where one page lives, and its bytes ---- */

static void hexdump(const uint8_t *p, uint64_t n)
{
	for (uint64_t off = 0; off < n; off += 16) {
		printf("  %04" PRIx64 ": ", off);
		for (int i = 0; i < 16; i++)
			printf("%02x%s", p[off + i], i == 7 ? "  " : " ");
		printf(" |");
		for (int i = 0; i < 16; i++)
			putchar(p[off + i] >= 32 && p[off + i] < 127 ? p[off + i] : '.');
		printf("|\n");
	}
}

static void json_page(struct json *j, const uint8_t *p, uint64_t n)
{
	char *hex = malloc(n * 2 + 1);
	if (!hex) {
		json_null(j);
		return;
	}
	for (uint64_t i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", p[i]);
	json_string(j, hex);
	free(hex);
}

static void describe_slot(const struct uz_zram_model *m, const struct uz_slot_result *res,
			  uint64_t page_size, struct json *j)
{
	const struct uz_zram_device_info *d = res->device >= 0 ? uz_zram_device(m, (size_t)res->device) : NULL;
	const char *src = uz_slot_source_name(res->source);
	if (j) {
		json_key(j, "device"); if (d) json_string(j, d->name); else json_null(j);
		json_key(j, "slot"); json_uint(j, res->slot);
		json_key(j, "source"); json_string(j, src);
		if (res->source == UZ_SRC_ZRAM) {
			json_key(j, "algorithm"); json_string(j, res->huge ? "none (stored uncompressed)" :
							      res->codec_known ? uz_codec_name(res->codec) : "?");
			json_key(j, "priority"); json_uint(j, res->prio);
			json_key(j, "compressed_size"); json_uint(j, res->comp_len);
			json_key(j, "handle"); json_hex(j, res->handle);
			json_key(j, "object_pfn"); json_hex(j, res->obj_pfn);
			json_key(j, "object_index"); json_uint(j, res->obj_idx);
			json_key(j, "object_offset"); json_uint(j, res->obj_offset);
			json_key(j, "class_size"); json_uint(j, res->class_size);
			json_key(j, "straddles"); json_bool(j, res->straddles);
		} else if (res->source == UZ_SRC_SAME_FILLED) {
			json_key(j, "fill_word"); json_hex(j, res->fill_word);
		} else if (res->source == UZ_SRC_SWAPCACHE) {
			json_key(j, "swapcache_pfn"); json_hex(j, res->swapcache_pfn);
		} else if (res->source == UZ_SRC_BACKING_DEV) {
			json_key(j, "backing_block"); json_uint(j, res->backing_block);
			json_key(j, "backing_offset"); json_uint(j, res->backing_block * page_size);
			json_key(j, "image"); json_string(j, d && d->backing_image ? d->backing_image : "");
			json_key(j, "bitmap_checked"); json_bool(j, !res->bitmap_unchecked);
		}
		return;
	}
	printf("  %s slot %" PRIu64 ": %s", d ? d->name : "?", res->slot, src);
	if (res->source == UZ_SRC_ZRAM) {
		if (res->huge)
			printf(", stored uncompressed");
		else
			printf(", %u bytes of %s (priority %u)", res->comp_len,
			       res->codec_known ? uz_codec_name(res->codec) : "?", res->prio);
		printf("\n  zsmalloc handle 0x%" PRIx64 ": object %u of class size %u at PFN 0x%" PRIx64
		       " offset %u%s", res->handle, res->obj_idx, res->class_size, res->obj_pfn,
		       res->obj_offset, res->straddles ? ", continues in the next page" : "");
	} else if (res->source == UZ_SRC_SAME_FILLED) {
		printf(", every word 0x%" PRIx64, res->fill_word);
	} else if (res->source == UZ_SRC_SWAPCACHE) {
		printf(", page at PFN 0x%" PRIx64, res->swapcache_pfn);
	} else if (res->source == UZ_SRC_BACKING_DEV) {
		printf(", written back to block %" PRIu64 " of %s; read from byte %" PRIu64 " of %s%s",
		       res->backing_block, d && d->backing_name[0] ? d->backing_name : "the backing device",
		       res->backing_block * page_size, d && d->backing_image ? d->backing_image : "?",
		       res->bitmap_unchecked ? " (bitmap not in the dump: block use unchecked)" : "");
	}
	printf("\n");
}

/* Resolve (type, offset) and show it; `j` NULL for text. */
static struct uz_error *show_swap_entry(struct uz_zram_model *m, uint32_t type, uint64_t offset,
					uint64_t page_size, struct json *j)
{
	struct uz_zram_ctx *ctx;
	UZ_TRY(uz_zram_ctx_create(m, &ctx));
	uint8_t *page = malloc(page_size);
	struct uz_slot_result res;
	memset(&res, 0, sizeof(res));
	struct uz_error *err = page ? uz_zram_resolve(m, ctx, type, offset, page, &res)
				    : uz_error_create(UZ_ERR_NOMEM, "out of memory");
	if (err && page && res.failure != UZ_FAIL_NONE) {
		/* Where the page is, even when its bytes are not in the dump:
		 * written back is an answer (exit 0), other failures are errors
		 * that the JSON describes too. */
		bool answer = res.failure == UZ_FAIL_WRITTEN_BACK;
		if (j) {
			json_key(j, "swap_type"); json_uint(j, type);
			json_key(j, "offset"); json_uint(j, offset);
			json_key(j, "source"); json_string(j, answer ? "written-back" : "none");
			json_key(j, "failure"); json_string(j, uz_slot_failure_name(res.failure));
			if (answer) {
				json_key(j, "backing_block"); json_uint(j, res.backing_block);
			}
			json_key(j, "why"); json_string(j, err->message);
		} else if (answer) {
			printf("  %s\n  (give --backing-dev with an image of that device to read the page)\n", err->message);
		}
		if (answer) {
			uz_error_destroy(err);
			err = NULL;
		}
		free(page);
		uz_zram_ctx_destroy(ctx);
		return err;
	}
	if (!err) {
		describe_slot(m, &res, page_size, j);
		if (j) {
			json_key(j, "data");
			json_page(j, page, page_size);
		} else {
			hexdump(page, page_size);
		}
	}
	free(page);
	uz_zram_ctx_destroy(ctx);
	return err;
}

struct uz_error *uz_inspect_slot(const char *dump_path, const struct uz_kernel_options *kopts,
				 const struct uz_backing_images *bk, const char *device, uint64_t offset, bool json)
{
	struct session s;
	struct uz_zram_model *m = NULL;
	struct uz_error *err = session_open(dump_path, kopts, &s);
	if (!err)
		err = model_open(&s, bk, &m);
	const struct uz_zram_device_info *d = NULL;
	for (size_t i = 0; !err && i < uz_zram_device_count(m); i++)
		if (strcmp(uz_zram_device(m, i)->name, device) == 0)
			d = uz_zram_device(m, i);
	if (!err && !d)
		err = uz_error_create(UZ_ERR_NOT_FOUND, "no zram device named %s in %s (see --zram-info)", device, dump_path);
	if (!err && d->swap_type < 0)
		err = uz_error_create(UZ_ERR_UNSUPPORTED, "%s is not used as swap; --slot reads swap devices only (yet)", device);
	if (!err) {
		struct json j;
		if (json) {
			json_init(&j, stdout);
			json_begin_object(&j);
		}
		err = show_swap_entry(m, (uint32_t)d->swap_type, offset, uz_kernel_page_size(s.k), json ? &j : NULL);
		if (json) {
			json_end_object(&j);
			err = finish_stdout_json(&j, err);
		}
	}
	if (m)
		uz_zram_model_close(m);
	session_close(&s);
	return err;
}

struct uz_error *uz_inspect_vaddr(const char *dump_path, const struct uz_kernel_options *kopts,
				  const struct uz_backing_images *bk, int32_t pid, uint64_t vaddr, bool json)
{
	struct session s;
	struct uz_zram_model *m = NULL;
	struct uz_error *err = session_open(dump_path, kopts, &s);
	struct uz_task_info task;
	struct uz_pte_ref ref;
	struct uz_pte_info info;
	if (!err)
		err = find_user_pte(&s, dump_path, pid, vaddr & ~(uz_kernel_page_size(s.k) - 1), &task, &ref);
	if (err) {
		session_close(&s);
		return err;
	}
	uz_kernel_pte_decode(s.k, ref.pte, &info);
	uint64_t ps = uz_kernel_page_size(s.k);
	struct json j;
	if (json) {
		json_init(&j, stdout);
		json_begin_object(&j);
		json_key(&j, "pid"); json_int(&j, pid);
		json_key(&j, "comm"); json_string(&j, task.comm);
		json_key(&j, "vaddr"); json_hex(&j, vaddr);
		json_key(&j, "pte_paddr"); json_hex(&j, ref.pte_paddr);
		json_key(&j, "pte"); json_hex(&j, ref.pte);
		json_key(&j, "kind"); json_string(&j, pte_kind_name(info.kind));
	} else {
		printf("PID %d (%s) page 0x%" PRIx64 ": PTE 0x%" PRIx64 " at physical 0x%" PRIx64 " (%s)\n",
		       pid, task.comm, vaddr & ~(ps - 1), ref.pte, ref.pte_paddr, pte_kind_name(info.kind));
	}
	if (info.kind == UZ_PTE_PRESENT) {
		uint8_t *page = malloc(ps);
		err = page ? uz_dump_read_page(s.dump, info.pfn, page) : uz_error_create(UZ_ERR_NOMEM, "out of memory");
		if (!err) {
			if (json) {
				json_key(&j, "pfn"); json_hex(&j, info.pfn);
				json_key(&j, "data"); json_page(&j, page, ps);
			} else {
				printf("  resident at PFN 0x%" PRIx64 "\n", info.pfn);
				hexdump(page, ps);
			}
		}
		free(page);
	} else if (info.kind == UZ_PTE_SWAP) {
		err = model_open(&s, bk, &m);
		if (!err) {
			if (json) {
				json_key(&j, "swap_type"); json_uint(&j, info.swap_type);
				json_key(&j, "swap_offset"); json_uint(&j, info.swap_offset);
			} else {
				printf("  swap type %u offset %" PRIu64 "\n", info.swap_type, info.swap_offset);
			}
			err = show_swap_entry(m, info.swap_type, info.swap_offset, ps, json ? &j : NULL);
		}
	} else if (!json) {
		printf("  no page: the address is not mapped or holds no data\n");
	}
	if (json) {
		json_end_object(&j);
		err = finish_stdout_json(&j, err);
	}
	if (m)
		uz_zram_model_close(m);
	session_close(&s);
	return err;
}
