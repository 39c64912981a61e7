//===- Passes.td - Transformations of the graph dialect ----*- tablegen -*-===//

#ifndef MELD_DIALECTS_GRAPH_TRANSFORMS_PASSES_TD
#define MELD_DIALECTS_GRAPH_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def GraphSinkReshapes : Pass<"meld-graph-sink-reshapes", "mlir::ModuleOp"> {
  let summary = "Move reshapes that keep their trailing dimensions below the "
                "elementwise ops reading them";
  let description = [{
    An elementwise op reading `reshape(x)` computes on `x` instead, followed
    by the reshape, when the reshape keeps the trailing dimensions every
    other operand meets: each other operand has at most as many dimensions
    as the reshape keeps (a bias, a scalar), or is the same reshape of a
    value of `x`'s type. `expand`, which sets its own shape, stays. Folding
    then cancels a reshape and its inverse.

    Exporters write a linear layer applied to a flattened batch (GPT-2's
    Conv1D is `view(-1, n)`, `addmm` and `view(batch, seq, n)`) as a matmul,
    a reshape, the bias add and the reshape back. With the reshapes moved
    down and cancelled, the bias add and the residual add read the product
    directly, and `meld-graph-fuse` puts them in its epilogue.

    Before:
    ```mlir
    %0 = graph.matmul %x, %w : (tensor<2x37x64xf32>, tensor<64x136xf32>) -> tensor<2x37x136xf32>
    %1 = graph.reshape %0 : tensor<2x37x136xf32> to tensor<74x136xf32>
    %2 = graph.add %1, %bias : (tensor<74x136xf32>, tensor<136xf32>) -> tensor<74x136xf32>
    %3 = graph.reshape %2 : tensor<74x136xf32> to tensor<2x37x136xf32>
    ```
    After:
    ```mlir
    %0 = graph.matmul %x, %w : (tensor<2x37x64xf32>, tensor<64x136xf32>) -> tensor<2x37x136xf32>
    %3 = graph.add %0, %bias : (tensor<2x37x136xf32>, tensor<136xf32>) -> tensor<2x37x136xf32>
    ```
  }];
  let dependentDialects = ["meld::graph::GraphDialect"];
}

