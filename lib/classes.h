/* classes.h: how many classes a label map has and what they are, the
 * CLASSES, CLASS_NAMES and CLASS_VALUES header keys (formats/slab.md,
 * "Classes").
 *
 * A label map is a u8 one-channel slab holding 0..C-1, or 255 where no
 * label exists. Without a CLASSES key a slab is binary: C = 2, 0
 * background, 1 foreground (every file written before classes existed).
 * CLASS_NAMES gives each class a name (one token each, no white space);
 * CLASS_VALUES the label value class c had in the source file (msd2slab
 * maps a dataset's values to 0..C-1, slab2nii writes them back); without
 * it class c had value c. A multi-class probability slab is f32 with C
 * channels, channel c the probability of class c, and the same keys. */
#ifndef SL_CLASSES_H
#define SL_CLASSES_H

#include "slab.h"

#define CLASSES_KEY "CLASSES"
#define CLASS_NAMES_KEY "CLASS_NAMES"
#define CLASS_VALUES_KEY "CLASS_VALUES"
#define CLASSES_MAX 255        /* u8 0..254; 255 is SLAB_UNLABELLED */
#define CLASS_NAME_MAX 63      /* bytes of one name */
#define CLASS_VALUE_MAX 32767  /* source label values 0..CLASS_VALUE_MAX (fit i16) */

struct classes {
	int n;                                          /* C, 2..CLASSES_MAX */
	int values[CLASSES_MAX];                        /* source value of class c */
	char names[CLASSES_MAX][CLASS_NAME_MAX + 1];    /* "" when unnamed */
};

/* C classes, values 0..C-1, no names (n: 2..CLASSES_MAX). Cannot fail. */
void classes_default(struct classes *k, int n);

/* Does k carry names (all C of them)? Cannot fail. */
int classes_named(const struct classes *k);

/* The classes of slab s: its keys, or without CLASSES the binary default
 * (C = 2). Returns 0, or -1 with an error "src: bad CLASSES ...: 'value'
 * in 'name'" (not a whole number 2..CLASSES_MAX; CLASS_NAMES or
 * CLASS_VALUES without CLASSES, with another number of tokens than C, a
 * name longer than CLASS_NAME_MAX or holding a byte outside '!'..'~', a
 * value not a whole number 0..CLASS_VALUE_MAX, two classes with the same
 * value or name). */
int classes_get(const struct slab *s, struct classes *k, const char *src);

/* Record k on s: CLASSES, CLASS_NAMES when k is named, CLASS_VALUES when a
 * value differs from its class number (a key not written is removed).
 * 0, or -1 with an error (out of memory). */
int classes_set(struct slab *s, const struct classes *k);

/* Are a and b the same classes (count, values, names)? Cannot fail. */
int classes_equal(const struct classes *a, const struct classes *b);

/* Is s a label map of k's classes: u8, one channel, every voxel < C or
 * 255? 0, or -1 with an error naming src, the case and the first bad
 * value and its slice. */
int classes_check_labels(const struct slab *s, const struct classes *k, const char *src);

/* The class whose source value is v, or -1. Cannot fail. */
int classes_of_value(const struct classes *k, int v);

/* The label map of a probability slab p (f32, C = p->nc channels): per
 * voxel the class of the largest probability, ties to the lower class,
 * into out (nx*ny*nz bytes). 0, or -1 with an error naming src and the
 * first voxel that is not a number. */
int classes_argmax(const struct slab *p, uint8_t *out, const char *src);
/* The same on raw samples: nz slices of nc channels of plane values each
 * (slab order), no check. Cannot fail. */
void classes_argmax_raw(const float *p, size_t plane, int nz, int nc, uint8_t *out);

/* The source values of a label map s of k's classes (classes_check_labels
 * first): a new one-channel slab with s's header, u8 when every value is
 * <= 255, else i16, class c -> k->values[c], 255 (unlabelled) -> the
 * background's value k->values[0]. 0 or -1 (out of memory). */
int classes_to_values(const struct slab *s, const struct classes *k, struct slab *out);
/* k in a few words for messages, into buf of n bytes: "3", "3 named a b
 * c", "3 of values 0 4 5" (cut short when long). Cannot fail. */
void classes_describe(const struct classes *k, char *buf, size_t n);
/* The error for classes got where want was expected, both described:
 * "SRC: WHAT differ from OTHER (want): 'got' in 'NAME'". Returns -1. */
int classes_mismatch(const char *src, const char *what, const char *other,
                     const struct classes *got, const struct classes *want, const char *name);

/* Is s a probability slab: f32, and either one channel of binary classes
 * (no CLASSES key, or CLASSES 2) or C channels with a CLASSES key of C? 0
 * and its classes in *k (k may be NULL), or -1 with an error naming src and
 * the slab. Values are checked by their readers. */
int classes_of_prob(const struct slab *s, struct classes *k, const char *src);

#endif
