"""ONNX graphs of the GPU benchmark, written with onnx.helper (no torch needed).

Each graph mirrors, node for node, what an exporter produces for the block it is
named after (the same patterns as test/E2E/fixtures/generate.py, whose fixtures
were exported from torch):

  gpt2   GPT-2 block as the TorchScript exporter writes it (opset 17): LayerNormalization,
         fused QKV MatMul + Add, Split, the Shape/Gather/Unsqueeze/Concat subgraphs in
         front of every Reshape, Transposes, the causal mask as a bool buffer sliced to
         the sequence length and applied with Where(mask, scores, finfo.min), Softmax,
         GELU's tanh approximation written out (Mul, Pow, Tanh, ...), residual Adds.
  llama  Llama decoder layer as torch.export + onnxscript write it (opset 18): RMSNorm
         decomposed (Pow, ReduceMean, Add, Sqrt, Reciprocal, Mul), Q/K/V MatMuls, Reshape
         with constant shapes, rotary embeddings (Mul by a cos table, Slice/Neg/Concat for
         rotate_half, Mul by a sin table, Add), K/V repeated for grouped-query attention
         (Unsqueeze/Expand/Reshape, only when there are fewer KV heads than heads), the
         causal mask as a bool triu buffer in Where(mask, finfo.min, scores), Softmax,
         SwiGLU MLP (Sigmoid, Mul), residual Adds.

Every float initializer is stored as ONNX external data in one file next to the graph
(64-byte aligned offsets); only the small int64 shape/index constants stay inline. The
external data file is written *sparse* (os.truncate to its size): meldc never reads the
bytes of a large initializer (it becomes a weight handle, and with --weights=external
the artifact holds none), so no real weights are needed to compile. `weights` in the
returned spec says how the benchmark's run step fills each initializer (its `init`):

  {"kind": "normal", "std": s}      seeded N(0, s^2) (s = 1/sqrt(fan_in) for matrices)
  {"kind": "ones"}                  norm scales
  {"kind": "tril"} / {"kind": "triu"}   causal masks (bool)
  {"kind": "rope_cos"|"rope_sin", "theta": t}   rotary tables [seq, head_dim]
"""

import math
import os

import numpy as np
import onnx
from onnx import TensorProto, helper

F32 = TensorProto.FLOAT
I64 = TensorProto.INT64
BOOL = TensorProto.BOOL
F32_MIN = float(np.finfo(np.float32).min)
MAX_INLINE_ELEMENTS = 64


class GraphBuilder:
    """Collects nodes and initializers; external initializers go to one data file."""

    def __init__(self, data_file):
        self.nodes = []
        self.inline = []
        self.external = []  # (TensorProto without data, numpy dtype, shape, init)
        self.data_file = data_file
        self.offset = 0
        self.weights = []

    def node(self, op, inputs, outputs, name, **attrs):
        self.nodes.append(helper.make_node(op, inputs, outputs, name=name, **attrs))
        return outputs[0] if len(outputs) == 1 else outputs

    def const(self, name, values, dtype=np.int64):
        """A Constant node (the TorchScript exporter's way for shape constants)."""
        arr = np.asarray(values, dtype=dtype)
        self.nodes.append(helper.make_node(
            "Constant", [], [name], name=name + "_node",
            value=onnx.numpy_helper.from_array(arr, name)))
        return name

    def inline_init(self, name, values, dtype=np.int64):
        """A small initializer stored in the graph (dynamo's way for shape constants)."""
        self.inline.append(onnx.numpy_helper.from_array(np.asarray(values, dtype=dtype), name))
        return name

    def weight(self, name, shape, init, dtype=F32):
        """An initializer kept as external data, filled by the run step from `init`."""
        np_dtype = {F32: np.float32, BOOL: np.bool_}[dtype]
        # meldc reads initializers of at most 64 elements into the IR as constants
        # (ImportOptions::maxInlineConstantElements), from the sparse file here: every
        # weight the run step fills must be larger, or it would be compiled as zeros.
        assert int(np.prod(shape)) > MAX_INLINE_ELEMENTS, \
            f"{name}: {shape} has too few elements to stay a weight handle in meldc"
        nbytes = int(np.prod(shape)) * np.dtype(np_dtype).itemsize
        self.offset = (self.offset + 63) // 64 * 64
        t = TensorProto()
        t.name = name
        t.data_type = dtype
        t.dims.extend(shape)
        t.data_location = TensorProto.EXTERNAL
        for k, v in (("location", self.data_file), ("offset", str(self.offset)),
                     ("length", str(nbytes))):
            e = t.external_data.add()
            e.key, e.value = k, v
        self.external.append(t)
        self.weights.append({
            "name": name, "shape": list(shape),
            "dtype": {F32: "float32", BOOL: "bool"}[dtype],
            "init": init, "offset": self.offset, "bytes": nbytes})
        self.offset += nbytes
        return name

    def linear_weight(self, name, fan_in, fan_out):
        return self.weight(name, [fan_in, fan_out],
                           {"kind": "normal", "std": 1.0 / math.sqrt(fan_in)})

    def bias(self, name, n):
        return self.weight(name, [n], {"kind": "normal", "std": 0.02})

    def finish(self, graph_name, inputs, outputs, opset):
        graph = helper.make_graph(self.nodes, graph_name, inputs, outputs,
                                  initializer=self.inline + self.external)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                                  producer_name="meld-bench")
        model.ir_version = 8
        return model


