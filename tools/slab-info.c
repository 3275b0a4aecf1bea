/* slab-info: the header and quick statistics of every slab in the inputs.
 *
 * One block of "key value" lines per slab, blocks separated by an empty
 * line, so `slab-info *.slab | grep ^labelled` answers one question for many
 * files. The whole report is built in memory and printed at the end: a run
 * that fails (missing file, bad header, short data) prints nothing on
 * stdout. */
#include "classes.h"
#include "opt.h"
#include "slab.h"
#include "slicelist.h"
#include "util.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Shortest %g form that reads back as exactly v (10, not 1e+01). */
static void fmt_exact(char *buf, size_t n, double v)
{
	int p0 = fabs(v) >= 1 && fabs(v) < 1e15 ? (int)floor(log10(fabs(v))) + 1 : 1;
	for (int p = p0; p <= 17; p++) {
		snprintf(buf, n, "%.*g", p, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

struct stats {
	double min, max, sum, sum2;
	size_t n;
};

static void stats_init(struct stats *st)
{
	st->min = DBL_MAX, st->max = -DBL_MAX, st->sum = st->sum2 = 0, st->n = 0;
}

static void stats_add(struct stats *st, double v)
{
	if (v < st->min)
		st->min = v;
	if (v > st->max)
		st->max = v;
	st->sum += v;
	st->sum2 += v * v;
	st->n++;
}

static double stats_mean(const struct stats *st) { return st->sum / (double)st->n; }

static double stats_sd(const struct stats *st)
{
	double m = stats_mean(st), var = st->sum2 / (double)st->n - m * m;
	return var > 0 ? sqrt(var) : 0;
}

/* Statistics over z-slices z0..z1-1 of all channels (*all) and, when ch is
 * not NULL, of each channel (ch[0..nc-1]): one pass over the samples, so
 * the time is linear in the channel count. */
static void slab_stats(const struct slab *s, int z0, int z1, struct stats *all, struct stats *ch)
{
	size_t plane = (size_t)s->nx * s->ny;
	stats_init(all);
	for (int c = 0; ch && c < s->nc; c++)
		stats_init(&ch[c]);
	for (int z = z0; z < z1; z++)
		for (int c = 0; c < s->nc; c++) {
			size_t base = slab_index(s, 0, 0, c, z);
			for (size_t i = 0; i < plane; i++) {
				double v = s->type == SLAB_F32 ? ((const float *)s->data)[base + i]
				                               : slab_get(s, base + i);
				stats_add(all, v);
				if (ch)
					stats_add(&ch[c], v);
			}
		}
}

/* A slab with CLASSES: "classes C", then one "class c value V name N" line
 * per class (name - when unnamed), with "voxels N" on a u8 label map. */
static int report_classes(FILE *out, const char *src, const struct slab *s)
{
	struct classes k;
	size_t cnt[256] = {0}, n = slab_count(s);
	int lab = s->type == SLAB_U8 && s->nc == 1;
	if (classes_get(s, &k, src))
		return -1;
	for (size_t i = 0; lab && i < n; i++)
		cnt[((const uint8_t *)s->data)[i]]++;
	fprintf(out, "classes     %d\n", k.n);
	for (int c = 0; c < k.n; c++) {
		fprintf(out, "class       %d value %d name %s", c, k.values[c],
		        k.names[c][0] ? k.names[c] : "-");
		if (lab)
			fprintf(out, " voxels %zu", cnt[c]);
		fputc('\n', out);
	}
	return 0;
}

static int report(FILE *out, const char *src, int index, unsigned long long offset,
                  const struct slab *s, int per_slice)
{
	char a[64], b[64], c[64];
	struct stats st, *chs;
	int i;

	fprintf(out, "source      %s\n", src);
	fprintf(out, "slab        %d\n", index);
	fprintf(out, "offset      %llu\n", offset);
	fprintf(out, "name        %s\n", s->name[0] ? s->name : "-");
	fprintf(out, "dims        %d %d %d\n", s->nx, s->ny, s->nz);
	fprintf(out, "channels    %d\n", s->nc);
	fprintf(out, "type        %s\n", slab_type_name(s->type));
	fmt_exact(a, sizeof a, s->spacing[0]);
	fmt_exact(b, sizeof b, s->spacing[1]);
	fmt_exact(c, sizeof c, s->spacing[2]);
	fprintf(out, "spacing     %s %s %s\n", a, b, c);
	fprintf(out, "transform  ");
	for (i = 0; i < 12; i++) {
		fmt_exact(a, sizeof a, s->transform[i]);
		fprintf(out, " %s", a);
	}
	fputc('\n', out);
	for (i = 0; i < s->nextra; i++)
		fprintf(out, "extra       %s\n", s->extra[i]);

	chs = s->nc > 1 ? xcalloc((size_t)s->nc, sizeof *chs) : NULL;
	if (s->nc > 1 && !chs)
		return -1;
	slab_stats(s, 0, s->nz, &st, chs);
	fprintf(out, "samples     %zu\n", st.n);
	fprintf(out, "min         %.6g\nmax         %.6g\nmean        %.6g\nsd          %.6g\n",
	        st.min, st.max, stats_mean(&st), stats_sd(&st));
	for (int ch = 0; chs && ch < s->nc; ch++)
		fprintf(out, "channel     %d min %.6g max %.6g mean %.6g sd %.6g\n", ch, chs[ch].min,
		        chs[ch].max, stats_mean(&chs[ch]), stats_sd(&chs[ch]));
	free(chs);
	if ((slab_get_extra(s, CLASSES_KEY) || slab_get_extra(s, CLASS_NAMES_KEY) ||
	     slab_get_extra(s, CLASS_VALUES_KEY)) && report_classes(out, src, s))
		return -1;

	if (s->type == SLAB_U8) {
		const uint8_t *d = s->data;
		size_t per = slab_slice_count(s), cnt[3] = {0, 0, 0}, other = 0;
		unsigned char *lab = xcalloc((size_t)s->nz, 2);
		char *list = xmalloc(4096);
		if (!lab || !list) {
			free(lab);
			free(list);
			return -1;
		}
		for (int z = 0; z < s->nz; z++) {
			size_t fg = 0, bg = 0, unl = 0;
			const uint8_t *p = d + (size_t)z * per;
			for (size_t k = 0; k < per; k++) {
				if (p[k] == 0)
					bg++;
				else if (p[k] == SLAB_UNLABELLED)
					unl++;
				else {
					fg++;
					if (p[k] != 1)
						other++;
				}
			}
			cnt[0] += bg, cnt[1] += fg, cnt[2] += unl;
			lab[z] = unl < per;
			lab[s->nz + z] = fg > 0;
			if (per_slice)
				fprintf(out, "slice       %d fg %zu bg %zu unlabelled %zu\n", z, fg, bg, unl);
		}
		fprintf(out, "label_0     %zu\nlabel_1     %zu\nlabel_255   %zu\nlabel_other %zu\n",
		        cnt[0], cnt[1] - other, cnt[2], other);
		i = slicelist_format(lab, s->nz, list, 4096);
		fprintf(out, "labelled    %s (%d of %d)\n", list, i, s->nz);
		i = slicelist_format(lab + s->nz, s->nz, list, 4096);
		fprintf(out, "fg_slices   %s (%d of %d)\n", list, i, s->nz);
		free(lab);
		free(list);
	} else if (per_slice) {
		for (int z = 0; z < s->nz; z++) {
			slab_stats(s, z, z + 1, &st, NULL);
			fprintf(out, "slice       %d min %.6g max %.6g mean %.6g\n", z, st.min, st.max,
			        stats_mean(&st));
		}
	}
	return 0;
}

/* Report every slab of one input. Returns the number of slabs, or -1. */
static int report_stream(FILE *out, const char *path, int per_slice, int *blocks)
{
	struct slab_reader r;
	struct slab s;
	int n = 0, rc;

	if (slab_reader_open(&r, path))
		return -1;
	for (;;) {
		unsigned long long offset = r.pos;
		rc = slab_read(&r, &s);
		if (rc <= 0)
			break;
		n++;
		if ((*blocks)++)
			fputc('\n', out);
		rc = report(out, r.src, n, offset, &s, per_slice);
		slab_free(&s);
		if (rc)
			break;
	}
	if (rc == 0 && n == 0)
		rc = error("%s: empty, no slab in it", r.src);
	slab_reader_close(&r);
	return rc < 0 ? -1 : n;
}

int main(int argc, char **argv)
{
	int a, per_slice = 0, blocks = 0, bad = 0;
	char *text = NULL;
	size_t len = 0;
	FILE *out;
	const struct opt opts[] = {
		OPT_FLAG('s', "slices", &per_slice,
		         "also one line per z-slice: 'slice Z fg N bg N unlabelled N' for u8,\n"
		         "'slice Z min .. max .. mean ..' for other types"),
		OPT_END
	};
	const struct opt_tool tool = {
		.name = "slab-info", .operands = "[IN.slab...]", .min_operands = 0, .max_operands = -1,
		.about = "Print the header and statistics of each slab in each input ('-' or none:\n"
		         "stdin), one block of 'key value' lines per slab:\n"
		         "  source, slab (index in its stream, from 1), offset (byte), name, dims,\n"
		         "  channels, type, spacing, transform, extra (one line per other header key),\n"
		         "  min, max, mean, sd (and 'channel C min .. max .. mean .. sd ..' when\n"
		         "  channels > 1); with a CLASSES key (formats/slab.md) 'classes C' and one\n"
		         "  'class c value V name N' line per class (name - when unnamed; on a u8\n"
		         "  label map also 'voxels N').\n"
		         "u8 slabs also get: label_0, label_1, label_255 (unlabelled), label_other\n"
		         "  voxel counts; labelled: slices with any voxel not 255; fg_slices: slices\n"
		         "  with any voxel other than 0 and 255; both as lists like '3-5,9 (4 of 35)'.",
		.opts = opts
	};

	if ((a = opt_parse(&tool, argc, argv)) < 0)
		return opt_status(a);
	out = open_memstream(&text, &len);
	if (!out)
		die("out of memory");
	if (a == argc)
		bad = report_stream(out, "-", per_slice, &blocks) < 0;
	for (int i = a; i < argc && !bad; i++)
		bad = report_stream(out, argv[i], per_slice, &blocks) < 0;
	if (fclose(out) && !bad)
		bad = error("out of memory");
	if (!bad)
		fwrite(text, 1, len, stdout);
	free(text); /* error exits free too: make SANITIZE=1 checks for leaks */
	return bad || close_stdout() ? 1 : 0;
}
