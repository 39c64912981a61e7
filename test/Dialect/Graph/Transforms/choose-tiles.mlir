// RUN: meld-opt %s -split-input-file --meld-graph-choose-tiles | FileCheck %s
// RUN: meld-opt %s -split-input-file --meld-graph-choose-tiles="target=sm_90a" | FileCheck %s --check-prefix=H100
// RUN: meld-opt %s -split-input-file --meld-graph-choose-tiles="target=cpu" | FileCheck %s --check-prefix=CPU
// RUN: meld-opt %s -split-input-file --meld-graph-choose-tiles="tile-m=32 tile-n=32 tile-k=32" | FileCheck %s --check-prefix=FIXED
// RUN: meld-opt %s -split-input-file --meld-graph-choose-tiles="precision=bf16" | FileCheck %s --check-prefix=BF16
// RUN: meld-opt %s -split-input-file --meld-graph-choose-tiles="target=sm_90a precision=bf16" | FileCheck %s --check-prefix=H100-BF16
// RUN: meld-opt %s -split-input-file --meld-graph-choose-tiles="target=sm_90a also-targets=sm_80 precision=bf16" | FileCheck %s --check-prefix=BOTH-BF16
// RUN: not meld-opt %s --meld-graph-choose-tiles="target=sm_70" 2>&1 | FileCheck %s --check-prefix=TARGET
// RUN: not meld-opt %s --meld-graph-choose-tiles="target=sm_90a also-targets=sm_80,cpu" 2>&1 | FileCheck %s --check-prefix=ALSO
// RUN: not meld-opt %s --meld-graph-choose-tiles="tile-m=24" 2>&1 | FileCheck %s --check-prefix=POW2
// TARGET: meld-graph-choose-tiles: no cost model for target 'sm_70'
// ALSO: meld-graph-choose-tiles: also-targets takes GPUs, got 'cpu'
// POW2: meld-graph-choose-tiles: tile sizes must be powers of two (or 0: chosen), got 24

// A projection of 82 rows (a short sequence): every candidate fits in one
// wave, so the time is one program's. 32x32 tiles (4 warps, 8 elements a
// thread) take as long as 16x32 (2 warps) and read the operands half as
// often; 64x32 tiles would give each of the 4 warps twice the work. The
// group records the warps its tiles were chosen for.
// CHECK-LABEL: func.func @short
// CHECK:         graph.fusion_group matmul (%{{.+}}, %{{.+}}) {num_warps = 4 : i64, tile_sizes = array<i64: 32, 32, 16>}
// H100-LABEL: func.func @short
// H100:         graph.fusion_group matmul (%{{.+}}, %{{.+}}) {num_warps = 4 : i64, tile_sizes = array<i64: 32, 32, 16>}
// The host's tiles take no warps.
// CPU-LABEL: func.func @short
// CPU:         graph.fusion_group matmul (%{{.+}}, %{{.+}}) {tile_sizes = array<i64: 32, 32, 16>}
// FIXED-LABEL: func.func @short
// FIXED:         graph.fusion_group matmul (%{{.+}}, %{{.+}}) {num_warps = 4 : i64, tile_sizes = array<i64: 32, 32, 32>}
// On sm_90a's wgmma a 32-row tile computes (padded) as many rows as a 64-row
// one: 64x32 tiles, half the programs for the same time.
// H100-BF16-LABEL: func.func @short
// H100-BF16:         graph.fusion_group matmul (%{{.+}}, %{{.+}}) {num_warps = 4 : i64, tile_sizes = array<i64: 64, 32, 16>}
func.func @short(%x: tensor<82x120xf32>, %w: tensor<120x360xf32>) -> tensor<82x360xf32> {
  %0 = graph.fusion_group matmul (%x, %w) : (tensor<82x120xf32>, tensor<120x360xf32>) -> tensor<82x360xf32> {
  ^bb0(%a: tensor<82x120xf32>, %b: tensor<120x360xf32>):
    %1 = graph.matmul %a, %b : (tensor<82x120xf32>, tensor<120x360xf32>) -> tensor<82x360xf32>
    graph.yield %1 : tensor<82x360xf32>
  }
  return %0 : tensor<82x360xf32>
}

// -----