def shape_dim(g, src, index, prefix):
    """Shape -> Gather(index): one dimension as a scalar, as TorchScript exports x.size(i)."""
    shape = g.node("Shape", [src], [f"{prefix}/Shape_{index}_output_0"], f"{prefix}/Shape_{index}")
    idx = g.const(f"{prefix}/Constant_dim{index}_output_0", index)
    return g.node("Gather", [shape, idx], [f"{prefix}/Gather_{index}_output_0"],
                  f"{prefix}/Gather_{index}", axis=0)


def unsqueeze0(g, scalar, name):
    axes = g.const(f"{name}_axes", [0])
    return g.node("Unsqueeze", [scalar, axes], [f"{name}_output_0"], name)


def dyn_shape(g, parts, name):
    """Concat of Unsqueezed scalars and constants: the exporters' dynamic view shapes."""
    return g.node("Concat", parts, [f"{name}_output_0"], name, axis=0)


def gpt2_layer(cfg, data_file):
    """GPT-2 block (pre-LN, fused QKV, causal mask buffer, tanh GELU) at cfg's sizes."""
    H, nh, inner, S, B = cfg["hidden"], cfg["heads"], cfg["inner"], cfg["seq"], cfg["batch"]
    hd = H // nh
    g = GraphBuilder(data_file)
    ln1_w = g.weight("h.0.ln_1.weight", [H], {"kind": "ones"})
    ln1_b = g.bias("h.0.ln_1.bias", H)
    w_attn = g.linear_weight("h.0.attn.c_attn.weight", H, 3 * H)
    b_attn = g.bias("h.0.attn.c_attn.bias", 3 * H)
    w_proj = g.linear_weight("h.0.attn.c_proj.weight", H, H)
    b_proj = g.bias("h.0.attn.c_proj.bias", H)
    mask = g.weight("h.0.attn.bias", [1, 1, S, S], {"kind": "tril"}, dtype=BOOL)
    ln2_w = g.weight("h.0.ln_2.weight", [H], {"kind": "ones"})
    ln2_b = g.bias("h.0.ln_2.bias", H)
    w_fc = g.linear_weight("h.0.mlp.c_fc.weight", H, inner)
    b_fc = g.bias("h.0.mlp.c_fc.bias", inner)
    w_fc2 = g.linear_weight("h.0.mlp.c_proj.weight", inner, H)
    b_fc2 = g.bias("h.0.mlp.c_proj.bias", H)

    x = "hidden_states"
    ln1 = g.node("LayerNormalization", [x, ln1_w, ln1_b], ["/ln_1/LayerNormalization_output_0"],
                 "/ln_1/LayerNormalization", axis=-1, epsilon=1e-5)
    b = shape_dim(g, ln1, 0, "/attn")
    t = shape_dim(g, ln1, 1, "/attn")
    c = shape_dim(g, ln1, 2, "/attn")
    mm = g.node("MatMul", [ln1, w_attn], ["/attn/c_attn/MatMul_output_0"], "/attn/c_attn/MatMul")
    qkv = g.node("Add", [b_attn, mm], ["/attn/c_attn/Add_output_0"], "/attn/c_attn/Add")
    split = g.const("/attn/Constant_split_output_0", [H, H, H])
    q, k, v = g.node("Split", [qkv, split], ["/attn/Split_output_0", "/attn/Split_output_1",
                                             "/attn/Split_output_2"], "/attn/Split", axis=2)
    heads = []
    for i, (src, perm) in enumerate(((q, [0, 2, 1, 3]), (k, [0, 2, 3, 1]), (v, [0, 2, 1, 3]))):
        shape = dyn_shape(g, [unsqueeze0(g, b, f"/attn/Unsqueeze_b{i}"),
                              unsqueeze0(g, t, f"/attn/Unsqueeze_t{i}"),
                              g.const(f"/attn/Constant_nh{i}_output_0", [nh]),
                              g.const(f"/attn/Constant_hd{i}_output_0", [hd])],
                          f"/attn/Concat_{i}")
        r = g.node("Reshape", [src, shape], [f"/attn/Reshape_{i}_output_0"], f"/attn/Reshape_{i}",
                   allowzero=0)
        heads.append(g.node("Transpose", [r], [f"/attn/Transpose_{i}_output_0"],
                            f"/attn/Transpose_{i}", perm=perm))
    qh, kt, vh = heads
    scores = g.node("MatMul", [qh, kt], ["/attn/MatMul_output_0"], "/attn/MatMul")
    scale = g.const("/attn/Constant_scale_output_0", np.float32(math.sqrt(hd)), np.float32)
    scores = g.node("Div", [scores, scale], ["/attn/Div_output_0"], "/attn/Div")
    # bias[:, :, :t, :t]: two Slices whose ends come from the sequence length.
    sliced = mask
    for i, axis in enumerate((2, 3)):
        end = unsqueeze0(g, t, f"/attn/Unsqueeze_slice{i}")
        sliced = g.node("Slice", [sliced, g.const(f"/attn/Constant_s{i}_output_0", [0]), end,
                                  g.const(f"/attn/Constant_a{i}_output_0", [axis]),
                                  g.const(f"/attn/Constant_st{i}_output_0", [1])],
                        [f"/attn/Slice_{i}_output_0"], f"/attn/Slice_{i}")
    fill = g.const("/attn/Constant_min_output_0", np.float32(F32_MIN), np.float32)
    scores = g.node("Where", [sliced, scores, fill], ["/attn/Where_output_0"], "/attn/Where")
    probs = g.node("Softmax", [scores], ["/attn/Softmax_output_0"], "/attn/Softmax", axis=-1)
    ctx = g.node("MatMul", [probs, vh], ["/attn/MatMul_1_output_0"], "/attn/MatMul_1")
    ctx = g.node("Transpose", [ctx], ["/attn/Transpose_3_output_0"], "/attn/Transpose_3",
                 perm=[0, 2, 1, 3])
    shape = dyn_shape(g, [unsqueeze0(g, b, "/attn/Unsqueeze_ob"),
                          unsqueeze0(g, t, "/attn/Unsqueeze_ot"),
                          unsqueeze0(g, c, "/attn/Unsqueeze_oc")], "/attn/Concat_3")
    ctx = g.node("Reshape", [ctx, shape], ["/attn/Reshape_3_output_0"], "/attn/Reshape_3",
                 allowzero=0)
    o = g.node("MatMul", [ctx, w_proj], ["/attn/c_proj/MatMul_output_0"], "/attn/c_proj/MatMul")
    o = g.node("Add", [b_proj, o], ["/attn/c_proj/Add_output_0"], "/attn/c_proj/Add")
    x1 = g.node("Add", [x, o], ["/Add_output_0"], "/Add")
    ln2 = g.node("LayerNormalization", [x1, ln2_w, ln2_b], ["/ln_2/LayerNormalization_output_0"],
                 "/ln_2/LayerNormalization", axis=-1, epsilon=1e-5)
    h = g.node("MatMul", [ln2, w_fc], ["/mlp/c_fc/MatMul_output_0"], "/mlp/c_fc/MatMul")
    h = g.node("Add", [b_fc, h], ["/mlp/c_fc/Add_output_0"], "/mlp/c_fc/Add")
    # NewGELU: 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))
    half = g.node("Mul", [h, g.const("/act/Constant_output_0", np.float32(0.5), np.float32)],
                  ["/act/Mul_output_0"], "/act/Mul")
    cube = g.node("Pow", [h, g.const("/act/Constant_1_output_0", np.float32(3.0), np.float32)],
                  ["/act/Pow_output_0"], "/act/Pow")
    cube = g.node("Mul", [cube, g.const("/act/Constant_2_output_0", np.float32(0.044715),
                                        np.float32)], ["/act/Mul_1_output_0"], "/act/Mul_1")
    inner_sum = g.node("Add", [h, cube], ["/act/Add_output_0"], "/act/Add")
    inner_sum = g.node("Mul", [inner_sum, g.const("/act/Constant_3_output_0",
                                                  np.float32(math.sqrt(2.0 / math.pi)),
                                                  np.float32)],
                       ["/act/Mul_2_output_0"], "/act/Mul_2")
    th = g.node("Tanh", [inner_sum], ["/act/Tanh_output_0"], "/act/Tanh")
    th = g.node("Add", [th, g.const("/act/Constant_4_output_0", np.float32(1.0), np.float32)],
                ["/act/Add_1_output_0"], "/act/Add_1")
    act = g.node("Mul", [half, th], ["/act/Mul_3_output_0"], "/act/Mul_3")
    m = g.node("MatMul", [act, w_fc2], ["/mlp/c_proj/MatMul_output_0"], "/mlp/c_proj/MatMul")
    m = g.node("Add", [b_fc2, m], ["/mlp/c_proj/Add_output_0"], "/mlp/c_proj/Add")
    g.node("Add", [x1, m], ["output"], "/Add_1")
    model = g.finish("gpt2_layer",
                     [helper.make_tensor_value_info("hidden_states", F32, [B, S, H])],
                     [helper.make_tensor_value_info("output", F32, [B, S, H])], opset=17)
    return model, g


