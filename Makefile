# Meld's entry points. `make run` and `make test` install whatever is missing first
# (scripts/install-deps.sh), then configure and build incrementally with ninja.
BUILD ?= build
JOBS ?= $(shell nproc)
CXX_COMPILER ?= clang++-22
C_COMPILER ?= clang-22

.PHONY: all deps configure build test run clean

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
