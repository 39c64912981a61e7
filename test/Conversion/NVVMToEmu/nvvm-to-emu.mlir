// RUN: meld-opt %s -split-input-file --meld-nvvm-to-emu | FileCheck %s

// The kernel leaves its gpu.module; the emulator's table of functions is a
// global set by meld_emu_bind; thread ids, barriers and shuffles become calls
// through it (fields 1 = tid, 6 = barrier, 7 = shfl, 10 = shared_base,
// 14 = check_load_at, 15 = check_store_at, each access with its site number);
// shared memory is an offset into the
// block's buffer; every load and store is checked first; address spaces are
// gone; the entry is `void k(void **args)`.
// CHECK-NOT:   gpu.module
// CHECK:       llvm.mlir.global internal @__meld_emu_ops() {{.*}} : !llvm.ptr
// CHECK-LABEL: llvm.func @meld_emu_bind(
// CHECK:         llvm.store %{{.+}}, %{{.+}} : !llvm.ptr, !llvm.ptr
// The libdevice function maps to libm.
// CHECK-LABEL: llvm.func internal @__nv_expf(
// CHECK:         llvm.call @expf(
// The kernel's 512 bytes of static shared memory, for the emulator to size the
// block's buffer.
// CHECK:       llvm.mlir.global external constant @k__meld_emu_shared_bytes(512 : i32)
// CHECK-LABEL: llvm.func internal @k__meld_emu_body(
// CHECK-SAME:    %[[IN:.+]]: !llvm.ptr, %[[OUT:.+]]: !llvm.ptr)
// CHECK-NOT:     nvvm.
// CHECK:         %[[SLOT:.+]] = llvm.getelementptr %{{.+}}[0, 10]
// CHECK:         %[[BASE:.+]] = llvm.call %{{.+}}() : !llvm.ptr, () -> !llvm.ptr
// CHECK:         llvm.getelementptr %{{.+}}[0, 1]
// CHECK:         %[[TID:.+]] = llvm.call %{{.+}}(%{{.+}}) : !llvm.ptr, (i32) -> i32
// CHECK:         %[[SHARED:.+]] = llvm.getelementptr %[[BASE]][0] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK:         llvm.getelementptr %{{.+}}[0, 14]
// CHECK:         llvm.call %{{.+}}(%{{.+}}, %{{.+}}, %{{.+}}) : !llvm.ptr, (!llvm.ptr, i32, i32) -> ()
// CHECK:         %[[X:.+]] = llvm.load %{{.+}} : !llvm.ptr -> f32
// CHECK:         llvm.getelementptr %{{.+}}[0, 15]
// CHECK:         llvm.store %[[X]], %{{.+}} : f32, !llvm.ptr
// CHECK:         llvm.getelementptr %{{.+}}[0, 6]
// CHECK:         llvm.call %{{.+}}() : !llvm.ptr, () -> ()
// CHECK:         llvm.getelementptr %{{.+}}[0, 7]
// CHECK:         llvm.call %{{.+}}(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}) : !llvm.ptr, (i32, i32, i32, i32, i32, !llvm.ptr) -> i32
// CHECK-LABEL: llvm.func @k(
// CHECK-SAME:    %[[ARGS:.+]]: !llvm.ptr)
// CHECK:         %[[P0:.+]] = llvm.load %{{.+}} : !llvm.ptr -> !llvm.ptr
// CHECK:         %[[P1:.+]] = llvm.load %{{.+}} : !llvm.ptr -> !llvm.ptr
// CHECK:         llvm.call @k__meld_emu_body(%[[P0]], %[[P1]])
module attributes {gpu.container_module} {
  gpu.module @meld_kernels {
    llvm.mlir.global internal @__wg_k_0() {addr_space = 3 : i32} : !llvm.array<512 x i8>
    llvm.func @__nv_expf(f32) -> f32
    llvm.func @k(%in: !llvm.ptr<1>, %out: !llvm.ptr<1>) attributes {nvvm.kernel} {
      %tid = nvvm.read.ptx.sreg.tid.x : i32
      %smem = llvm.mlir.addressof @__wg_k_0 : !llvm.ptr<3>
      %src = llvm.getelementptr %in[%tid] : (!llvm.ptr<1>, i32) -> !llvm.ptr<1>, f32
      %x = llvm.load %src : !llvm.ptr<1> -> f32
      %dst = llvm.getelementptr %smem[0, %tid] : (!llvm.ptr<3>, i32) -> !llvm.ptr<3>, !llvm.array<128 x f32>
      llvm.store %x, %dst : f32, !llvm.ptr<3>
      nvvm.barrier0
      %mask = llvm.mlir.constant(-1 : i32) : i32
      %one = llvm.mlir.constant(1 : i32) : i32
      %c = llvm.mlir.constant(31 : i32) : i32
      %y = nvvm.shfl.sync bfly %mask, %x, %one, %c : f32 -> f32
      %e = llvm.call @__nv_expf(%y) : (f32) -> f32
      %out_at = llvm.getelementptr %out[%tid] : (!llvm.ptr<1>, i32) -> !llvm.ptr<1>, f32
      llvm.store %e, %out_at : f32, !llvm.ptr<1>
      llvm.return
    }
  }
}

