# Meld's entry points. `make run` and `make test` install whatever is missing first
# (scripts/install-deps.sh), then configure and build incrementally with ninja.
BUILD ?= build
JOBS ?= $(shell nproc)
CXX_COMPILER ?= clang++-22
C_COMPILER ?= clang-22

# `make fuzz`: the libFuzzer targets of fuzz/ in their own sanitizer build, each run
# for FUZZ_SECONDS on its corpus (see fuzz/README.md); FUZZ_ARGS adds libFuzzer flags.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= onnx-import graph-passes const-tensor tensor-file artifact safetensors
FUZZ_ARGS ?=
FUZZ_SANITIZE = -fsanitize=fuzzer-no-link,address,undefined \
  -fno-sanitize-recover=undefined -fno-omit-frame-pointer -gline-tables-only

.PHONY: all deps configure build test run clean wheel fuzz fuzz-deps fuzz-build

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	@$(MAKE) --no-print-directory deps
	cmake -G Ninja -S . -B $(BUILD) \
	  -DCMAKE_BUILD_TYPE=Release \
	  -DCMAKE_C_COMPILER=$(C_COMPILER) -DCMAKE_CXX_COMPILER=$(CXX_COMPILER) \
	  -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
	  -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
	  -DMELD_PYTHON=$(CURDIR)/.venv/bin/python

configure: $(BUILD)/build.ninja

build: deps configure
	ninja -C $(BUILD) -j $(JOBS)

test: build
	ninja -C $(BUILD) check-meld

run: build
	$(CURDIR)/.venv/bin/python examples/run_example.py --build $(BUILD)

clean:
	rm -rf $(BUILD)

# The portable wheel (manylinux_2_36_x86_64, carrying its MLIR) in dist/, built,
# installed into a fresh environment and checked there (scripts/check-wheel.sh).
wheel: deps
	scripts/check-wheel.sh $(CURDIR)/dist-work
	mkdir -p dist && cp dist-work/wheelhouse/meld-*.whl dist/

fuzz-deps:
	@scripts/install-deps.sh fuzz

$(FUZZ_BUILD)/build.ninja:
	@$(MAKE) --no-print-directory fuzz-deps
	cmake -G Ninja -S . -B $(FUZZ_BUILD) \
	  -DCMAKE_BUILD_TYPE=Release -DMELD_FUZZ=ON \
	  -DMELD_RUNTIME_STATIC_CXX_RUNTIME=OFF \
	  -DCMAKE_C_COMPILER=$(C_COMPILER) -DCMAKE_CXX_COMPILER=$(CXX_COMPILER) \
	  "-DCMAKE_C_FLAGS=$(FUZZ_SANITIZE)" "-DCMAKE_CXX_FLAGS=$(FUZZ_SANITIZE)" \
	  -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
	  -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
	  -DMELD_PYTHON=$(CURDIR)/.venv/bin/python

fuzz-build: fuzz-deps $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD) -j $(JOBS) meld-fuzz-targets

fuzz: fuzz-build
	FUZZ_ARGS="$(FUZZ_ARGS)" scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)
