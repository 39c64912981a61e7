// Threads 16 and up return before the barrier the others wait at.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @divergent(%out: memref<32xf32>) kernel {
      %tid = gpu.thread_id x
      %c16 = arith.constant 16 : index
      %low = arith.cmpi ult, %tid, %c16 : index
      scf.if %low {
        gpu.barrier
        %one = arith.constant 1.0 : f32
        memref.store %one, %out[%tid] : memref<32xf32>
      }
      gpu.return
    }
  }
}
