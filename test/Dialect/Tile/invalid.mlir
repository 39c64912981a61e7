// RUN: meld-opt %s -split-input-file -verify-diagnostics

// One case for every message the tile ops emit.

//===----------------------------------------------------------------------===//
// tile.kernel and tile.return
//===----------------------------------------------------------------------===//

// expected-error @+1 {{'tile.kernel' op must not return values}}
tile.kernel @results(%a: memref<4xf32>) -> f32 attributes {grid = array<i64: 1>} {
  tile.return
}

// -----

// expected-error @+1 {{'tile.kernel' op grid needs 1 to 3 dimensions, got 0}}
tile.kernel @empty_grid(%a: memref<4xf32>) attributes {grid = array<i64>} {
  tile.return
}

// -----

// expected-error @+1 {{'tile.kernel' op grid needs 1 to 3 dimensions, got 4}}
tile.kernel @grid_4d(%a: memref<4xf32>) attributes {grid = array<i64: 1, 1, 1, 1>} {
  tile.return
}

// -----

// expected-error @+1 {{'tile.kernel' op grid dimensions must be positive}}
tile.kernel @grid_zero(%a: memref<4xf32>) attributes {grid = array<i64: 4, 0>} {
  tile.return
}

// -----

// expected-error @+1 {{'tile.kernel' op arguments must be rank-1 memrefs of static size, got 'memref<4x4xf32>'}}
tile.kernel @matrix_arg(%a: memref<4x4xf32>) attributes {grid = array<i64: 1>} {
  tile.return
}

// -----

// expected-error @+1 {{'tile.kernel' op arguments must be rank-1 memrefs of static size, got 'memref<?xf32>'}}
tile.kernel @dynamic_arg(%a: memref<?xf32>) attributes {grid = array<i64: 1>} {
  tile.return
}

// -----

// expected-error @+1 {{'tile.kernel' op arguments must be rank-1 memrefs of static size, got 'index'}}
tile.kernel @scalar_arg(%n: index) attributes {grid = array<i64: 1>} {
  tile.return
}

// -----

// expected-error @+1 {{'tile.kernel' op requires attribute 'grid'}}
tile.kernel @no_grid(%a: memref<4xf32>) {
  tile.return
}

// -----

// A declaration without a body is not a kernel.
// expected-error @+1 {{'tile.kernel' op region #0 ('body') failed to verify constraint: region with 1 blocks}}
tile.kernel @declaration(%a: memref<4xf32>) attributes {grid = array<i64: 1>}

// -----

tile.kernel @no_terminator(%a: memref<4xf32>) attributes {grid = array<i64: 1>} {
  // expected-error @+1 {{block with no terminator}}
  %pid = tile.program_id 0
}

// -----

func.func @return_outside_kernel() {
  // expected-error @+1 {{'tile.return' op expects parent op 'tile.kernel'}}
  tile.return
}

//===----------------------------------------------------------------------===//
// tile.program_id and tile.iota
//===----------------------------------------------------------------------===//

// -----

tile.kernel @program_id_dim(%a: memref<4xf32>) attributes {grid = array<i64: 1>} {
  // expected-error @+1 {{'tile.program_id' op attribute 'dim' failed to satisfy constraint: 64-bit signless integer attribute whose minimum value is 0 whose maximum value is 2}}
  %pid = tile.program_id 3
  tile.return
}

// -----

tile.kernel @iota_dim(%a: memref<4xf32>) attributes {grid = array<i64: 1>} {
  // expected-error @+1 {{'tile.iota' op dim 2 is out of range for rank 2}}
  %0 = tile.iota 2 : tensor<4x4xindex>
  tile.return
}

// -----

tile.kernel @iota_negative_dim(%a: memref<4xf32>) attributes {grid = array<i64: 1>} {
  // expected-error @+1 {{'tile.iota' op dim -1 is out of range for rank 1}}
  %0 = tile.iota -1 : tensor<4xindex>
  tile.return
}

