// Every thread of every block adds 1 to a counter and exchanges 1 into a flag;
// the one thread that found the flag 0 counts itself a winner (the
// test-and-set that records a data fault, see tile.fault).
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @atomics(%counter: memref<1xi32>, %flag: memref<1xi32>,
                      %winners: memref<1xi32>) kernel {
      %c0 = arith.constant 0 : index
      %one = arith.constant 1 : i32
      %zero = arith.constant 0 : i32
      %count = memref.atomic_rmw addi %one, %counter[%c0] : (i32, memref<1xi32>) -> i32
      %before = memref.atomic_rmw assign %one, %flag[%c0] : (i32, memref<1xi32>) -> i32
      %won = arith.cmpi eq, %before, %zero : i32
      scf.if %won {
        %w = memref.atomic_rmw addi %one, %winners[%c0] : (i32, memref<1xi32>) -> i32
      }
      gpu.return
    }
    // Thread t adds 1 to element t of a buffer of 4: thread 4 is out of bounds.
    gpu.func @atomic_overflow(%counts: memref<4xi32>) kernel {
      %tid = gpu.thread_id x
      %one = arith.constant 1 : i32
      %c = memref.atomic_rmw addi %one, %counts[%tid] : (i32, memref<4xi32>) -> i32
      gpu.return
    }
  }
}
