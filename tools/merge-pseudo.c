/* merge-pseudo: current label volume + newly pseudo-labelled slices -> next
 * label volume.
 *
 * CURRENT and NEW are u8 label map streams (0..C-1, 255; C from the CLASSES
 * key, lib/classes.h, 2 without it), matched slab by slab in order with
 * equal names, dims and classes. A slice of NEW is taken when it holds any
 * label (a value other than 255), or, with -k, exactly when it is listed.
 * Ground-truth slices of CURRENT are never overwritten; an earlier pseudo
 * slice is replaced (and takes the new iteration number).
 *
 * Provenance lives in the SLICES header key (formats/slab.md,
 * lib/provenance.h): one token per z-slice, 'g' ground truth, '.' unlabelled,
 * or the iteration that pseudo-labelled it. When CURRENT has no SLICES key
 * its labelled slices are ground truth. */
#include "annot.h"
#include "classes.h"
#include "opt.h"
#include "provenance.h"
#include "slab.h"
#include "slicelist.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Are cur and nw two masks of the same case, dims and classes (into *k)?
 * 0 or -1. */
static int check_pair(const struct slab *cur, const struct slab *nw, const char *csrc,
                      const char *nsrc, struct classes *k)
{
	struct classes kn;
	if (cur->type != SLAB_U8 || cur->nc != 1)
		return error("%s: not a mask (u8, one channel): '%s' in '%s'", csrc,
		             slab_type_name(cur->type), cur->name);
	if (nw->type != SLAB_U8 || nw->nc != 1)
		return error("%s: not a mask (u8, one channel): '%s' in '%s'", nsrc,
		             slab_type_name(nw->type), nw->name);
	if (strcmp(cur->name, nw->name))
		return error("%s: names differ: '%s' and '%s'", nsrc, cur->name, nw->name);
	if (cur->nx != nw->nx || cur->ny != nw->ny || cur->nz != nw->nz)
		return error("%s: dims differ from %s: '%dx%dx%d' in '%s'", nsrc, csrc, nw->nx,
		             nw->ny, nw->nz, nw->name);
	if (classes_get(cur, k, csrc) || classes_get(nw, &kn, nsrc))
		return -1;
	if (!classes_equal(k, &kn)) {
		char other[1024];
		snprintf(other, sizeof other, "%s's", csrc);
		return classes_mismatch(nsrc, "classes", other, &kn, k, nw->name);
	}
	return 0;
}

/* Merge the pseudo-labels of nw into cur (in place) as iteration iter:
 * every slice of nw that holds a label, or with list exactly the listed
 * ones, replaces cur's unless cur's is ground truth; SLICES records it.
 * csrc and nsrc name the streams in messages. 0 or -1. */
static int merge(struct slab *cur, const struct slab *nw, const char *list, int iter,
                 const char *csrc, const char *nsrc)
{
	size_t per = slab_slice_count(cur);
	int z, rc = -1, *prov = NULL, *lab = NULL;
	unsigned char *take = NULL;
	struct classes k;

	if (check_pair(cur, nw, csrc, nsrc, &k) || classes_check_labels(cur, &k, csrc) ||
	    classes_check_labels(nw, &k, nsrc) || !(prov = xcalloc(cur->nz, sizeof *prov)) ||
	    !(take = xmalloc(cur->nz)) || !(lab = xcalloc(cur->nz, sizeof *lab)) ||
	    prov_read(cur, prov, csrc))
		goto done;
	if (list && slicelist_parse(list, cur->nz, take) < 0)
		goto done;
	if (!list) { /* the slices of nw that hold a label */
		annot_slices(nw, lab);
		for (z = 0; z < cur->nz; z++)
			take[z] = lab[z] == PROV_GT;
	}
	for (z = 0; z < cur->nz; z++) {
		if (!take[z] || prov[z] == PROV_GT)
			continue;
		memcpy((uint8_t *)cur->data + z * per, (const uint8_t *)nw->data + z * per, per);
		prov[z] = iter;
	}
	rc = prov_write(cur, prov);
done:
	free(prov), free(take), free(lab);
	return rc;
}

