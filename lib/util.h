/* util.h: errors, number parsing, safe output files, small helpers.
 *
 * Library code reports a problem with error(), which prints one line
 * "progname: message" on stderr and returns -1, and hands that -1 back to
 * its caller. Only a tool's main() exits. */
#ifndef SL_UTIL_H
#define SL_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stddef.h>

/* The name errors are prefixed with; set it first thing in main(). */
extern const char *progname;

/* Print "progname: <fmt...>" and a newline on stderr; always returns -1. */
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "progname: <fmt...>" and exit(1). Only for main(). */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));


/* Parse a whole string as a base-10 integer in [min, max]. Returns 0, or
 * -1 with an error naming `what` when it is not a number, has trailing
 * characters, or is out of range. */
int parse_long(const char *s, long min, long max, const char *what, long *out);

/* Parse a whole string as a finite double in [min, max]; as parse_long. */
int parse_double(const char *s, double min, double max, const char *what, double *out);

/* Parse n numbers separated by the character sep, e.g. "64x48" (sep 'x'),
 * "0.5:2" (':'), "32,32,8" (','), into out[0..n-1]: base-10 whole numbers
 * when integer, else finite decimals, each in [min, max], and nothing else
 * (no spaces, no '+', nothing after the last number). A field left empty
 * ("3:", ":10") keeps its out[i] when empty_ok, else is an error. The one
 * parser of every "N<sep>N" form. Returns 0, or -1 with an error
 * "what: ...: 's'" (out may then be partly written). */
int parse_tuple(const char *s, char sep, int n, int integer, double min, double max,
                  int empty_ok, const char *what, double *out);

/* Allocation that returns NULL with an error message on failure (never dies). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);

/* Overflow-checked a*b (and a*b*c...), returns 0 and sets *out, or -1. */
int mul_size(size_t a, size_t b, size_t *out);

/* An output that appears whole or not at all. Path "-" is stdout.
 * For a file, data go to a temp file in the same folder that
 * outfile_commit() renames over the path; outfile_abort() removes it.
 * A path that is a device or a pipe (/dev/null, a FIFO) is written in place:
 * a temp file renamed over it would replace the device. */
struct outfile {
	FILE *f;
	char *path;   /* final path (NULL for stdout) */
	char *tmp;    /* temp path (NULL for stdout and direct outputs) */
	int direct;   /* path is a device or pipe (e.g. /dev/null): written in place */
	int reg;      /* tmp_register's slot + 1, 0: none */
};

/* Open `path` for writing ("-" is stdout). Returns 0 or -1 (error printed). */
int outfile_open(struct outfile *o, const char *path);

/* The descriptor a path names when it is /dev/stdout, /dev/stderr,
 * /dev/fd/N or /proc/self/fd/N, else -1. Writers write to such a path
 * through the open descriptor (a redirected stdout keeps its file and
 * offset), never by renaming a file over it. */
int fd_path(const char *path);
/* A new stream on that descriptor (stdout and stderr flushed first), or
 * NULL (not such a path, or an error reported). */
FILE *open_fd_path(const char *path);

/* The file a write to `path` replaces: path itself or, when path is a
 * symbolic link, the file at the end of its chain (which need not exist
 * yet), so that writers write through links instead of replacing them.
 * Free the result; NULL with an error after 40 links or out of memory. */
char *out_target(const char *path);

/* Flush, close and rename into place; checks every write. 0 or -1; on -1
 * the temp file is removed. For stdout, flushes and checks for errors. */
int outfile_commit(struct outfile *o);

/* Discard the output: close and remove the temp file. Cannot fail. */
void outfile_abort(struct outfile *o);

/* Write len bytes of buf to `path` whole or not at all (outfile_open, one
 * write, outfile_commit): a tool that kept its output in memory. 0 or -1
 * (error printed, nothing left behind). */
int outfile_write(const char *path, const void *buf, size_t len);

/* Close the memory stream *mf (open_memstream(buf, len): a tool that
 * gathers its whole output first) and write its bytes to `path` whole or not
 * at all (outfile_write). *mf is NULL afterwards, *buf still the caller's to
 * free. 0 or -1 (error printed, nothing left behind). */
int outfile_write_memstream(FILE **mf, char **buf, size_t *len, const char *path);

/* Temporary files and folders. Every writer names its temporary beside the
 * final path P as "P.tmp.PID.XXXXXX" (PID: the writer's process id), and
 * registers it: on SIGINT, SIGTERM, SIGHUP or SIGQUIT (when their action is
 * the default) a handler removes every registered temporary (unlink, or a
 * folder's tree, all async-signal-safe calls) and re-raises the signal. A
 * temporary a kill -9 left behind is removed by the next writer of the same
 * path (tmp_sweep): any "P.tmp.PID.*" whose PID is no running process on
 * this machine (none, or a zombie: ended, not yet reaped).
 * "P.old.PID.*" is a folder set aside while a folder was replaced
 * (dir_replace): restored onto P when P is missing, else removed. */

