/* outbatch.h: a set of output files that appear together or not at all.
 *
 * Each file is written to a temporary file beside its final path and
 * closed; outbatch_commit() renames them all into place at the end, and
 * outbatch_abort() removes every temporary file, so a failed run leaves
 * no half-written or partial set of outputs behind. Only two files are
 * open at a time, whatever the number of outputs. A path that is a device
 * or a pipe (/dev/null, a FIFO) is written in place and never renamed. */
#ifndef SL_OUTBATCH_H
#define SL_OUTBATCH_H

#include <stdio.h>

struct outbatch {
	int n, cap;
	char **path;   /* final paths */
	char **tmp;    /* temporary paths, same folder (NULL: written in place) */
	FILE **fp;     /* streams still open, else NULL */
	int *reg;      /* their tmp_register slots (util.h) */
};

/* Start an empty batch. Cannot fail. */
void outbatch_init(struct outbatch *b);

/* Open `path` as outfile_open does (a temporary file beside the target,
 * through a symbolic link; a descriptor, device or pipe written in place)
 * and add it to the batch. Returns the stream, or NULL with a message
 * (cannot create, out of memory, "-": stdout is no file of a set). */
FILE *outbatch_open(struct outbatch *b, const char *path);

/* Close a stream from outbatch_open, checking every write. 0 or -1. */
int outbatch_close(struct outbatch *b, FILE *f);

/* Close a stream from outbatch_open without checks, after a failed write
 * that was already reported; its temporary file goes at abort. */
void outbatch_drop(struct outbatch *b, FILE *f);

/* Rename every file into place and empty the batch. 0, or -1 when a
 * destination is a folder (checked before any rename; nothing is renamed)
 * or a rename failed (the files renamed so far stay, the remaining
 * temporary files are removed). */
int outbatch_commit(struct outbatch *b);

/* Remove every temporary file and empty the batch. Cannot fail. */
void outbatch_abort(struct outbatch *b);

/* A tool's n outputs held in memory (buf[i], len[i] bytes; buf[i] NULL:
 * not produced), written all or none: the files through one batch, then,
 * only after every file is in place, the ones for path[i] "-" to stdout
 * and those for path[i] NULL to std[i] (stdout, stderr, or NULL: not
 * written). 0, or -1 with a message and no file written. */
int outbatch_write_all(int n, const char *const path[], char *const buf[],
                       const size_t len[], FILE *const std[]);

#endif
