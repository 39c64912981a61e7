//===- CUDA.cpp - PTX, cubins and ptxas reports ---------------------------===//

#include "meld/Target/CUDA.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

using namespace meld;

std::optional<std::string> meld::findPtxas(llvm::StringRef cudaPath) {
  llvm::SmallString<128> path(cudaPath);
  llvm::sys::path::append(path, "bin", "ptxas");
  if (!cudaPath.empty() && llvm::sys::fs::can_execute(path))
    return std::string(path);
  if (auto found = llvm::sys::findProgramByName("ptxas"))
    return *found;
  return std::nullopt;
}

/// The integer before `unit` in `line` ("48 registers" -> 48), or 0.
static int64_t numberBefore(llvm::StringRef line, llvm::StringRef unit) {
  size_t at = line.find(unit);
  if (at == llvm::StringRef::npos)
    return 0;
  llvm::StringRef before = line.take_front(at).rtrim();
  size_t start = before.find_last_not_of("0123456789");
  llvm::StringRef digits =
      start == llvm::StringRef::npos ? before : before.drop_front(start + 1);
  int64_t value = 0;
  return digits.getAsInteger(10, value) ? 0 : value;
}

std::vector<PtxasKernelInfo> meld::parsePtxasReport(llvm::StringRef log) {
  std::vector<PtxasKernelInfo> kernels;
  llvm::SmallVector<llvm::StringRef> lines;
  log.split(lines, '\n');
  for (llvm::StringRef line : lines) {
    // "ptxas info    : Compiling entry function 'NAME' for 'sm_80'"
    if (line.contains("Compiling entry function '")) {
      llvm::StringRef name =
          line.split("Compiling entry function '").second.split('\'').first;
      kernels.push_back({name.str()});
      continue;
    }
    if (kernels.empty())
      continue;
    PtxasKernelInfo &k = kernels.back();
    // "    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads"
    if (line.contains("bytes stack frame")) {
      k.stackFrameBytes = numberBefore(line, "bytes stack frame");
      k.spillStoreBytes = numberBefore(line, "bytes spill stores");
      k.spillLoadBytes = numberBefore(line, "bytes spill loads");
      continue;
    }
    // "ptxas info    : Used 48 registers, used 1 barriers, 4128 bytes smem, ..."
    if (line.contains("Used ") && line.contains(" registers")) {
      k.registers = numberBefore(line, " registers");
      k.barriers = numberBefore(line, " barriers");
      k.sharedBytes = numberBefore(line, " bytes smem");
    }
  }
  return kernels;
}

namespace {
/// What one run of ptxas gives.
struct PtxasRun {
  std::vector<uint8_t> cubin;
  std::string log;
  /// ptxas failed (no cubin): `error` says why, from its log.
  bool failed = false;
  std::string error;
};

/// A kernel's `.minnctapersm` in PTX text: the blocks per SM it asks for,
/// and where their digits are.
struct OccupancyRequest {
  std::string kernel;
  size_t at, length;
  int64_t blocks;
};
} // namespace