// -----

tile.kernel @iota_dynamic(%a: memref<4xf32>) attributes {grid = array<i64: 1>} {
  // expected-error @+1 {{'tile.iota' op result #0 must be statically shaped tensor of index values}}
  %0 = tile.iota 0 : tensor<?xindex>
  tile.return
}

// -----

tile.kernel @iota_element_type(%a: memref<4xf32>) attributes {grid = array<i64: 1>} {
  // expected-error @+1 {{'tile.iota' op result #0 must be statically shaped tensor of index values}}
  %0 = tile.iota 0 : tensor<4xi32>
  tile.return
}

//===----------------------------------------------------------------------===//
// tile.load and tile.store
//===----------------------------------------------------------------------===//

// -----

tile.kernel @load_shape(%a: memref<16xf32>) attributes {grid = array<i64: 1>} {
  %o = tile.iota 0 : tensor<16xindex>
  // expected-error @+1 {{'tile.load' op result must have the shape of the offsets and the element type of the buffer}}
  %x = tile.load %a[%o] : memref<16xf32>[tensor<16xindex>] -> tensor<8xf32>
  tile.return
}

// -----

tile.kernel @load_element_type(%a: memref<16xf32>) attributes {grid = array<i64: 1>} {
  %o = tile.iota 0 : tensor<16xindex>
  // expected-error @+1 {{'tile.load' op result must have the shape of the offsets and the element type of the buffer}}
  %x = tile.load %a[%o] : memref<16xf32>[tensor<16xindex>] -> tensor<16xf16>
  tile.return
}

// -----

tile.kernel @load_contiguity_not_power_of_two(%a: memref<16xf32>) attributes {grid = array<i64: 1>} {
  %o = tile.iota 0 : tensor<4x3xindex>
  // expected-error @+1 {{'tile.load' op contiguity 3 must be a power of two dividing the last dimension}}
  %x = tile.load %a[%o] {contiguity = 3 : i64} : memref<16xf32>[tensor<4x3xindex>] -> tensor<4x3xf32>
  tile.return
}

// -----

tile.kernel @store_contiguity_past_row(%a: memref<16xf32>) attributes {grid = array<i64: 1>} {
  %o = tile.iota 1 : tensor<4x4xindex>
  %v = arith.constant dense<1.0> : tensor<4x4xf32>
  // expected-error @+1 {{'tile.store' op contiguity 8 must be a power of two dividing the last dimension}}
  tile.store %v, %a[%o] {contiguity = 8 : i64} : tensor<4x4xf32>, memref<16xf32>[tensor<4x4xindex>]
  tile.return
}

// -----

tile.kernel @load_other_without_mask(%a: memref<16xf32>) attributes {grid = array<i64: 1>} {
  %o = tile.iota 0 : tensor<16xindex>
  %z = arith.constant 0.0 : f32
  // expected-error @+1 {{'tile.load' op padding value requires a mask}}
  %x = "tile.load"(%a, %o, %z) <{operandSegmentSizes = array<i32: 1, 1, 0, 1>}>
      : (memref<16xf32>, tensor<16xindex>, f32) -> tensor<16xf32>
  tile.return
}

// -----

tile.kernel @load_other_type(%a: memref<16xf32>) attributes {grid = array<i64: 1>} {
  %o = tile.iota 0 : tensor<16xindex>
  %m = arith.constant dense<true> : tensor<16xi1>
  %z = arith.constant 0 : i32
  // expected-error @+1 {{'tile.load' op padding value must have the element type 'f32'}}
  %x = tile.load %a[%o], %m, %z : memref<16xf32>[tensor<16xindex>], tensor<16xi1>, i32 -> tensor<16xf32>
  tile.return
}

// -----

