//===- CUDA.h - PTX, cubins and ptxas reports -------------------*- C++ -*-===//
//
// The CUDA side of code emission: assembling PTX into cubins with the CUDA
// toolkit's ptxas (a subprocess; libMLIR has no in-process ptxas), reading
// ptxas's resource report, and the theoretical occupancy it implies.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_TARGET_CUDA_H
#define MELD_TARGET_CUDA_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace meld {

/// The resources ptxas reports for one kernel.
struct PtxasKernelInfo {
  std::string name;
  int64_t registers = 0;
  int64_t barriers = 0;
  int64_t sharedBytes = 0;
  int64_t stackFrameBytes = 0;
  int64_t spillStoreBytes = 0;
  int64_t spillLoadBytes = 0;
};

/// A cubin and ptxas's report on it.
struct PtxasResult {
  /// The PTX assembled where it is not the input: the input with the
  /// occupancy requests ptxas could not meet given up (see assemblePtx).
  std::optional<std::string> rewrittenPtx;
  std::vector<uint8_t> cubin;
  std::vector<PtxasKernelInfo> kernels;
};

/// ptxas from `cudaPath`/bin, else from PATH; nothing when there is none.
std::optional<std::string> findPtxas(llvm::StringRef cudaPath);

/// Assembles `ptx` for `chip` (sm_80, sm_90a, ...) with the ptxas at
/// `ptxasPath`. With `report`, ptxas runs with -v and the result lists every
/// kernel's resources (-v costs time that grows faster than the number of
/// kernels: 4x from 1,000 to 2,000). Fails with ptxas's own error output.
///
/// A kernel's `.minnctapersm N` (N > 1) asks ptxas to fit N blocks on an
/// SM, which caps the registers a thread may take; where ptxas spills
/// registers to meet it, the request is given up (N = 1: every register a
/// thread can have) and ptxas runs again. So each kernel gets the occupancy
/// its registers allow without spilling, and the result's PTX says so too.
llvm::Expected<PtxasResult> assemblePtx(llvm::StringRef ptx,
                                        llvm::StringRef chip,
                                        llvm::StringRef ptxasPath,
                                        bool report = true);

/// Parses the `ptxas -v` report in `log` into per-kernel resources.
std::vector<PtxasKernelInfo> parsePtxasReport(llvm::StringRef log);

/// The theoretical occupancy (resident warps over the maximum per SM, in
/// [0, 1]) of a kernel on `chip`, limited by threads, registers, shared memory
/// and blocks per SM; nothing for an unknown chip.
std::optional<double> getTheoreticalOccupancy(llvm::StringRef chip,
                                              int64_t threadsPerBlock,
                                              int64_t registers,
                                              int64_t sharedBytes);

} // namespace meld

#endif // MELD_TARGET_CUDA_H
