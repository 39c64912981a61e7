#!/usr/bin/env python3
"""Compile every exported model of a folder with meldc and tabulate what fails.

    coverage.py [MODELS_DIR] --work DIR [--bin build/bin] [--device cpu ...] [--md FILE]

MODELS_DIR (default: this script's folder) holds NAME.EXPORTER.onnx files and their
inputs in inputs/NAME/<input>.npy, as generate.py writes them (a model exported without
its weights, with a NAME.EXPORTER.weights.json, first gets them back from its checkpoint
by test/lib/attach_weights.py). For each model:
  1. `meldc MODEL -o MODEL.meld`; every error line is kept (the importer reports every
     unsupported node in one run);
  2. when that fails, again with the attention mask frozen (`--const attention_mask=...`),
     then with every input frozen, to show what stays behind once shape and mask
     subgraphs can fold;
  3. when it compiles, test/lib/run_e2e.py on each --device (default cpu and emu) with the
     model's inputs, against onnxruntime (relative error below 1e-4; argmax of `logits`).
  4. with --probe, when it fails for unsupported operators only: a probe copy of the model
     is made in which every unsupported node whose inputs are all constants (or shapes of
     the inputs) is replaced by its value (computed by onnxruntime: what complete
     constant folding gives), and IsNaN, ReduceL2, GatherND and GatherElements with
     constant indices are rewritten with supported operators (Equal/Not;
     Mul/ReduceSum/Sqrt; Reshape + Gather of linearized indices); the copy goes through
     steps 1 and 3, to show what the model hits once those operators exist. A probe copy
     holds for the shapes of the model's input files only, and is for this report only.
Prints (and with --md writes) a table model x exporter -> status and the deduplicated
list of what is missing: unsupported operators and attributes, operands that must be
constant, and anything else, with counts and one example node each (its domain and
attributes read from the model). Exit code 0 whatever the models do; 1 if a tool is
missing.
"""

import argparse
import collections
import glob
import os
import re
import subprocess
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
LIB = os.path.join(HERE, "..", "..", "lib")
sys.path.insert(0, LIB)
import meld_testing as mt  # noqa: E402
from attach_weights import attach, weights_map_path  # noqa: E402
import run_e2e  # noqa: E402

ERROR = re.compile(r"^meldc: error: node '(?P<node>[^']*)' \((?P<op>[^)]*)\): (?P<msg>.*)$")


def run(argv, timeout):
    """(exit code or a signal/timeout description, stdout, stderr lines)."""
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           errors="replace", timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"timeout after {timeout} s", "", []
    code = p.returncode if p.returncode >= 0 else f"signal {-p.returncode}"
    return code, p.stdout, [line for line in p.stderr.splitlines() if line.strip()]


def attr_text(attr):
    value = onnx.helper.get_attribute_value(attr)
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    if isinstance(value, onnx.TensorProto):
        value = f"tensor{list(value.dims)}"
    if isinstance(value, onnx.GraphProto):
        value = "graph"
    return f"{attr.name}={value}"


def describe(model, node_name):
    """'domain op(attrs) in=.. out=..' of a node found by name (or first output)."""
    for n in model.graph.node:
        if n.name == node_name or (not n.name and n.output and n.output[0] == node_name):
            attrs = ", ".join(attr_text(a) for a in n.attribute)
            domain = n.domain or "ai.onnx"
            return f"{domain}::{n.op_type}({attrs}), {len(n.input)} inputs"
    return "(node not found)"


def classify(msg):
    """(kind, key detail) of an importer message."""
    m = re.match(r"unsupported operator '([^']*)'", msg)
    if m:
        return "unsupported operator", ""
    m = re.match(r"unsupported attribute '([^']*)'(.*)", msg)
    if m:
        return "unsupported attribute", m.group(1) + m.group(2)
    m = re.match(r"operand '([^']*)' \(input (\d+).*must be a constant(.*)", msg)
    if m:
        return "operand must be constant", f"{m.group(1)} (input {m.group(2)})"
    return "other error", msg


