//===- FuzzReplay.cpp - Runs fuzz targets on saved inputs, without libFuzzer ===//
//
// The normal build links each fuzz target (fuzz/<target>.cpp, which defines
// LLVMFuzzerTestOneInput) with this main instead of libFuzzer's, so that
// `make test` replays the seed corpus and every saved crash input on any
// machine, without clang's sanitizer runtimes:
//
//   meld-fuzz-<target> FILE_OR_DIR...
//
// Each argument is a file, or a folder whose regular files are replayed in
// name order. Prints "replayed N inputs" and exits 0 when every input
// returned; a crash, abort or sanitizer report ends the process as it would
// under libFuzzer. The fuzz build (MELD_FUZZ=ON) links libFuzzer's main
// instead, which takes the same arguments.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <dirent.h>
#include <string>
#include <sys/stat.h>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int *argc,
                                                          char ***argv);

namespace {

bool readFile(const std::string &path, std::vector<uint8_t> &bytes) {
  FILE *f = fopen(path.c_str(), "rb");
  if (!f)
    return false;
  bytes.clear();
  uint8_t buf[1 << 16];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
    bytes.insert(bytes.end(), buf, buf + n);
  bool ok = !ferror(f);
  fclose(f);
  return ok;
}

/// Appends the regular files of `path` (itself, or those in the folder).
bool collect(const std::string &path, std::vector<std::string> &files) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0)
    return false;
  if (S_ISREG(st.st_mode)) {
    files.push_back(path);
    return true;
  }
  if (!S_ISDIR(st.st_mode))
    return false;
  DIR *dir = opendir(path.c_str());
  if (!dir)
    return false;
  std::vector<std::string> found;
  while (dirent *entry = readdir(dir)) {
    std::string file = path + "/" + entry->d_name;
    if (entry->d_name[0] != '.' && stat(file.c_str(), &st) == 0 &&
        S_ISREG(st.st_mode))
      found.push_back(file);
  }
  closedir(dir);
  std::sort(found.begin(), found.end());
  files.insert(files.end(), found.begin(), found.end());
  return true;
}

} // namespace

int main(int argc, char **argv) {
  if (LLVMFuzzerInitialize)
    LLVMFuzzerInitialize(&argc, &argv);
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (!collect(argv[i], files)) {
      fprintf(stderr, "%s: cannot read '%s'\n", argv[0], argv[i]);
      return 1;
    }
  }
  std::vector<uint8_t> bytes;
  for (const std::string &file : files) {
    if (!readFile(file, bytes)) {
      fprintf(stderr, "%s: cannot read '%s'\n", argv[0], file.c_str());
      return 1;
    }
    // A copy of exactly the input's size, so that an overread shows under
    // ASan here as it would under libFuzzer.
    std::vector<uint8_t> input(bytes);
    LLVMFuzzerTestOneInput(input.empty() ? nullptr : input.data(),
                           input.size());
  }
  printf("replayed %zu inputs\n", files.size());
  return 0;
}