// GPT-2-small's QKV projection at sequence 1024, many waves of programs:
// the last wave decides. On an A100 (108 SMs, 432 programs of 4 warps at
// once) 64x32 tiles make 1152 programs, three waves of 2x the work of a
// 32x32 program: 6 units, against 6 for 32x32 (2304 programs, 5.3 waves)
// and 8 for 64x64 (576, 1.3 waves): the tie goes to the larger tile. On an
// H100 (132 SMs, 528 at once) 32x32 tiles take 5 units, 64x32 tiles 6.
// CHECK-LABEL: func.func @long
// CHECK:         graph.fusion_group matmul (%{{.+}}, %{{.+}}) {num_warps = 4 : i64, tile_sizes = array<i64: 64, 32, 16>}
// H100-LABEL: func.func @long
// H100:         graph.fusion_group matmul (%{{.+}}, %{{.+}}) {num_warps = 4 : i64, tile_sizes = array<i64: 32, 32, 16>}
// On tensor cores (bf16) compute shrinks 16x and operand traffic decides.
// 32x32 tiles over 4 warps read 32 operand elements per K and warp for 256
// products: on an A100 shared memory takes 26 us against the tensor
// cores' 13, and the L2 37. 128x128 tiles over 8 warps (64 accumulators a
// thread; 32x64 a warp, 96 elements for 2048 products) take the tensor
// cores' 17 us (two programs of 8 warps an SM, one wave), the L2 traffic
// cut 4x; 128x256 tiles would hold 128 accumulators a thread. Steps of 32
// along K.
// BF16-LABEL: func.func @long
// BF16:         graph.fusion_group matmul (%{{.+}}, %{{.+}}) {num_warps = 8 : i64, tile_sizes = array<i64: 128, 128, 32>}
// On an H100, 128x128 tiles take 6.7 us, 64x128 8.5 (the L2 decides), 32x32
// 22.5.
// H100-BF16-LABEL: func.func @long
// H100-BF16:         graph.fusion_group matmul (%{{.+}}, %{{.+}}) {num_warps = 8 : i64, tile_sizes = array<i64: 128, 128, 32>}
// On the host, the largest tiles copy each operand the fewest times.
// CPU-LABEL: func.func @long
// CPU:         graph.fusion_group matmul (%{{.+}}, %{{.+}}) {tile_sizes = array<i64: 64, 256, 16>}
func.func @long(%x: tensor<1024x768xf32>, %w: tensor<768x2304xf32>) -> tensor<1024x2304xf32> {
  %0 = graph.fusion_group matmul (%x, %w) : (tensor<1024x768xf32>, tensor<768x2304xf32>) -> tensor<1024x2304xf32> {
  ^bb0(%a: tensor<1024x768xf32>, %b: tensor<768x2304xf32>):
    %1 = graph.matmul %a, %b : (tensor<1024x768xf32>, tensor<768x2304xf32>) -> tensor<1024x2304xf32>
    graph.yield %1 : tensor<1024x2304xf32>
  }
  return %0 : tensor<1024x2304xf32>
}

// -----

// With a normalization prologue a thread holds at most 32 accumulators
// (16 with 32-bit operands): the row statistics take registers too. At fp32
// 64x32 tiles over 4 warps and 128x32 over 8 (16 a thread) both take three
// waves at the CUDA cores' rate; the tie goes to the larger. On tensor
// cores the same product as @long gets 128x64 tiles over 8 warps, not
// 128x128 (64 a thread).
// CHECK-LABEL: func.func @prologue
// CHECK:         graph.fusion_group matmul (%{{.+}}, %{{.+}}, %{{.+}}) {num_warps = 8 : i64, tile_sizes = array<i64: 128, 32, 16>}
// BF16-LABEL: func.func @prologue
// BF16:         graph.fusion_group matmul (%{{.+}}, %{{.+}}, %{{.+}}) {num_warps = 8 : i64, tile_sizes = array<i64: 128, 64, 32>}
// H100-BF16-LABEL: func.func @prologue
// H100-BF16:         graph.fusion_group matmul (%{{.+}}, %{{.+}}, %{{.+}}) {num_warps = 8 : i64, tile_sizes = array<i64: 128, 64, 32>}
// The host's accumulators are in memory: no such bound.
// CPU-LABEL: func.func @prologue
// CPU:         graph.fusion_group matmul (%{{.+}}, %{{.+}}, %{{.+}}) {tile_sizes = array<i64: 64, 256, 16>}
func.func @prologue(%x: tensor<1024x768xf32>, %g: tensor<768xf32>, %w: tensor<768x2304xf32>) -> tensor<1024x2304xf32> {
  %0 = graph.fusion_group matmul (%x, %g, %w) : (tensor<1024x768xf32>, tensor<768xf32>, tensor<768x2304xf32>) -> tensor<1024x2304xf32> {
  ^bb0(%a: tensor<1024x768xf32>, %s: tensor<768xf32>, %b: tensor<768x2304xf32>):
    %n = graph.rmsnorm %a, %s {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<1024x768xf32>, tensor<768xf32>) -> tensor<1024x768xf32>
    %1 = graph.matmul %n, %b : (tensor<1024x768xf32>, tensor<768x2304xf32>) -> tensor<1024x2304xf32>
    graph.yield %1 : tensor<1024x2304xf32>
  }
  return %0 : tensor<1024x2304xf32>
}

