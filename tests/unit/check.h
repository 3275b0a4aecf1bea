/* check.h: a few macros for unit tests. A test program counts failed
 * checks and returns non-zero when any failed (exit 77 means skipped). */
#ifndef SL_CHECK_H
#define SL_CHECK_H
#include <math.h>
#include <stdio.h>

static int check_failures, check_count;

#define CHECK(cond) do { check_count++; if (!(cond)) { check_failures++; \
	fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_NEAR(a, b, tol) do { double a_ = (a), b_ = (b); check_count++; \
	if (!(fabs(a_ - b_) <= (tol))) { check_failures++; \
	fprintf(stderr, "%s:%d: %s = %.9g, expected %s = %.9g (tol %g)\n", __FILE__, __LINE__, \
	        #a, a_, #b, b_, (double)(tol)); } } while (0)
#define CHECK_DONE() (printf("%d checks, %d failed\n", check_count, check_failures), \
	check_failures ? 1 : 0)
#endif