def GraphRecognize : Pass<"meld-graph-recognize", "mlir::ModuleOp"> {
  let summary = "Rewrite written-out GELU, LayerNorm, RMSNorm, softmax and "
                "attention into the graph dialect's composite ops";
  let description = [{
    Exporters write composite operations out as chains of elementwise ops
    and reductions (older opsets have no `Gelu` or `LayerNormalization`
    node, and models often spell RMSNorm and softmax by hand). This pass
    finds those chains, in every operand order and association the
    TorchScript (`dynamo=False`) and dynamo exporters write, and replaces
    each with one op:

    - `x * 0.5 * (1 + erf(x / sqrt(2)))`, the division also written as a
      product with `1/sqrt(2)` and the factors in any order, becomes
      `graph.gelu`;
    - `0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))`, the cube as
      `pow(x, 3)` or `x * x * x`, becomes `graph.gelu` with the `tanh`
      approximation;
    - `(x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps)`, the square as a
      product or `pow(.., 2)`, the division also as a product with
      `reciprocal(..)` or `1 / ..`, then optionally `* scale` and `+ bias`,
      becomes `graph.layernorm`;
    - `x / sqrt(mean(x^2) + eps)`, in the same spellings, then optionally
      `* scale`, becomes `graph.rmsnorm`;
    - `exp(x - max(x)) / sum(exp(x - max(x)))`, or without the maximum
      subtracted, the division also as a product with a reciprocal, becomes
      `graph.softmax`;
    - `softmax(mask(scale * q * kt)) * v`, the softmax over the last
      dimension, becomes `graph.attention` of `q`, `transpose(kt)` and `v`:
      the scale a division or product by a constant, the mask a `where`
      keeping (`where(m, s, c)`) or dropping (`where(m, c, s)`) scores for a
      constant score `c`, or an added float mask, each optional and in that
      order (as GPT-2, Llama and BERT exports write them). `q`, `kt` and `v`
      have the scores' rank (grouped-query K/V repeated by `expand` are
      views the kernel reads in place), and the head dimensions are at most
      `AttentionOp::kMaxHeadDim`.

    A chain is rewritten only when it computes exactly what the op does:
    constants are checked (the exponents and the `1` exactly, `0.5`,
    `sqrt(2)`, `sqrt(2/pi)` and `0.044715` within the rounding error of the
    element type), epsilon is read from the graph (and must be an `f32`
    value), reductions keep their dimensions and run over the trailing
    dimensions (the last one for softmax), the maximum and the sum of a
    softmax over the same one, every intermediate has the shape and type the
    op computes, and a scale or bias is taken in only when it is constant
    along the dimensions that are not normalized. A normalization without a
    scale gets a constant scale of one. No value the rewrite removes may be
    used outside the chain: when the mean of a LayerNorm is used elsewhere,
    the centered value stays and the rest becomes a `graph.rmsnorm` of it.
    The new op is located at the fused locations of the ops it replaces, so
    diagnostics still name the ONNX nodes.

    Before:
    ```mlir
    %c2 = graph.constant dense<2.0> : tensor<f32>
    %sq = graph.pow %x, %c2 : (tensor<1x41x120xf32>, tensor<f32>) -> tensor<1x41x120xf32>
    %ms = graph.reduce_mean %sq {axes = array<i64: 2>, keep_dims} : (tensor<1x41x120xf32>) -> tensor<1x41x1xf32>
    %eps = graph.constant dense<1.0e-06> : tensor<f32>
    %0 = graph.add %ms, %eps : (tensor<1x41x1xf32>, tensor<f32>) -> tensor<1x41x1xf32>
    %1 = graph.sqrt %0 : tensor<1x41x1xf32>
    %2 = graph.reciprocal %1 : tensor<1x41x1xf32>
    %3 = graph.mul %x, %2 : (tensor<1x41x120xf32>, tensor<1x41x1xf32>) -> tensor<1x41x120xf32>
    %w = graph.weight "norm.weight" : tensor<120xf32>
    %4 = graph.mul %w, %3 : (tensor<120xf32>, tensor<1x41x120xf32>) -> tensor<1x41x120xf32>
    ```
    After:
    ```mlir
    %w = graph.weight "norm.weight" : tensor<120xf32>
    %4 = graph.rmsnorm %x, %w {axis = 2 : i64, epsilon = 9.99999997E-7 : f32}
        : (tensor<1x41x120xf32>, tensor<120xf32>) -> tensor<1x41x120xf32>
    ```
  }];
  let dependentDialects = ["meld::graph::GraphDialect"];
}

def GraphSplitProducts : Pass<"meld-graph-split-products", "mlir::ModuleOp"> {
  let summary = "Split a product whose columns are split or sliced for "
                "elementwise ops into one product per part";
  let description = [{
    A `graph.matmul` whose result only `graph.split`s of the last axis and
    `graph.slice`s of a block of columns (the TorchScript exporter's
    `chunk`) read, each part read only by elementwise ops, becomes one
    matmul per part, of the same left operand and its block of columns of the right
    operand (a `graph.slice`, which the kernels read in place). The parts
    are computed as before, and the products are each what the fusion
    passes know: Phi-3's fused gate and up projection, split in halves for
    `silu(gate) * up`, becomes the two products of one left operand that
    `meld-graph-fuse` makes a dual product of, and the MLP one chain kernel.
    A part read through a view (the heads of a fused QKV projection, which
    the attention kernel reads in place) stays a split.

    Before:
    ```mlir
    %p = graph.matmul %x, %w : (tensor<2x37x64xf32>, tensor<64x272xf32>) -> tensor<2x37x272xf32>
    %g:2 = graph.split %p {axis = 2 : i64, sizes = array<i64: 136, 136>} : (tensor<2x37x272xf32>) -> (tensor<2x37x136xf32>, tensor<2x37x136xf32>)
    %s = graph.silu %g#0 : tensor<2x37x136xf32>
    %m = graph.mul %s, %g#1 : (tensor<2x37x136xf32>, tensor<2x37x136xf32>) -> tensor<2x37x136xf32>
    ```
    After:
    ```mlir
    %w0 = graph.slice %w {sizes = array<i64: 64, 136>, starts = array<i64: 0, 0>, steps = array<i64: 1, 1>} : (tensor<64x272xf32>) -> tensor<64x136xf32>
    %g0 = graph.matmul %x, %w0 : (tensor<2x37x64xf32>, tensor<64x136xf32>) -> tensor<2x37x136xf32>
    %w1 = graph.slice %w {sizes = array<i64: 64, 136>, starts = array<i64: 0, 136>, steps = array<i64: 1, 1>} : (tensor<64x272xf32>) -> tensor<64x136xf32>
    %g1 = graph.matmul %x, %w1 : (tensor<2x37x64xf32>, tensor<64x136xf32>) -> tensor<2x37x136xf32>
    %s = graph.silu %g0 : tensor<2x37x136xf32>
    %m = graph.mul %s, %g1 : (tensor<2x37x136xf32>, tensor<2x37x136xf32>) -> tensor<2x37x136xf32>
    ```
  }];
  let dependentDialects = ["meld::graph::GraphDialect"];
}

