//===- Progress.cpp - meldc's progress line -------------------------------===//

#include "meld/Driver/Progress.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <condition_variable>
#include <mutex>
#include <thread>

using namespace meld;

namespace {
/// A step running, and how far it is.
struct RunningStep {
  std::string name;
  std::string detail;
};
} // namespace

struct ProgressLine::Impl {
  Impl(llvm::raw_fd_ostream &os, Mode mode, std::chrono::milliseconds delay)
      : os(os), mode(mode), delay(delay),
        start(std::chrono::steady_clock::now()) {}

  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start)
        .count();
  }

  /// "meldc: 12.4 s: host kernels (pass 17/31) | PTX sm_80".
  std::string textLocked() const {
    std::string text = llvm::formatv("meldc: {0:f1} s: ", seconds()).str();
    for (auto [i, step] : llvm::enumerate(running)) {
      text += i ? " | " : "";
      text += step.name;
      if (!step.detail.empty())
        text += " (" + step.detail + ")";
    }
    return text;
  }

  /// Rewrites the terminal line, cut to the terminal's width (a line that
  /// wraps cannot be rewritten).
  void drawLocked() {
    if (stopped || running.empty() ||
        std::chrono::steady_clock::now() - start < delay)
      return;
    std::string text = textLocked();
    if (unsigned columns = llvm::sys::Process::StandardErrColumns();
        columns > 1 && text.size() >= columns)
      text.resize(columns - 1);
    os << "\r" << text << "\x1b[K";
    os.flush();
    shown = true;
  }

  void eraseLocked() {
    if (!shown)
      return;
    os << "\r\x1b[K";
    os.flush();
    shown = false;
  }

  /// Line mode: one line per event.
  void printLocked(llvm::StringRef what) {
    if (stopped)
      return;
    os << llvm::formatv("meldc: {0:f1} s: ", seconds()) << what << "\n";
    os.flush();
  }

  RunningStep *findLocked(llvm::StringRef name) {
    for (RunningStep &step : running)
      if (step.name == name)
        return &step;
    return nullptr;
  }

  void tick() {
    std::unique_lock<std::mutex> lock(mutex);
    while (!stopped) {
      drawLocked();
      wake.wait_for(lock, std::chrono::milliseconds(250));
    }
  }

  llvm::raw_fd_ostream &os;
  Mode mode;
  std::chrono::milliseconds delay;
  std::chrono::steady_clock::time_point start;
  std::mutex mutex;
  std::condition_variable wake;
  bool stopped = false;
  bool shown = false;
  std::vector<RunningStep> running;
  std::thread ticker;
};

ProgressLine::ProgressLine(llvm::raw_fd_ostream &os, Mode mode,
                           std::chrono::milliseconds delay)
    : impl(std::make_unique<Impl>(os, mode, delay)) {
  // On a terminal the line also moves while a long step reports nothing.
  if (mode == Mode::Terminal)
    impl->ticker = std::thread([this] { impl->tick(); });
}

ProgressLine::~ProgressLine() { stop(); }

void ProgressLine::stop() {
  {
    std::lock_guard<std::mutex> lock(impl->mutex);
    impl->eraseLocked();
    impl->stopped = true;
  }
  impl->wake.notify_all();
  if (impl->ticker.joinable())
    impl->ticker.join();
}

void ProgressLine::printAbove(
    llvm::function_ref<void(llvm::raw_ostream &)> print) {
  std::lock_guard<std::mutex> lock(impl->mutex);
  impl->eraseLocked();
  print(impl->os);
  impl->os.flush();
}

void ProgressLine::startStep(llvm::StringRef name) {
  std::lock_guard<std::mutex> lock(impl->mutex);
  impl->running.push_back({name.str(), ""});
  if (impl->mode == Mode::Lines)
    impl->printLocked(name.str() + " started");
}

void ProgressLine::stepProgress(llvm::StringRef name, int64_t done,
                                int64_t total, llvm::StringRef unit) {
  std::lock_guard<std::mutex> lock(impl->mutex);
  RunningStep *step = impl->findLocked(name);
  if (!step)
    return;
  step->detail = llvm::formatv("{0}/{1} {2}", done, total, unit).str();
  if (impl->mode == Mode::Lines)
    impl->printLocked(name.str() + ": " + step->detail);
}

void ProgressLine::finishStep(llvm::StringRef name) {
  std::lock_guard<std::mutex> lock(impl->mutex);
  llvm::erase_if(impl->running,
                 [&](const RunningStep &step) { return step.name == name; });
  if (impl->mode == Mode::Lines)
    impl->printLocked(name.str() + " done");
}
