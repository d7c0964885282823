/* interrupt.h - stopping cleanly on SIGINT, SIGTERM and SIGHUP.
 *
 * Owns: the set of signals that mean "stop", blocking them for the whole
 * process, and asking whether one has arrived.  A CLI blocks them first
 * (before starting any thread, so every thread inherits the mask); the
 * library then polls with uz_interrupt_check() at points where stopping
 * leaves nothing behind (between pages of a write, between batches of an
 * analysis), unwinds through its normal error path (temporary files
 * removed, an in-place update rolled back or left in a state the record
 * describes), and the CLI finally dies by the same signal.
 *
 * Polling a pending set instead of installing a handler keeps the library
 * free of global mutable state: the kernel holds the pending signal.  A
 * process that never blocks the signals is killed by them as usual, and the
 * checks then never fire.
 */
#ifndef UZ_INTERRUPT_H
#define UZ_INTERRUPT_H

#include <stdbool.h>

#include "error.h"

/* Blocks SIGINT, SIGTERM and SIGHUP in the calling thread (and so in every
 * thread it starts afterwards). */
void uz_interrupt_block(void);
/* The pending stop signal, or 0. */
int uz_interrupt_pending(void);
/* NULL, or a UZ_ERR_INTERRUPTED error naming the pending signal. */
struct uz_error *uz_interrupt_check(void);
/* For the CLI after cleaning up: dies by the pending signal (default
 * action, so the parent sees the signal); returns only if none is pending. */
void uz_interrupt_die(void);

#endif
