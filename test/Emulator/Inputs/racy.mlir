// Each thread writes its value to shared memory and reads the one its left
// neighbour wrote (thread 0 its own) WITHOUT a barrier between: a data race
// the emulator reports.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @racy(%out: memref<32xf32>)
        workgroup(%tile : memref<32xf32, #gpu.address_space<workgroup>>) kernel {
      %tid = gpu.thread_id x
      %c1 = arith.constant 1 : index
      %i = arith.index_cast %tid : index to i32
      %v = arith.sitofp %i : i32 to f32
      memref.store %v, %tile[%tid] : memref<32xf32, #gpu.address_space<workgroup>>
      %c0 = arith.constant 0 : index
      %isFirst = arith.cmpi eq, %tid, %c0 : index
      %prev = arith.subi %tid, %c1 : index
      %left = arith.select %isFirst, %c0, %prev : index
      %w = memref.load %tile[%left] : memref<32xf32, #gpu.address_space<workgroup>>
      memref.store %w, %out[%tid] : memref<32xf32>
      gpu.return
    }
  }
}
