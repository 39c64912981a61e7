//===- safetensors_test.cpp - Drives the safetensors header parser --------===//
//
//   meld-runtime-test-safetensors header JSON [DATA_SIZE]
//       parses JSON as a header (data section of DATA_SIZE bytes, default
//       4096) and prints each tensor or the error
//   meld-runtime-test-safetensors fuzz N
//       parses N mutations of a valid header (truncations at every byte,
//       byte flips, insertions, deletions, deep nesting, huge numbers),
//       which must each be accepted or rejected with a message, never crash
//       or hang (run under ASan/UBSan to catch more than crashes)
//
// Linked against the static runtime, whose internal functions it calls.
//
//===----------------------------------------------------------------------===//

#include "Safetensors.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace meld::rt;

namespace {

int parseOne(const std::string &json, uint64_t dataSize) {
  std::map<std::string, SafetensorsTensor> tensors;
  std::string error;
  if (!parseSafetensorsHeader(json.data(), json.size(), dataSize, tensors,
                              error)) {
    printf("error: %s\n", error.c_str());
    return 0;
  }
  printf("ok: %zu tensors\n", tensors.size());
  for (const auto &[name, t] : tensors) {
    printf("  '%s' %s [", name.c_str(), t.dtype.c_str());
    for (size_t i = 0; i < t.shape.size(); ++i)
      printf("%s%lld", i ? ", " : "", static_cast<long long>(t.shape[i]));
    printf("] [%llu, %llu)\n", static_cast<unsigned long long>(t.begin),
           static_cast<unsigned long long>(t.end));
  }
  return 0;
}

/// A small deterministic generator (xorshift64*).
struct Random {
  uint64_t state;
  uint64_t next() {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 2685821657736338717ull;
  }
  size_t below(size_t n) { return n ? next() % n : 0; }
};

int fuzz(long count) {
  const std::string base =
      R"({"__metadata__": {"format": "pt", "k\u00e9y": "v\"\\\/\b\f\n\r\t\ud83d\ude00"},)"
      R"( "a.weight": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},)"
      R"( "b": {"dtype": "BF16", "shape": [], "data_offsets": [24, 26]},)"
      R"( "c": {"dtype": "I64", "shape": [0, 5], "data_offsets": [26, 26], "x": [true, false, null, -1]}})";
  std::map<std::string, SafetensorsTensor> tensors;
  std::string error;
  if (!parseSafetensorsHeader(base.data(), base.size(), 64, tensors, error) ||
      tensors.size() != 3) {
    printf("FAIL: the base header: %s\n", error.c_str());
    return 1;
  }
  long accepted = 0, rejected = 0;
  auto run = [&](const std::string &json) {
    // Copy into an exact-size heap buffer so ASan sees any overread.
    char *buf = static_cast<char *>(malloc(json.size() ? json.size() : 1));
    memcpy(buf, json.data(), json.size());
    bool ok = parseSafetensorsHeader(buf, json.size(), 64, tensors, error);
    free(buf);
    if (ok) {
      ++accepted;
      return true;
    }
    if (error.empty()) {
      printf("FAIL: rejected without a message: %s\n", json.c_str());
      exit(1);
    }
    ++rejected;
    return false;
  };

  // Every strict prefix is invalid JSON.
  for (size_t n = 0; n < base.size(); ++n) {
    if (run(base.substr(0, n))) {
      printf("FAIL: prefix of %zu bytes accepted\n", n);
      return 1;
    }
  }
  // Deep nesting, long and odd numbers.
  std::string deep(100000, '[');
  if (run(deep) || run(std::string(100000, '{')) ||
      run(R"({"a": {"dtype": "F32", "shape": [99999999999999999999], "data_offsets": [0, 4]}})") ||
      run(R"({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})") ||
      run(R"({"a": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 4]}})") ||
      run(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}})") ||
      run(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4, 8]}})") ||
      run(R"({"a": "\ud800"})") || run(R"({"a": "\udc00"})") ||
      run(R"({"a": "\u12"})") || run("{\"a\": \"\x01\"}") ||
      run(R"({"a": 01})") || run(R"({"a": -})") || run(R"({"a": 1e5})") ||
      run(R"({} {})") || run(R"({"a" 1})") || run(R"({"a": [1 2]})") ||
      run(R"({"a": tru})") || run(R"({,})") || run("")) {
    printf("FAIL: an invalid header was accepted\n");
    return 1;
  }
  if (!run(R"({"__metadata__": -9223372036854775808})") ||
      run(R"({"__metadata__": -9223372036854775809})") ||
      run(R"({"__metadata__": 9223372036854775808})")) {
    printf("FAIL: int64 limits\n");
    return 1;
  }

  // Random mutations.
  Random rng{0x9e3779b97f4a7c15ull};
  const char alphabet[] = "{}[],:\"\\u0123456789-eE.tfn \x01\xff";
  for (long i = 0; i < count; ++i) {
    std::string json = base;
    int edits = 1 + static_cast<int>(rng.below(4));
    for (int e = 0; e < edits && !json.empty(); ++e) {
      size_t at = rng.below(json.size());
      switch (rng.below(4)) {
      case 0:
        json[at] = alphabet[rng.below(sizeof(alphabet) - 1)];
        break;
      case 1:
        json.insert(at, 1, alphabet[rng.below(sizeof(alphabet) - 1)]);
        break;
      case 2:
        json.erase(at, 1 + rng.below(8));
        break;
      case 3:
        json[at] = static_cast<char>(json[at] ^ (1 << rng.below(8)));
        break;
      }
    }
    run(json);
  }
  printf("fuzz: %ld mutations and %zu prefixes: no crash, every rejection "
         "with a message\n",
         count, base.size());
  fprintf(stderr, "(accepted %ld, rejected %ld)\n", accepted, rejected);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "header") == 0)
    return parseOne(argv[2], argc > 3 ? strtoull(argv[3], nullptr, 10) : 4096);
  if (argc == 3 && strcmp(argv[1], "fuzz") == 0)
    return fuzz(strtol(argv[2], nullptr, 10));
  fprintf(stderr, "usage: meld-runtime-test-safetensors header JSON "
                  "[DATA_SIZE] | fuzz N\n");
  return 2;
}
