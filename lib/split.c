/* split.c: the seeded train/validation/test split (split.h). */
#include "split.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

const char *const split_set_name[3] = {"train", "val", "test"};

int split_parse(const char *s, const char *what, double p[3])
{
	if (parse_tuple(s, '/', 3, 0, 0, 1e9, 0, what, p))
		return -1;
	if (p[0] + p[1] + p[2] <= 0)
		return error("%s: proportions sum to zero: '%s'", what, s);
	return 0;
}

int split_opt(const char *v, void *dest)
{
	return split_parse(v, "-p/--split", dest);
}

int split_assign(int n, uint64_t seed, const double p[3], enum split_set *set)
{
	double sum = p[0] + p[1] + p[2];
	int i, ntrain, nval, *perm;
	struct rng r;
	if (n <= 0)
		return 0;
	if (!(perm = xmalloc((size_t)n * sizeof *perm)))
		return -1;
	for (i = 0; i < n; i++)
		perm[i] = i;
	rng_seed(&r, seed);
	for (i = n - 1; i > 0; i--) {
		int j = (int)rng_below(&r, (uint64_t)i + 1), t = perm[i];
		perm[i] = perm[j], perm[j] = t;
	}
	ntrain = (int)floor(n * p[0] / sum + 0.5);
	nval = (int)floor(n * p[1] / sum + 0.5);
	if (ntrain + nval > n)
		nval = n - ntrain;
	for (i = 0; i < n; i++)
		set[perm[i]] = i < ntrain ? SPLIT_TRAIN : i < ntrain + nval ? SPLIT_VAL : SPLIT_TEST;
	free(perm);
	return 0;
}