def GraphCausalMasks : Pass<"meld-graph-causal-masks", "mlir::ModuleOp"> {
  let summary = "Turn attention masks known to be causal (boolean or added) "
                "into the attention's causal attribute";
  let description = [{
    An attention whose mask is known at compile time and holds, for every
    batch and head it broadcasts over, the causal pattern of its `[Lq, Lk]`
    scores, with `Lk >= Lq` so that every query keeps a key, becomes `causal`
    with no mask. The pattern keeps key `j` of query `i` exactly where
    `j <= i + Lk - Lq`: a keep mask is true exactly there, a drop mask
    exactly elsewhere (either with a `masked_score` of -inf or at most
    -1e30), and an added f32 mask is 0 exactly there and -inf or at most
    -1e30 elsewhere (such a score's weight is exactly 0 in f32, as its row
    keeps a real score; with -10000 it need not be). Its kernel then computes the mask from the
    positions, skips the key blocks past each query block's last key (about
    half the work of a long causal attention) and reads no mask.

    The mask is known when it is a `graph.constant` (the TorchScript
    exporter's Trilu of ones, folded by the importer) or a `graph.weight`
    whose bytes the compiler lends the pass: the default exporter's `triu`,
    GPT-2's sliced `bias` buffer, or the additive mask transformers builds,
    which the importer folds to a weight. `meldc` lends every weight but,
    with external weights, the model's initializers, whose values come at
    run time.

    A mask computed from the model's inputs (transformers' padding mask) is
    split: a keep mask, or an added `where(cond, 0, c)` with `c` -inf or at
    most -1e30, keeps a score where every factor of the `graph.and`s
    computing its condition holds. The known factors go where together
    they are true everywhere (BERT's padding mask expanded over the
    queries), or hold the causal pattern; then the attention is causal, the
    keys past the diagonal masked with `c` as the mask masked them. The
    factors left are the attention's keep mask with masked score `c`: the
    padding, `[batch, 1, 1, keys]`, which the kernel reads instead of the
    `[batch, 1, queries, keys]` floats an added mask takes. With finfo.min
    (the default exporter's), a query whose keys up to its own are all
    padding weighs every key alike, those past the diagonal too: a program
    with such a query reads the keys past the diagonal after all.

    ```mlir
    %o = graph.attention %q, %k, %v, %m {mask_kind = #graph.mask<keep>, masked_score = -3.4028234663852886E+38 : f64, scale = 0.2 : f64} : (...)
    // with %m = graph.constant dense<[[true, false], [true, true]]> becomes
    %o = graph.attention %q, %k, %v {causal, mask_kind = #graph.mask<none>, scale = 0.2 : f64} : (...)
    // with %m = graph.where (graph.and %padding, %causal), 0, -inf becomes
    %o = graph.attention %q, %k, %v, %padding {causal, mask_kind = #graph.mask<keep>, masked_score = 0xFFF0000000000000 : f64, scale = 0.2 : f64} : (...)
    ```
  }];
  let dependentDialects = ["meld::graph::GraphDialect"];
}

