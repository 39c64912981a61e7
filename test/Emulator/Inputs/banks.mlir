// Memory statistics. One warp: lane t reads in[t * %stride] from global
// memory and writes it to shared memory at word t * %stride, then reads it
// back and writes out[t]. %stride is the first element of `params`.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @strided(%params: memref<1xi32>, %in: memref<256xf32>, %out: memref<32xf32>)
        workgroup(%tile : memref<256xf32, #gpu.address_space<workgroup>>) kernel {
      %t = gpu.thread_id x
      %c0 = arith.constant 0 : index
      %s32 = memref.load %params[%c0] : memref<1xi32>
      %s = arith.index_cast %s32 : i32 to index
      %at = arith.muli %t, %s : index
      %x = memref.load %in[%at] : memref<256xf32>
      memref.store %x, %tile[%at] : memref<256xf32, #gpu.address_space<workgroup>>
      %y = memref.load %tile[%at] : memref<256xf32, #gpu.address_space<workgroup>>
      memref.store %y, %out[%t] : memref<32xf32>
      gpu.return
    }
  }
}
