/* provenance.h: where the labels of each z-slice of a mask came from, the
 * SLICES header key (formats/slab.md, "The SLICES key").
 *
 * In memory a volume's provenance is an int per slice: PROV_GT (ground
 * truth, token 'g'), PROV_NONE (unlabelled, token '.') or the iteration
 * 0..PROV_ITER_MAX that pseudo-labelled it (its decimal number).
 *
 * Writers emit the tokens separated by one space (PROV_SEP), nothing before
 * the first or after the last. Readers accept any run of spaces and tabs
 * (PROV_SEPS) between tokens and around them, as slab readers do for every
 * list value (DIMS, SPACING); a token is exactly 'g', '.', or digits whose
 * value is at most PROV_ITER_MAX; there is one token per slice. */
#ifndef SL_PROVENANCE_H
#define SL_PROVENANCE_H

#include "slab.h"

#define PROV_KEY "SLICES"
#define PROV_SEP " "     /* between tokens, as written */
#define PROV_SEPS " \t"  /* between and around tokens, as read */
#define PROV_ITER_MAX 999999

enum { PROV_NONE = -2, PROV_GT = -1 };

/* Parse the SLICES value v of a slab of nz slices into prov[0..nz-1].
 * Returns 0, or -1 with an error "src: SLICES has N tokens, want NZ in
 * 'name'", "... more than NZ tokens ..." or "src: bad SLICES token: 'T' in
 * 'name'" (prov then partly written). */
int prov_parse(const char *v, int nz, int *prov, const char *src, const char *name);

/* The SLICES key of mask m parsed into prov[0..m->nz-1] (prov_parse; src
 * names the stream in messages). Returns 1, 0 when m has no SLICES key
 * (prov untouched), or -1. */
int prov_get(const struct slab *m, int *prov, const char *src);

/* The provenance of mask m (u8, one channel) into prov[0..m->nz-1]: its
 * SLICES key, or without the key the rule for masks that never went
 * through the loop: a slice holding any label (a value other than 255) is
 * ground truth, the others unlabelled. Mask values are not checked.
 * Returns 0 or -1 (prov_parse). */
int prov_read(const struct slab *m, int *prov, const char *src);

/* The SLICES value of prov[0..nz-1] as written (see above), in a new
 * string to free; NULL with an error when out of memory or a value is
 * none of PROV_GT, PROV_NONE, 0..PROV_ITER_MAX. */
char *prov_format(const int *prov, int nz);

/* Set the SLICES key of m to prov[0..m->nz-1] (prov_format). Returns 0,
 * or -1 with an error, also when the header line would be longer than a
 * slab header allows ("too many slices to record in SLICES"). */
int prov_write(struct slab *m, const int *prov);

/* Does the slice hold labels (ground truth or pseudo)? Cannot fail. */
static inline int prov_labelled(int p)
{
	return p != PROV_NONE;
}

/* Is any of prov[0..nz-1] ground truth? Cannot fail. */
int prov_any_gt(const int *prov, int nz);

/* The labelled slice nearest to z in prov[0..nz-1], the lower one of two
 * at the same distance; -1 when no slice is labelled. Cannot fail. */
int prov_nearest(const int *prov, int nz, int z);

#endif