int main(int argc, char **argv)
{
	int iter = -1;
	const char *out = "-", *list = NULL;
	struct slab_reader rc_, rn;
	struct slab cur = { 0 }, nw = { 0 }, *res = NULL;
	int nres = 0, i, a, b, status = 1;
	const struct opt opts[] = {
		OPT_INT('i', "iteration", &iter, "ITER", 0, PROV_ITER_MAX,
		        "iteration number recorded for the merged slices\n(0..999999; required)"),
		OPT_CALL('k', "slices", &list, "LIST", slicelist_opt,
		         "take exactly these z-slices of NEW (e.g. 5,7,10-12),\n"
		         "even when all 255; default: every slice of NEW that\n"
		         "holds a label"),
		OPT_STRING('o', "output", &out, "OUT", "output file (default stdout)"),
		OPT_END
	};
	const struct opt_tool tool = {
		.name = "merge-pseudo",
		.synopsis = "merge-pseudo -i ITER [-k LIST] [-o OUT] CURRENT NEW",
		.operands = "CURRENT NEW", .min_operands = 2, .max_operands = 2,
		.about = "Merge the pseudo-labelled slices of NEW into the label volume CURRENT.",
		.opts = opts,
		.notes = "CURRENT and NEW are u8 label maps: 0, 1 and 255 (unlabelled), or with a\n"
		         "CLASSES C key 0..C-1 and 255; both must have the same classes (CLASSES,\n"
		         "CLASS_NAMES, CLASS_VALUES), which the output keeps. Values are copied.\n"
		         "Ground-truth slices are never overwritten. The SLICES header key records\n"
		         "per slice: g (ground truth), . (unlabelled) or the iteration number.\n"
		         "CURRENT or NEW may be - (stdin); streams of several slabs match by order."
	};

	if ((i = opt_parse(&tool, argc, argv)) < 0)
		return opt_status(i);
	if (iter < 0)
		return opt_fail("missing -i ITER, the iteration to record");
	if (!strcmp(argv[i], "-") && !strcmp(argv[i + 1], "-"))
		return opt_fail("CURRENT and NEW cannot both be stdin: '-'");

	if (slab_reader_open(&rc_, argv[i]))
		return 1;
	if (slab_reader_open(&rn, argv[i + 1])) {
		slab_reader_close(&rc_);
		return 1;
	}
	/* Read everything first: a failure part-way writes nothing. */
	for (;;) {
		void *nr;
		a = slab_read(&rc_, &cur);
		if (a < 0)
			goto out;
		b = slab_read(&rn, &nw);
		if (b < 0)
			goto out;
		if (!a && !b)
			break;
		if (!a || !b) {
			error("%s: has fewer slabs than %s", a ? rn.src : rc_.src, a ? rc_.src : rn.src);
			goto out;
		}
		if (merge(&cur, &nw, list, iter, rc_.src, rn.src))
			goto out;
		slab_free(&nw);
		nr = realloc(res, (nres + 1) * sizeof *res);
		if (!nr) {
			error("out of memory");
			goto out;
		}
		res = nr;
		res[nres++] = cur;
		memset(&cur, 0, sizeof cur);
	}
	if (!nres) {
		error("%s: empty, no slab in it", rc_.src);
		goto out;
	}
	slab_reader_close(&rc_);
	slab_reader_close(&rn);
	if (slab_save_all(out, res, nres))
		goto out;
	status = close_stdout() ? 1 : 0;
out: /* error exits free too: make SANITIZE=1 checks for leaks */
	slab_free(&cur);
	slab_free(&nw);
	for (i = 0; i < nres; i++)
		slab_free(&res[i]);
	free(res);
	slab_reader_close(&rc_);
	slab_reader_close(&rn);
	return status;
}
