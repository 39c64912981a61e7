// One warp computes D = A B + C with mma.sync.aligned.m16n8k16 on f16
// (@mma_f16, through nvgpu.mma.sync) and bf16 (@mma_bf16, NVVM's op): A
// 16x16 and B 16x8 as the 16-bit patterns of their elements in the low half
// of i32 buffers, C and D 16x8 f32, all row-major. Each lane gathers its
// fragments as the PTX ISA lays them out ("Matrix Fragments for
// mma.m16n8k16", .f16/.bf16), with g = lane >> 2 and t = lane % 4: element e
// of A's register r at A[g + 8 (r % 2)][2 t + e + 8 (r / 2)], of B's register
// r at B[2 t + e + 8 r][g]; C and D as for m16n8k8.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @mma_f16(%a: memref<256xi32>, %b: memref<128xi32>, %c: memref<128xf32>,
                  %d: memref<128xf32>) kernel {
      %lane = gpu.thread_id x
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c4 = arith.constant 4 : index
      %c8 = arith.constant 8 : index
      %c16 = arith.constant 16 : index
      %g = arith.divui %lane, %c4 : index
      %t = arith.remui %lane, %c4 : index
      %t2 = arith.muli %t, %c2 : index
      %g8 = arith.addi %g, %c8 : index
      %a00_r = arith.muli %g, %c16 : index
      %a00_k = arith.constant 0 : index
      %a00_c = arith.addi %t2, %a00_k : index
      %a00_i = arith.addi %a00_r, %a00_c : index
      %a00_w = memref.load %a[%a00_i] : memref<256xi32>
      %a00_h = arith.trunci %a00_w : i32 to i16
      %a00 = arith.bitcast %a00_h : i16 to f16
      %a01_r = arith.muli %g, %c16 : index
      %a01_k = arith.constant 1 : index
      %a01_c = arith.addi %t2, %a01_k : index
      %a01_i = arith.addi %a01_r, %a01_c : index
      %a01_w = memref.load %a[%a01_i] : memref<256xi32>
      %a01_h = arith.trunci %a01_w : i32 to i16
      %a01 = arith.bitcast %a01_h : i16 to f16
      %a10_r = arith.muli %g8, %c16 : index
      %a10_k = arith.constant 0 : index
      %a10_c = arith.addi %t2, %a10_k : index
      %a10_i = arith.addi %a10_r, %a10_c : index
      %a10_w = memref.load %a[%a10_i] : memref<256xi32>
      %a10_h = arith.trunci %a10_w : i32 to i16
      %a10 = arith.bitcast %a10_h : i16 to f16
      %a11_r = arith.muli %g8, %c16 : index
      %a11_k = arith.constant 1 : index
      %a11_c = arith.addi %t2, %a11_k : index
      %a11_i = arith.addi %a11_r, %a11_c : index
      %a11_w = memref.load %a[%a11_i] : memref<256xi32>
      %a11_h = arith.trunci %a11_w : i32 to i16
      %a11 = arith.bitcast %a11_h : i16 to f16
      %a20_r = arith.muli %g, %c16 : index
      %a20_k = arith.constant 8 : index
      %a20_c = arith.addi %t2, %a20_k : index
      %a20_i = arith.addi %a20_r, %a20_c : index
      %a20_w = memref.load %a[%a20_i] : memref<256xi32>
      %a20_h = arith.trunci %a20_w : i32 to i16
      %a20 = arith.bitcast %a20_h : i16 to f16
      %a21_r = arith.muli %g, %c16 : index
      %a21_k = arith.constant 9 : index
      %a21_c = arith.addi %t2, %a21_k : index
      %a21_i = arith.addi %a21_r, %a21_c : index
      %a21_w = memref.load %a[%a21_i] : memref<256xi32>
      %a21_h = arith.trunci %a21_w : i32 to i16
      %a21 = arith.bitcast %a21_h : i16 to f16
      %a30_r = arith.muli %g8, %c16 : index
      %a30_k = arith.constant 8 : index
      %a30_c = arith.addi %t2, %a30_k : index
      %a30_i = arith.addi %a30_r, %a30_c : index
      %a30_w = memref.load %a[%a30_i] : memref<256xi32>
      %a30_h = arith.trunci %a30_w : i32 to i16
      %a30 = arith.bitcast %a30_h : i16 to f16
      %a31_r = arith.muli %g8, %c16 : index
      %a31_k = arith.constant 9 : index
      %a31_c = arith.addi %t2, %a31_k : index
      %a31_i = arith.addi %a31_r, %a31_c : index
      %a31_w = memref.load %a[%a31_i] : memref<256xi32>
      %a31_h = arith.trunci %a31_w : i32 to i16
      %a31 = arith.bitcast %a31_h : i16 to f16
      %b00_k = arith.constant 0 : index
      %b00_row = arith.addi %t2, %b00_k : index
      %b00_r = arith.muli %b00_row, %c8 : index
      %b00_i = arith.addi %b00_r, %g : index
      %b00_w = memref.load %b[%b00_i] : memref<128xi32>
      %b00_h = arith.trunci %b00_w : i32 to i16
      %b00 = arith.bitcast %b00_h : i16 to f16
      %b01_k = arith.constant 1 : index
      %b01_row = arith.addi %t2, %b01_k : index
      %b01_r = arith.muli %b01_row, %c8 : index
      %b01_i = arith.addi %b01_r, %g : index
      %b01_w = memref.load %b[%b01_i] : memref<128xi32>
      %b01_h = arith.trunci %b01_w : i32 to i16
      %b01 = arith.bitcast %b01_h : i16 to f16
      %b10_k = arith.constant 8 : index
      %b10_row = arith.addi %t2, %b10_k : index
      %b10_r = arith.muli %b10_row, %c8 : index
      %b10_i = arith.addi %b10_r, %g : index
      %b10_w = memref.load %b[%b10_i] : memref<128xi32>
      %b10_h = arith.trunci %b10_w : i32 to i16
      %b10 = arith.bitcast %b10_h : i16 to f16
      %b11_k = arith.constant 9 : index
      %b11_row = arith.addi %t2, %b11_k : index
      %b11_r = arith.muli %b11_row, %c8 : index
      %b11_i = arith.addi %b11_r, %g : index
      %b11_w = memref.load %b[%b11_i] : memref<128xi32>
      %b11_h = arith.trunci %b11_w : i32 to i16
      %b11 = arith.bitcast %b11_h : i16 to f16
      %row0 = arith.muli %g, %c8 : index
      %row8 = arith.muli %g8, %c8 : index
      %c0i = arith.addi %row0, %t2 : index
      %c1i = arith.addi %c0i, %c1 : index
      %c2i = arith.addi %row8, %t2 : index
      %c3i = arith.addi %c2i, %c1 : index
      %cv0 = memref.load %c[%c0i] : memref<128xf32>
      %cv1 = memref.load %c[%c1i] : memref<128xf32>
      %cv2 = memref.load %c[%c2i] : memref<128xf32>
      %cv3 = memref.load %c[%c3i] : memref<128xf32>
      %va = vector.from_elements %a00, %a01, %a10, %a11, %a20, %a21, %a30, %a31 : vector<4x2xf16>
      %vb = vector.from_elements %b00, %b01, %b10, %b11 : vector<2x2xf16>
      %vc = vector.from_elements %cv0, %cv1, %cv2, %cv3 : vector<2x2xf32>
      %vd = nvgpu.mma.sync (%va, %vb, %vc) {mmaShape = [16, 8, 16]}
          : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
      %d0 = vector.extract %vd[0, 0] : f32 from vector<2x2xf32>
      memref.store %d0, %d[%c0i] : memref<128xf32>
      %d1 = vector.extract %vd[0, 1] : f32 from vector<2x2xf32>
      memref.store %d1, %d[%c1i] : memref<128xf32>
      %d2 = vector.extract %vd[1, 0] : f32 from vector<2x2xf32>
      memref.store %d2, %d[%c2i] : memref<128xf32>
      %d3 = vector.extract %vd[1, 1] : f32 from vector<2x2xf32>
      memref.store %d3, %d[%c3i] : memref<128xf32>
      gpu.return
    }
    gpu.func @mma_bf16(%a: memref<256xi32>, %b: memref<128xi32>, %c: memref<128xf32>,
                  %d: memref<128xf32>) kernel {
      %lane = gpu.thread_id x
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c4 = arith.constant 4 : index
      %c8 = arith.constant 8 : index
      %c16 = arith.constant 16 : index
      %g = arith.divui %lane, %c4 : index
      %t = arith.remui %lane, %c4 : index
      %t2 = arith.muli %t, %c2 : index
      %g8 = arith.addi %g, %c8 : index
      %a00_r = arith.muli %g, %c16 : index
      %a00_k = arith.constant 0 : index
      %a00_c = arith.addi %t2, %a00_k : index
      %a00_i = arith.addi %a00_r, %a00_c : index
      %a00_w = memref.load %a[%a00_i] : memref<256xi32>
      %a00_h = arith.trunci %a00_w : i32 to i16
      %a00 = arith.bitcast %a00_h : i16 to bf16
      %a01_r = arith.muli %g, %c16 : index
      %a01_k = arith.constant 1 : index
      %a01_c = arith.addi %t2, %a01_k : index
      %a01_i = arith.addi %a01_r, %a01_c : index
      %a01_w = memref.load %a[%a01_i] : memref<256xi32>
      %a01_h = arith.trunci %a01_w : i32 to i16
      %a01 = arith.bitcast %a01_h : i16 to bf16
      %a10_r = arith.muli %g8, %c16 : index
      %a10_k = arith.constant 0 : index
      %a10_c = arith.addi %t2, %a10_k : index
      %a10_i = arith.addi %a10_r, %a10_c : index
      %a10_w = memref.load %a[%a10_i] : memref<256xi32>
      %a10_h = arith.trunci %a10_w : i32 to i16
      %a10 = arith.bitcast %a10_h : i16 to bf16
      %a11_r = arith.muli %g8, %c16 : index
      %a11_k = arith.constant 1 : index
      %a11_c = arith.addi %t2, %a11_k : index
      %a11_i = arith.addi %a11_r, %a11_c : index
      %a11_w = memref.load %a[%a11_i] : memref<256xi32>
      %a11_h = arith.trunci %a11_w : i32 to i16
      %a11 = arith.bitcast %a11_h : i16 to bf16
      %a20_r = arith.muli %g, %c16 : index
      %a20_k = arith.constant 8 : index
      %a20_c = arith.addi %t2, %a20_k : index
      %a20_i = arith.addi %a20_r, %a20_c : index
      %a20_w = memref.load %a[%a20_i] : memref<256xi32>
      %a20_h = arith.trunci %a20_w : i32 to i16
      %a20 = arith.bitcast %a20_h : i16 to bf16
      %a21_r = arith.muli %g, %c16 : index
      %a21_k = arith.constant 9 : index
      %a21_c = arith.addi %t2, %a21_k : index
      %a21_i = arith.addi %a21_r, %a21_c : index
      %a21_w = memref.load %a[%a21_i] : memref<256xi32>
      %a21_h = arith.trunci %a21_w : i32 to i16
      %a21 = arith.bitcast %a21_h : i16 to bf16
      %a30_r = arith.muli %g8, %c16 : index
      %a30_k = arith.constant 8 : index
      %a30_c = arith.addi %t2, %a30_k : index
      %a30_i = arith.addi %a30_r, %a30_c : index
      %a30_w = memref.load %a[%a30_i] : memref<256xi32>
      %a30_h = arith.trunci %a30_w : i32 to i16
      %a30 = arith.bitcast %a30_h : i16 to bf16
      %a31_r = arith.muli %g8, %c16 : index
      %a31_k = arith.constant 9 : index
      %a31_c = arith.addi %t2, %a31_k : index
      %a31_i = arith.addi %a31_r, %a31_c : index
      %a31_w = memref.load %a[%a31_i] : memref<256xi32>
      %a31_h = arith.trunci %a31_w : i32 to i16
      %a31 = arith.bitcast %a31_h : i16 to bf16
      %b00_k = arith.constant 0 : index
      %b00_row = arith.addi %t2, %b00_k : index
      %b00_r = arith.muli %b00_row, %c8 : index
      %b00_i = arith.addi %b00_r, %g : index
      %b00_w = memref.load %b[%b00_i] : memref<128xi32>
      %b00_h = arith.trunci %b00_w : i32 to i16
      %b00 = arith.bitcast %b00_h : i16 to bf16
      %b01_k = arith.constant 1 : index
      %b01_row = arith.addi %t2, %b01_k : index
      %b01_r = arith.muli %b01_row, %c8 : index
      %b01_i = arith.addi %b01_r, %g : index
      %b01_w = memref.load %b[%b01_i] : memref<128xi32>
      %b01_h = arith.trunci %b01_w : i32 to i16
      %b01 = arith.bitcast %b01_h : i16 to bf16
      %b10_k = arith.constant 8 : index
      %b10_row = arith.addi %t2, %b10_k : index
      %b10_r = arith.muli %b10_row, %c8 : index
      %b10_i = arith.addi %b10_r, %g : index
      %b10_w = memref.load %b[%b10_i] : memref<128xi32>
      %b10_h = arith.trunci %b10_w : i32 to i16
      %b10 = arith.bitcast %b10_h : i16 to bf16
      %b11_k = arith.constant 9 : index
      %b11_row = arith.addi %t2, %b11_k : index
      %b11_r = arith.muli %b11_row, %c8 : index
      %b11_i = arith.addi %b11_r, %g : index
      %b11_w = memref.load %b[%b11_i] : memref<128xi32>
      %b11_h = arith.trunci %b11_w : i32 to i16
      %b11 = arith.bitcast %b11_h : i16 to bf16
      %row0 = arith.muli %g, %c8 : index
      %row8 = arith.muli %g8, %c8 : index
      %c0i = arith.addi %row0, %t2 : index
      %c1i = arith.addi %c0i, %c1 : index
      %c2i = arith.addi %row8, %t2 : index
      %c3i = arith.addi %c2i, %c1 : index
      %cv0 = memref.load %c[%c0i] : memref<128xf32>
      %cv1 = memref.load %c[%c1i] : memref<128xf32>
      %cv2 = memref.load %c[%c2i] : memref<128xf32>
      %cv3 = memref.load %c[%c3i] : memref<128xf32>
      %pa0 = vector.from_elements %a00, %a01 : vector<2xbf16>
      %ra0 = llvm.bitcast %pa0 : vector<2xbf16> to i32
      %pa1 = vector.from_elements %a10, %a11 : vector<2xbf16>
      %ra1 = llvm.bitcast %pa1 : vector<2xbf16> to i32
      %pa2 = vector.from_elements %a20, %a21 : vector<2xbf16>
      %ra2 = llvm.bitcast %pa2 : vector<2xbf16> to i32
      %pa3 = vector.from_elements %a30, %a31 : vector<2xbf16>
      %ra3 = llvm.bitcast %pa3 : vector<2xbf16> to i32
      %pb0 = vector.from_elements %b00, %b01 : vector<2xbf16>
      %rb0 = llvm.bitcast %pb0 : vector<2xbf16> to i32
      %pb1 = vector.from_elements %b10, %b11 : vector<2xbf16>
      %rb1 = llvm.bitcast %pb1 : vector<2xbf16> to i32
      // nvgpu.mma.sync takes no bf16: NVVM's op, registers as i32.
      %res = nvvm.mma.sync A[%ra0, %ra1, %ra2, %ra3] B[%rb0, %rb1] C[%cv0, %cv1, %cv2, %cv3]
          {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>,
           multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>,
           shape = #nvvm.shape<m = 16, n = 8, k = 16>}
          : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
      %d0 = llvm.extractvalue %res[0] : !llvm.struct<(f32, f32, f32, f32)>
      memref.store %d0, %d[%c0i] : memref<128xf32>
      %d1 = llvm.extractvalue %res[1] : !llvm.struct<(f32, f32, f32, f32)>
      memref.store %d1, %d[%c1i] : memref<128xf32>
      %d2 = llvm.extractvalue %res[2] : !llvm.struct<(f32, f32, f32, f32)>
      memref.store %d2, %d[%c2i] : memref<128xf32>
      %d3 = llvm.extractvalue %res[3] : !llvm.struct<(f32, f32, f32, f32)>
      memref.store %d3, %d[%c3i] : memref<128xf32>
      gpu.return
    }
  }
}
