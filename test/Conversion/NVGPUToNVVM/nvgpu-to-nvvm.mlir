// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(gpu.module(meld-convert-nvgpu-to-nvvm))' | FileCheck %s

// In a GPU module whose data layout makes indices 32-bit (as Meld's kernels
// have where their index math fits), nvgpu.ldmatrix reads the shared view's
// memref descriptor with i32 sizes and offsets, the descriptor
// convert-gpu-to-nvvm makes for the same memref, and becomes nvvm.ldmatrix
// on an address-space-3 pointer (the row's address: base + index).
// CHECK-LABEL: gpu.func @fragments(
// CHECK:         builtin.unrealized_conversion_cast %{{.+}} : memref<256xf16, #gpu.address_space<workgroup>> to !llvm.struct<(ptr<3>, ptr<3>, i32, array<1 x i32>, array<1 x i32>)>
// CHECK:         llvm.getelementptr %{{.+}}[%{{.+}}] : (!llvm.ptr<3>, i32) -> !llvm.ptr<3>, f16
// CHECK:         nvvm.ldmatrix %{{.+}} {eltType = #nvvm.ld_st_matrix_elt_type<b16>, layout = #nvvm.mma_layout<row>, num = 4 : i32, shape = #nvvm.ld_st_matrix_shape<m = 8, n = 8>} : (!llvm.ptr<3>) -> !llvm.struct<(i32, i32, i32, i32)>
// CHECK:         nvvm.ldmatrix %{{.+}} {{.+}}layout = #nvvm.mma_layout<col>, num = 2 : i32{{.+}} : (!llvm.ptr<3>) -> !llvm.struct<(i32, i32)>
// CHECK-NOT:     nvgpu.
module attributes {gpu.container_module} {
  gpu.module @kernels attributes {dlti.dl_spec = #dlti.dl_spec<index = 32 : i32>} {
    gpu.func @fragments(%view: memref<256xf16, #gpu.address_space<workgroup>>, %i: index) kernel {
      %a = nvgpu.ldmatrix %view[%i] {numTiles = 4 : i32, transpose = false} : memref<256xf16, #gpu.address_space<workgroup>> -> vector<4x2xf16>
      %b = nvgpu.ldmatrix %view[%i] {numTiles = 2 : i32, transpose = true} : memref<256xf16, #gpu.address_space<workgroup>> -> vector<2x2xf16>
      gpu.return
    }
  }
}

// -----

// cp.async: the copy of 4 floats reading 3 (a zero-filled tail) becomes
// nvvm.cp.async.shared.global of 16 bytes with its cp-size; its token is a
// placeholder that vanishes; the group's commit and wait remain.
// CHECK-LABEL: gpu.func @copy_in(
// CHECK:         nvvm.cp.async.shared.global %{{.+}}, %{{.+}}, 16, cache = cg, %{{.+}} : !llvm.ptr<3>, !llvm.ptr<1>, i32
// CHECK:         nvvm.cp.async.commit.group
// CHECK:         nvvm.cp.async.wait.group 0
// CHECK-NOT:     nvgpu.
module attributes {gpu.container_module} {
  gpu.module @kernels attributes {dlti.dl_spec = #dlti.dl_spec<index = 32 : i32>} {
    gpu.func @copy_in(%src: memref<256xf32>, %view: memref<256xf32, #gpu.address_space<workgroup>>, %i: index) kernel {
      %c3 = arith.constant 3 : index
      %t = nvgpu.device_async_copy %src[%i], %view[%i], 4, %c3 {bypassL1} : memref<256xf32> to memref<256xf32, #gpu.address_space<workgroup>>
      %g = nvgpu.device_async_create_group %t
      nvgpu.device_async_wait %g {numGroups = 0 : i32}
      gpu.return
    }
  }
}