tile.kernel @load_mask_shape(%a: memref<16xf32>) attributes {grid = array<i64: 1>} {
  %o = tile.iota 0 : tensor<16xindex>
  %m = arith.constant dense<true> : tensor<8xi1>
  // expected-error @+1 {{'tile.load' op mask and offsets differ in shape}}
  %x = tile.load %a[%o], %m : memref<16xf32>[tensor<16xindex>], tensor<8xi1> -> tensor<16xf32>
  tile.return
}

// -----

func.func @load_buffer_rank(%b: memref<4x4xf32>) {
  %o = tile.iota 0 : tensor<16xindex>
  // expected-error @+1 {{'tile.load' op operand #0 must be 1D memref of any type values}}
  %x = "tile.load"(%b, %o) <{operandSegmentSizes = array<i32: 1, 1, 0, 0>}>
      : (memref<4x4xf32>, tensor<16xindex>) -> tensor<16xf32>
  return
}

// -----

tile.kernel @store_element_type(%a: memref<16xf32>) attributes {grid = array<i64: 1>} {
  %o = tile.iota 0 : tensor<16xindex>
  %v = arith.constant dense<1.0> : tensor<16xf16>
  // expected-error @+1 {{'tile.store' op value and buffer differ in element type}}
  tile.store %v, %a[%o] : tensor<16xf16>, memref<16xf32>[tensor<16xindex>]
  tile.return
}

// -----

tile.kernel @store_shape(%a: memref<16xf32>) attributes {grid = array<i64: 1>} {
  %o = tile.iota 0 : tensor<16xindex>
  %v = arith.constant dense<1.0> : tensor<4x4xf32>
  // expected-error @+1 {{'tile.store' op value and offsets differ in shape}}
  tile.store %v, %a[%o] : tensor<4x4xf32>, memref<16xf32>[tensor<16xindex>]
  tile.return
}

// -----

tile.kernel @store_mask_shape(%a: memref<16xf32>) attributes {grid = array<i64: 1>} {
  %o = tile.iota 0 : tensor<16xindex>
  %v = arith.constant dense<1.0> : tensor<16xf32>
  %m = arith.constant dense<true> : tensor<4x4xi1>
  // expected-error @+1 {{'tile.store' op mask and offsets differ in shape}}
  tile.store %v, %a[%o], %m : tensor<16xf32>, memref<16xf32>[tensor<16xindex>], tensor<4x4xi1>
  tile.return
}

// -----

func.func @store_dynamic_value(%a: memref<16xf32>, %v: tensor<?xf32>) {
  %o = tile.iota 0 : tensor<16xindex>
  // expected-error @+1 {{'tile.store' op operand #0 must be statically shaped tensor of any type values}}
  tile.store %v, %a[%o] : tensor<?xf32>, memref<16xf32>[tensor<16xindex>]
  return
}

//===----------------------------------------------------------------------===//
// tile.dot, tile.reduce, tile.broadcast
//===----------------------------------------------------------------------===//

// -----

tile.kernel @dot_rank(%buf: memref<1xf32>) attributes {grid = array<i64: 1>} {
  %a = arith.constant dense<1.0> : tensor<2x4x8xf32>
  %b = arith.constant dense<1.0> : tensor<8x4xf32>
  %c = arith.constant dense<0.0> : tensor<4x4xf32>
  // expected-error @+1 {{'tile.dot' op operands must be 2-D tiles}}
  %d = tile.dot %a, %b, %c : tensor<2x4x8xf32>, tensor<8x4xf32> -> tensor<4x4xf32>
  tile.return
}

// -----

tile.kernel @dot_element_types(%buf: memref<1xf32>) attributes {grid = array<i64: 1>} {
  %a = arith.constant dense<1.0> : tensor<4x8xf16>
  %b = arith.constant dense<1.0> : tensor<8x4xbf16>
  %c = arith.constant dense<0.0> : tensor<4x4xf32>
  // expected-error @+1 {{'tile.dot' op a and b differ in element type}}
  %d = tile.dot %a, %b, %c : tensor<4x8xf16>, tensor<8x4xbf16> -> tensor<4x4xf32>
  tile.return
}

// -----

