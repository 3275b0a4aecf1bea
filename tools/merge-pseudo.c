/* merge-pseudo: current label volume + newly pseudo-labelled slices -> next
 * label volume.
 *
 * CURRENT and NEW are u8 mask streams (0, 1, 255), matched slab by slab in
 * order with equal names and dims. A slice of NEW is taken when it holds any
 * label (a value other than 255), or, with -k, exactly when it is listed.
 * Ground-truth slices of CURRENT are never overwritten; an earlier pseudo
 * slice is replaced (and takes the new iteration number).
 *
 * Provenance lives in the SLICES header key (formats/slab.md): one token per
 * z-slice, 'g' ground truth, '.' unlabelled, or the iteration that
 * pseudo-labelled it. When CURRENT has no SLICES key its labelled slices are
 * ground truth. */
#include "slab.h"
#include "util.h"
#include "slicelist.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] = "merge-pseudo -i ITER [-k LIST] [-o OUT] CURRENT NEW";

static void help(void)
{
	printf("usage: %s\n\n"
	       "Merge the pseudo-labelled slices of NEW into the label volume CURRENT.\n"
	       "  -i ITER   iteration number recorded for the merged slices (0..999999)\n"
	       "  -k LIST   take exactly these z-slices of NEW (e.g. 5,7,10-12), even when\n"
	       "            all 255; default: every slice of NEW that holds a label\n"
	       "  -o OUT    output file (default stdout)\n"
	       "Ground-truth slices are never overwritten. The SLICES header key records\n"
	       "per slice: g (ground truth), . (unlabelled) or the iteration number.\n"
	       "CURRENT or NEW may be - (stdin); streams of several slabs match by order.\n",
	       usage);
}

/* Per-slice provenance: -1 ground truth, 0 unlabelled, k+1 pseudo at iteration k. */
enum { PROV_GT = -1, PROV_NONE = 0 };

/* Does slice z hold any label? Also checks values are 0, 1 or 255. */
static int slice_labelled(const struct slab *m, int z, const char *src, int *bad)
{
	size_t per = slab_slice_count(m), j;
	const uint8_t *p = (const uint8_t *)m->data + z * per;
	int any = 0;
	for (j = 0; j < per; j++) {
		if (p[j] != 0 && p[j] != 1 && p[j] != SLAB_UNLABELLED) {
			*bad = error("%s: not a mask value (0, 1, 255): '%d' at slice %d in '%s'",
			             src, p[j], z, m->name);
			return 0;
		}
		if (p[j] != SLAB_UNLABELLED)
			any = 1;
	}
	return any;
}

/* Read the SLICES key of m into prov[0..nz-1], or derive it. 0 or -1. */
static int read_prov(const struct slab *m, long *prov, const char *src)
{
	const char *v = slab_get_extra(m, "SLICES");
	int z, bad = 0;
	if (!v) {
		for (z = 0; z < m->nz && !bad; z++)
			prov[z] = slice_labelled(m, z, src, &bad) ? PROV_GT : PROV_NONE;
		return bad;
	}
	for (z = 0; z < m->nz; z++) {
		char tok[16];
		size_t n;
		while (*v == ' ')
			v++;
		n = strcspn(v, " ");
		if (n == 0)
			return error("%s: SLICES has %d tokens, want %d in '%s'", src, z, m->nz,
			             m->name);
		if (n >= sizeof tok)
			return error("%s: bad SLICES token: '%.*s' in '%s'", src, (int)n, v, m->name);
		memcpy(tok, v, n);
		tok[n] = 0;
		if (!strcmp(tok, "g")) {
			prov[z] = PROV_GT;
		} else if (!strcmp(tok, ".")) {
			prov[z] = PROV_NONE;
		} else {
			long it;
			if (parse_long(tok, 0, 999999, "SLICES token", &it))
				return -1;
			prov[z] = it + 1;
		}
		v += n;
	}
	while (*v == ' ')
		v++;
	if (*v)
		return error("%s: SLICES has more than %d tokens in '%s'", src, m->nz, m->name);
	for (z = 0; z < m->nz && !bad; z++)
		slice_labelled(m, z, src, &bad);
	return bad;
}

/* Write prov as the SLICES key of m. 0 or -1. */
static int write_prov(struct slab *m, const long *prov)
{
	size_t cap = (size_t)m->nz * 8 + 1, len = 0;
	char *buf = xmalloc(cap);
	int z, rc;
	if (!buf)
		return -1;
	for (z = 0; z < m->nz; z++) {
		if (prov[z] == PROV_GT)
			len += snprintf(buf + len, cap - len, "%sg", z ? " " : "");
		else if (prov[z] == PROV_NONE)
			len += snprintf(buf + len, cap - len, "%s.", z ? " " : "");
		else
			len += snprintf(buf + len, cap - len, "%s%ld", z ? " " : "", prov[z] - 1);
	}
	if (len > 65000) {
		free(buf);
		return error("too many slices to record in SLICES: '%d' in '%s'", m->nz, m->name);
	}
	rc = slab_set_extra(m, "SLICES", buf);
	free(buf);
	return rc;
}

