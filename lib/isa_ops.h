/* isa_ops.h: the table of one instruction set's kernels (private to lib/).
 * Each set's objects define one (isa_ops.c, compiled per set:
 * isa_table_generic, isa_table_avx2, isa_table_avx512); isa.c picks one at
 * start-up and its entry points (gemm_rows, wino_forward, ...) call
 * through it. ISA_OPS lists the functions once: the table's members (op_
 * and the name) are typed after their declarations in the headers below. */
#ifndef SL_ISA_OPS_H
#define SL_ISA_OPS_H

#include "conv_impl.h"
#include "kernels.h"
#include "layers.h"
#include "winograd.h"

#define ISA_OPS(X)                                                                       \
	X(gemm_rows) X(rows_product) X(gemm_rows2d) X(gemm_lanes) X(gemm_dots)             \
	X(gemm_dots_pf) X(gemm_dots_finish) X(vec_relu) X(vec_relu_mask) X(vec_relu_copy)  \
	X(vec_mask_copy) X(vec_add) X(vec_add_scalar) X(vec_rmsprop) X(vec_sum)            \
	X(vec_add_bias) X(vec_sum_rows) X(kernels_fma_peak)                                \
	X(wino_scratch) X(wino_forward) X(wino_backward)                                   \
	X(conv_direct_scratch) X(conv_direct_forward) X(conv_direct_backward)              \
	X(upconv2x2_forward) X(upconv2x2_backward) X(conv1x1_forward) X(conv1x1_backward)  \
	X(maxpool2_forward) X(maxpool2_backward) X(relu_forward) X(relu_backward)

/* op_NAME: a pointer to NAME (in a set's objects NAME is that set's own,
 * isa_names.h; the member's name stays op_NAME everywhere). */
#define ISA_OP_MEMBER(name) __typeof__(name) *op_##name;
struct isa_ops {
	ISA_OPS(ISA_OP_MEMBER)
};
#undef ISA_OP_MEMBER

extern const struct isa_ops isa_table_generic, isa_table_avx2, isa_table_avx512;

#endif