tile.kernel @dot_shapes(%buf: memref<1xf32>) attributes {grid = array<i64: 1>} {
  %a = arith.constant dense<1.0> : tensor<4x8xf32>
  %b = arith.constant dense<1.0> : tensor<4x8xf32>
  %c = arith.constant dense<0.0> : tensor<4x8xf32>
  // expected-error @+1 {{'tile.dot' op shapes do not form a matrix product: 'tensor<4x8xf32>' * 'tensor<4x8xf32>' -> 'tensor<4x8xf32>'}}
  %d = tile.dot %a, %b, %c : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  tile.return
}

// -----

tile.kernel @dot_acc_shape(%buf: memref<1xf32>) attributes {grid = array<i64: 1>} {
  %a = arith.constant dense<1.0> : tensor<4x8xf32>
  %b = arith.constant dense<1.0> : tensor<8x2xf32>
  %c = arith.constant dense<0.0> : tensor<4x4xf32>
  // expected-error @+1 {{'tile.dot' op shapes do not form a matrix product: 'tensor<4x8xf32>' * 'tensor<8x2xf32>' -> 'tensor<4x4xf32>'}}
  %d = tile.dot %a, %b, %c : tensor<4x8xf32>, tensor<8x2xf32> -> tensor<4x4xf32>
  tile.return
}

// -----

