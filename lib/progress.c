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

void progress_start(struct progress *p, const char *program, bool quiet, const char *label, uint64_t total)
{
	p->enabled = !quiet;
	p->program = program;
	p->tty = isatty(STDERR_FILENO);
	p->label = label;
	p->total = total;
	p->start_ns = now_ns();
	p->last_drawn_ns = 0;
	p->next_tenth = 1;
	progress_update(p, 0);
}

/* Seconds left at this rate, or -1 before there is a rate. */
static long eta_seconds(const struct progress *p, uint64_t done, uint64_t t)
{
	if (!done || done >= p->total)
		return -1;
	double spent = (double)(t - p->start_ns) / 1e9;
	return (long)(spent * (double)(p->total - done) / (double)done + 0.5);
}

void progress_update(struct progress *p, uint64_t done)
{
	if (!p->enabled)
		return;
	uint64_t t = now_ns();
	double pct = p->total ? 100.0 * (double)done / (double)p->total : 100.0;
	if (pct > 100.0)
		pct = 100.0;
	long eta = eta_seconds(p, done, t);
	if (!p->tty) {
		if (t - p->start_ns < 1000000000u || pct < 10.0 * p->next_tenth || p->next_tenth > 10)
			return;
		while (p->next_tenth <= 10 && pct >= 10.0 * p->next_tenth)
			p->next_tenth++;
		fprintf(stderr, "%s: %s [%5.1f %%]", p->program, p->label, pct);
		if (eta >= 0)
			fprintf(stderr, " eta %lds", eta);
		fputc('\n', stderr);
		return;
	}
	/* Redrawing more than ~10 times a second only costs time. */
	if (done != p->total && t - p->last_drawn_ns < 100000000u)
		return;
	p->last_drawn_ns = t;
	const int width = 30;
	int filled = (int)(pct * width / 100.0);
	fprintf(stderr, "\r%-24s [", p->label);
	for (int i = 0; i < width; i++)
		fputc(i < filled ? '#' : '.', stderr);
	fprintf(stderr, "] %5.1f %%", pct);
	if (eta >= 0)
		fprintf(stderr, " eta %lds ", eta);
	else
		fputs("         ", stderr);
	fflush(stderr);
}

void progress_finish(struct progress *p)
{
	if (!p->enabled || !p->tty)
		return;
	progress_update(p, p->total);
	fputs("\r\033[K", stderr);
	fflush(stderr);
}