/// Assembles `ptx` for `chip` once.
static llvm::Expected<PtxasRun> runPtxas(llvm::StringRef ptx,
                                         llvm::StringRef chip,
                                         llvm::StringRef ptxasPath,
                                         bool report) {
  llvm::SmallString<128> ptxPath, cubinPath, logPath;
  for (auto [path, suffix] : {std::pair{&ptxPath, "ptx"},
                              std::pair{&cubinPath, "cubin"},
                              std::pair{&logPath, "log"}})
    if (std::error_code ec =
            llvm::sys::fs::createTemporaryFile("meld-ptxas", suffix, *path))
      return llvm::createStringError(ec, "cannot create a temporary file");
  llvm::scope_exit cleanup([&] {
    llvm::sys::fs::remove(ptxPath);
    llvm::sys::fs::remove(cubinPath);
    llvm::sys::fs::remove(logPath);
  });
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(ptxPath, ec);
    if (ec)
      return llvm::createStringError(ec, "cannot write '" + ptxPath + "'");
    os << ptx;
  }
  std::string gpu = ("--gpu-name=" + chip).str();
  // (--warn-on-spills names each kernel that spills, at no cost.)
  llvm::SmallVector<llvm::StringRef, 8> args = {
      ptxasPath, "-O3", gpu, "--warn-on-spills", ptxPath, "-o", cubinPath};
  if (report)
    args.push_back("-v");
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, logPath,
                                                logPath};
  std::string error;
  int rc = llvm::sys::ExecuteAndWait(ptxasPath, args, std::nullopt,
                                     redirects, 0, 0, &error);
  auto log = llvm::MemoryBuffer::getFile(logPath);
  llvm::StringRef logText = log ? (*log)->getBuffer() : "";
  if (rc != 0) {
    // ptxas's first error (or fatal) line says what is wrong.
    llvm::StringRef first = logText;
    for (llvm::StringRef line : llvm::split(logText, '\n'))
      if (line.contains("error") || line.contains("fatal")) {
        first = line;
        break;
      }
    PtxasRun failed;
    failed.failed = true;
    failed.log = logText.str();
    failed.error = ("ptxas failed for " + chip + ": " +
                    (first.empty() ? llvm::StringRef(error) : first.trim()))
                       .str();
    return failed;
  }
  auto cubin = llvm::MemoryBuffer::getFile(cubinPath);
  if (!cubin)
    return llvm::createStringError(cubin.getError(),
                                   "cannot read ptxas's cubin");
  PtxasRun run;
  llvm::StringRef bytes = (*cubin)->getBuffer();
  run.cubin.assign(bytes.begin(), bytes.end());
  run.log = logText.str();
  return run;
}

/// Every kernel's `.minnctapersm` in `ptx` (a directive between the
/// entry's parameters and its body), in the text's order.
static std::vector<OccupancyRequest>
findOccupancyRequests(llvm::StringRef ptx) {
  std::vector<OccupancyRequest> requests;
  constexpr llvm::StringRef entry = ".entry ", directive = ".minnctapersm";
  for (size_t at = ptx.find(entry); at != llvm::StringRef::npos;
       at = ptx.find(entry, at + 1)) {
    size_t params = ptx.find('(', at), body = ptx.find('{', at);
    if (params == llvm::StringRef::npos || body == llvm::StringRef::npos ||
        params > body)
      continue;
    llvm::StringRef name = ptx.slice(at + entry.size(), params).trim();
    size_t found = ptx.slice(params, body).find(directive);
    if (found == llvm::StringRef::npos)
      continue;
    size_t digits = params + found + directive.size();
    while (digits < body && (ptx[digits] == ' ' || ptx[digits] == '\t'))
      ++digits;
    size_t end = digits;
    while (end < body && llvm::isDigit(ptx[end]))
      ++end;
    int64_t blocks = 0;
    if (!ptx.slice(digits, end).getAsInteger(10, blocks))
      requests.push_back({name.str(), digits, end - digits, blocks});
  }
  return requests;
}

/// `ptx` with each request's digits replaced by its blocks.
static std::string
applyOccupancyRequests(llvm::StringRef ptx,
                       llvm::ArrayRef<OccupancyRequest> requests) {
  std::string text;
  size_t copied = 0;
  for (const OccupancyRequest &request : requests) {
    text += ptx.slice(copied, request.at);
    text += std::to_string(request.blocks);
    copied = request.at + request.length;
  }
  text += ptx.drop_front(copied);
  return text;
}

