#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void progress_start(struct progress *p, bool quiet, const char *label, uint64_t total)
{
	p->enabled = !quiet && isatty(STDERR_FILENO);
	p->label = label;
	p->total = total;
	p->last_drawn_ns = 0;
	progress_update(p, 0);
}

void progress_update(struct progress *p, uint64_t done)
{
	if (!p->enabled)
		return;
	uint64_t t = now_ns();
	/* Redrawing more than ~10 times a second only costs time. */
	if (done != p->total && t - p->last_drawn_ns < 100000000u)
		return;
	p->last_drawn_ns = t;
	const int width = 30;
	int filled = p->total ? (int)(done * width / p->total) : width;
	if (filled > width)
		filled = width;
	fprintf(stderr, "\r%-24s [", p->label);
	for (int i = 0; i < width; i++)
		fputc(i < filled ? '#' : '.', stderr);
	fprintf(stderr, "] %llu/%llu", (unsigned long long)done, (unsigned long long)p->total);
	fflush(stderr);
}

void progress_finish(struct progress *p)
{
	if (!p->enabled)
		return;
	progress_update(p, p->total);
	fputs("\r\033[K", stderr);
	fflush(stderr);
}
