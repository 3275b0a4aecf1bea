/* unet.h: the paper's 2-D U-Net: parameter layout, forward, backward.
 *
 * Level l (0 = full resolution) has F_l = base << l filters. The encoder
 * has two 3x3 'same' conv + ReLU per level and a 2x2 max-pool between
 * levels; level `depth` is the bottleneck. Each decoder level l has a 2x2
 * stride-2 up-convolution (bias, no activation) from F_{l+1} to F_l
 * channels, concatenation [up, skip] (2 F_l channels), two 3x3 conv + ReLU,
 * and level 0 ends in a 1x1 conv to one logit (a binary network: sigmoid),
 * or to K = classes logits for K >= 3 classes (softmax). With base 8 and
 * depth 4 a binary network has 485,673 parameters for one input channel
 * and 485,889 for four; K classes add 9 (K - 1).
 *
 * The same network in 3-D (dims 3): 3x3x3 convolutions, 2x2x2 pooling and
 * up-convolutions (layers3d.h) over volumes of Z x H x W, every size halved
 * at each level; 1,411,769 and 1,412,417 parameters. A "sample" is then one
 * volume instead of one slice; everything else is shared.
 *
 * All parameters live in one float block; struct unet_params points into
 * it (gradients use the same layout), in the order the model file stores
 * them: encoder levels 0..depth (conv0 w, b, conv1 w, b), then decoder
 * levels depth-1..0 (up w, b, conv0 w, b, conv1 w, b), then the 1x1 w, b. */
#ifndef SL_UNET_H
#define SL_UNET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define UNET_MAX_DEPTH 6

struct unet_config {
	int in_channels; /* image channels (modalities), 1..64 */
	int base;        /* filters at full resolution (paper: 8), 1..256 */
	int depth;       /* number of poolings (paper: 4), 1..UNET_MAX_DEPTH */
	int dims;        /* 2: slices, 3: volumes (0 counts as 2) */
	int classes;     /* 0 or 2: binary, one sigmoid logit (every model before
	                    classes existed); 3..255: that many softmax logits */
};

/* Pointers into one parameter (or gradient) block. F_l = base << l. */
struct unet_params {
	/* 3-D: every [3][3] is [3][3][3] and the up-conv's [2][2] is [2][2][2] */
	float *enc_w[UNET_MAX_DEPTH + 1][2]; /* [F_l][Cin][3][3]; Cin = in_channels (l=0,
	                                        conv 0), F_{l-1} (l>0, conv 0), F_l (conv 1) */
	float *enc_b[UNET_MAX_DEPTH + 1][2]; /* [F_l] */
	float *up_w[UNET_MAX_DEPTH];         /* l < depth: [F_{l+1}][F_l][2][2] */
	float *up_b[UNET_MAX_DEPTH];         /* [F_l] */
	float *dec_w[UNET_MAX_DEPTH][2];     /* [F_l][2 F_l (conv 0) or F_l (conv 1)][3][3] */
	float *dec_b[UNET_MAX_DEPTH][2];     /* [F_l] */
	float *out_w;                        /* [K][F_0], K = unet_outputs() */
	float *out_b;                        /* [K] */
};

/* Activations of one batch of N slices, all CNHW (see layers.h), pointers
 * into one block. H_l = H >> l. 3-D: CNZHW, every [H_l] is [Z_l][H_l]. */
struct unet_acts {
	float *x;                           /* [Cin][N][H][W] the input */
	float *enc[UNET_MAX_DEPTH + 1][2];  /* [F_l][N][H_l][W_l] after ReLU; enc[l][1]
	                                       for l < depth is the upper half of cat[l] */
	float *pool[UNET_MAX_DEPTH];        /* [F_l][N][H_{l+1}][W_{l+1}] */
	float *cat[UNET_MAX_DEPTH];         /* [2 F_l][N][H_l][W_l]: up-conv output, skip */
	float *dec[UNET_MAX_DEPTH][2];      /* [F_l][N][H_l][W_l] after ReLU */
	float *logit;                       /* [N][K][H][W] (binary: [N][H][W]) */
	float *lcn;                         /* K >= 3: the logits as [K][N][H][W]; else NULL */
};

