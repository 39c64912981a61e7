// One warp loads 8x8 matrices of 16-bit elements from shared memory with
// ldmatrix (nvgpu.ldmatrix: .x4, .x4.trans, .x2 and .x1). `in` holds 32 rows
// of 8 elements, each the 16-bit pattern in the low half of an i32; lane l
// stores row l at row slot perm[l] of shared memory and then gives that
// slot's address, so matrix j's row r is row 8 j + r of `in` wherever it
// lies. Each lane writes its 11 registers to out[11 l ...]: 4 of .x4, 4 of
// .x4.trans, 2 of .x2, 1 of .x1.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @ldmatrix(%in: memref<256xi32>, %perm: memref<32xi32>,
                       %out: memref<352xi32>) kernel {
      %lane = gpu.thread_id x
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c8 = arith.constant 8 : index
      %c11 = arith.constant 11 : index
      %shared = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
      %view = memref.view %shared[%c0][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<256xf16, #gpu.address_space<workgroup>>
      %slot_i32 = memref.load %perm[%lane] : memref<32xi32>
      %slot = arith.index_cast %slot_i32 : i32 to index
      %row = arith.muli %slot, %c8 : index
      %source = arith.muli %lane, %c8 : index
      scf.for %e = %c0 to %c8 step %c1 {
        %i = arith.addi %source, %e : index
        %w = memref.load %in[%i] : memref<256xi32>
        %h = arith.trunci %w : i32 to i16
        %f = arith.bitcast %h : i16 to f16
        %at = arith.addi %row, %e : index
        memref.store %f, %view[%at] : memref<256xf16, #gpu.address_space<workgroup>>
      }
      gpu.barrier
      %x4 = nvgpu.ldmatrix %view[%row] {numTiles = 4 : i32, transpose = false} : memref<256xf16, #gpu.address_space<workgroup>> -> vector<4x2xf16>
      %x4t = nvgpu.ldmatrix %view[%row] {numTiles = 4 : i32, transpose = true} : memref<256xf16, #gpu.address_space<workgroup>> -> vector<4x2xf16>
      %x2 = nvgpu.ldmatrix %view[%row] {numTiles = 2 : i32, transpose = false} : memref<256xf16, #gpu.address_space<workgroup>> -> vector<2x2xf16>
      %x1 = nvgpu.ldmatrix %view[%row] {numTiles = 1 : i32, transpose = false} : memref<256xf16, #gpu.address_space<workgroup>> -> vector<1x2xf16>
      %base = arith.muli %lane, %c11 : index
      %r0 = vector.extract %x4[0] : vector<2xf16> from vector<4x2xf16>
      %r1 = vector.extract %x4[1] : vector<2xf16> from vector<4x2xf16>
      %r2 = vector.extract %x4[2] : vector<2xf16> from vector<4x2xf16>
      %r3 = vector.extract %x4[3] : vector<2xf16> from vector<4x2xf16>
      %r4 = vector.extract %x4t[0] : vector<2xf16> from vector<4x2xf16>
      %r5 = vector.extract %x4t[1] : vector<2xf16> from vector<4x2xf16>
      %r6 = vector.extract %x4t[2] : vector<2xf16> from vector<4x2xf16>
      %r7 = vector.extract %x4t[3] : vector<2xf16> from vector<4x2xf16>
      %r8 = vector.extract %x2[0] : vector<2xf16> from vector<2x2xf16>
      %r9 = vector.extract %x2[1] : vector<2xf16> from vector<2x2xf16>
      %r10 = vector.extract %x1[0] : vector<2xf16> from vector<1x2xf16>
      %b0 = vector.bitcast %r0 : vector<2xf16> to vector<1xi32>
      %w0 = vector.extract %b0[0] : i32 from vector<1xi32>
      %c_0 = arith.constant 0 : index
      %o0 = arith.addi %base, %c_0 : index
      memref.store %w0, %out[%o0] : memref<352xi32>
      %b1 = vector.bitcast %r1 : vector<2xf16> to vector<1xi32>
      %w1 = vector.extract %b1[0] : i32 from vector<1xi32>
      %c_1 = arith.constant 1 : index
      %o1 = arith.addi %base, %c_1 : index
      memref.store %w1, %out[%o1] : memref<352xi32>
      %b2 = vector.bitcast %r2 : vector<2xf16> to vector<1xi32>
      %w2 = vector.extract %b2[0] : i32 from vector<1xi32>
      %c_2 = arith.constant 2 : index
      %o2 = arith.addi %base, %c_2 : index
      memref.store %w2, %out[%o2] : memref<352xi32>
      %b3 = vector.bitcast %r3 : vector<2xf16> to vector<1xi32>
      %w3 = vector.extract %b3[0] : i32 from vector<1xi32>
      %c_3 = arith.constant 3 : index
      %o3 = arith.addi %base, %c_3 : index
      memref.store %w3, %out[%o3] : memref<352xi32>
      %b4 = vector.bitcast %r4 : vector<2xf16> to vector<1xi32>
      %w4 = vector.extract %b4[0] : i32 from vector<1xi32>
      %c_4 = arith.constant 4 : index
      %o4 = arith.addi %base, %c_4 : index
      memref.store %w4, %out[%o4] : memref<352xi32>
      %b5 = vector.bitcast %r5 : vector<2xf16> to vector<1xi32>
      %w5 = vector.extract %b5[0] : i32 from vector<1xi32>
      %c_5 = arith.constant 5 : index
      %o5 = arith.addi %base, %c_5 : index
      memref.store %w5, %out[%o5] : memref<352xi32>
      %b6 = vector.bitcast %r6 : vector<2xf16> to vector<1xi32>
      %w6 = vector.extract %b6[0] : i32 from vector<1xi32>
      %c_6 = arith.constant 6 : index
      %o6 = arith.addi %base, %c_6 : index
      memref.store %w6, %out[%o6] : memref<352xi32>
      %b7 = vector.bitcast %r7 : vector<2xf16> to vector<1xi32>
      %w7 = vector.extract %b7[0] : i32 from vector<1xi32>
      %c_7 = arith.constant 7 : index
      %o7 = arith.addi %base, %c_7 : index
      memref.store %w7, %out[%o7] : memref<352xi32>
      %b8 = vector.bitcast %r8 : vector<2xf16> to vector<1xi32>
      %w8 = vector.extract %b8[0] : i32 from vector<1xi32>
      %c_8 = arith.constant 8 : index
      %o8 = arith.addi %base, %c_8 : index
      memref.store %w8, %out[%o8] : memref<352xi32>
      %b9 = vector.bitcast %r9 : vector<2xf16> to vector<1xi32>
      %w9 = vector.extract %b9[0] : i32 from vector<1xi32>
      %c_9 = arith.constant 9 : index
      %o9 = arith.addi %base, %c_9 : index
      memref.store %w9, %out[%o9] : memref<352xi32>
      %b10 = vector.bitcast %r10 : vector<2xf16> to vector<1xi32>
      %w10 = vector.extract %b10[0] : i32 from vector<1xi32>
      %c_10 = arith.constant 10 : index
      %o10 = arith.addi %base, %c_10 : index
      memref.store %w10, %out[%o10] : memref<352xi32>
      gpu.return
    }
  }
}
