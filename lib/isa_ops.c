/* isa_ops.c: the table of this object's instruction set (isa_ops.h), one
 * of the kernel group compiled once per set (isa_names.h). */
#include "isa_names.h"

#include "isa_ops.h"

#define ISA_OP_INIT(name) .op_##name = name,
const struct isa_ops isa_table = {ISA_OPS(ISA_OP_INIT)};
