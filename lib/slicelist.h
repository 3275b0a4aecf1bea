/* slicelist.h: the z-slice selections tools accept on their command lines.
 *
 * A slice LIST names slices one by one or in inclusive runs, separated by
 * commas, no spaces: "17", "5,7,10-12" (= 5 7 10 11 12). Order and repeats
 * do not matter. Indices count from 0.
 *
 * A slice RANGE "A:B" is the half-open run A..B-1 (Python's slice); A may be
 * left out for 0 and B for nz: "3:", ":10", ":" (all). Used by slice-extract
 * -r, threshold-filter -r, unet-predict -z. */
#ifndef SL_SLICELIST_H
#define SL_SLICELIST_H

#include <limits.h>

/* Parse a slice LIST for a volume of nz slices. With keep non-NULL, set
 * keep[z] to 1 for every listed slice and to 0 for the others (keep holds nz
 * bytes). With keep NULL only check the list: pass nz = INT_MAX to check the
 * syntax alone (e.g. while reading options, before any slab is seen).
 * Returns the number of distinct slices selected (>= 1), or -1 with an
 * error ("slice list: ...: 'LIST'") when the syntax is bad, a run is
 * reversed (10-5) or an index is >= nz. */
int slicelist_parse(const char *s, int nz, unsigned char *keep);

/* Parse a slice RANGE "A:B" for a volume of nz slices into *a and *b
 * (0 <= A < B <= nz). Pass nz = INT_MAX to check the syntax alone (an absent
 * B then gives INT_MAX). Returns 0, or -1 with an error ("slice range: ...")
 * when the syntax is bad, the range is empty or B > nz. */
int slicerange_parse(const char *s, int nz, int *a, int *b);

/* Write the set slices of keep[0..nz-1] as a compact LIST ("0-3,7,9-10") into
 * buf (size n >= 1), "none" when no slice is set. Always NUL-terminates; a
 * list that does not fit ends in "...". Returns the number of set slices.
 * Cannot fail. */
int slicelist_format(const unsigned char *keep, int nz, char *buf, int n);

/* Callbacks for an option table (opt.h's OPT_CALL): check the syntax of a
 * LIST or a RANGE value v (nz = INT_MAX) and store v in *(const char **)dest.
 * 0, or -1 with the error of slicelist_parse / slicerange_parse. */
int slicelist_opt(const char *v, void *dest);
int slicerange_opt(const char *v, void *dest);

/* keep[0..nz-1] for a LIST or a RANGE (at most one of them non-NULL) for a
 * volume of nz slices; both NULL: every slice. 0, or -1 with an error (an
 * index or range that does not fit nz). */
int slicesel_keep(const char *list, const char *range, int nz, unsigned char *keep);

#endif
