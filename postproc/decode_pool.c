/* decode_pool.c - see decode_pool.h. */
#include "decode_pool.h"

#include <pthread.h>
#include <stdlib.h>

struct decode_job {
	struct uz_zram_ctx *ctx;
	struct batch_item *items;
	const uint8_t *src;       /* compressed bytes, one page-size stride per item */
	uint8_t *pages;           /* decoded pages */
	size_t first, stride, n;
	uint64_t page_size;
};

struct decode_pool {
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	uint64_t generation;
	int running;              /* workers still decoding this generation */
	bool quit;
	int nthreads;             /* jobs; job 0 is the caller's */
	int started;              /* workers running jobs 1..started */
	bool caller_job;          /* no worker: pool_wait decodes job 0 here */
	struct decode_job *jobs;
	struct uz_zram_ctx **ctxs;
	pthread_t *tids;
};

struct worker_arg {
	struct decode_pool *pool;
	int index;
};

static void decode_job_run(struct decode_job *j)
{
	for (size_t i = j->first; i < j->n; i += j->stride) {
		struct batch_item *it = &j->items[i];
		if (!it->err && it->res.deferred)
			it->err = uz_zram_decompress_deferred(j->ctx, &it->res, j->src + i * j->page_size,
							      j->pages + i * j->page_size);
	}
}

static void *pool_worker(void *arg)
{
	struct worker_arg *wa = arg;
	struct decode_pool *p = wa->pool;
	int index = wa->index;
	free(wa);
	uint64_t seen = 0;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->quit && p->generation == seen)
			pthread_cond_wait(&p->go, &p->mu);
		if (p->quit)
			break;
		seen = p->generation;
		pthread_mutex_unlock(&p->mu);
		decode_job_run(&p->jobs[index]);
		pthread_mutex_lock(&p->mu);
		if (--p->running == 0)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

void decode_pool_destroy(struct decode_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = true;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	for (int t = 0; t < p->started; t++)
		pthread_join(p->tids[t], NULL);
	for (int t = 0; p->ctxs && t < p->nthreads; t++)
		if (p->ctxs[t])
			uz_zram_ctx_destroy(p->ctxs[t]);
	pthread_cond_destroy(&p->go);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->mu);
	free(p->jobs);
	free(p->ctxs);
	free(p->tids);
	free(p);
}

struct uz_error *decode_pool_create(struct uz_zram_model *zm, int nthreads, struct decode_pool **out)
{
	struct decode_pool *p = calloc(1, sizeof(*p));
	if (!p)
		return uz_error_create(UZ_ERR_NOMEM, "out of memory");
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->go, NULL);
	pthread_cond_init(&p->done, NULL);
	p->nthreads = nthreads;
	p->jobs = calloc((size_t)nthreads, sizeof(*p->jobs));
	p->ctxs = calloc((size_t)nthreads, sizeof(*p->ctxs));
	p->tids = calloc((size_t)nthreads, sizeof(*p->tids));
	struct uz_error *err = NULL;
	if (!p->jobs || !p->ctxs || !p->tids)
		err = uz_error_create(UZ_ERR_NOMEM, "out of memory for %d decompression threads", nthreads);
	for (int t = 0; t < nthreads && !err; t++)
		err = uz_zram_ctx_create(zm, &p->ctxs[t]);
	/* A thread that cannot be started leaves its share to the caller. */
	for (int t = 1; t < nthreads && !err && p->started == t - 1; t++) {
		struct worker_arg *wa = malloc(sizeof(*wa));
		if (!wa)
			break;
		*wa = (struct worker_arg){ p, t };
		if (pthread_create(&p->tids[p->started], NULL, pool_worker, wa) != 0) {
			free(wa);
			break;
		}
		p->started++;
	}
	if (err) {
		decode_pool_destroy(p);
		return err;
	}
	*out = p;
	return NULL;
}

void decode_pool_start(struct decode_pool *p, struct batch_item *items, const uint8_t *src, uint8_t *pages,
		       size_t n, uint64_t page_size)
{
	int w = p->started;
	if (!w) {
		p->jobs[0] = (struct decode_job){ p->ctxs[0], items, src, pages, 0, 1, n, page_size };
		p->caller_job = true;
		return;
	}
	for (int t = 1; t <= w; t++)
		p->jobs[t] = (struct decode_job){ p->ctxs[t], items, src, pages, (size_t)(t - 1),
						  (size_t)w, n, page_size };
	pthread_mutex_lock(&p->mu);
	p->generation++;
	p->running = w;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
}

void decode_pool_wait(struct decode_pool *p)
{
	if (p->caller_job) {
		decode_job_run(&p->jobs[0]);
		p->caller_job = false;
	}
	pthread_mutex_lock(&p->mu);
	while (p->running)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

