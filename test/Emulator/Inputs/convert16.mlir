// Conversions between f32 and the 16-bit floats, as the emulator's host code
// computes them (meld-expand-float-conversions): thread i of block j
// handles element n = 256 j + i.
// @narrow rounds the f32 with bits ((n / 8) << 16) | low[n % 8] to f16 and
// to bf16 (all 65536 top halves: signs, exponents from subnormal to NaN,
// mantissas; the low halves put the f16 and bf16 rounding points at ties,
// just below and just above, with the kept bit even and odd) and stores
// their bits; @widen extends the f16 and the bf16 whose bits are n to f32
// and stores the f32's bits.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @narrow(%f16: memref<524288xi32>, %bf16: memref<524288xi32>) kernel {
      %tid = gpu.thread_id x
      %bid = gpu.block_id x
      %c8 = arith.constant 8 : index
      %c256 = arith.constant 256 : index
      %base = arith.muli %bid, %c256 : index
      %n = arith.addi %base, %tid : index
      %n32 = arith.index_cast %n : index to i32
      %c3_i32 = arith.constant 3 : i32
      %c16_i32 = arith.constant 16 : i32
      %top = arith.shrui %n32, %c3_i32 : i32
      %high = arith.shli %top, %c16_i32 : i32
      %lows = arith.constant dense<[0, 4095, 4096, 4097, 12287, 12288, 12289, 65535]> : vector<8xi32>
      %which = arith.remui %n, %c8 : index
      %low = vector.extract %lows[%which] : i32 from vector<8xi32>
      %bits = arith.ori %high, %low : i32
      %x = arith.bitcast %bits : i32 to f32
      %h = arith.truncf %x : f32 to f16
      %hbits = arith.bitcast %h : f16 to i16
      %hword = arith.extui %hbits : i16 to i32
      memref.store %hword, %f16[%n] : memref<524288xi32>
      %b = arith.truncf %x : f32 to bf16
      %bbits = arith.bitcast %b : bf16 to i16
      %bword = arith.extui %bbits : i16 to i32
      memref.store %bword, %bf16[%n] : memref<524288xi32>
      gpu.return
    }

    gpu.func @widen(%f16: memref<65536xi32>, %bf16: memref<65536xi32>) kernel {
      %tid = gpu.thread_id x
      %bid = gpu.block_id x
      %c256 = arith.constant 256 : index
      %base = arith.muli %bid, %c256 : index
      %n = arith.addi %base, %tid : index
      %n32 = arith.index_cast %n : index to i32
      %bits = arith.trunci %n32 : i32 to i16
      %h = arith.bitcast %bits : i16 to f16
      %hx = arith.extf %h : f16 to f32
      %hword = arith.bitcast %hx : f32 to i32
      memref.store %hword, %f16[%n] : memref<65536xi32>
      %b = arith.bitcast %bits : i16 to bf16
      %bx = arith.extf %b : bf16 to f32
      %bword = arith.bitcast %bx : f32 to i32
      memref.store %bword, %bf16[%n] : memref<65536xi32>
      gpu.return
    }
  }
}