// -----

// all-MiniLM's MLP up-projection, 2 sequences of 37 tokens. On the host
// (five FMA slots per register of operand copied, waves of 8 programs),
// 16x128 tiles compute 48 rows a sequence and copy B three times, A 12
// times: 4.78M FMA slots in all; 16x64 tiles copy A 24 times (4.92M); 8x128
// tiles compute 40 rows but copy B five times (4.90M); 16x256 tiles make
// 36 programs, five waves of 8 where 32 would fill four (5.23M a 144
// programs' worth); 32-row tiles compute 64 rows. The GPU's model keeps
// 32x32.
// CHECK-LABEL: func.func @host
// CHECK:         graph.fusion_group matmul (%{{.+}}, %{{.+}}) {num_warps = 4 : i64, tile_sizes = array<i64: 32, 32, 16>}
// CPU-LABEL: func.func @host
// CPU:         graph.fusion_group matmul (%{{.+}}, %{{.+}}) {tile_sizes = array<i64: 16, 128, 16>}
func.func @host(%x: tensor<2x37x384xf32>, %w: tensor<384x1536xf32>) -> tensor<2x37x1536xf32> {
  %0 = graph.fusion_group matmul (%x, %w) : (tensor<2x37x384xf32>, tensor<384x1536xf32>) -> tensor<2x37x1536xf32> {
  ^bb0(%a: tensor<2x37x384xf32>, %b: tensor<384x1536xf32>):
    %1 = graph.matmul %a, %b : (tensor<2x37x384xf32>, tensor<384x1536xf32>) -> tensor<2x37x1536xf32>
    graph.yield %1 : tensor<2x37x1536xf32>
  }
  return %0 : tensor<2x37x1536xf32>
}

// -----