def rms_norm(g, x, weight, prefix, eps_name, two, axes):
    p = g.node("Pow", [x, two], [f"{prefix}_pow"], f"node_{prefix}_pow")
    m = g.node("ReduceMean", [p, axes], [f"{prefix}_mean"], f"node_{prefix}_mean", keepdims=1,
               noop_with_empty_axes=0)
    a = g.node("Add", [m, eps_name], [f"{prefix}_add"], f"node_{prefix}_add")
    s = g.node("Sqrt", [a], [f"{prefix}_sqrt"], f"node_{prefix}_Sqrt")
    r = g.node("Reciprocal", [s], [f"{prefix}_rsqrt"], f"node_{prefix}_rsqrt")
    y = g.node("Mul", [x, r], [f"{prefix}_mul"], f"node_{prefix}_mul")
    return g.node("Mul", [weight, y], [f"{prefix}_out"], f"node_{prefix}_mul_1")


def llama_layer(cfg, data_file):
    """Llama decoder layer (RMSNorm, rotary, GQA when kv_heads < heads, causal, SwiGLU)."""
    H, nh, kvh, inner, S, B = (cfg["hidden"], cfg["heads"], cfg["kv_heads"], cfg["inner"],
                               cfg["seq"], cfg["batch"])
    hd = H // nh
    theta = cfg.get("rope_theta", 10000.0)
    g = GraphBuilder(data_file)
    in_norm = g.weight("model.layers.0.input_layernorm.weight", [H], {"kind": "ones"})
    wq = g.linear_weight("model.layers.0.self_attn.q_proj.weight_t", H, nh * hd)
    wk = g.linear_weight("model.layers.0.self_attn.k_proj.weight_t", H, kvh * hd)
    wv = g.linear_weight("model.layers.0.self_attn.v_proj.weight_t", H, kvh * hd)
    wo = g.linear_weight("model.layers.0.self_attn.o_proj.weight_t", nh * hd, H)
    post_norm = g.weight("model.layers.0.post_attention_layernorm.weight", [H], {"kind": "ones"})
    wg = g.linear_weight("model.layers.0.mlp.gate_proj.weight_t", H, inner)
    wu = g.linear_weight("model.layers.0.mlp.up_proj.weight_t", H, inner)
    wd = g.linear_weight("model.layers.0.mlp.down_proj.weight_t", inner, H)
    cos = g.weight("rotary.cos", [S, hd], {"kind": "rope_cos", "theta": theta})
    sin = g.weight("rotary.sin", [S, hd], {"kind": "rope_sin", "theta": theta})
    triu = g.weight("causal_mask", [S, S], {"kind": "triu"}, dtype=BOOL)

    two = g.inline_init("val_0", np.float32(2.0), np.float32)
    axes = g.inline_init("val_3", [-1])
    eps = g.inline_init("val_4", np.float32(1e-6), np.float32)
    x = "hidden_states"
    h = rms_norm(g, x, in_norm, "input_norm", eps, two, axes)

    def project(w, n_heads, name):
        y = g.node("MatMul", [h, w], [f"{name}_linear"], f"node_{name}_linear")
        shape = g.inline_init(f"{name}_shape", [B, S, n_heads, hd])
        y = g.node("Reshape", [y, shape], [f"{name}_view"], f"node_{name}_view", allowzero=1)
        return g.node("Transpose", [y], [f"{name}_transpose"], f"node_{name}_transpose",
                      perm=[0, 2, 1, 3])

    q = project(wq, nh, "q")
    k = project(wk, kvh, "k")
    v = project(wv, kvh, "v")

    half = hd // 2
    i0 = g.inline_init("val_52", [0])
    ihalf = g.inline_init("val_56", [half])
    iaxis = g.inline_init("val_60", [3])
    istep = g.inline_init("val_61", [1])
    iend = g.inline_init("val_64", [np.iinfo(np.int64).max])

    def rotary(t, name):
        a = g.node("Mul", [t, cos], [f"{name}_mul_cos"], f"node_{name}_mul_cos")
        x2 = g.node("Slice", [t, ihalf, iend, iaxis, istep], [f"{name}_slice_hi"],
                    f"node_{name}_slice_hi")
        x2 = g.node("Neg", [x2], [f"{name}_neg"], f"node_{name}_neg")
        x1 = g.node("Slice", [t, i0, ihalf, iaxis, istep], [f"{name}_slice_lo"],
                    f"node_{name}_slice_lo")
        rot = g.node("Concat", [x2, x1], [f"{name}_cat"], f"node_{name}_cat", axis=-1)
        bb = g.node("Mul", [rot, sin], [f"{name}_mul_sin"], f"node_{name}_mul_sin")
        return g.node("Add", [a, bb], [f"{name}_rope"], f"node_{name}_rope")

    q = rotary(q, "q")
    k = rotary(k, "k")
    if kvh != nh:
        rep = nh // kvh
        ax = g.inline_init("val_92", [2])
        eshape = g.inline_init("val_99", [B, kvh, rep, S, hd])
        rshape = g.inline_init("val_105", [B, nh, S, hd])

        def repeat_kv(t, name):
            u = g.node("Unsqueeze", [t, ax], [f"{name}_unsqueeze"], f"node_{name}_unsqueeze")
            e = g.node("Expand", [u, eshape], [f"{name}_expand"], f"node_{name}_expand")
            return g.node("Reshape", [e, rshape], [f"{name}_rep"], f"node_{name}_unsafe_view",
                          allowzero=1)

        k = repeat_kv(k, "k")
        v = repeat_kv(v, "v")
    kt = g.node("Transpose", [k], ["k_t"], "node_transpose_3", perm=[0, 1, 3, 2])
    scores = g.node("MatMul", [q, kt], ["matmul"], "node_matmul")
    scale = g.inline_init("val_119", np.float32(math.sqrt(hd)), np.float32)
    scores = g.node("Div", [scores, scale], ["div"], "node_div")
    fill = g.inline_init("val_125", np.float32(F32_MIN), np.float32)
    scores = g.node("Where", [triu, fill, scores], ["where"], "node_where")
    probs = g.node("Softmax", [scores], ["probs"], "node_Softmax", axis=-1)
    ctx = g.node("MatMul", [probs, v], ["matmul_1"], "node_matmul_1")
    ctx = g.node("Transpose", [ctx], ["transpose_4"], "node_transpose_4", perm=[0, 2, 1, 3])
    oshape = g.inline_init("val_131", [B, S, nh * hd])
    ctx = g.node("Reshape", [ctx, oshape], ["attn"], "node__unsafe_view_2", allowzero=1)
    o = g.node("MatMul", [ctx, wo], ["o_linear"], "node_o_linear")
    x1 = g.node("Add", [x, o], ["add_3"], "node_add_3")
    h = rms_norm(g, x1, post_norm, "post_norm", eps, two, axes)
    gate = g.node("MatMul", [h, wg], ["gate_linear"], "node_gate_linear")
    sig = g.node("Sigmoid", [gate], ["gate_sigmoid"], "node_Sigmoid")
    silu = g.node("Mul", [gate, sig], ["silu"], "node_silu")
    up = g.node("MatMul", [h, wu], ["up_linear"], "node_up_linear")
    prod = g.node("Mul", [silu, up], ["mul_8"], "node_mul_8")
    down = g.node("MatMul", [prod, wd], ["down_linear"], "node_down_linear")
    g.node("Add", [x1, down], ["output"], "node_add_5")
    model = g.finish("llama_layer",
                     [helper.make_tensor_value_info("hidden_states", F32, [B, S, H])],
                     [helper.make_tensor_value_info("output", F32, [B, S, H])], opset=18)
    return model, g


