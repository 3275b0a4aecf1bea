/* tpool.c: a condition-variable worker pool. */
#include "tpool.h"

#include <cblas.h>
#include <pthread.h>

#define TPOOL_MAX 64

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go = PTHREAD_COND_INITIALIZER, done = PTHREAD_COND_INITIALIZER;
static int size, pending;
static unsigned long generation;
static void (*job)(void *, int);
static void *job_arg;

static void *worker(void *p)
{
	int t = (int)(long)p;
	unsigned long seen = 0;
	for (;;) {
		pthread_mutex_lock(&mu);
		while (generation == seen)
			pthread_cond_wait(&go, &mu);
		seen = generation;
		void (*fn)(void *, int) = job;
		void *arg = job_arg;
		pthread_mutex_unlock(&mu);
		fn(arg, t);
		pthread_mutex_lock(&mu);
		if (--pending == 0)
			pthread_cond_signal(&done);
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

int tpool_start(int n)
{
	pthread_mutex_lock(&mu);
	if (size) {
		pthread_mutex_unlock(&mu);
		return size;
	}
	if (n <= 0)
		n = openblas_get_num_threads();
	if (n < 1)
		n = 1;
	if (n > TPOOL_MAX)
		n = TPOOL_MAX;
	openblas_set_num_threads(1);
	size = 1;
	for (int t = 1; t < n; t++) {
		pthread_t th;
		pthread_attr_t at;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		int bad = pthread_create(&th, &at, worker, (void *)(long)t);
		pthread_attr_destroy(&at);
		if (bad)
			break;
		size++;
	}
	pthread_mutex_unlock(&mu);
	return size;
}

int tpool_size(void)
{
	return tpool_start(0);
}

void tpool_run(void (*fn)(void *arg, int t), void *arg)
{
	int n = tpool_size();
	if (n == 1) {
		fn(arg, 0);
		return;
	}
	pthread_mutex_lock(&mu);
	job = fn, job_arg = arg;
	pending = n - 1;
	generation++;
	pthread_cond_broadcast(&go);
	pthread_mutex_unlock(&mu);
	fn(arg, 0);
	pthread_mutex_lock(&mu);
	while (pending)
		pthread_cond_wait(&done, &mu);
	pthread_mutex_unlock(&mu);
}
