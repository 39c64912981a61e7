#!/usr/bin/env python3
"""Meld GPU benchmark, run step: check and time every artifact of this folder.

    python3 run.py [--device cuda] [--models NAME,...] [--quick] [--ref ort|torch]

Runs from the folder that `bench/gpu/prepare.py` made (meld-run, *.meld, *.onnx,
manifest.json, this file). Needs Python 3.8+ with numpy and onnxruntime (CPU) for the
reference; torch for the PyTorch timings (and for --ref torch). Nothing from the Meld
repository, no network, no compiler toolchain.

For each model:
  1. weights from a seed (numpy; recipes in manifest.json: N(0, 1/fan_in) matrices,
     N(0, 0.02^2) biases, norm scales 1, causal masks, rotary tables), written as a
     safetensors file (by hand: 8-byte header size, JSON header, raw bytes) and as the
     ONNX external data file of a copy of the graph; a random input N(0, 1);
  2. meld-run --device D --weights W.safetensors --repeat N --warmup W: the time of
     each run measured by meld-run (CUDA events around the kernel launches on cuda,
     wall clock on cpu/emu), the outputs of the last run kept;
  3. the reference: onnxruntime on the CPU (independent of Meld and of torch), or with
     --ref torch the same computation written in torch, fp32 on the GPU, TF32 off;
     relative error ||out - ref|| / ||ref|| in float64 must be below 1e-4 (NaN fails);
  4. on cuda with torch: the same computation as a torch module, timed eagerly and
     through torch.compile with CUDA events (warm-up, median of many runs), TF32 off
     as in Meld's fp32 kernels.
Then one table: model, check, relative error, Meld / eager / compile medians and the
ratios eager/Meld and compile/Meld (above 1: Meld is faster). Exit code 0 if every
check passed, 1 otherwise.
"""

import argparse
import json
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import time
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TOLERANCE = 1e-4  # fp32 everywhere (Meld's kernels, onnxruntime, torch with TF32 off)

try:  # torch is optional: only the torch timings and --ref torch need it
    import torch
    import torch.nn.functional as F
    TORCH_ERROR = None
except Exception as e:  # ImportError, or a broken CUDA install
    torch = None
    TORCH_ERROR = f"{type(e).__name__}: {e}"


# --------------------------------------------------------------------------------------
# Weights and inputs
# --------------------------------------------------------------------------------------

def rng_for(seed, what):
    """One generator per tensor, so a tensor's values depend only on (seed, its name)."""
    return np.random.default_rng([seed, zlib.crc32(what.encode())])


def make_tensor(spec, config, seed, what):
    shape = tuple(spec["shape"])
    init = spec["init"]
    kind = init["kind"]
    if kind == "normal":
        a = rng_for(seed, what).standard_normal(shape, dtype=np.float32)
        a *= np.float32(init["std"])
        return a
    if kind == "ones":
        return np.ones(shape, np.float32)
    if kind in ("tril", "triu"):
        s = shape[-1]
        m = np.ones((s, s), np.bool_)
        m = np.tril(m) if kind == "tril" else np.triu(m, k=1)
        return np.ascontiguousarray(m.reshape(shape))
    if kind in ("rope_cos", "rope_sin"):
        seq, hd = shape
        inv_freq = 1.0 / (init["theta"] ** (np.arange(0, hd, 2, dtype=np.float32) / hd))
        freqs = np.outer(np.arange(seq, dtype=np.float32), inv_freq.astype(np.float32))
        emb = np.concatenate([freqs, freqs], axis=-1)
        return (np.cos(emb) if kind == "rope_cos" else np.sin(emb)).astype(np.float32)
    raise ValueError(f"{what}: unknown init kind '{kind}'")


SAFETENSORS_DTYPES = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16",
                      np.dtype(np.bool_): "BOOL", np.dtype(np.int64): "I64",
                      np.dtype(np.int32): "I32", np.dtype(np.uint8): "U8",
                      np.dtype(np.int8): "I8", np.dtype(np.float64): "F64"}


