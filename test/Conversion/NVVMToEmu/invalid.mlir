// RUN: meld-opt %s -split-input-file --meld-nvvm-to-emu -verify-diagnostics

// The emulator runs the tensor-core shapes Meld emits; any other (here f16
// operands with an f16 accumulator) is refused in one line rather than run
// wrong.
module attributes {gpu.container_module} {
  gpu.module @meld_kernels {
    llvm.func @f16(%a: vector<2xf16>, %b: vector<2xf16>, %c: vector<2xf16>) attributes {nvvm.kernel} {
      // expected-error @below {{'nvvm.mma.sync' op has no emulation: the emulator runs mma.sync m16n8k8 on tf32 and m16n8k16 on f16 and bf16, accumulating in f32}}
      %d = nvvm.mma.sync A[%a, %a, %a, %a] B[%b, %b] C[%c, %c]
          {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>,
           shape = #nvvm.shape<m = 16, n = 8, k = 16>}
          : (vector<2xf16>, vector<2xf16>, vector<2xf16>) -> !llvm.struct<(vector<2xf16>, vector<2xf16>)>
      llvm.return
    }
  }
}

// -----

// ldmatrix of 8-bit elements (m16n16 .b8) has no emulation.
module attributes {gpu.container_module} {
  gpu.module @meld_kernels {
    llvm.func @b8(%p: !llvm.ptr<3>) attributes {nvvm.kernel} {
      // expected-error @below {{'nvvm.ldmatrix' op has no emulation: the emulator runs ldmatrix m8n8 .x1, .x2 and .x4 on b16}}
      %r = nvvm.ldmatrix %p {num = 1 : i32, layout = #nvvm.mma_layout<col>, shape = #nvvm.ld_st_matrix_shape<m = 16, n = 16>, eltType = #nvvm.ld_st_matrix_elt_type<b8>} : (!llvm.ptr<3>) -> !llvm.struct<(i32, i32)>
      llvm.return
    }
  }
}

// -----

// wgmma with an f16 accumulator has no emulation.
!acc = !llvm.struct<(f16, f16)>
module attributes {gpu.container_module} {
  gpu.module @meld_kernels {
    llvm.func @f16_accumulator(%descriptors: !llvm.ptr<1>, %c: !acc) attributes {nvvm.kernel} {
      %da = llvm.load %descriptors : !llvm.ptr<1> -> i64
      %db = llvm.load %descriptors : !llvm.ptr<1> -> i64
      // expected-error @below {{'nvvm.wgmma.mma_async' op has no emulation: the emulator runs wgmma m64nNk16 on f16 and bf16 and m64nNk8 on tf32, accumulating in f32}}
      %d = nvvm.wgmma.mma_async %da, %db, %c, #nvvm.shape<m = 64, n = 8, k = 16>, D [<f16>, #nvvm.wgmma_scale_out<one>], A [<f16>, #nvvm.wgmma_scale_in<one>, <row>], B [<f16>, #nvvm.wgmma_scale_in<one>, <col>] : !acc -> !acc
      llvm.return
    }
  }
}


// -----

// Proxy fences other than the async proxy's view of shared memory have no
// emulation.
module attributes {gpu.container_module} {
  gpu.module @meld_kernels {
    llvm.func @tensormap_fence() attributes {nvvm.kernel} {
      // expected-error @below {{'nvvm.fence.proxy' op has no emulation: the emulator runs fence.proxy.async.shared only}}
      nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.global>}
      llvm.return
    }
  }
}

// -----

// mbarrier operations the emulator does not run: predicated ones, relaxed
// arrivals and cluster scope; TMA copies other than a tile to this CTA.
module attributes {gpu.container_module} {
  gpu.module @meld_kernels {
    llvm.func @predicated_init(%bar: !llvm.ptr<3>, %count: i32, %p: i1) attributes {nvvm.kernel} {
      // expected-error @below {{'nvvm.mbarrier.init' op has no emulation with a predicate}}
      nvvm.mbarrier.init %bar, %count, predicate = %p : !llvm.ptr<3>, i32, i1
      llvm.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @meld_kernels {
    llvm.func @relaxed(%bar: !llvm.ptr<3>) attributes {nvvm.kernel} {
      // expected-error @below {{'nvvm.mbarrier.arrive' op has no emulation: the emulator runs release arrivals at CTA scope only}}
      %s = nvvm.mbarrier.arrive %bar {relaxed = true} : !llvm.ptr<3> -> i64
      llvm.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @meld_kernels {
    llvm.func @cluster_arrive(%bar: !llvm.ptr<3>, %bytes: i32) attributes {nvvm.kernel} {
      // expected-error @below {{'nvvm.mbarrier.arrive.expect_tx' op has no emulation: the emulator runs release arrivals at CTA scope, with no predicate, only}}
      nvvm.mbarrier.arrive.expect_tx %bar, %bytes {scope = #nvvm.mem_scope<cluster>} : !llvm.ptr<3>, i32
      llvm.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @meld_kernels {
    llvm.func @cluster_expect(%bar: !llvm.ptr<3>, %bytes: i32) attributes {nvvm.kernel} {
      // expected-error @below {{'nvvm.mbarrier.expect_tx' op has no emulation: the emulator runs CTA scope only}}
      nvvm.mbarrier.expect_tx %bar, %bytes {scope = #nvvm.mem_scope<cluster>} : !llvm.ptr<3>, i32
      llvm.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @meld_kernels {
    llvm.func @multicast(%dst: !llvm.ptr<7>, %map: !llvm.ptr, %bar: !llvm.ptr<3>, %x: i32, %mask: i16) attributes {nvvm.kernel} {
      // expected-error @below {{'nvvm.cp.async.bulk.tensor.shared.cluster.global' op has no emulation: the emulator runs tile copies to this CTA, with no predicate, only}}
      nvvm.cp.async.bulk.tensor.shared.cluster.global %dst, %map, %bar, box[%x] multicast_mask = %mask : !llvm.ptr<7>, !llvm.ptr
      llvm.return
    }
  }
}

// -----

// A barrier that reduces a predicate has no emulation.
module attributes {gpu.container_module} {
  gpu.module @meld_kernels {
    llvm.func @reducing(%p: i32) attributes {nvvm.kernel} {
      // expected-error @below {{'nvvm.barrier' op has no emulation: the emulator runs barriers without a reduction}}
      %r = nvvm.barrier #nvvm.reduction<popc> %p -> i32
      llvm.return
    }
  }
}