// -----

// Atomics (a fault record's exchange, a compare-and-swap) are checked as
// stores of their size (field 15 = check_store_at) before they run: the fibers
// of a block never switch inside one, so the host's atomic instruction is
// atomic among the emulated threads too.
// CHECK-LABEL: llvm.func internal @a__meld_emu_body(
// CHECK-SAME:    %[[STATUS:.+]]: !llvm.ptr)
// CHECK:         %[[EIGHT:.+]] = llvm.mlir.constant(8 : i32) : i32
// CHECK:         llvm.getelementptr %{{.+}}[0, 15]
// CHECK:         llvm.call %{{.+}}(%[[STATUS]], %[[EIGHT]], %{{.+}}) : !llvm.ptr, (!llvm.ptr, i32, i32) -> ()
// CHECK-NEXT:    %{{.+}} = llvm.atomicrmw xchg %[[STATUS]]
// CHECK:         llvm.getelementptr %{{.+}}[0, 15]
// CHECK:         llvm.call %{{.+}}(%[[STATUS]], %{{.+}}, %{{.+}}) : !llvm.ptr, (!llvm.ptr, i32, i32) -> ()
// CHECK-NEXT:    %{{.+}} = llvm.cmpxchg %[[STATUS]]
module attributes {gpu.container_module} {
  gpu.module @meld_kernels {
    llvm.func @a(%status: !llvm.ptr<1>) attributes {nvvm.kernel} {
      %one = llvm.mlir.constant(1 : i64) : i64
      %zero = llvm.mlir.constant(0 : i64) : i64
      %old = llvm.atomicrmw xchg %status, %one monotonic : !llvm.ptr<1>, i64
      %pair = llvm.cmpxchg %status, %zero, %one monotonic monotonic : !llvm.ptr<1>, i64
      llvm.return
    }
  }
}

// -----

// Dynamic shared memory (a global of no size, as gpu.dynamic_shared_memory
// lowers) starts after the kernel's static shared memory, as on the GPU,
// whichever the kernel uses first; only the static part is the kernel's.
// CHECK:       llvm.mlir.global external constant @mixed__meld_emu_shared_bytes(256 : i32)
// CHECK-LABEL: llvm.func internal @mixed__meld_emu_body(
// CHECK:         %[[BASE:.+]] = llvm.call %{{.+}}() : !llvm.ptr, () -> !llvm.ptr
// CHECK:         llvm.getelementptr %[[BASE]][256] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK:         llvm.getelementptr %[[BASE]][0] : (!llvm.ptr) -> !llvm.ptr, i8
module attributes {gpu.container_module} {
  gpu.module @meld_kernels {
    llvm.mlir.global internal @__dynamic_shmem__0() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<0 x i8>
    llvm.mlir.global internal @__wg_mixed_0() {addr_space = 3 : i32} : !llvm.array<256 x i8>
    llvm.func @mixed() attributes {nvvm.kernel} {
      %x = llvm.mlir.constant(1.0 : f32) : f32
      %dyn = llvm.mlir.addressof @__dynamic_shmem__0 : !llvm.ptr<3>
      llvm.store %x, %dyn : f32, !llvm.ptr<3>
      %st = llvm.mlir.addressof @__wg_mixed_0 : !llvm.ptr<3>
      llvm.store %x, %st : f32, !llvm.ptr<3>
      llvm.return
    }
  }
}