def GraphFuse : Pass<"meld-graph-fuse", "mlir::ModuleOp"> {
  let summary = "Partition the graph into fusion groups: elementwise chains, "
                "matmul prologues and epilogues, sibling matmuls, MLPs, "
                "attention with its operands and projection, row-wise ops "
                "with their neighbours, and the views they read and store "
                "through";
  let description = [{
    Puts chains of elementwise ops (every op with `ElementwiseOpInterface`)
    into `graph.fusion_group pointwise` ops, each one kernel: the values
    passed inside a group never reach device memory. An elementwise op joins
    the group of an elementwise op producing one of its operands when:

    - every value the merged group returns (used outside it, or by the
      function's return) has the shape of the group's last op, the kernel's
      iteration space; a value of a smaller shape (a bias computed once and
      broadcast) joins only when all its users are in the group;
    - no value of the group is used outside it before its last op, so no op
      outside runs between the group's ops (no path leaves the group and
      comes back in);
    - the group stays within `max-group-ops` ops;
    - a group holds at most one `graph.matmul` (operands of rank 2 or more),
      whose operands come from outside the group and whose result has the
      group's shape: the elementwise ops after it (bias, activation, scale,
      residual add) become its epilogue, a `matmul` group.

    Views are read and stored in place rather than copied (see
    `ViewOpInterface`):
    - the chain of views (split, reshape, transpose, slice, expand) between
      a group's op and the furthest value whose buffer the chain addresses is
      copied into the group: the split of a fused QKV projection, the head
      transposes, repeated K/V heads. A view that no layout describes (a
      reshape cutting a transposed dimension unevenly) ends the chain.
    - a result read only by reshapes and transposes is stored through them,
      which move into the group.
    A matmul alone becomes a group when it reads or stores through a view.
    A chain of reshapes alone is left out: a reshape costs nothing anyway.

    A `graph.layernorm` or `graph.rmsnorm` over the last axis whose every
    reader is the left operand of a matmul becomes the prologue of each of
    those matmul groups (copied in, like a view): the kernel normalizes its
    rows of A itself, and the normalization's own kernel and its output in
    memory go away (GPT-2's LayerNorm before the QKV projection, Llama's
    RMSNorm before the Q, K and V projections). A normalization over the
    last axis of a matmul group's only value (BERT's after the residual add,
    also read by a later add) becomes that group's row epilogue instead: each
    program computes whole rows and normalizes them.

    Matmul groups whose matmuls share their left operand (and a prologue)
    merge into one group of several matmuls, one kernel whose programs each
    compute a tile of one of them (the Q, K and V projections), where
    neither group reads the other's values and no value is used before the
    merged group's place. Products of one shape that one group's epilogue
    combines elementwise with the other's (SwiGLU's gate and up) merge as
    one part: each program computes both tiles in one loop over K.

    Last, two matmul groups in sequence become one `chain` group, a
    transformer's MLP in one kernel whose intermediate never reaches device
    memory: the first group's only value read outside (after its bias and
    activation, or SwiGLU's gate product) is the left operand of the second
    group's one matmul and read by nothing else, the first group's other
    values are elementwise ops of its products' shape, and the second
    product has at most `max-chain-columns` columns, since each program of
    the chain holds whole rows of its result (its epilogue and row epilogue
    come along). GPT-2-small's MLP (768 columns) stays two kernels; a model
    of hidden size 256 or less gets one. Likewise an attention's output
    projection joins the attention's group: a matmul group of one matmul
    (with its epilogue and row epilogue) whose left operand is the attention's result with
    its heads merged (transposed and reshaped to [batch..., queries, heads x
    dv], `isMergedHeads`) through views read only on the way, by a 2-D
    weight of at most `max-chain-columns` columns, where the attention group
    gives nothing else. Its kernel computes each head in turn and multiplies
    its output by the head's rows of the weight, so the attention's result
    never reaches device memory.

    A `graph.gather` of arguments starts a pointwise group that the
    elementwise ops after it may join (the token embedding plus positions).

    Every `graph.attention` is an `attention` group, with the ops computing
    its operands that only it reads (whole groups, never a matmul's
    epilogue): elementwise ops, concats and views of computed values, such
    as the rotary embeddings of Q and K and the preparation of a padding
    mask, which its kernel computes where it reads them.

    A row-wise op that no matmul took (`getRowAxis`: a softmax of the last
    axis, a LayerNorm or RMSNorm, a reduction of the trailing axes) is a
    `rows` group with the pointwise group computing its input (its
    prologue: the scale and mask before a softmax, the residual add before a
    LayerNorm, which the kernel computes in each pass over a row) and a
    pointwise group reading its result (its epilogue). A pointwise group
    joins whole, only where the kernel can compute what the row-wise op
    reads element by element, and where every value the rows group returns
    has the row-wise op's result shape (the residual sum before a LayerNorm
    may be one; the squares before a mean may not) and is used after the
    group's last op. A softmax of another axis, a reduction of axes that
    are not the trailing ones, and a row-wise op that takes in neither
    neighbour stay ops.

    Splat constants are copied into the groups that use them. Ops that
    are neither elementwise nor row-wise (concat outside an attention,
    gathers after their first op) stay where they are, and an elementwise
    op alone, with no view to absorb, stays an op.

    Before:
    ```mlir
    %0 = graph.add %x, %b : (tensor<41x480xf32>, tensor<480xf32>) -> tensor<41x480xf32>
    %1 = graph.gelu %0 : tensor<41x480xf32>
    %2 = graph.matmul %1, %w : (tensor<41x480xf32>, tensor<480x120xf32>) -> tensor<41x120xf32>
    ```
    After:
    ```mlir
    %1 = graph.fusion_group pointwise (%x, %b) : (tensor<41x480xf32>, tensor<480xf32>) -> tensor<41x480xf32> {
    ^bb0(%a: tensor<41x480xf32>, %c: tensor<480xf32>):
      %0 = graph.add %a, %c : (tensor<41x480xf32>, tensor<480xf32>) -> tensor<41x480xf32>
      %g = graph.gelu %0 : tensor<41x480xf32>
      graph.yield %g : tensor<41x480xf32>
    }
    %2 = graph.matmul %1, %w : (tensor<41x480xf32>, tensor<480x120xf32>) -> tensor<41x120xf32>
    ```
  }];
  let dependentDialects = ["meld::graph::GraphDialect"];
  let options = [
    Option<"maxGroupOps", "max-group-ops", "int64_t", "64",
           "The most ops one group may hold">,
    Option<"fuseMatmulEpilogues", "matmul-epilogues", "bool", "true",
           "Fuse elementwise ops into the matmul they consume">,
    Option<"fuseMatmulChains", "matmul-chains", "bool", "true",
           "Join two matmul groups in sequence (an MLP) into a chain group, "
           "and an attention's output projection into its group">,
    Option<"maxChainColumns", "max-chain-columns", "int64_t", "256",
           "The most columns a chain's second product or an attention's "
           "projection may have (each program holds whole rows of it)">,
  ];
}