def write_safetensors(path, tensors):
    """Writes `tensors` (name -> numpy array) as safetensors without the safetensors
    package: an 8-byte little-endian header size N, N bytes of JSON (padded with spaces
    so that the data starts 64-byte aligned), then the tensors' bytes back to back."""
    header, offset = {}, 0
    for name, a in tensors.items():
        n = a.nbytes
        header[name] = {"dtype": SAFETENSORS_DTYPES[a.dtype], "shape": list(a.shape),
                        "data_offsets": [offset, offset + n]}
        offset += n
    header["__metadata__"] = {"format": "pt", "producer": "meld bench/gpu/run.py"}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(8 + len(text)) % 64)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for a in tensors.values():
            f.write(memoryview(np.ascontiguousarray(a)).cast("B"))


def write_onnx_data(path, size, model, tensors):
    """The external data file of the graph: each weight at its manifest offset."""
    with open(path, "wb") as f:
        f.truncate(size)
        for w in model["weights"]:
            a = tensors[w["name"]]
            assert a.nbytes == w["bytes"], w["name"]
            f.seek(w["offset"])
            f.write(memoryview(np.ascontiguousarray(a)).cast("B"))


def write_npy(path, a):
    np.save(path, np.ascontiguousarray(a))


# --------------------------------------------------------------------------------------
# The same computations in torch (fp32), for the torch timings and --ref torch
# --------------------------------------------------------------------------------------