/// The kernels ptxas's --warn-on-spills names in `log`, and those it could
/// not compile in the registers their request leaves (an instruction, such
/// as a wgmma of 128 accumulators, that cannot spill).
static llvm::StringSet<> findSpillingKernels(llvm::StringRef log) {
  // "ptxas warning : Registers are spilled to local memory in function
  // 'NAME', 8 bytes spill stores, 8 bytes spill loads"
  // "ptxas fatal   : (C7602) Insufficient registers (128) to compile
  // instruction at line 3705 in function NAME. Try to compile with ..."
  llvm::StringSet<> kernels;
  for (llvm::StringRef line : llvm::split(log, '\n')) {
    if (line.contains("spilled to local memory in function '"))
      kernels.insert(line.split("in function '").second.split('\'').first);
    else if (line.contains("Insufficient registers") &&
             line.contains(" in function "))
      kernels.insert(
          line.split(" in function ").second.split('.').first.trim());
  }
  return kernels;
}

llvm::Expected<PtxasResult> meld::assemblePtx(llvm::StringRef ptx,
                                              llvm::StringRef chip,
                                              llvm::StringRef ptxasPath,
                                              bool report) {
  std::vector<OccupancyRequest> requests = findOccupancyRequests(ptx);
  PtxasResult result;
  llvm::Expected<PtxasRun> run = runPtxas(ptx, chip, ptxasPath, report);
  if (!run)
    return run.takeError();
  // The requests that made ptxas spill, given up; and those it could not
  // compile at all, which it names one a run (it stops at the first): each
  // run gives up at least one more, so this ends.
  for (;;) {
    llvm::StringSet<> spilled = findSpillingKernels(run->log);
    bool retry = false;
    for (OccupancyRequest &request : requests)
      if (request.blocks > 1 && spilled.contains(request.kernel)) {
        request.blocks = 1;
        retry = true;
      }
    if (!retry)
      break;
    result.rewrittenPtx = applyOccupancyRequests(ptx, requests);
    run = runPtxas(*result.rewrittenPtx, chip, ptxasPath, report);
    if (!run)
      return run.takeError();
  }
  if (run->failed)
    return llvm::createStringError(run->error);
  result.cubin = std::move(run->cubin);
  if (report)
    result.kernels = parsePtxasReport(run->log);
  return result;
}

namespace {
/// Per-SM limits of a GPU generation.
struct SmLimits {
  int64_t maxWarps, maxBlocks, registers, sharedBytes, sharedPerBlockReserved;
};
} // namespace

static std::optional<SmLimits> getSmLimits(llvm::StringRef chip) {
  // Numbers from the CUDA occupancy calculator: compute capability 8.0, 8.6,
  // 8.9 and 9.0. Shared memory is the per-SM maximum the carveout allows.
  if (chip == "sm_80")
    return SmLimits{64, 32, 65536, 167936, 1024};
  if (chip == "sm_86")
    return SmLimits{48, 16, 65536, 102400, 1024};
  if (chip == "sm_89")
    return SmLimits{48, 24, 65536, 102400, 1024};
  if (chip == "sm_90" || chip == "sm_90a")
    return SmLimits{64, 32, 65536, 233472, 1024};
  return std::nullopt;
}

std::optional<double> meld::getTheoreticalOccupancy(llvm::StringRef chip,
                                                    int64_t threadsPerBlock,
                                                    int64_t registers,
                                                    int64_t sharedBytes) {
  std::optional<SmLimits> sm = getSmLimits(chip);
  if (!sm || threadsPerBlock <= 0)
    return std::nullopt;
  int64_t warpsPerBlock = (threadsPerBlock + 31) / 32;
  int64_t blocks = std::min(sm->maxBlocks, sm->maxWarps / warpsPerBlock);
  // Registers are allocated per warp in units of 256.
  if (registers > 0) {
    int64_t perWarp = ((registers * 32 + 255) / 256) * 256;
    blocks = std::min(blocks, sm->registers / (perWarp * warpsPerBlock));
  }
  // Shared memory is allocated in units of 128 bytes, plus a reserve.
  if (sharedBytes > 0) {
    int64_t perBlock =
        ((sharedBytes + sm->sharedPerBlockReserved + 127) / 128) * 128;
    blocks = std::min(blocks, sm->sharedBytes / perBlock);
  }
  return static_cast<double>(blocks * warpsPerBlock) /
         static_cast<double>(sm->maxWarps);
}
