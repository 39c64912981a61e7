// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-configure-launch{num-warps=4},meld-tile-gpu-assign-layouts),meld-tile-to-gpu)' -verify-diagnostics

// A branch that yields values is not a program's choice of part.
module {
  tile.kernel @k(%a: memref<4xf32>) attributes {grid = array<i64: 1>} {
    %pid = tile.program_id 0
    %c1 = arith.constant 1 : index
    %first = arith.cmpi ult, %pid, %c1 : index
    // expected-error @below {{'scf.if' op cannot be mapped onto GPU threads}}
    %r = scf.if %first -> (f32) {
      %x = arith.constant 1.0 : f32
      scf.yield %x : f32
    } else {
      %x = arith.constant 2.0 : f32
      scf.yield %x : f32
    }
    tile.return
  }
}
