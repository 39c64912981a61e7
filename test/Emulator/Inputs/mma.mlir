// One warp computes D = A B + C with mma.sync.aligned.m16n8k8 on tf32 (A
// 16x8, B 8x8, C and D 16x8, row-major buffers). Each lane gathers its
// fragments as the PTX ISA lays them out ("Matrix Fragments for
// mma.m16n8k8", .tf32), with groupID = lane >> 2 and threadID_in_group =
// lane % 4: a0..a3 at A[g + 8 (i % 2)][t + 4 (i / 2)], b0, b1 at
// B[t + 4 i][g], c0..c3 at C[g + 8 (i / 2)][2 t + i % 2], and D's the same.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @mma(%a: memref<128xf32>, %b: memref<64xf32>, %c: memref<128xf32>,
                  %d: memref<128xf32>) kernel {
      %lane = gpu.thread_id x
      %c2 = arith.constant 2 : index
      %c4 = arith.constant 4 : index
      %c8 = arith.constant 8 : index
      %c1 = arith.constant 1 : index
      %g = arith.divui %lane, %c4 : index
      %t = arith.remui %lane, %c4 : index
      %g8 = arith.addi %g, %c8 : index
      %t4 = arith.addi %t, %c4 : index
      // Row-major offsets.
      %row0 = arith.muli %g, %c8 : index
      %row8 = arith.muli %g8, %c8 : index
      %a0i = arith.addi %row0, %t : index
      %a1i = arith.addi %row8, %t : index
      %a2i = arith.addi %row0, %t4 : index
      %a3i = arith.addi %row8, %t4 : index
      %a0 = memref.load %a[%a0i] : memref<128xf32>
      %a1 = memref.load %a[%a1i] : memref<128xf32>
      %a2 = memref.load %a[%a2i] : memref<128xf32>
      %a3 = memref.load %a[%a3i] : memref<128xf32>
      %tb = arith.muli %t, %c8 : index
      %t4b = arith.muli %t4, %c8 : index
      %b0i = arith.addi %tb, %g : index
      %b1i = arith.addi %t4b, %g : index
      %b0 = memref.load %b[%b0i] : memref<64xf32>
      %b1 = memref.load %b[%b1i] : memref<64xf32>
      %t2 = arith.muli %t, %c2 : index
      %c0i = arith.addi %row0, %t2 : index
      %c1i = arith.addi %c0i, %c1 : index
      %c2i = arith.addi %row8, %t2 : index
      %c3i = arith.addi %c2i, %c1 : index
      %c0v = memref.load %c[%c0i] : memref<128xf32>
      %c1v = memref.load %c[%c1i] : memref<128xf32>
      %c2v = memref.load %c[%c2i] : memref<128xf32>
      %c3v = memref.load %c[%c3i] : memref<128xf32>
      %va = vector.from_elements %a0, %a1, %a2, %a3 : vector<4x1xf32>
      %vb = vector.from_elements %b0, %b1 : vector<2x1xf32>
      %vc = vector.from_elements %c0v, %c1v, %c2v, %c3v : vector<2x2xf32>
      %vd = nvgpu.mma.sync (%va, %vb, %vc) {mmaShape = [16, 8, 8], tf32Enabled}
          : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
      %d0 = vector.extract %vd[0, 0] : f32 from vector<2x2xf32>
      %d1 = vector.extract %vd[0, 1] : f32 from vector<2x2xf32>
      %d2 = vector.extract %vd[1, 0] : f32 from vector<2x2xf32>
      %d3 = vector.extract %vd[1, 1] : f32 from vector<2x2xf32>
      memref.store %d0, %d[%c0i] : memref<128xf32>
      memref.store %d1, %d[%c1i] : memref<128xf32>
      memref.store %d2, %d[%c2i] : memref<128xf32>
      memref.store %d3, %d[%c3i] : memref<128xf32>
      gpu.return
    }
  }
}
