/* tsv.h: a small tab-separated table read whole (tsv-plot's input).
 *
 * The first line that is not empty and does not start with '#' names the
 * columns; after it, lines starting with '#' and empty lines are skipped,
 * and every other line is a row with exactly one field per column. Line
 * numbers count every line of the file, empty ones too. Carriage returns
 * end a line's text ("\r\n" files read the same). */
#ifndef SL_TSV_H
#define SL_TSV_H

struct tsv {
	char *text;   /* the file, cut into fields in place */
	int ncol;
	char **names; /* ncol column names */
	int nrow;
	char **cell;  /* nrow x ncol fields, row by row */
	int *line;    /* the file line of each row, from 1 */
};

/* Read a whole table from `path` ("-" is stdin). 0, or -1 with an error
 * naming path: not a text file (a NUL byte), no header line, a row with
 * another number of fields ("line 2 has 1 fields, want 2"). */
int tsv_read(struct tsv *t, const char *path);

/* The index of the column named `name`, or -1. */
int tsv_column(const struct tsv *t, const char *name);

/* A cell as a number into *v: a finite decimal, or NAN for an empty cell,
 * "-", "nan" (any case) or "NA". 0, or -1 (no message) when it is text. */
int tsv_number(const char *cell, double *v);

void tsv_free(struct tsv *t);

#endif
