#include "interrupt.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define N_STOP_SIGNALS (sizeof(stop_signals) / sizeof(stop_signals[0]))

void uz_interrupt_block(void)
{
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < N_STOP_SIGNALS; i++)
		sigaddset(&set, stop_signals[i]);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int uz_interrupt_pending(void)
{
	sigset_t pending;
	if (sigpending(&pending) != 0)
		return 0;
	for (size_t i = 0; i < N_STOP_SIGNALS; i++)
		if (sigismember(&pending, stop_signals[i]) == 1)
			return stop_signals[i];
	return 0;
}

struct uz_error *uz_interrupt_check(void)
{
	int sig = uz_interrupt_pending();
	if (!sig)
		return NULL;
	return uz_error_create(UZ_ERR_INTERRUPTED, "interrupted by SIG%s", sigabbrev_np(sig));
}

void uz_interrupt_die(void)
{
	int sig = uz_interrupt_pending();
	if (!sig)
		return;
	signal(sig, SIG_DFL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	/* Unblocking delivers the pending signal: the default action ends the
	 * process here. */
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
}
