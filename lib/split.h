/* split.h: the seeded train/validation/test split of a dataset's cases.
 *
 * One split for every way data come in: msd2slab (an MSD folder) and
 * case-split (a folder of slabs, for the pipeline) both sort the case names
 * bytewise (strcmp) and call split_assign, so the same names, proportions and
 * seed give the same split.tsv either way. */
#ifndef SL_SPLIT_H
#define SL_SPLIT_H

#include <stdint.h>

enum split_set { SPLIT_TRAIN, SPLIT_VAL, SPLIT_TEST };

/* "train", "val", "test": the names split.tsv uses. */
extern const char *const split_set_name[3];

/* Parse "TRAIN/VAL/TEST" proportions (any non-negative numbers, e.g.
 * 70/15/15 or 0.6/0.2/0.2) into p. Returns 0, or -1 with an error
 * "what: ..." when the form is wrong or the proportions sum to zero. */
int split_parse(const char *s, const char *what, double p[3]);
/* The same as an option parser (opt.h's OPT_CALL) for -p/--split; dest is
 * a double[3]. */
int split_opt(const char *v, void *dest);

/* The set of each of n cases (in the caller's order): the case indexes are
 * shuffled (Fisher-Yates from the last index, rng_below of util.h's
 * generator seeded with seed) and the shuffled order is cut in three: the
 * first floor(n p0/sum + 0.5) train, the next floor(n p1/sum + 0.5) val (as
 * many as are left, if fewer), the rest test. Writes set[0..n-1]. Returns 0,
 * or -1 with an error when out of memory. */
int split_assign(int n, uint64_t seed, const double p[3], enum split_set *set);

#endif
