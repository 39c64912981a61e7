// RUN: meld-opt %s -split-input-file --meld-tile-to-gpu="threads-per-block=100" -verify-diagnostics

// expected-error @below {{threads-per-block must be a multiple of 32 in [32, 1024], got 100}}
module {
  tile.kernel @k(%a: memref<4xf32>) attributes {grid = array<i64: 1>} {
    tile.return
  }
}
