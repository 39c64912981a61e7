// cp.async (nvgpu.device_async_copy) from global to shared memory in two
// groups, 32 threads each copying 16 bytes per group: group 0 fills floats
// 0-127 of the shared buffer from in[0, 128), group 1 floats 128-255 from
// in[128, 256), reading 3 of each 4 floats (the 4th zero-filled).
// @cp_async waits for all but the newest group, reads group 0's floats
// after a barrier (a neighbour's), then waits for the rest: out[i] = in[(i
// + 4) % 128] for i < 128, out[128 + i] = in[128 + (i + 4) % 128] or 0.
// @cp_async_early reads group 1's floats before waiting for it.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @cp_async(%in: memref<256xf32>, %out: memref<256xf32>) kernel {
      %t = gpu.thread_id x
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c4 = arith.constant 4 : index
      %c128 = arith.constant 128 : index
      %shared = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
      %view = memref.view %shared[%c0][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<256xf32, #gpu.address_space<workgroup>>
      %a = arith.muli %t, %c4 : index
      %b = arith.addi %a, %c128 : index
      %t0 = nvgpu.device_async_copy %in[%a], %view[%a], 4 : memref<256xf32> to memref<256xf32, #gpu.address_space<workgroup>>
      %g0 = nvgpu.device_async_create_group %t0
      %c3 = arith.constant 3 : index
      %t1 = nvgpu.device_async_copy %in[%b], %view[%b], 4, %c3 : memref<256xf32> to memref<256xf32, #gpu.address_space<workgroup>>
      %g1 = nvgpu.device_async_create_group %t1
      nvgpu.device_async_wait %g0 {numGroups = 1 : i32}
      gpu.barrier
      scf.for %j = %c0 to %c4 step %c1 {
        %i = arith.addi %a, %j : index
        %s0 = arith.addi %i, %c4 : index
        %s = arith.remui %s0, %c128 : index
        %v = memref.load %view[%s] : memref<256xf32, #gpu.address_space<workgroup>>
        memref.store %v, %out[%i] : memref<256xf32>
      }
      nvgpu.device_async_wait %g1 {numGroups = 0 : i32}
      gpu.barrier
      scf.for %j = %c0 to %c4 step %c1 {
        %i = arith.addi %a, %j : index
        %s0 = arith.addi %i, %c4 : index
        %s1 = arith.remui %s0, %c128 : index
        %s = arith.addi %s1, %c128 : index
        %v = memref.load %view[%s] : memref<256xf32, #gpu.address_space<workgroup>>
        %o = arith.addi %i, %c128 : index
        memref.store %v, %out[%o] : memref<256xf32>
      }
      gpu.return
    }
    gpu.func @cp_async_early(%in: memref<256xf32>, %out: memref<256xf32>) kernel {
      %t = gpu.thread_id x
      %c0 = arith.constant 0 : index
      %c3 = arith.constant 3 : index
      %c4 = arith.constant 4 : index
      %c128 = arith.constant 128 : index
      %shared = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
      %view = memref.view %shared[%c0][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<256xf32, #gpu.address_space<workgroup>>
      %a = arith.muli %t, %c4 : index
      %b = arith.addi %a, %c128 : index
      %t0 = nvgpu.device_async_copy %in[%a], %view[%a], 4 : memref<256xf32> to memref<256xf32, #gpu.address_space<workgroup>>
      %g0 = nvgpu.device_async_create_group %t0
      %t1 = nvgpu.device_async_copy %in[%b], %view[%b], 4, %c3 : memref<256xf32> to memref<256xf32, #gpu.address_space<workgroup>>
      %g1 = nvgpu.device_async_create_group %t1
      nvgpu.device_async_wait %g0 {numGroups = 1 : i32}
      %v = memref.load %view[%b] : memref<256xf32, #gpu.address_space<workgroup>>
      memref.store %v, %out[%a] : memref<256xf32>
      gpu.return
    }
  }
}