/* tmp_name: "target.tmp.PID.XXXXXX" (kind "tmp") or ".old." into a new
 * buffer for mkstemp/mkdtemp; NULL with an error when out of memory. */
char *tmp_name(const char *target, const char *kind);

/* Register a temporary file (folder 0) or folder tree (1) for removal on a
 * signal. Returns the slot + 1 to pass to tmp_unregister, or 0 when not
 * registered (table full, path too long; the next writer's sweep still
 * removes it). */
int tmp_register(const char *path, int folder);
void tmp_unregister(int reg);

/* Remove the stale temporaries of `target` (see above): those of processes
 * that no longer exist. Never fails (what cannot be removed stays). */
void tmp_sweep(const char *target);

/* Remove a file, or a folder and everything in it (symbolic links are
 * removed, never followed). 0, or -1 with errno set. */
int rm_tree(const char *path);

/* A new empty folder "target.tmp.PID.XXXXXX" beside target (mode 0777 less
 * the umask), registered for removal on a signal (*reg, for tmp_unregister),
 * after its parent folders are made and the stale temporaries of target
 * are swept. Free the name; NULL with
 * an error. */
char *dir_stage(const char *target, int *reg);

/* Put the complete folder `fresh` at `path`: a rename when path does not
 * exist (or is an empty folder), else an atomic exchange of the two names
 * (renameat2 RENAME_EXCHANGE) and removal of the old tree; where the file
 * system has no exchange, the old folder is renamed aside to
 * "path.old.PID.XXXXXX" first (tmp_sweep restores it when a kill came
 * between the two renames). 0, or -1 with an error. */
int dir_replace(const char *fresh, const char *path);


/* The size limits on inputs (README, "Limits"), one number for all:
 * SELFLABEL_MAX_BYTES in the environment, a whole number of bytes with an
 * optional K, M, G or T (powers of 1024), 64K..256T, default 4G. From it
 * (struct limits):
 *   voxels: bytes/4, the samples (voxels x channels) of one volume, so that
 *           a volume as f32 fits in `bytes` (a NIfTI file's stored data
 *           must fit in `bytes` too); the parameters of a model;
 *   text:   bytes/64 (64 MiB by default), a text file read whole (lists,
 *           dataset.json, annotations, tables) and a NIfTI header with its
 *           extensions. */
#define LIMIT_ENV "SELFLABEL_MAX_BYTES"
#define LIMIT_BYTES_DEFAULT ((uint64_t)1 << 32)
struct limits {
	uint64_t bytes;   /* SELFLABEL_MAX_BYTES */
	uint64_t voxels;  /* bytes / 4: samples in one volume, parameters in a model */
	uint64_t text;    /* bytes / 64: a text file, a NIfTI header and extensions */
};
/* The limits now in force. 0, or -1 with an error naming the variable when
 * SELFLABEL_MAX_BYTES is set but is not such a size. */
int limits_get(struct limits *l);

/* Open an input path for reading without ever waiting in open(): a FIFO
 * is opened whether or not a writer is there (with none it reads as empty
 * input, never blocks), then read like a pipe. "-" is a new descriptor on
 * stdin. A directory is refused. Every reader opens its inputs here, and
 * bounds what it reads (lists by limits.text, volumes by limits.voxels, a
 * model by its header). Returns a descriptor (close it), or -1 with an
 * error "cannot open '...': why" or "is a directory: '...'". */
int open_input(const char *path);

/* Open an input path for reading (open_input); "-" is stdin itself. NULL
 * with an error on failure. */
FILE *open_in(const char *path);

/* Close an input opened with open_in (stdin is left open). */
void close_in(FILE *f);

/* Close stdout at the end of main and report a write error (full disk,
 * broken pipe). Returns 0 or -1. */
int close_stdout(void);

/* Create a directory and its parents (like mkdir -p). 0 or -1. */
int mkdir_p(const char *path);

/* Read a whole text file ("-" is stdin) into a NUL-terminated buffer, at
 * most limits.text bytes (a regular file larger than that is refused before
 * any reading, a stream once it passes it). Returns the buffer (free it)
 * and its length in *len, or NULL with one error line. */
char *read_whole(const char *path, size_t *len);

/* A deterministic random generator (splitmix64 seeded xoshiro256**).
 * The same seed gives the same stream on every machine. */
struct rng { uint64_t s[4]; };
void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
double rng_uniform(struct rng *r);            /* [0, 1) */
double rng_normal(struct rng *r);             /* mean 0, sd 1 */
uint64_t rng_below(struct rng *r, uint64_t n); /* [0, n), unbiased */

/* Seconds from a monotonic clock. */
double now_seconds(void);

#endif
