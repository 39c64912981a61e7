// 40 threads copy into a buffer of 32 elements with no bounds check: thread 32
// stores past the end of argument 1.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @overflow(%in: memref<40xf32>, %out: memref<32xf32>) kernel {
      %tid = gpu.thread_id x
      %x = memref.load %in[%tid] : memref<40xf32>
      memref.store %x, %out[%tid] : memref<32xf32>
      gpu.return
    }
  }
}