def GraphChooseTiles : Pass<"meld-graph-choose-tiles", "mlir::ModuleOp"> {
  let summary = "Choose each matmul and attention kernel's tiles from a cost "
                "model of the target";
  let description = [{
    Sets `tile_sizes` on every `matmul` group (`[M, N, K]`: the result tile
    a program computes and the K step), `chain` group and `attention` group
    (`[queries, keys]`), which `meld-graph-to-tile` then builds the kernel
    with, and on a GPU `num_warps`, the warps the tiles were chosen for. The
    choice is the candidate (M from 16 to 128, N from 32 to 256; attention
    queries 16, 32 or 64) with the least estimated time on `target`, the
    longest of three parts:

    - compute: a warp computes at 1/16 of its SM's rate (16 warps
      resident), and programs run in waves of `SMs x 16 / warps`, each
      computing its whole tile (ragged edges included; on sm_90a at a
      tensor-core precision, wgmma's 64 rows at least);
    - shared memory: each warp (warpgroup, on wgmma) reads the rows of A
      and columns of B its part of the tile needs, at 1/16 of the SM's 128
      bytes a cycle; the warps split the tile as `meld-tile-gpu-accelerate-dot`
      will (`tile::getMmaWarps`: the squarest warp tiles, or rows first
      where the rows are reduced);
    - device memory: every program streams its rows of A and columns of B
      through the L2 (taken as 3x the device-memory bandwidth).

    Ties go to the larger tile. A program has a warp per 256 accumulators
    up to 4, then as many more, up to 8, as keep a thread within 64 (32 with
    a normalization prologue or row epilogue, counting both products of a
    dual product); a tile needing more is no candidate. With 16-bit operands
    a tile of 64x64 or more steps 32 along K, else 16. An attention block's
    warps split its query rows first (16 rows a warp, as FlashAttention-2),
    its keys in blocks of 32, and holds at most 80 registers a thread
    across its loop over keys (Q's operand registers, the output
    accumulator, the scores and their operand copy, an output projection's
    accumulator and the output's operand copy); on wgmma, whose operands
    come from shared memory, at most 128 (without the operand copies), a
    warpgroup holding 64 rows at least. With a projection, a block also
    holds the block of its weight each head reads (d x columns) where it
    goes through registers (mma.sync, and wgmma at tf32). Where no block
    keeps within that over its default warps, blocks take more, up to 8
    (over the fewest rows where a target runs mma.sync); a chain's block of 16
    rows (a whole row each of its second product and a block of 32
    intermediate columns with their copy) too. A block whose warps share
    rows pays for
    exchanging their maxima and sums through shared memory. The target's
    rates and SM count are those of `meldc --report` (A100 for sm_80, H100
    for sm_90a). With a `precision` on tensor cores (tf32, fp16, bf16),
    products run at the target's dense tensor-core rate (f16/bf16; tf32 at
    half of it): compute shrinks, and operand traffic, which larger tiles
    cut, weighs more. The options fix any size for every kernel instead.

    With `target=cpu` (what `meldc --target=cpu` compiles with: no GPU
    kernels share the tiles), the model is the host's product microkernel
    (`meld-tile-to-vector`): M from 8 to 64 and N from 32 to 256, each
    program computing its padded tile at the core's FMA rate after copying its
    rows of A and columns of B into stack panels (five FMA slots per SIMD
    register copied; B is read in place, but each tile of rows reads it
    again), programs in waves of 8 threads. all-MiniLM's FFN up-projection,
    2 x [37, 384] x [384, 1536], gets 16x128 tiles: 48 rows per sequence where
    32-row tiles compute 64, A copied 12 times where 16x64 tiles copy it 24.
    An attention block gets the query block (16 or 32) with the fewest padded
    queries.

    A `chain` group gets `[M, I, K]`: 16 rows per program (or the
    problem's rows, when fewer), since each program computes whole rows of
    the result, blocks of 32 intermediate columns, and K steps of 16.

    GPT-2-small's QKV projection at sequence 1024 on sm_80 at bf16,
    [1024, 768] x [768, 2304]: 128x128 tiles over 8 warps, whose 32x64
    warp tiles keep the tensor cores fed from shared memory, where 32x32
    tiles would wait on it:
    ```mlir
    %0 = graph.fusion_group matmul (%x, %w) {num_warps = 8 : i64, tile_sizes = array<i64: 128, 128, 32>} : ...
    ```
  }];
  let options = [
    Option<"target", "target", "std::string", "\"sm_80\"",
           "The GPU whose rates the cost model uses (sm_80, sm_86, sm_89, "
           "sm_90, sm_90a), or cpu: the host's product microkernel">,
    ListOption<"alsoTargets", "also-targets", "std::string",
               "Further GPUs the kernels are compiled for with the same "
               "tiles: every whole-row block keeps within their register "
               "bounds too">,
    Option<"tileM", "tile-m", "int64_t", "0",
           "Rows of every matmul's result tile and queries of every "
           "attention block (0: chosen)">,
    Option<"tileN", "tile-n", "int64_t", "0",
           "Columns of every matmul's result tile, a chain's intermediate "
           "block and keys of every attention block (0: chosen)">,
    Option<"tileK", "tile-k", "int64_t", "0",
           "K step of every matmul (0: 16)">,
    Option<"precision", "precision", "std::string", "\"fp32\"",
           "What the matmuls' products run at: fp32 (the CUDA cores), tf32, "
           "fp16 or bf16 (tensor cores, at the target's tensor rate)">,
  ];
}

#endif // MELD_DIALECTS_GRAPH_TRANSFORMS_PASSES_TD
