//===- Progress.h - meldc's progress line -----------------------*- C++ -*-===//
//
// A CompileProgress that shows what a compile is doing: the steps running and
// how far each is, with the time since the start,
//
//   meldc: 12.4 s: host kernels (17/31 passes) | PTX sm_80 (6/7 passes)
//
// On a terminal it is one line, rewritten in place (carriage return) a few
// times a second and erased when the compile ends, and it appears only once
// the compile has taken a moment, so that quick compiles print nothing. In
// line mode (for logs and tests) each start and end of a step prints a line.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_DRIVER_PROGRESS_H
#define MELD_DRIVER_PROGRESS_H

#include "meld/Driver/Compile.h"

#include "llvm/ADT/STLFunctionalExtras.h"

#include <chrono>
#include <memory>

namespace llvm {
class raw_fd_ostream;
class raw_ostream;
} // namespace llvm

namespace meld {

class ProgressLine : public CompileProgress {
public:
  enum class Mode {
    /// One line rewritten in place, shown after `delay`.
    Terminal,
    /// One line per step started or ended, from the start.
    Lines,
  };

  ProgressLine(llvm::raw_fd_ostream &os, Mode mode,
               std::chrono::milliseconds delay = std::chrono::seconds(1));
  /// Erases the terminal line.
  ~ProgressLine() override;
  ProgressLine(const ProgressLine &) = delete;
  ProgressLine &operator=(const ProgressLine &) = delete;

  void startStep(llvm::StringRef name) override;
  void stepProgress(llvm::StringRef name, int64_t done, int64_t total,
                    llvm::StringRef unit) override;
  void finishStep(llvm::StringRef name) override;

  /// Erases the terminal line now (before printing something else, such as
  /// the end of the compile). Further updates are dropped.
  void stop();

  /// Prints with `print` where the line is (erasing it; the next update
  /// draws it again below): diagnostics while the line shows.
  void printAbove(llvm::function_ref<void(llvm::raw_ostream &)> print);

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace meld

#endif // MELD_DRIVER_PROGRESS_H
