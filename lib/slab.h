/* slab.h: the slab format (formats/slab.md), read and written.
 *
 * A slab is one volume: an ASCII header of "KEY value" lines ending in
 * ENDHDR, then raw little-endian samples, x fastest, then y, then channel,
 * then z. Several slabs may follow each other in one stream. */
#ifndef SL_SLAB_H
#define SL_SLAB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum slab_type { SLAB_U8 = 0, SLAB_I16 = 1, SLAB_F32 = 2 };

#define SLAB_UNLABELLED 255 /* u8 mask value: no label here */
#define SLAB_NAME_MAX 255

struct slab {
	char name[SLAB_NAME_MAX + 1]; /* case name, may be empty */
	int nx, ny, nz, nc;          /* dims and channel count, all >= 1 */
	enum slab_type type;
	double spacing[3];           /* mm per voxel along x, y, z */
	double transform[12];        /* 3x4 row-major: world = T * (i j k 1) */
	int nextra;                  /* further header lines, kept in order */
	char **extra;                /* each "KEY value" without newline */
	void *data;                  /* nx*ny*nc*nz samples of `type` */
};

/* Bytes per sample of a type (1, 2 or 4). */
size_t slab_type_size(enum slab_type t);
/* "u8", "i16", "f32". */
const char *slab_type_name(enum slab_type t);
/* Parse a type name; 0 and *t set, or -1 without a message. */
int slab_type_parse(const char *s, enum slab_type *t);

/* Number of samples nx*ny*nc*nz, and bytes of data. */
size_t slab_count(const struct slab *s);
size_t slab_bytes(const struct slab *s);
/* Samples in one z-slice with all its channels (nx*ny*nc). */
size_t slab_slice_count(const struct slab *s);

/* Make a zero-filled slab; spacing 1 1 1, transform the identity.
 * Returns 0 or -1 (message printed). */
int slab_alloc(struct slab *s, const char *name, int nx, int ny, int nz, int nc,
               enum slab_type type);
/* Make `dst` a zero-filled slab with src's header (name, spacing, transform,
 * extra lines) but the dims, channels and type given. 0 or -1. */
int slab_alloc_like(struct slab *dst, const struct slab *src, int nx, int ny, int nz,
                    int nc, enum slab_type type);
/* Free what a slab holds and zero it. Safe on a zeroed slab. */
void slab_free(struct slab *s);

/* Sample i (0 <= i < slab_count) as a double; set one, rounded and clamped
 * to the type's range for integer types. */
double slab_get(const struct slab *s, size_t i);
void slab_set(struct slab *s, size_t i, double v);
/* Index of sample (x, y, channel c, z). */
static inline size_t slab_index(const struct slab *s, int x, int y, int c, int z)
{
	return (((size_t)z * s->nc + c) * s->ny + y) * s->nx + x;
}

/* Copy all samples into a float array of slab_count floats. Cannot fail. */
void slab_to_float(const struct slab *s, float *out);

/* Extra header lines: the value of KEY (NULL when absent), or set it
 * (replacing an existing line). slab_set_extra returns 0 or -1. */
const char *slab_get_extra(const struct slab *s, const char *key);
int slab_set_extra(struct slab *s, const char *key, const char *value);
/* Remove the line of KEY, if there. Cannot fail. */
void slab_del_extra(struct slab *s, const char *key);
/* Copy name, spacing, transform and extra lines from src to dst. 0 or -1. */
int slab_copy_meta(struct slab *dst, const struct slab *src);

/* A number as header values are written: the shortest %g form that reads
 * back as exactly v (whole numbers without an exponent below 1e15). `n`
 * of 32 is enough. Cannot fail. */
void slab_format_number(char *buf, size_t n, double v);

/* A reader over one stream of slabs. `src` names it in messages. */
struct slab_reader {
	FILE *f;
	const char *src;
	uint64_t pos;   /* bytes consumed so far */
	int own;        /* close f at the end */
};

/* Open a path ("-" is stdin) for reading slabs. 0 or -1. */
int slab_reader_open(struct slab_reader *r, const char *path);
/* Wrap an open stream; not closed by slab_reader_close. */
void slab_reader_init(struct slab_reader *r, FILE *f, const char *src);
void slab_reader_close(struct slab_reader *r);

/* Read the next slab into *s (which it allocates). Returns 1 when a slab was
 * read, 0 at a clean end of stream, -1 on a bad header or short data (the
 * message names the key and the byte position). */
int slab_read(struct slab_reader *r, struct slab *s);

/* Write one slab to a stream. 0 or -1 (a write error). */
int slab_write(FILE *f, const struct slab *s);

/* Read exactly one slab from a path ("-" is stdin). 0 or -1. */
int slab_load(const char *path, struct slab *s);
/* Load the slab named `name` from the stream at path ("-" is stdin), or
 * with name NULL the only slab (as slab_load). 0, or -1 with an error (no
 * slab of that name, a bad stream). */
int slab_load_named(const char *path, const char *name, struct slab *s);
/* Write one slab to a path ("-" is stdout), whole or not at all. 0 or -1. */
int slab_save(const char *path, const struct slab *s);
/* Write the n slabs s[0..n-1] as one stream to a path, whole or not at all. 0 or -1. */
int slab_save_all(const char *path, const struct slab *s, int n);

#endif
