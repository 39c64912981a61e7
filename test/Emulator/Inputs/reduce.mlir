// A block reduction: 64 threads (two warps) each load one value, reduce their
// warp with shfl.sync.bfly, lane 0 of each warp writes its partial sum to
// shared memory, and after a barrier thread 0 adds the two partials.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @block_sum(%in: memref<64xf32>, %out: memref<1xf32>)
        workgroup(%partial : memref<2xf32, #gpu.address_space<workgroup>>) kernel {
      %tid = gpu.thread_id x
      %c0 = arith.constant 0 : index
      %c32 = arith.constant 32 : index
      %x = memref.load %in[%tid] : memref<64xf32>
      %c1_i32 = arith.constant 1 : i32
      %c2_i32 = arith.constant 2 : i32
      %c4_i32 = arith.constant 4 : i32
      %c8_i32 = arith.constant 8 : i32
      %c16_i32 = arith.constant 16 : i32
      %c32_i32 = arith.constant 32 : i32
      %s1, %v1 = gpu.shuffle xor %x, %c16_i32, %c32_i32 : f32
      %a1 = arith.addf %x, %s1 : f32
      %s2, %v2 = gpu.shuffle xor %a1, %c8_i32, %c32_i32 : f32
      %a2 = arith.addf %a1, %s2 : f32
      %s3, %v3 = gpu.shuffle xor %a2, %c4_i32, %c32_i32 : f32
      %a3 = arith.addf %a2, %s3 : f32
      %s4, %v4 = gpu.shuffle xor %a3, %c2_i32, %c32_i32 : f32
      %a4 = arith.addf %a3, %s4 : f32
      %s5, %v5 = gpu.shuffle xor %a4, %c1_i32, %c32_i32 : f32
      %sum = arith.addf %a4, %s5 : f32
      %lane = arith.remui %tid, %c32 : index
      %warp = arith.divui %tid, %c32 : index
      %first = arith.cmpi eq, %lane, %c0 : index
      scf.if %first {
        memref.store %sum, %partial[%warp] : memref<2xf32, #gpu.address_space<workgroup>>
      }
      gpu.barrier
      %t0 = arith.cmpi eq, %tid, %c0 : index
      scf.if %t0 {
        %c1 = arith.constant 1 : index
        %p0 = memref.load %partial[%c0] : memref<2xf32, #gpu.address_space<workgroup>>
        %p1 = memref.load %partial[%c1] : memref<2xf32, #gpu.address_space<workgroup>>
        %total = arith.addf %p0, %p1 : f32
        memref.store %total, %out[%c0] : memref<1xf32>
      }
      gpu.return
    }
  }
}
