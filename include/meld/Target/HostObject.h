//===- HostObject.h - Host kernel libraries ---------------------*- C++ -*-===//
//
// Compiles a module of host kernels in the LLVM dialect (the output of
// buildMeldCpuPipeline) into an x86-64 ELF shared object: the "host" kernel
// module of an artifact.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_TARGET_HOSTOBJECT_H
#define MELD_TARGET_HOSTOBJECT_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace meld {

struct HostObjectOptions {
  /// LLVM optimization level (0 to 3).
  unsigned optLevel = 2;
  /// The CPU the kernels may assume: portable x86-64 by default, since
  /// artifacts run on machines other than the one that compiled them.
  std::string cpu = "x86-64";
  /// Whether LLVM unrolls loops (partially, and fully those it need not be
  /// told to). Code whose loops have small constant trip counts (scalar tile
  /// loops) unrolls into blocks large enough that instruction scheduling,
  /// quadratic in a block's size, takes most of the compile.
  bool unrollLoops = true;
  /// The linker producing the shared object (ld.lld).
  std::string linker;
  /// A module with more kernels is split into parts of about this many (at
  /// most four per thread), optimized and compiled on several threads at once.
  int64_t kernelsPerPart = 64;
  /// A module that costs at least this much to compile is split into a
  /// part per thread at least, parts of about the same cost: LLVM
  /// instructions before optimization, each weighed by the 128-bit registers
  /// its widest vector takes. Below, a part costs more than the thread saves.
  int64_t splitCost = 8192;
  /// Threads compiling parts (0: one per hardware thread).
  unsigned threads = 0;
  /// Called (from any thread) with the number of kernels compiled so far and
  /// their total, as parts finish.
  std::function<void(int64_t done, int64_t total)> progress;
};

/// Registers the host's LLVM target, once. LLVM's target registry is a list
/// that registering a target changes without a lock: a program that
/// registers other targets too (NVPTX) on other threads must call this before
/// they start.
void initializeHostTarget();

/// Writes the LLVM IR of `module` (LLVM dialect) to `os`, optimized as
/// emitHostSharedObject would compile it.
llvm::Error emitHostLLVMIR(mlir::ModuleOp module, llvm::raw_ostream &os,
                           const HostObjectOptions &options = {});

/// Compiles `module` (LLVM dialect) to an ELF shared object exporting every
/// kernel with Meld's CPU kernel ABI. A module of many kernels is compiled in
/// parts, on several threads (HostObjectOptions::kernelsPerPart).
llvm::Expected<std::vector<uint8_t>>
emitHostSharedObject(mlir::ModuleOp module,
                     const HostObjectOptions &options = {});

} // namespace meld

#endif // MELD_TARGET_HOSTOBJECT_H