/* A network with working memory for batches of up to B slices of H x W. */
struct unet {
	struct unet_config cfg;
	int B, H, W, N;       /* capacity, and the batch size of the last forward */
	int Z;                /* volume depth (3-D); 1 for 2-D */
	size_t vox;           /* values per sample and channel: Z * H * W */
	int train;            /* gradients allocated */
	size_t nparams;
	float *params;        /* nparams floats */
	float *grads;         /* nparams floats (train only) */
	struct unet_params p, g;
	struct unet_acts a, d; /* activations and their gradients (train only) */
	float *act_mem, *dact_mem, *scratch;
	int shared;           /* params belong to another struct unet */
	int nrep;             /* > 1: batches are split over nrep replicas run by the
	                         thread pool (tpool.h), each with its own activations
	                         and gradients and these parameters */
	struct unet *rep;
};

/* Logits per pixel: 1 for a binary network, else classes. Cannot fail. */
int unet_outputs(const struct unet_config *c);
/* Classes: 2 for a binary network, else classes. Cannot fail. */
int unet_classes(const struct unet_config *c);

/* Check a configuration; 0 or -1 with a message. */
int unet_config_check(const struct unet_config *c);
/* The same check, silent: 0, or -1 with what is wrong in buf (n bytes,
 * 128 are enough) for a caller that names the source in its one line. */
int unet_config_explain(const struct unet_config *c, char *buf, size_t n);
/* Number of parameters of a (checked) configuration. Cannot fail. */
size_t unet_param_count(const struct unet_config *c);
/* Point p's fields into mem (unet_param_count floats). Cannot fail. */
void unet_params_point(struct unet_params *p, const struct unet_config *c, float *mem);
/* Glorot-uniform weights and zero biases (Keras defaults), from a seed. */
void unet_params_init(float *mem, const struct unet_config *c, uint64_t seed);
/* Print the layer table (name, output shape, parameters) and the total. */
void unet_summary(FILE *f, const struct unet_config *c);

/* Check that H and W suit the network (positive, divisible by 2^depth);
 * 0 or -1 with a message naming the sizes. */
int unet_check_size(const struct unet_config *c, int H, int W);
/* The same for volumes of depth Z of a 3-D network. 0 or -1. */
int unet_check_volume(const struct unet_config *c, int Z, int H, int W);
/* 2 or 3. Cannot fail. */
int unet_dims(const struct unet_config *c);

/* Allocate a network for batches of up to B slices of H x W (`train`:
 * also gradients). Parameters are zero; fill u->params. Batches are split
 * over the threads of tpool.h (min(threads, B) replicas); the results do
 * not depend on the split but for rounding (same thread count, same bits).
 * 0 or -1. */
int unet_create(struct unet *u, const struct unet_config *c, int B, int H, int W, int train);
/* The same with a given number of threads (at most tpool_size() run at once). */
int unet_create_threads(struct unet *u, const struct unet_config *c, int B, int H, int W,
                        int train, int threads);
/* A 3-D network for batches of up to B volumes of Z x H x W (a 2-D one when
 * Z is 1 and the configuration is 2-D); threads <= 0: tpool_size(). 0 or -1. */
int unet_create_vol(struct unet *u, const struct unet_config *c, int B, int Z, int H, int W,
                    int train, int threads);
void unet_free(struct unet *u);

/* Forward pass of N (1..B) slices given in NCHW (slab) order,
 * in[n][c][y][x]; the logits land in u->a.logit ([N][K][H][W], K =
 * unet_outputs: [N][H][W] for a binary network). 3-D: N volumes in slab
 * order, in[n][z][c][y][x], logits [N][K][Z][H][W]. The other
 * activations in u->a are those of a single-threaded network only. */
void unet_forward(struct unet *u, const float *in, int N);

/* Backward pass of the last forward: u->d.logit holds dLoss/dlogit
 * (as u->a.logit); gradients are ADDED into u->grads (zero them first with
 * unet_zero_grad). The activation gradients are zeroed here. */
void unet_backward(struct unet *u);
void unet_zero_grad(struct unet *u);

/* Floating-point operations of one forward pass of one H x W slice
 * (2 per multiply-add, convolutions only); a train step is about 3x. */
double unet_forward_flops(const struct unet_config *c, int H, int W);
/* The same for one Z x H x W volume of a 3-D network. */
double unet_forward_flops_vol(const struct unet_config *c, int Z, int H, int W);

#endif
