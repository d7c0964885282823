/* progress.h - a progress bar on a terminal (stderr), silent otherwise.
 *
 * Owns: deciding whether to draw (stderr is a tty and not --quiet), rate
 * limiting redraws, and clearing the line when done.  No global state: the
 * caller owns a struct progress.
 */
#ifndef UZ_PROGRESS_H
#define UZ_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress {
	bool enabled;
	const char *label;
	uint64_t total;
	uint64_t last_drawn_ns;
};

void progress_start(struct progress *p, bool quiet, const char *label, uint64_t total);
void progress_update(struct progress *p, uint64_t done);
void progress_finish(struct progress *p);

#endif