// Attention over 41 queries of 10 heads, one wave either way. At fp32,
// blocks of 32 queries over 4 warps take as long as blocks of 16 over 2
// (each warp has the same work) and read K and V half as often; 64 would
// double each warp's work. Keys come in blocks of 32.
// CHECK-LABEL: func.func @attention
// CHECK:         graph.fusion_group attention (%{{.+}}, %{{.+}}, %{{.+}}) {num_warps = 4 : i64, tile_sizes = array<i64: 32, 32>}
// On tensor cores, blocks of 64 queries: each of the 4 warps holds 16 whole
// rows (FlashAttention-2's shape), and shared memory decides: 16 and 32
// query blocks split each key block between warps, which then exchange
// their rows' maxima and sums (0.52 us on an A100 against 0.47). On an
// H100, 16 and 32 rows pad wgmma's 64: as long as 64, in more programs.
// BF16-LABEL: func.func @attention
// BF16:         graph.fusion_group attention (%{{.+}}, %{{.+}}, %{{.+}}) {num_warps = 4 : i64, tile_sizes = array<i64: 64, 32>}
// H100-BF16-LABEL: func.func @attention
// H100-BF16:         graph.fusion_group attention (%{{.+}}, %{{.+}}, %{{.+}}) {num_warps = 4 : i64, tile_sizes = array<i64: 64, 32>}
func.func @attention(%q: tensor<10x41x24xf32>, %k: tensor<10x41x24xf32>, %v: tensor<10x41x24xf32>) -> tensor<10x41x24xf32> {
  %0 = graph.fusion_group attention (%q, %k, %v) : (tensor<10x41x24xf32>, tensor<10x41x24xf32>, tensor<10x41x24xf32>) -> tensor<10x41x24xf32> {
  ^bb0(%a: tensor<10x41x24xf32>, %b: tensor<10x41x24xf32>, %c: tensor<10x41x24xf32>):
    %1 = graph.attention %a, %b, %c {mask_kind = #graph.mask<none>, scale = 0.2041 : f64} : (tensor<10x41x24xf32>, tensor<10x41x24xf32>, tensor<10x41x24xf32>) -> tensor<10x41x24xf32>
    graph.yield %1 : tensor<10x41x24xf32>
  }
  return %0 : tensor<10x41x24xf32>
}

// -----

// Pointwise groups have no tile sizes to choose.
// CHECK-LABEL: func.func @pointwise
// CHECK-NOT:     tile_sizes
func.func @pointwise(%x: tensor<4x6xf32>) -> tensor<4x6xf32> {
  %0 = graph.fusion_group pointwise (%x) : (tensor<4x6xf32>) -> tensor<4x6xf32> {
  ^bb0(%a: tensor<4x6xf32>):
    %1 = graph.neg %a : tensor<4x6xf32>
    graph.yield %1 : tensor<4x6xf32>
  }
  return %0 : tensor<4x6xf32>
}

// -----

// A chain's programs each hold whole rows of the result: 16 rows each (the
// fewest), blocks of 32 intermediate columns, K steps of 16; a problem of 7
// rows takes 8. The options fix them too.
// CHECK-LABEL: func.func @chain
// CHECK:         graph.fusion_group chain (%{{.+}}, %{{.+}}, %{{.+}}) {tile_sizes = array<i64: 16, 32, 16>}
// CHECK:         graph.fusion_group chain (%{{.+}}, %{{.+}}, %{{.+}}) {tile_sizes = array<i64: 8, 32, 16>}
// FIXED-LABEL: func.func @chain
// FIXED:         graph.fusion_group chain (%{{.+}}, %{{.+}}, %{{.+}}) {tile_sizes = array<i64: 32, 32, 32>}
func.func @chain(%x: tensor<41x8xf32>, %w: tensor<8x64xf32>, %v: tensor<64x8xf32>, %y: tensor<7x8xf32>) -> (tensor<41x8xf32>, tensor<7x8xf32>) {
  %0 = graph.fusion_group chain (%x, %w, %v) : (tensor<41x8xf32>, tensor<8x64xf32>, tensor<64x8xf32>) -> tensor<41x8xf32> {
  ^bb0(%a: tensor<41x8xf32>, %b: tensor<8x64xf32>, %c: tensor<64x8xf32>):
    %m = graph.matmul %a, %b : (tensor<41x8xf32>, tensor<8x64xf32>) -> tensor<41x64xf32>
    %g = graph.gelu %m : tensor<41x64xf32>
    %d = graph.matmul %g, %c : (tensor<41x64xf32>, tensor<64x8xf32>) -> tensor<41x8xf32>
    graph.yield %d : tensor<41x8xf32>
  }
  %1 = graph.fusion_group chain (%y, %w, %v) : (tensor<7x8xf32>, tensor<8x64xf32>, tensor<64x8xf32>) -> tensor<7x8xf32> {
  ^bb0(%a: tensor<7x8xf32>, %b: tensor<8x64xf32>, %c: tensor<64x8xf32>):
    %m = graph.matmul %a, %b : (tensor<7x8xf32>, tensor<8x64xf32>) -> tensor<7x64xf32>
    %d = graph.matmul %m, %c : (tensor<7x64xf32>, tensor<64x8xf32>) -> tensor<7x8xf32>
    graph.yield %d : tensor<7x8xf32>
  }
  return %0, %1 : tensor<41x8xf32>, tensor<7x8xf32>
}

// -----

// An attention with its output projection holds, per query row, the output
// (64), a key block's scores and their copy (32 + 16 at bf16) and the
// projection's 256 columns; on mma.sync also Q's operands and the output's
// copy (32 + 32), and per block the projection's weight block of 64 x 256
// (8192 registers at bf16). On an A100 16 rows over 4 warps would hold 118
// a thread (more than 80): over 8, 59, where mma.sync takes the fewest rows.
// At fp32 no block keeps within 80 (16 rows over 8 hold 96): the fewest rows
// over 8 warps. On an H100 a warpgroup's product has 64 rows at least, 184 a
// thread over 4 warps (more than 128): 8 warps at every block, and blocks of
// 64 take as long as the padded 16 in fewer programs.
// CHECK-LABEL: func.func @attention_projection
// CHECK:         graph.fusion_group attention (%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}) {num_warps = 8 : i64, tile_sizes = array<i64: 16, 32>}
// BF16-LABEL: func.func @attention_projection
// BF16:         graph.fusion_group attention (%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}) {num_warps = 8 : i64, tile_sizes = array<i64: 16, 32>}
// H100-BF16-LABEL: func.func @attention_projection
// H100-BF16:         graph.fusion_group attention (%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}) {num_warps = 8 : i64, tile_sizes = array<i64: 64, 32>}
// Compiled for both, the blocks keep within both bounds: 16 rows over 8.
// BOTH-BF16-LABEL: func.func @attention_projection
// BOTH-BF16:         graph.fusion_group attention (%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}) {num_warps = 8 : i64, tile_sizes = array<i64: 16, 32>}
// CPU-LABEL: func.func @attention_projection
// CPU:         graph.fusion_group attention (%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}) {tile_sizes = array<i64: 32, 32>}
func.func @attention_projection(%q: tensor<1x4x128x64xf32>, %k: tensor<1x4x128x64xf32>, %v: tensor<1x4x128x64xf32>, %w: tensor<256x256xf32>) -> tensor<1x128x256xf32> {
  %0 = graph.fusion_group attention (%q, %k, %v, %w) : (tensor<1x4x128x64xf32>, tensor<1x4x128x64xf32>, tensor<1x4x128x64xf32>, tensor<256x256xf32>) -> tensor<1x128x256xf32> {
  ^bb0(%a: tensor<1x4x128x64xf32>, %b: tensor<1x4x128x64xf32>, %c: tensor<1x4x128x64xf32>, %d: tensor<256x256xf32>):
    %1 = graph.attention %a, %b, %c {mask_kind = #graph.mask<none>, scale = 1.250000e-01 : f64} : (tensor<1x4x128x64xf32>, tensor<1x4x128x64xf32>, tensor<1x4x128x64xf32>) -> tensor<1x4x128x64xf32>
    %2 = graph.transpose %1 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<1x4x128x64xf32>) -> tensor<1x128x4x64xf32>
    %3 = graph.reshape %2 : tensor<1x128x4x64xf32> to tensor<1x128x256xf32>
    %4 = graph.matmul %3, %d : (tensor<1x128x256xf32>, tensor<256x256xf32>) -> tensor<1x128x256xf32>
    graph.yield %4 : tensor<1x128x256xf32>
  }
  return %0 : tensor<1x128x256xf32>
}

// -----

// A chain of 256 columns holds, per row, its 256 accumulators and a block
// of 32 intermediate columns with their copy (48 at bf16): 304. On an A100
// its 16 rows over the default 4 warps hold 38 a thread; on an H100 they
// are wgmma's 64, 152 a thread over 4 warps (more than 128): 8 warps.
// BF16-LABEL: func.func @wide_chain
// BF16:         graph.fusion_group chain (%{{.+}}, %{{.+}}, %{{.+}}) {tile_sizes = array<i64: 16, 32, 16>}
// H100-BF16-LABEL: func.func @wide_chain
// H100-BF16:         graph.fusion_group chain (%{{.+}}, %{{.+}}, %{{.+}}) {num_warps = 8 : i64, tile_sizes = array<i64: 16, 32, 16>}
// BOTH-BF16-LABEL: func.func @wide_chain
// BOTH-BF16:         graph.fusion_group chain (%{{.+}}, %{{.+}}, %{{.+}}) {num_warps = 8 : i64, tile_sizes = array<i64: 16, 32, 16>}
func.func @wide_chain(%x: tensor<128x256xf32>, %w: tensor<256x512xf32>, %v: tensor<512x256xf32>) -> tensor<128x256xf32> {
  %0 = graph.fusion_group chain (%x, %w, %v) : (tensor<128x256xf32>, tensor<256x512xf32>, tensor<512x256xf32>) -> tensor<128x256xf32> {
  ^bb0(%a: tensor<128x256xf32>, %b: tensor<256x512xf32>, %c: tensor<512x256xf32>):
    %m = graph.matmul %a, %b : (tensor<128x256xf32>, tensor<256x512xf32>) -> tensor<128x512xf32>
    %g = graph.gelu %m : tensor<128x512xf32>
    %d = graph.matmul %g, %c : (tensor<128x512xf32>, tensor<512x256xf32>) -> tensor<128x256xf32>
    graph.yield %d : tensor<128x256xf32>
  }
  return %0 : tensor<128x256xf32>
}
