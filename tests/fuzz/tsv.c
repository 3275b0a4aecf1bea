/* Fuzz harness: the TSV table reader (lib/tsv.c, tsv-plot's input) on a
 * file of the input's bytes.
 *
 * Oracles: each row has one cell per column; a column is found by its name
 * (the first of equal names); each row's line number is its line in the
 * file, counted here from the input's newlines; no cell holds a tab, CR or
 * newline. */
#include "fuzz.h"
#include "tsv.h"

#include <math.h>

/* The 1-based line of the byte at offset off. */
static int line_of(const uint8_t *data, size_t off)
{
	int line = 1;
	for (size_t i = 0; i < off; i++)
		line += data[i] == '\n';
	return line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[600];
	struct tsv t;
	fuzz_write(fuzz_path(path, sizeof path, "in.tsv"), data, size);
	if (tsv_read(&t, path))
		return 0;
	FUZZ_CHECK(t.ncol >= 1 && t.nrow >= 0);
	for (int c = 0; c < t.ncol; c++) {
		int k = tsv_column(&t, t.names[c]);
		FUZZ_CHECK(k >= 0 && k <= c && !strcmp(t.names[k], t.names[c]));
	}
	for (int r = 0; r < t.nrow; r++) {
		size_t off = (size_t)(t.cell[(size_t)r * t.ncol] - t.text);
		FUZZ_CHECK(off < size);
		FUZZ_CHECK(t.line[r] == line_of(data, off));
		FUZZ_CHECK(r == 0 || t.line[r] > t.line[r - 1]);
		for (int c = 0; c < t.ncol; c++) {
			const char *v = t.cell[(size_t)r * t.ncol + c];
			double d;
			FUZZ_CHECK(!strpbrk(v, "\t\r\n"));
			if (tsv_number(v, &d) == 0)
				FUZZ_CHECK(!isinf(d));
		}
	}
	tsv_free(&t);
	return 0;
}
