//===- GraphDialect.h - Graph dialect ---------------------------*- C++ -*-===//
//
// The graph dialect: whole-tensor transformer ops with static shapes.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_DIALECT_GRAPH_IR_GRAPHDIALECT_H
#define MELD_DIALECT_GRAPH_IR_GRAPHDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Dialect.h"

#include "dialects/Graph/IR/GraphOpsDialect.h.inc"

#include "dialects/Graph/IR/GraphOpsEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/Graph/IR/GraphOpsAttributes.h.inc"

#endif // MELD_DIALECT_GRAPH_IR_GRAPHDIALECT_H