def constant_values(model):
    """Names of the values computable from initializers, Constant nodes and the shapes of
    the graph inputs (which meldc --shape fixes) alone."""
    const = {t.name for t in model.graph.initializer} | {""}
    inputs = {vi.name for vi in mt.graph_inputs(model)}
    for n in model.graph.node:  # ONNX graphs are topologically sorted
        if all(i in const for i in n.input) or (n.op_type == "Shape" and n.input[0] in inputs):
            const.update(n.output)
    return const


def evaluate(model, names, inputs):
    """{name: array} of intermediate values of the model for its input files, by
    onnxruntime."""
    import onnxruntime as ort

    tmp = onnx.ModelProto()
    tmp.CopyFrom(model)
    del tmp.graph.output[:]
    for name in names:
        tmp.graph.output.append(helper.make_empty_tensor_value_info(name))
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(tmp.SerializeToString(), opts,
                                providers=["CPUExecutionProvider"])
    feeds = {vi.name: mt.load_tensor(os.path.join(inputs, mt.safe_file_name(vi.name) + ".npy"))
             for vi in mt.graph_inputs(model)}
    return dict(zip(names, sess.run(names, feeds)))


def probe_model(path, out_path, inputs, unsupported):
    """Writes the probe copy of the model (see step 4) for the shapes of its input files;
    returns the list of rewrites, or None when some unsupported node can be neither
    folded nor rewritten."""
    model = onnx.load(path)
    graph = model.graph
    const = constant_values(model)
    todo = [n for n in graph.node if n.op_type in unsupported]
    fold = [n for n in todo if all(i in const for i in n.input)]
    gathers = [n for n in todo if n not in fold and n.op_type in ("GatherND", "GatherElements")
               and n.input[1] in const]
    needed = [o for n in fold for o in n.output] + [i for n in gathers for i in n.input[:2]]
    values = evaluate(model, list(dict.fromkeys(needed)), inputs) if needed else {}
    done = collections.Counter()

    def linear_gather(n, index, tag):
        """Reshape(data, [-1]) then Gather of precomputed flat indices."""
        flat, lin = n.name + "/probe_flat", n.name + "/probe_index"
        graph.initializer.append(numpy_helper.from_array(np.array([-1], np.int64),
                                                         lin + "_shape"))
        graph.initializer.append(numpy_helper.from_array(index.astype(np.int64), lin))
        done[tag] += 1
        return [helper.make_node("Reshape", [n.input[0], lin + "_shape"], [flat],
                                 n.name + "/probe_r"),
                helper.make_node("Gather", [flat, lin], [n.output[0]], n.name + "/probe_g")]

    nodes = []
    for n in graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        if n in fold:
            for o in n.output:
                graph.initializer.append(numpy_helper.from_array(np.asarray(values[o]), o))
            done["folded " + n.op_type] += 1
        elif n.op_type not in unsupported:
            nodes.append(n)
        elif n.op_type == "IsNaN":
            eq = n.name + "/probe_eq"
            nodes += [helper.make_node("Equal", [n.input[0], n.input[0]], [eq], eq),
                      helper.make_node("Not", [eq], [n.output[0]], n.name + "/probe_not")]
            done["IsNaN -> Not(Equal(x, x))"] += 1
        elif n.op_type == "ReduceL2":
            sq, sm = n.name + "/probe_sq", n.name + "/probe_sum"
            nodes += [helper.make_node("Mul", [n.input[0], n.input[0]], [sq], sq),
                      helper.make_node("ReduceSum", [sq] + list(n.input[1:]), [sm], sm,
                                       keepdims=attrs.get("keepdims", 1)),
                      helper.make_node("Sqrt", [sm], [n.output[0]], n.name + "/probe_sqrt")]
            done["ReduceL2 -> Sqrt(ReduceSum(x * x))"] += 1
        elif n in gathers and n.op_type == "GatherND" and attrs.get("batch_dims", 0) == 0:
            dims, idx = values[n.input[0]].shape, values[n.input[1]]
            if idx.shape[-1] != len(dims):
                return None
            lin = np.ravel_multi_index(tuple(np.moveaxis(idx % np.array(dims), -1, 0)), dims)
            nodes += linear_gather(n, lin, "GatherND -> Reshape + Gather")
        elif n in gathers and n.op_type == "GatherElements":
            dims, idx = values[n.input[0]].shape, values[n.input[1]]
            axis = attrs.get("axis", 0) % len(dims)
            grid = list(np.indices(idx.shape))
            grid[axis] = idx % dims[axis]
            lin = np.ravel_multi_index(tuple(grid), dims)
            nodes += linear_gather(n, lin, "GatherElements -> Reshape + Gather")
        else:
            return None
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.save(model, out_path)
    return [f"{k} ({v})" for k, v in done.items()]