if torch is not None:
    class GPT2Layer(torch.nn.Module):
        """graphs.gpt2_layer in torch: pre-LN block, fused QKV, masked softmax
        attention, tanh GELU, residuals; weights stored [in, out] as in the graph."""

        def __init__(self, w, cfg):
            super().__init__()
            self.cfg = cfg
            for name, t in w.items():
                self.register_buffer(name.replace(".", "_"), t)

        def forward(self, x):
            c, p = self.cfg, "h_0_"
            H, nh = c["hidden"], c["heads"]
            hd = H // nh
            b, t, _ = x.shape
            g = lambda n: getattr(self, p + n)  # noqa: E731
            h = F.layer_norm(x, (H,), g("ln_1_weight"), g("ln_1_bias"), 1e-5)
            q, k, v = (h @ g("attn_c_attn_weight") + g("attn_c_attn_bias")).split(H, dim=2)
            q = q.view(b, t, nh, hd).transpose(1, 2)
            k = k.view(b, t, nh, hd).permute(0, 2, 3, 1)
            v = v.view(b, t, nh, hd).transpose(1, 2)
            s = (q @ k) / math.sqrt(hd)
            mask = g("attn_bias")[:, :, :t, :t]
            s = torch.where(mask, s, torch.finfo(torch.float32).min)
            y = torch.softmax(s, dim=-1) @ v
            y = y.transpose(1, 2).reshape(b, t, H)
            x = x + (y @ g("attn_c_proj_weight") + g("attn_c_proj_bias"))
            h = F.layer_norm(x, (H,), g("ln_2_weight"), g("ln_2_bias"), 1e-5)
            h = h @ g("mlp_c_fc_weight") + g("mlp_c_fc_bias")
            h = 0.5 * h * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) *
                                            (h + 0.044715 * torch.pow(h, 3.0))))
            return x + (h @ g("mlp_c_proj_weight") + g("mlp_c_proj_bias"))

    class LlamaLayer(torch.nn.Module):
        """graphs.llama_layer in torch: RMSNorm, rotary from the cos/sin tables, K/V
        repeated for grouped-query attention, triu mask, SwiGLU, residuals."""

        def __init__(self, w, cfg):
            super().__init__()
            self.cfg = cfg
            for name, t in w.items():
                self.register_buffer(name.replace(".", "_"), t)

        def rms(self, x, weight):
            return weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6))

        def forward(self, x):
            c, p = self.cfg, "model_layers_0_"
            H, nh, kvh = c["hidden"], c["heads"], c["kv_heads"]
            hd = H // nh
            b, t, _ = x.shape
            g = lambda n: getattr(self, p + n)  # noqa: E731
            h = self.rms(x, g("input_layernorm_weight"))
            q = (h @ g("self_attn_q_proj_weight_t")).view(b, t, nh, hd).transpose(1, 2)
            k = (h @ g("self_attn_k_proj_weight_t")).view(b, t, kvh, hd).transpose(1, 2)
            v = (h @ g("self_attn_v_proj_weight_t")).view(b, t, kvh, hd).transpose(1, 2)
            cos, sin = self.rotary_cos, self.rotary_sin

            def rotate_half(z):
                return torch.cat((-z[..., hd // 2:], z[..., :hd // 2]), dim=-1)

            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            if kvh != nh:
                rep = nh // kvh
                k = k[:, :, None].expand(b, kvh, rep, t, hd).reshape(b, nh, t, hd)
                v = v[:, :, None].expand(b, kvh, rep, t, hd).reshape(b, nh, t, hd)
            s = (q @ k.transpose(2, 3)) / math.sqrt(hd)
            s = torch.where(self.causal_mask, torch.finfo(torch.float32).min, s)
            a = (torch.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(b, t, nh * hd)
            x = x + a @ g("self_attn_o_proj_weight_t")
            h = self.rms(x, g("post_attention_layernorm_weight"))
            gate = h @ g("mlp_gate_proj_weight_t")
            return x + (F.silu(gate) * (h @ g("mlp_up_proj_weight_t"))) @ \
                g("mlp_down_proj_weight_t")

    TORCH_MODULES = {"gpt2": GPT2Layer, "llama": LlamaLayer}


def set_fp32_math():
    """Plain fp32 (no TF32) in matmuls and convolutions, as Meld's fp32 kernels."""
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")


def torch_module(model, tensors, device):
    w = {n: torch.from_numpy(np.ascontiguousarray(a)).to(device) for n, a in tensors.items()}
    return TORCH_MODULES[model["arch"]](w, model["config"]).to(device).eval()


# --------------------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------------------

TIME_RE = re.compile(r"^time: median ([0-9.]+) ms, min ([0-9.]+) ms, .*over (\d+) runs")


def run_meld(meld_run, artifact, weights, inputs, out_dir, device, warmup, repeat, timeout):
    """(outputs dict or None, (median, min) or None, error message or None)."""
    os.makedirs(out_dir, exist_ok=True)
    for f in os.listdir(out_dir):
        os.remove(os.path.join(out_dir, f))
    argv = [meld_run, artifact, "--device", device, "--weights", weights,
            "--output-dir", out_dir, "--repeat", str(repeat), "--warmup", str(warmup),
            "--quiet"]
    for name, path in inputs.items():
        argv += ["--input", f"{name}={path}"]
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, errors="replace", timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, None, f"meld-run timed out after {timeout} s"
    except OSError as e:
        return None, None, f"cannot run {meld_run}: {e}"
    if proc.returncode != 0:
        lines = [l for l in (proc.stderr + proc.stdout).splitlines() if l.strip()]
        how = (f"signal {-proc.returncode}" if proc.returncode < 0
               else f"exit code {proc.returncode}")
        return None, None, f"meld-run failed ({how}): " + (lines[-1] if lines else "no message")
    timing = None
    for line in proc.stdout.splitlines():
        m = TIME_RE.match(line.strip())
        if m:
            timing = (float(m.group(1)), float(m.group(2)))
    if timing is None:
        return None, None, "meld-run printed no 'time:' line: " + proc.stdout.strip()[-200:]
    outputs = {}
    for f in os.listdir(out_dir):
        if f.endswith(".npy"):
            outputs[f[:-4]] = np.load(os.path.join(out_dir, f))
    return outputs, timing, None


def reference_ort(onnx_path, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    # No graph rewrites: the graph's own ops, each by onnxruntime's CPU kernels.
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(onnx_path, opts, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(None, feeds)))


def relative_error(out, ref):
    out = np.asarray(out, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if out.shape != ref.shape:
        return float("inf")
    if not np.all(np.isfinite(out)):
        return float("nan")
    denom = np.linalg.norm(ref)
    return float(np.linalg.norm(out - ref) / (denom if denom else 1.0))


def fmt_ms(v):
    return "-" if v is None else (f"{v:.3f}" if v < 100 else f"{v:.1f}")


def fmt_ratio(a, b):
    return "-" if a is None or b is None or b <= 0 else f"{a / b:.2f}x"


def inline_initializers(onnx_path):
    """name -> array of the initializers stored in the graph file itself (not in
    its external data)."""
    import onnx
    from onnx import numpy_helper
    graph = onnx.load(onnx_path, load_external_data=False).graph
    return {t.name: numpy_helper.to_array(t) for t in graph.initializer
            if t.data_location != onnx.TensorProto.EXTERNAL}


def bench_model(model, args, notes):
    """Returns the table row of one model."""
    name = model["name"]
    row = {"model": name, "check": "fail", "err": None, "meld": None, "eager": None,
           "compile": None}
    work = os.path.join(args.work, name)
    os.makedirs(work, exist_ok=True)
    t0 = time.monotonic()

    # 1. Weights, inputs, files.
    cfg = model["config"]
    tensors = {w["name"]: make_tensor(w, cfg, args.seed, name + ":" + w["name"])
               for w in model["weights"]}
    # The small initializers the graph file holds itself (norm epsilons,
    # exponents, scales) keep their values; meldc --weights=external reads every
    # float initializer from the weights file, so they go there too.
    tensors.update(inline_initializers(os.path.join(HERE, model["onnx"])))
    inputs = {i["name"]: make_tensor(i, cfg, args.seed + 1, name + ":input:" + i["name"])
              for i in model["inputs"]}
    weights_path = os.path.join(work, "weights.safetensors")
    if args.corrupt:  # a self-test of the check: Meld gets a slightly different weight
        w = next(w["name"] for w in model["weights"] if w["init"]["kind"] == "normal")
        write_safetensors(weights_path, dict(tensors, **{w: tensors[w] * np.float32(1.01)}))
        notes.append(f"{name}: --corrupt: meld-run got '{w}' times 1.01")
    else:
        write_safetensors(weights_path, tensors)
    onnx_path = os.path.join(work, model["onnx"])
    shutil.copyfile(os.path.join(HERE, model["onnx"]), onnx_path)
    write_onnx_data(os.path.join(work, model["onnx_data"]), model["onnx_data_bytes"], model,
                    tensors)
    input_files = {}
    for n, a in inputs.items():
        input_files[n] = os.path.join(work, "input_" + re.sub(r"[^A-Za-z0-9_.-]", "_", n) +
                                      ".npy")
        write_npy(input_files[n], a)
    log(args, f"{name}: weights and inputs written ({time.monotonic() - t0:.1f} s)")

    # 2. Meld.
    t1 = time.monotonic()
    outputs, timing, error = run_meld(args.meld_run, os.path.join(HERE, model["artifact"]),
                                      weights_path, input_files, os.path.join(work, "out"),
                                      args.device, args.meld_warmup, args.meld_repeat,
                                      args.timeout)
    if error:
        notes.append(f"{name}: {error}")
        row["check"] = "error"
        return cleanup(row, work, args)
    row["meld"] = timing[0]
    log(args, f"{name}: meld-run --device {args.device}: median {timing[0]:.3f} ms "
              f"({time.monotonic() - t1:.1f} s in all)")

    # 3. Reference.
    use_torch_ref = args.ref == "torch" or name in args.torch_ref_models
    module = None
    ref = None
    t2 = time.monotonic()
    try:
        if use_torch_ref:
            if torch is None:
                raise RuntimeError(f"--ref torch needs torch ({TORCH_ERROR})")
            dev = torch_device(args) or "cpu"
            module = torch_module(model, tensors, dev)
            with torch.inference_mode():
                x = torch.from_numpy(inputs["hidden_states"]).to(dev)
                ref = {"output": module(x).cpu().numpy()}
            ref_name = f"torch fp32 on {dev}"
        else:
            ref = reference_ort(onnx_path, inputs)
            ref_name = "onnxruntime (CPU)"
    except Exception as e:  # report, do not stop the other models
        notes.append(f"{name}: reference failed: {type(e).__name__}: {e}")
        row["check"] = "no ref"
        ref = None
    if ref is not None:
        errs = []
        for o in model["outputs"]:
            key = re.sub(r"[/\x00]", "_", o["name"])
            if key not in outputs:
                notes.append(f"{name}: meld-run wrote no output '{o['name']}'")
                errs.append(float("inf"))
                continue
            errs.append(relative_error(outputs[key], ref[o["name"]]))
        err = max(errs, key=lambda e: (math.isnan(e), e))
        row["err"] = err
        row["check"] = "pass" if err < TOLERANCE else "FAIL"
        log(args, f"{name}: reference {ref_name}: relative error {err:.3g} "
                  f"({time.monotonic() - t2:.1f} s)")
        row["ref"] = ref_name

    # 4. The torch module: checked against the reference (it must compute the same
    # function), then timed eagerly and through torch.compile: on the GPU for --device
    # cuda, on the CPU for --device cpu; for emu only checked.
    if args.no_torch:
        pass
    elif torch is None:
        if args.device.startswith("cuda"):
            notes.append(f"{name}: torch timings skipped: torch is not importable "
                         f"({TORCH_ERROR})")
    else:
        torch_part(model, tensors, inputs, row, ref, use_torch_ref, module, args, notes)
    return cleanup(row, work, args)


def torch_device(args):
    """Where the torch module runs: the GPU meld-run uses, or the CPU."""
    if not args.device.startswith("cuda"):
        return "cpu"
    if not torch.cuda.is_available():
        return None
    return args.device if ":" in args.device else "cuda:0"


def time_fn(fn, warmup, repeat, dev):
    """Median and min in ms of `repeat` runs of fn after `warmup` untimed ones: on a GPU
    each run between two CUDA events on the current stream, the device idle before
    each; on the CPU by the clock."""
    for _ in range(warmup):
        fn()
    if dev == "cpu":
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t) * 1e3)
    else:
        # One run at a time, as meld-run does (it synchronises after each run), so
        # neither side hides its launch latency behind the previous run.
        times = []
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        for _ in range(repeat):
            torch.cuda.synchronize()
            start.record()
            fn()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
    times.sort()
    return float(np.median(times)), times[0]


def torch_part(model, tensors, inputs, row, ref, use_torch_ref, module, args, notes):
    name = model["name"]
    dev = torch_device(args)
    if dev is None:
        notes.append(f"{name}: torch timings skipped: torch sees no CUDA device")
        return
    if dev != "cpu":
        torch.cuda.set_device(dev)  # the events below record on this device's stream
    try:
        if module is None or str(next(iter(module.buffers())).device) != dev:
            module = torch_module(model, tensors, dev)
        x = torch.from_numpy(inputs["hidden_states"]).to(dev)
        with torch.inference_mode():
            y = module(x)
            if ref is not None and not use_torch_ref:
                e = relative_error(y.float().cpu().numpy(), ref["output"])
                verdict = "" if e < TOLERANCE else " (WARNING: not the same computation)"
                notes.append(f"{name}: torch module ({dev}) vs reference: relative error "
                             f"{e:.3g}{verdict}")
            if args.device == "emu":
                return
            row["eager"] = time_fn(lambda: module(x), args.torch_warmup, args.torch_repeat,
                                   dev)[0]
    except Exception as e:
        notes.append(f"{name}: torch eager failed: {type(e).__name__}: {e}")
        return
    if args.no_compile:
        return
    try:
        t = time.monotonic()
        compiled = torch.compile(module, mode=args.compile_mode)
        with torch.inference_mode():
            compiled(x)  # compiles
            if dev != "cpu":
                torch.cuda.synchronize()
            notes.append(f"{name}: torch.compile(mode={args.compile_mode}) took "
                         f"{time.monotonic() - t:.1f} s to compile")
            row["compile"] = time_fn(lambda: compiled(x), args.torch_warmup,
                                     args.torch_repeat, dev)[0]
    except Exception as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        notes.append(f"{name}: torch.compile failed: {type(e).__name__}: {first}")
    finally:
        if dev != "cpu":
            torch.cuda.empty_cache()


def cleanup(row, work, args):
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
        try:
            os.rmdir(os.path.dirname(work))  # the work folder, once empty
        except OSError:
            pass
    return row


def log(args, message):
    if not args.table_only:
        print(message, flush=True)


def print_table(rows, device, gpu):
    head = ["model", "check", "rel. error", "Meld ms", "eager ms", "compile ms",
            "eager/Meld", "compile/Meld"]
    body = []
    for r in rows:
        err = "-" if r["err"] is None else f"{r['err']:.2e}"
        body.append([r["model"], r["check"], err, fmt_ms(r["meld"]), fmt_ms(r["eager"]),
                     fmt_ms(r["compile"]), fmt_ratio(r["eager"], r["meld"]),
                     fmt_ratio(r["compile"], r["meld"])])
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
    line = lambda cells: "| " + " | ".join(  # noqa: E731
        c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))) + " |"
    print()
    print(f"Meld GPU benchmark on {gpu} (meld-run --device {device}); times are medians in ms")
    print(line(head))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for b in body:
        print(line(b))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cuda", help="meld-run device: cuda (default), "
                    "cuda:N, cpu or emu (the GPU emulator, for testing on small models)")
    ap.add_argument("--models", help="comma-separated names (default: the full-size models "
                    "on cuda, the tiny ones elsewhere); 'all' for every model")
    ap.add_argument("--quick", action="store_true",
                    help="few repetitions (a smoke test, not a measurement)")
    ap.add_argument("--ref", choices=["ort", "torch"], default="ort",
                    help="reference: onnxruntime on the CPU (default) or the torch module "
                    "(fp32, TF32 off) on the GPU")
    ap.add_argument("--torch-ref-models", default="",
                    help="comma-separated models whose reference is torch even with --ref ort "
                    "(e.g. llama7b-layer, whose onnxruntime CPU run is slow)")
    ap.add_argument("--seed", type=int, default=0, help="seed of weights and inputs")
    ap.add_argument("--meld-warmup", type=int, help="untimed meld-run runs (default 3)")
    ap.add_argument("--meld-repeat", type=int, help="timed meld-run runs (default 20)")
    ap.add_argument("--torch-warmup", type=int, help="untimed torch runs (default 5)")
    ap.add_argument("--torch-repeat", type=int, help="timed torch runs (default 50)")
    ap.add_argument("--no-torch", action="store_true", help="skip the torch timings")
    ap.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    ap.add_argument("--compile-mode", default="default",
                    help="torch.compile mode (default, max-autotune, ...)")
    ap.add_argument("--meld-run", default=os.path.join(HERE, "meld-run"))
    ap.add_argument("--work", default=os.path.join(HERE, "work"),
                    help="folder for weights, graphs with data and outputs")
    ap.add_argument("--keep", action="store_true", help="keep the work files")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per meld-run")
    ap.add_argument("--table-only", action="store_true", help="print only the table")
    ap.add_argument("--corrupt", action="store_true",
                    help="self-test: give meld-run one weight scaled by 1.01, so every check "
                    "must fail")
    args = ap.parse_args(argv)

    quick = args.quick
    for attr, full, q in (("meld_warmup", 3, 1), ("meld_repeat", 20, 3),
                          ("torch_warmup", 5, 2), ("torch_repeat", 50, 5)):
        if getattr(args, attr) is None:
            setattr(args, attr, q if quick else full)
    args.torch_ref_models = {m for m in args.torch_ref_models.split(",") if m}

    with open(os.path.join(HERE, "manifest.json")) as f:
        manifest = json.load(f)
    models = manifest["models"]
    by_name = {m["name"]: m for m in models}
    if args.models == "all":
        chosen = models
    elif args.models:
        unknown = [n for n in args.models.split(",") if n not in by_name]
        if unknown:
            print(f"run.py: error: unknown model(s) {', '.join(unknown)}; this folder has "
                  f"{', '.join(by_name)}", file=sys.stderr)
            return 1
        chosen = [by_name[n] for n in args.models.split(",")]
    else:
        want = "full" if args.device.startswith("cuda") else "tiny"
        chosen = [m for m in models if m["size"] == want] or models
    if not os.access(args.meld_run, os.X_OK):
        print(f"run.py: error: {args.meld_run} is not an executable", file=sys.stderr)
        return 1

    notes = []
    gpu = args.device
    if torch is not None:
        set_fp32_math()
        if args.device.startswith("cuda") and torch.cuda.is_available():
            try:
                gpu = torch.cuda.get_device_name(torch.device(torch_device(args)))
            except Exception as e:  # e.g. cuda:N past the last device
                notes.append(f"torch cannot name {args.device}: {e}")
    elif args.device.startswith("cuda"):
        notes.append(f"torch is not importable ({TORCH_ERROR}): no torch timings")
    if args.device == "emu":
        notes.append("--device emu: Meld times are the emulator's CPU wall-clock times; "
                     "no torch timings")
    elif args.device == "cpu":
        notes.append("--device cpu: every time is a CPU wall-clock time (torch on the CPU)")
    log(args, f"models: {', '.join(m['name'] for m in chosen)}; meld-run warm-up "
              f"{args.meld_warmup}, repeat {args.meld_repeat}; torch warm-up "
              f"{args.torch_warmup}, repeat {args.torch_repeat}")
    rows = []
    for m in chosen:
        try:
            rows.append(bench_model(m, args, notes))
        except Exception as e:  # keep going: one table for every model
            notes.append(f"{m['name']}: {type(e).__name__}: {e}")
            rows.append({"model": m["name"], "check": "error", "err": None, "meld": None,
                         "eager": None, "compile": None})
    print_table(rows, args.device, gpu)
    for n in notes:
        print("note: " + n)
    ok = all(r["check"] == "pass" for r in rows)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
