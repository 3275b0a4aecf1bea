/* prob-mean: the voxel-wise mean of several probability slab streams (e.g.
 * the predictions of models trained along different planes, fused). */
#include "classes.h"
#include "opt.h"
#include "slab.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	const char *out = "-";
	int a, k, m, n = 0, rc = 0, stdin_used = 0, status = 1;
	struct slab_reader *r;
	struct slab *s;
	struct classes k0, kc;
	char *buf = NULL;
	size_t len = 0, i, cnt;
	FILE *mf = NULL;
	const struct opt opts[] = {
		OPT_STRING('o', "output", &out, "OUT",
		           "output file (default stdout), written whole or not at all"),
		OPT_END
	};
	const struct opt_tool tool = {
		.name = "prob-mean", .operands = "IN1 IN2 [IN...]", .min_operands = 2, .max_operands = -1,
		.about = "Average streams of probability slabs voxel by voxel: the k-th output slab is\n"
		         "the mean of the k-th slab of every input (same dims; the header is the first\n"
		         "input's). One input may be '-' (stdin). A probability slab is f32 with one\n"
		         "channel, or C channels and CLASSES C (probabilities of C classes, averaged\n"
		         "channel by channel); all inputs must have the same classes (CLASSES,\n"
		         "CLASS_NAMES, CLASS_VALUES), and the output keeps them.",
		.opts = opts
	};

	if ((a = opt_parse(&tool, argc, argv)) < 0)
		return opt_status(a);
	m = argc - a;
	for (k = 0; k < m; k++)
		if (!strcmp(argv[a + k], "-") && stdin_used++)
			return opt_fail("stdin given twice");
	r = xcalloc(m, sizeof *r);
	s = xcalloc(m, sizeof *s);
	if (!r || !s)
		goto out;
	for (k = 0; k < m; k++)
		if (slab_reader_open(&r[k], argv[a + k]))
			goto out;
	if (!(mf = open_memstream(&buf, &len)))
		die("out of memory");
	for (;;) {
		int ended = 0;
		for (k = 0; k < m; k++) {
			rc = slab_read(&r[k], &s[k]);
			if (rc < 0)
				goto out;
			ended += rc == 0;
		}
		if (ended) {
			if (ended < m) {
				error("the inputs hold different numbers of slabs (%d in some)", n);
				goto out;
			}
			break;
		}
		n++;
		for (k = 0; k < m; k++) {
			if (classes_of_prob(&s[k], k ? &kc : &k0, r[k].src))
				goto out;
			if (s[k].nx != s[0].nx || s[k].ny != s[0].ny || s[k].nz != s[0].nz ||
			    s[k].nc != s[0].nc) {
				error("%s: dims differ from %s's (slab %d): '%s'", r[k].src, r[0].src, n,
				      s[k].name);
				goto out;
			}
			if (k && !classes_equal(&kc, &k0)) {
				char other[1024];
				snprintf(other, sizeof other, "%s's", r[0].src);
				classes_mismatch(r[k].src, "classes", other, &kc, &k0, s[k].name);
				goto out;
			}
		}
		cnt = slab_count(&s[0]);
		for (i = 0; i < cnt; i++) {
			double v = 0;
			for (k = 0; k < m; k++)
				v += ((float *)s[k].data)[i];
			((float *)s[0].data)[i] = (float)(v / m);
		}
		if (slab_write(mf, &s[0]))
			goto out;
		for (k = 0; k < m; k++)
			slab_free(&s[k]);
	}
	if (n == 0) {
		error("%s: empty, no slab in it", r[0].src);
		goto out;
	}
	if (outfile_write_memstream(&mf, &buf, &len, out))
		goto out;
	status = close_stdout() ? 1 : 0;
out: /* error exits free too: make SANITIZE=1 checks for leaks */
	for (k = 0; s && k < m; k++)
		slab_free(&s[k]);
	for (k = 0; r && k < m; k++)
		slab_reader_close(&r[k]);
	if (mf)
		fclose(mf);
	free(buf), free(r), free(s);
	return status;
}
