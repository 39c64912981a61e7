// Named barriers (bar.sync id, count). Each kernel runs on 128 threads.
//
// @pairs: warps 0-1 and warps 2-3 each exchange values through shared
// memory behind their own barrier (1 and 2, 64 threads): thread t reads what
// thread (t + 32) % 64 of its pair wrote; warps 2-3 first give up registers
// and 0-1 take more (setmaxnreg, nothing to emulate). out[t] = base + (t + 32)
// % 64 for base 0 or 64.
//
// @outsider: warps 0-1 write and meet at barrier 1; thread 64 (warp 2, not a
// participant) reads what thread 0 wrote: a race.
//
// @counts: warp 0 arrives at barrier 1 expecting 64 threads, warp 1 expecting
// 96.
//
// @short: barrier 1 expects 96 threads, but only warps 0-1 arrive (warps 2-3
// exit).
//
// @badcount: bar.sync 1, 48 (not a multiple of 32).
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @pairs(%out: memref<128xf32>)
        workgroup(%tile : memref<128xf32, #gpu.address_space<workgroup>>) kernel {
      %tid = gpu.thread_id x
      %c32 = arith.constant 32 : index
      %c64 = arith.constant 64 : index
      %i = arith.index_cast %tid : index to i32
      %v = arith.sitofp %i : i32 to f32
      %first = arith.cmpi ult, %tid, %c64 : index
      scf.if %first {
        nvvm.setmaxregister increase 232
      } else {
        nvvm.setmaxregister decrease 40
      }
      memref.store %v, %tile[%tid] : memref<128xf32, #gpu.address_space<workgroup>>
      %c1 = arith.constant 1 : i32
      %c2 = arith.constant 2 : i32
      %n = arith.constant 64 : i32
      %id = arith.select %first, %c1, %c2 : i32
      nvvm.barrier id = %id number_of_threads = %n
      %zero = arith.constant 0 : index
      %pairBase = arith.select %first, %zero, %c64 : index
      %local = arith.subi %tid, %pairBase : index
      %shifted = arith.addi %local, %c32 : index
      %wrapped = arith.remui %shifted, %c64 : index
      %src = arith.addi %pairBase, %wrapped : index
      %w = memref.load %tile[%src] : memref<128xf32, #gpu.address_space<workgroup>>
      memref.store %w, %out[%tid] : memref<128xf32>
      gpu.return
    }

    gpu.func @outsider(%out: memref<128xf32>)
        workgroup(%tile : memref<128xf32, #gpu.address_space<workgroup>>) kernel {
      %tid = gpu.thread_id x
      %c0 = arith.constant 0 : index
      %c64 = arith.constant 64 : index
      %first = arith.cmpi ult, %tid, %c64 : index
      scf.if %first {
        %i = arith.index_cast %tid : index to i32
        %v = arith.sitofp %i : i32 to f32
        memref.store %v, %tile[%tid] : memref<128xf32, #gpu.address_space<workgroup>>
        %c1 = arith.constant 1 : i32
        %n = arith.constant 64 : i32
        nvvm.barrier id = %c1 number_of_threads = %n
      } else {
        %w = memref.load %tile[%c0] : memref<128xf32, #gpu.address_space<workgroup>>
        memref.store %w, %out[%tid] : memref<128xf32>
      }
      gpu.return
    }

    gpu.func @counts(%out: memref<128xf32>) kernel {
      %tid = gpu.thread_id x
      %c32 = arith.constant 32 : index
      %c64 = arith.constant 64 : index
      %c1 = arith.constant 1 : i32
      %n64 = arith.constant 64 : i32
      %n96 = arith.constant 96 : i32
      %warp0 = arith.cmpi ult, %tid, %c32 : index
      %pair = arith.cmpi ult, %tid, %c64 : index
      %n = arith.select %warp0, %n64, %n96 : i32
      scf.if %pair {
        nvvm.barrier id = %c1 number_of_threads = %n
      }
      gpu.return
    }

    gpu.func @short(%out: memref<128xf32>) kernel {
      %tid = gpu.thread_id x
      %c64 = arith.constant 64 : index
      %c1 = arith.constant 1 : i32
      %n96 = arith.constant 96 : i32
      %pair = arith.cmpi ult, %tid, %c64 : index
      scf.if %pair {
        nvvm.barrier id = %c1 number_of_threads = %n96
      }
      gpu.return
    }

    gpu.func @badcount(%out: memref<128xf32>) kernel {
      %c1 = arith.constant 1 : i32
      %n48 = arith.constant 48 : i32
      nvvm.barrier id = %c1 number_of_threads = %n48
      gpu.return
    }
  }
}
