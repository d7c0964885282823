/* progress.h - progress of a long phase, on stderr.
 *
 * Owns: deciding how to show it and rate limiting.  On a terminal: one
 * updating line with a bar, the percentage and an ETA, cleared when done.
 * Otherwise (a kdump log, a pipe), as makedumpfile does: a line
 * "PROGRAM: LABEL [ 40.0 %] eta 3s" at every 10 %, but only for a phase
 * that has run for a second, so short runs and test logs stay quiet.
 * Nothing with --quiet.  For the CLIs (vmcore-unzram, zram-keep); library
 * code never prints.  No global state: the caller owns a struct progress.
 */
#ifndef UZ_PROGRESS_H
#define UZ_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress {
	bool enabled;            /* anything to show */
	bool tty;                /* stderr is a terminal */
	const char *program;
	const char *label;
	uint64_t total;
	uint64_t start_ns, last_drawn_ns;
	unsigned next_tenth;     /* non-terminal: next 10 % step to print */
};

void progress_start(struct progress *p, const char *program, bool quiet, const char *label, uint64_t total);
void progress_update(struct progress *p, uint64_t done);
void progress_finish(struct progress *p);

#endif