BUILDERS = {"gpt2": gpt2_layer, "llama": llama_layer}

# The benchmark's models. "full" ones are what the GPU server times; each has a "tiny"
# variant of the same graph at small, odd sizes, for testing the run step here (emu).
MODELS = {
    "gpt2-layer": {"arch": "gpt2", "size": "full", "batch": 1, "seq": 2048,
                   "hidden": 768, "heads": 12, "inner": 3072,
                   "about": "GPT-2 small block (hidden 768, 12 heads, MLP 3072), 2048 tokens"},
    "llama7b-layer": {"arch": "llama", "size": "full", "batch": 1, "seq": 2048,
                      "hidden": 4096, "heads": 32, "kv_heads": 32, "inner": 11008,
                      "about": "Llama-2-7B decoder layer (hidden 4096, 32 heads, 32 KV heads, "
                               "SwiGLU 11008, RMSNorm, rotary, causal), 2048 tokens"},
    # Tiny sizes keep every weight above 64 elements (see GraphBuilder.weight).
    "gpt2-tiny": {"arch": "gpt2", "size": "tiny", "batch": 1, "seq": 13,
                  "hidden": 72, "heads": 4, "inner": 100,
                  "about": "the gpt2-layer graph at hidden 72, 4 heads, MLP 100, 13 tokens"},
    "llama-tiny": {"arch": "llama", "size": "tiny", "batch": 1, "seq": 11,
                   "hidden": 80, "heads": 4, "kv_heads": 4, "inner": 88,
                   "about": "the llama7b-layer graph at hidden 80, 4 heads, MLP 88, 11 tokens"},
    "llama-gqa-tiny": {"arch": "llama", "size": "tiny", "batch": 1, "seq": 11,
                       "hidden": 80, "heads": 4, "kv_heads": 2, "inner": 88,
                       "about": "the llama graph with grouped-query attention (2 KV heads): "
                                "hidden 80, 4 heads, MLP 88, 11 tokens"},
}


