// A shared-memory transpose of a 8x16 matrix by one block of 8x16 threads:
// each thread stores in[r][c] to tile[c][r] in shared memory; after a barrier
// thread (r, c) reads tile element r*16 + c, which is in[(r*16+c) % 8][(r*16+c) / 8],
// and writes it to out at the same place: out = transpose(in) as a 16x8 matrix.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @transpose(%in: memref<128xf32>, %out: memref<128xf32>)
        workgroup(%tile : memref<128xf32, #gpu.address_space<workgroup>>) kernel {
      %c = gpu.thread_id x
      %r = gpu.thread_id y
      %c8 = arith.constant 8 : index
      %c16 = arith.constant 16 : index
      %rowMajor = arith.muli %r, %c16 : index
      %i = arith.addi %rowMajor, %c : index
      %x = memref.load %in[%i] : memref<128xf32>
      %colMajor = arith.muli %c, %c8 : index
      %t = arith.addi %colMajor, %r : index
      memref.store %x, %tile[%t] : memref<128xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      %y = memref.load %tile[%i] : memref<128xf32, #gpu.address_space<workgroup>>
      memref.store %y, %out[%i] : memref<128xf32>
      gpu.return
    }
  }
}
