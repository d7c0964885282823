/* decode_pool.h - the threads that decompress zram pages for vmcore-unzram.
 *
 * Owns: a fixed set of worker threads that live for the whole run, each with
 * its own struct uz_zram_ctx (decompressors are per thread), and the hand-off
 * of one batch at a time: the caller reads a batch from the dump (the dump
 * and kernel view are not thread-safe), starts it here, reads the next one
 * meanwhile, then waits.  Worker t takes items t - 1, t - 1 + workers, ...,
 * so the results land where the items are and the output does not depend on
 * the number of threads.  With no worker started (-j 1, or pthread_create
 * failing), decode_pool_wait decodes the batch on the calling thread.
 * Does not own: which slots make a batch, or what their results mean
 * (rewrite.c).
 */
#ifndef UZ_DECODE_POOL_H
#define UZ_DECODE_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "zram/zram.h"

/* One slot of a batch: what uz_zram_resolve said, and its error, which a
 * worker may set while decompressing a deferred result. */
struct batch_item {
	struct uz_slot_result res;
	struct uz_error *err;
};

struct decode_pool;

/* nthreads jobs in all, job 0 the caller's: nthreads - 1 workers. */
struct uz_error *decode_pool_create(struct uz_zram_model *zm, int nthreads, struct decode_pool **out);
void decode_pool_destroy(struct decode_pool *p);
/* Starts decompressing the deferred items of items[0..n): src holds their
 * compressed bytes and pages receives their pages, one page_size stride per
 * item.  Returns at once when workers run. */
void decode_pool_start(struct decode_pool *p, struct batch_item *items, const uint8_t *src, uint8_t *pages,
		       size_t n, uint64_t page_size);
/* Until the batch started last is decoded. */
void decode_pool_wait(struct decode_pool *p);

#endif