// -----

// mma.sync (m16n8k8, tf32) becomes a call through field 13 (mma) with shape
// 0 and the lane's fragments in stack slots allocated once, in the entry
// block (the product is usually in a loop); D comes back from its slot.
// CHECK-LABEL: llvm.func internal @product__meld_emu_body(
// CHECK:         llvm.alloca
// CHECK-COUNT-4: llvm.alloca
// CHECK:         ^bb1:
// CHECK-NOT:     llvm.alloca
// CHECK:         llvm.getelementptr %{{.+}}[0, 13]
// CHECK:         llvm.call %{{.+}}(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}) : !llvm.ptr, (i32, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr) -> ()
// CHECK-COUNT-4: llvm.load %{{.+}} : !llvm.ptr -> f32
module attributes {gpu.container_module} {
  gpu.module @meld_kernels {
    llvm.func @product(%p: !llvm.ptr<1>) attributes {nvvm.kernel} {
      %a = llvm.mlir.constant(1 : i32) : i32
      %b = llvm.mlir.constant(2 : i32) : i32
      %c = llvm.mlir.constant(1.0 : f32) : f32
      llvm.br ^bb1
    ^bb1:
      %d = nvvm.mma.sync A[%a, %a, %a, %a] B[%b, %b] C[%c, %c, %c, %c]
          {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>,
           multiplicandAPtxType = #nvvm.mma_type<tf32>,
           multiplicandBPtxType = #nvvm.mma_type<tf32>,
           shape = #nvvm.shape<m = 16, n = 8, k = 8>}
          : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
      llvm.return
    }
  }
}

// -----

// ldmatrix becomes a call through field 16 (ldmatrix) with the number of
// matrices, .trans (layout col), the lane's row address, a stack slot of 4
// registers allocated once in the entry block, and the access's site; the
// registers come back from the slot.
// CHECK-LABEL: llvm.func internal @load_fragments__meld_emu_body(
// CHECK:         llvm.alloca
// CHECK:         %[[SLOT:.+]] = llvm.alloca %{{.+}} x i32
// CHECK:         ^bb1:
// CHECK-NOT:     llvm.alloca
// CHECK:         %[[FOUR:.+]] = llvm.mlir.constant(4 : i32) : i32
// CHECK:         %[[TRANS:.+]] = llvm.mlir.constant(1 : i32) : i32
// CHECK:         llvm.getelementptr %{{.+}}[0, 16]
// CHECK:         llvm.call %{{.+}}(%[[FOUR]], %[[TRANS]], %{{.+}}, %[[SLOT]], %{{.+}}) : !llvm.ptr, (i32, i32, !llvm.ptr, !llvm.ptr, i32) -> ()
// CHECK-COUNT-4: llvm.load %{{.+}} : !llvm.ptr -> i32
// CHECK:         llvm.insertvalue
module attributes {gpu.container_module} {
  gpu.module @meld_kernels {
    llvm.func @load_fragments(%p: !llvm.ptr<3>) attributes {nvvm.kernel} {
      llvm.br ^bb1
    ^bb1:
      %r = nvvm.ldmatrix %p {num = 4 : i32, layout = #nvvm.mma_layout<col>, shape = #nvvm.ld_st_matrix_shape<m = 8, n = 8>, eltType = #nvvm.ld_st_matrix_elt_type<b16>} : (!llvm.ptr<3>) -> !llvm.struct<(i32, i32, i32, i32)>
      llvm.return
    }
  }
}

// -----

// cp.async becomes a call through field 17 with the destination, the
// source, the copy's size, the bytes it reads (its cp-size operand, else the
// size) and its site; commit_group and wait_group through fields 18 and 19.
// CHECK-LABEL: llvm.func internal @copy_in__meld_emu_body(
// CHECK:         %[[SIXTEEN:.+]] = llvm.mlir.constant(16 : i32) : i32
// CHECK:         llvm.getelementptr %{{.+}}[0, 17]
// CHECK:         llvm.call %{{.+}}(%{{.+}}, %{{.+}}, %[[SIXTEEN]], %{{.+}}, %{{.+}}) : !llvm.ptr, (!llvm.ptr, !llvm.ptr, i32, i32, i32) -> ()
// CHECK:         llvm.getelementptr %{{.+}}[0, 18]
// CHECK:         llvm.call %{{.+}}() : !llvm.ptr, () -> ()
// CHECK:         %[[ONE:.+]] = llvm.mlir.constant(1 : i32) : i32
// CHECK:         llvm.getelementptr %{{.+}}[0, 19]
// CHECK:         llvm.call %{{.+}}(%[[ONE]]) : !llvm.ptr, (i32) -> ()
module attributes {gpu.container_module} {
  gpu.module @meld_kernels {
    llvm.func @copy_in(%dst: !llvm.ptr<3>, %src: !llvm.ptr<1>) attributes {nvvm.kernel} {
      %n = llvm.mlir.constant(12 : i32) : i32
      nvvm.cp.async.shared.global %dst, %src, 16, cache = cg, %n : !llvm.ptr<3>, !llvm.ptr<1>, i32
      nvvm.cp.async.commit.group
      nvvm.cp.async.wait.group 1
      llvm.return
    }
  }
}

// -----

// wgmma: the fence, commit and wait through fields 20, 22 and 23; the
// product through field 21 with its mode (bf16 = 1, | 0x10 for an M-major
// A (layout col), | 0x20 for an N-major B (layout row), | 0x40 for a
// negated A, | N << 16: 0x100071 for N = 16), both descriptors, scale-d,
// and the thread's accumulators in one stack slot and D in another (as many
// f32 as the widest wgmma of the kernel has, allocated once in the entry
// block).
// CHECK-LABEL: llvm.func internal @chain__meld_emu_body(
// CHECK:         %[[EIGHT:.+]] = llvm.mlir.constant(8 : i32) : i32
// CHECK:         %[[C:.+]] = llvm.alloca %[[EIGHT]] x f32
// CHECK:         %[[D:.+]] = llvm.alloca %[[EIGHT]] x f32
// CHECK:         ^bb1:
// CHECK-NOT:     llvm.alloca
// CHECK:         llvm.getelementptr %{{.+}}[0, 20]
// CHECK:         llvm.call %{{.+}}() : !llvm.ptr, () -> ()
// CHECK-COUNT-8: llvm.store %{{.+}}, %{{.+}} : f32, !llvm.ptr
// CHECK:         %[[SCALE:.+]] = llvm.mlir.constant(0 : i32) : i32
// CHECK:         %[[MODE:.+]] = llvm.mlir.constant(1048689 : i32) : i32
// CHECK:         llvm.getelementptr %{{.+}}[0, 21]
// CHECK:         llvm.call %{{.+}}(%[[MODE]], %{{.+}}, %{{.+}}, %[[SCALE]], %[[C]], %[[D]]) : !llvm.ptr, (i32, i64, i64, i32, !llvm.ptr, !llvm.ptr) -> ()
// CHECK-COUNT-8: llvm.load %{{.+}} : !llvm.ptr -> f32
// CHECK:         llvm.getelementptr %{{.+}}[0, 22]
// CHECK:         llvm.call %{{.+}}() : !llvm.ptr, () -> ()
// CHECK:         %[[ONE:.+]] = llvm.mlir.constant(1 : i32) : i32
// CHECK:         llvm.getelementptr %{{.+}}[0, 23]
// CHECK:         llvm.call %{{.+}}(%[[ONE]]) : !llvm.ptr, (i32) -> ()
!acc = !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
module attributes {gpu.container_module} {
  gpu.module @meld_kernels {
    llvm.func @chain(%descriptors: !llvm.ptr<1>) attributes {nvvm.kernel} {
      %da = llvm.load %descriptors : !llvm.ptr<1> -> i64
      %db = llvm.load %descriptors : !llvm.ptr<1> -> i64
      %zero = llvm.mlir.zero : !acc
      llvm.br ^bb1
    ^bb1:
      nvvm.wgmma.fence.aligned
      %d = nvvm.wgmma.mma_async %da, %db, %zero, #nvvm.shape<m = 64, n = 16, k = 16>, D [<f32>, #nvvm.wgmma_scale_out<zero>], A [<bf16>, #nvvm.wgmma_scale_in<neg>, <col>], B [<bf16>, #nvvm.wgmma_scale_in<one>, <row>] : !acc -> !acc
      nvvm.wgmma.commit.group.sync.aligned
      nvvm.wgmma.wait.group.sync.aligned 1
      llvm.return
    }
  }
}

// -----

// fence.proxy.async.shared: a call through field 24, which the emulator
// counts (a wgmma reading a byte written since its writer's last fence is
// an error).
// CHECK-LABEL: llvm.func internal @fenced__meld_emu_body(
// CHECK-NOT:     nvvm.fence.proxy
// CHECK:         llvm.getelementptr %{{.+}}[0, 24]
// CHECK:         llvm.call %{{.+}}() : !llvm.ptr, () -> ()
// CHECK-NOT:     nvvm.fence.proxy
// CHECK:         llvm.return
module attributes {gpu.container_module} {
  gpu.module @meld_kernels {
    llvm.func @fenced() attributes {nvvm.kernel} {
      nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
      llvm.return
    }
  }
}

// -----

// mbarriers and TMA copies (ABI version 8): init through field 25 with its
// count; an arrival through field 26 with count 1 and the transaction bytes
// (a plain arrive: 0 bytes, its i64 state kept; an expect-tx alone: count
// 0); the wait on a parity through field 27, which blocks until the phase
// completes (the NVVM op loops until then); inval through 28; the copy
// through field 29 with its coordinates in a stack slot of five i32
// allocated once in the entry block, the rank and the mbarrier.
// CHECK-LABEL: llvm.func internal @pipeline__meld_emu_body(
// CHECK:         %[[FIVE:.+]] = llvm.mlir.constant(5 : i32) : i32
// CHECK:         %[[COORDS:.+]] = llvm.alloca %[[FIVE]] x i32
// CHECK:         llvm.getelementptr %{{.+}}[0, 25]
// CHECK:         llvm.call %{{.+}}(%[[BAR:.+]], %[[COUNT:.+]]) : !llvm.ptr, (!llvm.ptr, i32) -> ()
// CHECK:         %[[ONE:.+]] = llvm.mlir.constant(1 : i32) : i32
// CHECK:         llvm.getelementptr %{{.+}}[0, 26]
// CHECK:         llvm.call %{{.+}}(%[[BAR]], %[[ONE]], %[[BYTES:.+]]) : !llvm.ptr, (!llvm.ptr, i32, i32) -> i64
// CHECK:         %[[X_AT:.+]] = llvm.getelementptr %[[COORDS]][0] : (!llvm.ptr) -> !llvm.ptr, i32
// CHECK:         llvm.store %{{.+}}, %[[X_AT]] : i32, !llvm.ptr
// CHECK:         %[[Y_AT:.+]] = llvm.getelementptr %[[COORDS]][1] : (!llvm.ptr) -> !llvm.ptr, i32
// CHECK:         llvm.store %{{.+}}, %[[Y_AT]] : i32, !llvm.ptr
// CHECK:         %[[RANK:.+]] = llvm.mlir.constant(2 : i32) : i32
// CHECK:         llvm.getelementptr %{{.+}}[0, 29]
// CHECK:         llvm.call %{{.+}}(%[[DST:.+]], %[[MAP:.+]], %[[COORDS]], %[[RANK]], %[[BAR]]) : !llvm.ptr, (!llvm.ptr, !llvm.ptr, !llvm.ptr, i32, !llvm.ptr) -> ()
// CHECK:         llvm.getelementptr %{{.+}}[0, 27]
// CHECK:         llvm.call %{{.+}}(%[[BAR]], %[[PARITY:.+]]) : !llvm.ptr, (!llvm.ptr, i32) -> ()
// CHECK:         %[[NOBYTES:.+]] = llvm.mlir.constant(0 : i32) : i32
// CHECK:         llvm.getelementptr %{{.+}}[0, 26]
// CHECK:         %[[STATE:.+]] = llvm.call %{{.+}}(%[[BAR]], %{{.+}}, %[[NOBYTES]]) : !llvm.ptr, (!llvm.ptr, i32, i32) -> i64
// CHECK:         %[[NOARRIVAL:.+]] = llvm.mlir.constant(0 : i32) : i32
// CHECK:         llvm.getelementptr %{{.+}}[0, 26]
// CHECK:         llvm.call %{{.+}}(%[[BAR]], %[[NOARRIVAL]], %[[BYTES]]) : !llvm.ptr, (!llvm.ptr, i32, i32) -> i64
// CHECK:         llvm.getelementptr %{{.+}}[0, 28]
// CHECK:         llvm.call %{{.+}}(%[[BAR]]) : !llvm.ptr, (!llvm.ptr) -> ()
// CHECK:         llvm.store %[[STATE]]
// CHECK-NOT:     nvvm.
module attributes {gpu.container_module} {
  gpu.module @meld_kernels {
    llvm.func @pipeline(%map: !llvm.ptr, %bar: !llvm.ptr<3>, %dst: !llvm.ptr<3>,
                        %params: !llvm.ptr<1>, %out: !llvm.ptr<1>) attributes {nvvm.kernel} {
      %count = llvm.load %params : !llvm.ptr<1> -> i32
      %bytes = llvm.load %params : !llvm.ptr<1> -> i32
      %x = llvm.load %params : !llvm.ptr<1> -> i32
      %y = llvm.load %params : !llvm.ptr<1> -> i32
      %parity = llvm.load %params : !llvm.ptr<1> -> i32
      nvvm.mbarrier.init %bar, %count : !llvm.ptr<3>, i32
      nvvm.mbarrier.arrive.expect_tx %bar, %bytes : !llvm.ptr<3>, i32
      nvvm.cp.async.bulk.tensor.shared.cluster.global %dst, %map, %bar, box[%x, %y] {isCTAOnly = true} : !llvm.ptr<3>, !llvm.ptr
      nvvm.mbarrier.try_wait.parity %bar, %parity, %count : !llvm.ptr<3>, i32, i32
      %state = nvvm.mbarrier.arrive %bar : !llvm.ptr<3> -> i64
      nvvm.mbarrier.expect_tx %bar, %bytes : !llvm.ptr<3>, i32
      nvvm.mbarrier.inval %bar : !llvm.ptr<3>
      llvm.store %state, %out : i64, !llvm.ptr<1>
      llvm.return
    }
  }
}

// -----

// Named barriers (ABI version 9): bar.sync id, count through field 30 with
// its id and count (a count of 0 where the op has none: the whole block);
// without operands, the plain barrier (field 6). setmaxnreg has nothing to
// emulate and goes.
// CHECK-LABEL: llvm.func internal @named__meld_emu_body(
// CHECK-NOT:     nvvm.setmaxregister
// CHECK:         llvm.getelementptr %{{.+}}[0, 30]
// CHECK:         llvm.call %{{.+}}(%[[ID:.+]], %[[N:.+]]) : !llvm.ptr, (i32, i32) -> ()
// CHECK:         %[[ALL:.+]] = llvm.mlir.constant(0 : i32) : i32
// CHECK:         llvm.getelementptr %{{.+}}[0, 30]
// CHECK:         llvm.call %{{.+}}(%[[ID]], %[[ALL]]) : !llvm.ptr, (i32, i32) -> ()
// CHECK:         llvm.getelementptr %{{.+}}[0, 6]
// CHECK-NOT:     nvvm.
module attributes {gpu.container_module} {
  gpu.module @meld_kernels {
    llvm.func @named(%params: !llvm.ptr<1>) attributes {nvvm.kernel} {
      %id = llvm.load %params : !llvm.ptr<1> -> i32
      %n = llvm.load %params : !llvm.ptr<1> -> i32
      nvvm.setmaxregister increase 232
      nvvm.barrier id = %id number_of_threads = %n
      nvvm.barrier id = %id
      nvvm.barrier
      llvm.return
    }
  }
}