def symbolic_shapes(model, inputs):
    """--shape arguments for the graph inputs with symbolic dimensions, from the shapes
    of their input files."""
    return run_e2e.shape_args(model, run_e2e.read_inputs(model, inputs))


def compile_model(meldc, model, artifact, consts, timeout, shape_args=()):
    argv = [meldc, model, "-o", artifact] + list(shape_args)
    for name, path in consts.items():
        argv += ["--const", f"{name}={path}"]
    code, _, err = run(argv, timeout)
    return code, err


def numerics(model, inputs, work, devices, bin_dir, timeout):
    """'cpu pass (1.2e-07); emu pass (...)' or '... FAIL: reason', from run_e2e.py."""
    argv = [sys.executable, os.path.join(LIB, "run_e2e.py"), model, "--work", work,
            "--device", ",".join(devices), "--inputs", inputs, "--bin", bin_dir,
            "--timeout", str(timeout)]
    onnx_model = onnx.load(model, load_external_data=False)
    if "logits" in [o.name for o in onnx_model.graph.output]:
        argv += ["--argmax", "logits"]
    code, out, err = run(argv, 4 * timeout)
    if code != 0:
        reason = next((line for line in err if "error" in line), None) or next(
            (line for line in out.splitlines() if "above" in line or "differ" in line), "")
        return f"FAIL: {reason.replace('run_e2e: error: ', '')[:160]}"
    parts = []
    for d in devices:
        prefix = f"{d}: " if len(devices) > 1 else ""
        rels = [float(r) for r in re.findall(
            rf"^{re.escape(prefix)}output '[^']*': relative error ([0-9.e+-]+)", out, re.M)]
        parts.append(f"{d} pass ({max(rels, default=0.0):.1e})")
    return "; ".join(parts)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("models", nargs="?", default=HERE)
    ap.add_argument("--work", required=True)
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "..", "..", "build", "bin"))
    ap.add_argument("--device", action="append", help="cpu, emu (default: both)")
    ap.add_argument("--only", action="append", help="model file stem (repeatable)")
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--probe", action="store_true", help="step 4: probe past unsupported "
                    "operators")
    ap.add_argument("--md", help="also write the tables as markdown to this file")
    a = ap.parse_args(argv)
    try:
        meldc = mt.find_tool("meldc", a.bin)
    except mt.ToolError as e:
        print(f"coverage: error: {e}", file=sys.stderr)
        return 1
    devices = a.device or ["cpu", "emu"]

    rows = []  # (name, exporter, opset, nodes, status)
    missing = collections.OrderedDict()  # (kind, op, detail) -> [count, models, example]
    for path in sorted(glob.glob(os.path.join(a.models, "*.onnx"))):
        stem = os.path.basename(path)[: -len(".onnx")]
        if a.only and stem not in a.only:
            continue
        name, _, exporter = stem.rpartition(".")
        inputs = os.path.join(a.models, "inputs", name)
        work = os.path.join(a.work, stem)
        os.makedirs(work, exist_ok=True)
        if os.path.exists(weights_map_path(path)):
            attached = os.path.join(work, os.path.basename(path))
            attach(path, attached)
            path = attached
        model = onnx.load(path, load_external_data=False)
        opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), "?")
        artifact = os.path.join(work, "model.meld")
        frozen = {"mask frozen": {"attention_mask": os.path.join(inputs, "attention_mask.npy")},
                  "all inputs frozen": {n: os.path.join(inputs, mt.safe_file_name(n) + ".npy")
                                        for n in (vi.name for vi in mt.graph_inputs(model))}}
        shape_args = symbolic_shapes(model, inputs)
        print(f"== {stem}", flush=True)
        code, err = compile_model(meldc, path, artifact, {}, a.timeout, shape_args)
        notes = []
        if code == 0:
            status = numerics(path, inputs, work, devices, a.bin, a.timeout)
        else:
            errors = [ERROR.match(line) for line in err]
            parsed = [m for m in errors if m]
            if code != 1:
                status = f"meldc {code}: {mt.first_line(chr(10).join(err))[:120]}"
            else:
                kinds = collections.Counter(classify(m.group("msg"))[0] for m in parsed)
                status = ", ".join(f"{n} {k}" for k, n in kinds.items()) or \
                    mt.first_line(chr(10).join(err))[:120]
            for m in parsed:
                kind, detail = classify(m.group("msg"))
                key = (kind, m.group("op"), detail)
                entry = missing.setdefault(key, [0, set(), None])
                entry[0] += 1
                entry[1].add(stem)
                if entry[2] is None:
                    entry[2] = (stem, m.group("node"), describe(model, m.group("node")),
                                m.group("msg"))
            for label, consts in frozen.items():
                c2, e2 = compile_model(meldc, path, artifact, consts, a.timeout, shape_args)
                left = [m for m in (ERROR.match(line) for line in e2) if m]
                ops = sorted({m.group("op") for m in left})
                if c2 == 0:
                    notes.append(f"{label}: compiles")
                elif c2 == 1:
                    notes.append(f"{label}: {len(left)} errors ({', '.join(ops)})" if left
                                 else f"{label}: {mt.first_line(chr(10).join(e2))[:100]}")
                else:
                    notes.append(f"{label}: meldc {c2}")
            unsupported = {m.group("op") for m in parsed
                           if classify(m.group("msg"))[0] == "unsupported operator"}
            if a.probe and code == 1 and unsupported and len(unsupported) == len(
                    {m.group("op") for m in parsed}):
                probe = os.path.join(work, "probe.onnx")
                rewrites = probe_model(path, probe, inputs, unsupported)
                if rewrites is None:
                    notes.append("probe: an unsupported node can be neither folded nor "
                                 "rewritten")
                else:
                    c3, e3 = compile_model(meldc, probe, artifact, {}, a.timeout, shape_args)
                    if c3 == 0:
                        verdict = numerics(probe, inputs, os.path.join(work, "probe"), devices,
                                           a.bin, a.timeout)
                    else:
                        verdict = f"meldc {c3}: " + " | ".join(e3[:4])
                    notes.append(f"probe ({', '.join(rewrites)}): {verdict}")
        rows.append((name, exporter, opset, len(model.graph.node), status, notes))
        print(f"   {status}" + "".join(f"\n   {n}" for n in notes), flush=True)

    lines = ["| model | exporter | opset | nodes | status | with inputs frozen (--const) |",
             "| --- | --- | --- | --- | --- | --- |"]
    for name, exporter, opset, nodes, status, notes in rows:
        lines.append(f"| {name} | {exporter} | {opset} | {nodes} | {status} | "
                     f"{'; '.join(notes) or '-'} |")
    lines += ["", "| kind | op | detail | nodes | models | example (model: node, node) |",
              "| --- | --- | --- | --- | --- | --- |"]
    for (kind, op, detail), (count, models, ex) in sorted(
            missing.items(), key=lambda kv: (kv[0][0], -kv[1][0], kv[0][1])):
        lines.append(f"| {kind} | {op} | {detail or '-'} | {count} | {len(models)} | "
                     f"{ex[0]}: `{ex[1]}`, {ex[2]} |")
    text = "\n".join(lines)
    print(text)
    if a.md:
        with open(a.md, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