tile.kernel @dot_result_type(%buf: memref<1xf32>) attributes {grid = array<i64: 1>} {
  %a = arith.constant dense<1.0> : tensor<4x8xf32>
  %b = arith.constant dense<1.0> : tensor<8x4xf32>
  %c = arith.constant dense<0.0> : tensor<4x4xf32>
  // expected-error @+1 {{'tile.dot' op failed to verify that all of {acc, result} have same type}}
  %d = "tile.dot"(%a, %b, %c) : (tensor<4x8xf32>, tensor<8x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf16>
  tile.return
}

// -----

tile.kernel @reduce_dim(%buf: memref<1xf32>) attributes {grid = array<i64: 1>} {
  %x = arith.constant dense<1.0> : tensor<4x8xf32>
  // expected-error @+1 {{'tile.reduce' op dim 2 is out of range for rank 2}}
  %r = tile.reduce <sum>, %x {dim = 2 : i64} : tensor<4x8xf32> -> tensor<4xf32>
  tile.return
}

// -----

tile.kernel @reduce_result(%buf: memref<1xf32>) attributes {grid = array<i64: 1>} {
  %x = arith.constant dense<1.0> : tensor<4x8xf32>
  // expected-error @+1 {{'tile.reduce' op result must be the input without dimension 1}}
  %r = tile.reduce <max>, %x {dim = 1 : i64} : tensor<4x8xf32> -> tensor<8xf32>
  tile.return
}

// -----

tile.kernel @reduce_kind(%buf: memref<1xf32>) attributes {grid = array<i64: 1>} {
  %x = arith.constant dense<1.0> : tensor<4x8xf32>
  // expected-error @+2 {{expected ::meld::tile::ReduceKind to be one of: sum, max, min}}
  // expected-error @+1 {{failed to parse Tile_ReduceKindAttr parameter 'value' which is to be a `::meld::tile::ReduceKind`}}
  %r = tile.reduce <prod>, %x {dim = 1 : i64} : tensor<4x8xf32> -> tensor<4xf32>
  tile.return
}

// -----

tile.kernel @broadcast_rank(%buf: memref<1xf32>) attributes {grid = array<i64: 1>} {
  %x = arith.constant dense<1.0> : tensor<4xf32>
  // expected-error @+1 {{'tile.broadcast' op result rank must be the input rank plus the new dims}}
  %b = tile.broadcast %x {dims = array<i64: 1>} : tensor<4xf32> -> tensor<4x8x2xf32>
  tile.return
}

// -----

tile.kernel @broadcast_dim_range(%buf: memref<1xf32>) attributes {grid = array<i64: 1>} {
  %x = arith.constant dense<1.0> : tensor<4xf32>
  // expected-error @+1 {{'tile.broadcast' op dim 2 is out of range for rank 2}}
  %b = tile.broadcast %x {dims = array<i64: 2>} : tensor<4xf32> -> tensor<4x8xf32>
  tile.return
}

// -----

tile.kernel @broadcast_dims_unsorted(%buf: memref<1xf32>) attributes {grid = array<i64: 1>} {
  %x = arith.constant dense<1.0> : tensor<4xf32>
  // expected-error @+1 {{'tile.broadcast' op dims must be sorted and unique}}
  %b = tile.broadcast %x {dims = array<i64: 2, 0>} : tensor<4xf32> -> tensor<2x4x8xf32>
  tile.return
}

// -----

tile.kernel @broadcast_shape(%buf: memref<1xf32>) attributes {grid = array<i64: 1>} {
  %x = arith.constant dense<1.0> : tensor<4xf32>
  // expected-error @+1 {{'tile.broadcast' op input must be the result without the new dims}}
  %b = tile.broadcast %x {dims = array<i64: 0>} : tensor<4xf32> -> tensor<4x8xf32>
  tile.return
}

// -----

tile.kernel @broadcast_element_type(%buf: memref<1xf32>) attributes {grid = array<i64: 1>} {
  %x = arith.constant dense<1.0> : tensor<4xf32>
  // expected-error @+1 {{'tile.broadcast' op input must be the result without the new dims}}
  %b = tile.broadcast %x {dims = array<i64: 1>} : tensor<4xf32> -> tensor<4x8xf16>
  tile.return
}

//===----------------------------------------------------------------------===//
// The launch plan: tile.launch and tile.weight
//===----------------------------------------------------------------------===//

// -----

func.func @launch_unknown(%x: memref<4xf32>) {
  // expected-error @+1 {{'tile.launch' op 'missing' is not a tile.kernel}}
  tile.launch @missing(%x) : memref<4xf32>
  return
}

// -----

func.func @launch_not_a_kernel(%x: memref<4xf32>) {
  // expected-error @+1 {{'tile.launch' op 'helper' is not a tile.kernel}}
  tile.launch @helper(%x) : memref<4xf32>
  return
}
func.func private @helper(memref<4xf32>)

// -----

func.func @launch_arguments(%x: memref<4xf32>) {
  // expected-error @+1 {{'tile.launch' op argument types do not match those of 'k'}}
  tile.launch @k(%x) : memref<4xf32>
  return
}
tile.kernel @k(%a: memref<8xf32>) attributes {grid = array<i64: 1>} {
  tile.return
}

// -----

func.func @launch_argument_count(%x: memref<8xf32>) {
  // expected-error @+1 {{'tile.launch' op argument types do not match those of 'k'}}
  tile.launch @k(%x, %x) : memref<8xf32>, memref<8xf32>
  return
}
tile.kernel @k(%a: memref<8xf32>) attributes {grid = array<i64: 1>} {
  tile.return
}

// -----

func.func @weight_empty_handle() {
  // expected-error @+1 {{'tile.weight' op requires a non-empty handle}}
  %w = tile.weight "" : memref<4xf32>
  return
}

// -----

func.func @weight_panels_size() {
  // expected-error @+1 {{'tile.weight' op has 120000 elements, but its panels hold 131072}}
  %w = tile.weight "w" panels <rows = 120, columns = 1000, row_stride = 1000, column_stride = 1, offset = 0, padded_rows = 128, panel = 64> : memref<120000xf32>
  return
}

// -----

func.func @panels_empty() {
  // expected-error @+1 {{panels need rows, columns and panel columns, got 120, 1000 and 0}}
  %w = tile.weight "w" panels <rows = 120, columns = 1000, row_stride = 1000, column_stride = 1, offset = 0, padded_rows = 128, panel = 0> : memref<1xf32>
  return
}

// -----

func.func @panels_padded_rows() {
  // expected-error @+1 {{padded_rows 112 is fewer than the 120 rows}}
  %w = tile.weight "w" panels <rows = 120, columns = 64, row_stride = 64, column_stride = 1, offset = 0, padded_rows = 112, panel = 64> : memref<7168xf32>
  return
}

// -----

func.func @panels_negative_stride() {
  // expected-error @+1 {{panels read a weight at a negative stride or offset}}
  %w = tile.weight "w" panels <rows = 2, columns = 64, row_stride = -64, column_stride = 1, offset = 64, padded_rows = 2, panel = 64> : memref<128xf32>
  return
}

// -----

func.func @panels_overflow() {
  // expected-error @+1 {{panels of more elements than an index holds}}
  %w = tile.weight "w" panels <rows = 4294967296, columns = 4294967296, row_stride = 1, column_stride = 1, offset = 0, padded_rows = 4294967296, panel = 1> : memref<1xf32>
  return
}

// -----

tile.kernel @fault_status_size(%status: memref<2xi64>, %bad: memref<4xi1>) attributes {grid = array<i64: 1>} {
  %offs = tile.iota 0 : tensor<4xindex>
  %v = tile.load %bad[%offs] : memref<4xi1>[tensor<4xindex>] -> tensor<4xi1>
  %d = arith.constant dense<0> : tensor<4xi64>
  // expected-error @+1 {{'tile.fault' op fault status must be a memref<3xi64>, got 'memref<2xi64>'}}
  tile.fault %v, %d, %status {message = "bad", site = 1 : i32} : tensor<4xi1>, tensor<4xi64>, memref<2xi64>
  tile.return
}

// -----

tile.kernel @fault_two_details(%status: memref<3xi64>, %bad: memref<4xi1>) attributes {grid = array<i64: 1>} {
  %offs = tile.iota 0 : tensor<4xindex>
  %v = tile.load %bad[%offs] : memref<4xi1>[tensor<4xindex>] -> tensor<4xi1>
  %d = arith.constant dense<0> : tensor<4xi64>
  // expected-error @+1 {{'tile.fault' op message holds '{}' (the detail) more than once}}
  tile.fault %v, %d, %status {message = "{} and {}", site = 1 : i32} : tensor<4xi1>, tensor<4xi64>, memref<3xi64>
  tile.return
}

// -----

tile.kernel @fault_site_zero(%status: memref<3xi64>, %bad: memref<4xi1>) attributes {grid = array<i64: 1>} {
  %offs = tile.iota 0 : tensor<4xindex>
  %v = tile.load %bad[%offs] : memref<4xi1>[tensor<4xindex>] -> tensor<4xi1>
  %d = arith.constant dense<0> : tensor<4xi64>
  // expected-error @+1 {{'tile.fault' op attribute 'site' failed to satisfy constraint: 32-bit signless integer attribute whose value is positive}}
  tile.fault %v, %d, %status {message = "bad", site = 0 : i32} : tensor<4xi1>, tensor<4xi64>, memref<3xi64>
  tile.return
}

// -----

tile.kernel @fault_shapes(%status: memref<3xi64>, %bad: memref<4xi1>) attributes {grid = array<i64: 1>} {
  %offs = tile.iota 0 : tensor<4xindex>
  %v = tile.load %bad[%offs] : memref<4xi1>[tensor<4xindex>] -> tensor<4xi1>
  %d = arith.constant dense<0> : tensor<8xi64>
  // expected-error @+1 {{'tile.fault' op failed to verify that all of {violations, detail} have same shape}}
  tile.fault %v, %d, %status {message = "bad", site = 1 : i32} : tensor<4xi1>, tensor<8xi64>, memref<3xi64>
  tile.return
}

// -----

func.func @fault_status_type() {
  // expected-error @+1 {{'tile.fault_status' op fault status must be a memref<3xi64>, got 'memref<4xi64>'}}
  %s = tile.fault_status : memref<4xi64>
  return
}
