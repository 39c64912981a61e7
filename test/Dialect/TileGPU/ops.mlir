// RUN: meld-opt %s | meld-opt | FileCheck %s
// RUN: meld-opt %s --canonicalize | FileCheck %s --check-prefix=FOLD

// The layouts and the conversion print as they parse.
// CHECK-DAG: #[[BLOCKED:.+]] = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
// CHECK-DAG: #[[MMA:.+]] = #tile_gpu.mma<version = 2, warpsPerCTA = [2, 2], instrShape = [16, 8]>
// CHECK-DAG: #[[WGMMA:.+]] = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 32]>
// CHECK-LABEL: func.func @convert(
// CHECK:         tile_gpu.convert_layout %{{.+}} : tensor<64x32xf32, #[[BLOCKED]]> -> tensor<64x32xf32, #[[MMA]]>
// CHECK:         tile_gpu.convert_layout %{{.+}} : tensor<64x32xf32, #[[MMA]]> -> tensor<64x32xf32, #[[WGMMA]]>

// A conversion to the layout a tile has is the tile; a conversion of a
// conversion converts the original.
// FOLD-DAG:   #[[BLOCKED:.+]] = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
// FOLD-DAG:   #[[WGMMA:.+]] = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 32]>
// FOLD-LABEL: func.func @convert(
// FOLD-SAME:    %[[X:.+]]: tensor<64x32xf32, #[[BLOCKED]]>)
// FOLD-NEXT:    %[[Y:.+]] = tile_gpu.convert_layout %[[X]] : tensor<64x32xf32, #[[BLOCKED]]> -> tensor<64x32xf32, #[[WGMMA]]>
// FOLD-NEXT:    return %[[X]], %[[Y]]
#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
#mma = #tile_gpu.mma<version = 2, warpsPerCTA = [2, 2], instrShape = [16, 8]>
#wgmma = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 32]>
func.func @convert(%x: tensor<64x32xf32, #blocked>) -> (tensor<64x32xf32, #blocked>, tensor<64x32xf32, #wgmma>) {
  %a = tile_gpu.convert_layout %x : tensor<64x32xf32, #blocked> -> tensor<64x32xf32, #mma>
  %b = tile_gpu.convert_layout %a : tensor<64x32xf32, #mma> -> tensor<64x32xf32, #wgmma>
  %c = tile_gpu.convert_layout %a : tensor<64x32xf32, #mma> -> tensor<64x32xf32, #blocked>
  %d = tile_gpu.convert_layout %c : tensor<64x32xf32, #blocked> -> tensor<64x32xf32, #blocked>
  return %d, %b : tensor<64x32xf32, #blocked>, tensor<64x32xf32, #wgmma>
}