int main(int argc, char **argv)
{
	long iter = -1;
	const char *out = "-", *list = NULL;
	struct slab_reader rc_, rn;
	struct slab cur, nw, *res = NULL;
	int nres = 0, opt, i, a, b;
	struct outfile of;

	progname = "merge-pseudo";
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		help();
		return 0;
	}
	while ((opt = getopt(argc, argv, "i:k:o:h")) != -1) {
		switch (opt) {
		case 'i':
			if (parse_long(optarg, 0, 999999, "iteration", &iter))
				return 2;
			break;
		case 'k':
			list = optarg;
			if (slicelist_parse(optarg, INT_MAX, NULL) < 0)
				return 2;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			help();
			return 0;
		default:
			usage_die(usage);
		}
	}
	if (iter < 0 || argc - optind != 2)
		usage_die(usage);
	if (!strcmp(argv[optind], "-") && !strcmp(argv[optind + 1], "-"))
		return error("CURRENT and NEW cannot both be stdin"), 2;

	if (slab_reader_open(&rc_, argv[optind]) || slab_reader_open(&rn, argv[optind + 1]))
		return 1;
	/* Read everything first: a failure part-way writes nothing. */
	for (;;) {
		long *prov;
		char *take;
		size_t per;
		int z, bad = 0;
		void *nr;
		a = slab_read(&rc_, &cur);
		if (a < 0)
			return 1;
		b = slab_read(&rn, &nw);
		if (b < 0)
			return 1;
		if (!a && !b)
			break;
		if (!a || !b)
			die("%s: has fewer slabs than %s", a ? rn.src : rc_.src, a ? rc_.src : rn.src);
		if (cur.type != SLAB_U8 || cur.nc != 1)
			die("%s: not a mask (u8, one channel): '%s' in '%s'", rc_.src,
			    slab_type_name(cur.type), cur.name);
		if (nw.type != SLAB_U8 || nw.nc != 1)
			die("%s: not a mask (u8, one channel): '%s' in '%s'", rn.src,
			    slab_type_name(nw.type), nw.name);
		if (strcmp(cur.name, nw.name))
			die("%s: names differ: '%s' and '%s'", rn.src, cur.name, nw.name);
		if (cur.nx != nw.nx || cur.ny != nw.ny || cur.nz != nw.nz)
			die("%s: dims differ from %s: '%dx%dx%d' in '%s'", rn.src, rc_.src, nw.nx,
			    nw.ny, nw.nz, nw.name);
		prov = xcalloc(cur.nz, sizeof *prov);
		take = xmalloc(cur.nz);
		if (!prov || !take)
			return 1;
		if (read_prov(&cur, prov, rc_.src))
			return 1;
		if (list) {
			if (slicelist_parse(list, cur.nz, (unsigned char *)take) < 0)
				return 1;
			for (z = 0; z < cur.nz; z++)
				slice_labelled(&nw, z, rn.src, &bad);
		} else {
			for (z = 0; z < cur.nz; z++)
				take[z] = slice_labelled(&nw, z, rn.src, &bad);
		}
		if (bad)
			return 1;
		per = slab_slice_count(&cur);
		for (z = 0; z < cur.nz; z++) {
			if (!take[z] || prov[z] == PROV_GT)
				continue;
			memcpy((uint8_t *)cur.data + z * per, (uint8_t *)nw.data + z * per, per);
			prov[z] = iter + 1;
		}
		if (write_prov(&cur, prov))
			return 1;
		free(prov);
		free(take);
		slab_free(&nw);
		nr = realloc(res, (nres + 1) * sizeof *res);
		if (!nr)
			die("out of memory");
		res = nr;
		res[nres++] = cur;
	}
	if (!nres)
		die("%s: empty, no slab in it", rc_.src);
	slab_reader_close(&rc_);
	slab_reader_close(&rn);

	if (outfile_open(&of, out))
		return 1;
	for (i = 0; i < nres; i++)
		if (slab_write(of.f, &res[i])) {
			outfile_abort(&of);
			return 1;
		}
	if (outfile_commit(&of))
		return 1;
	for (i = 0; i < nres; i++)
		slab_free(&res[i]);
	free(res);
	return close_stdout() ? 1 : 0;
}