def write_model(name, cfg, out_dir):
    """Writes OUT/NAME.onnx and its sparse external data file NAME.onnx.data.
    Returns (onnx path, manifest entry)."""
    data_file = name + ".onnx.data"
    model, g = BUILDERS[cfg["arch"]](cfg, data_file)
    path = os.path.join(out_dir, name + ".onnx")
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    data_path = os.path.join(out_dir, data_file)
    with open(data_path, "wb"):
        pass
    os.truncate(data_path, g.offset)  # sparse: no bytes written
    onnx.checker.check_model(path, full_check=True)  # a path: external data checked too
    B, S, H = cfg["batch"], cfg["seq"], cfg["hidden"]
    entry = {
        "name": name, "arch": cfg["arch"], "size": cfg["size"], "about": cfg["about"],
        "config": {k: v for k, v in cfg.items() if k not in ("about", "size", "arch")},
        "onnx": name + ".onnx", "onnx_data": data_file, "onnx_data_bytes": g.offset,
        "inputs": [{"name": "hidden_states", "shape": [B, S, H], "dtype": "float32",
                    "init": {"kind": "normal", "std": 1.0}}],
        "outputs": [{"name": "output", "shape": [B, S, H], "dtype": "float32"}],
        "weights": g.weights,
        "flops": flops(cfg),
    }
    return path, entry


def flops(cfg):
    """Multiply-add work of one forward pass (2 flops per MAC), matmuls and attention."""
    B, S, H, nh, inner = cfg["batch"], cfg["seq"], cfg["hidden"], cfg["heads"], cfg["inner"]
    hd = H // nh
    if cfg["arch"] == "gpt2":
        proj = H * 3 * H + H * H + 2 * H * inner
    else:
        kvh = cfg["kv_heads"]
        proj = H * nh * hd + 2 * H * kvh * hd + nh * hd * H + 3 * H * inner
    attn = 2 * nh * S * S * hd  # QK^T and PV, full (the mask is applied after)
    return 2 * B * (S * proj + attn)
