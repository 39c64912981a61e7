#!/usr/bin/env python3
"""Compile time and memory of whole transformer models, as users export them.

    # Once: export the models (needs torch and transformers: the generator's
    # environment, scripts/gen-fixtures.sh makes it as .venv-gen).
    .venv-gen/bin/python bench/compile/models.py export --work /tmp/meld-models
    # Then, as often as wanted:
    .venv/bin/python bench/compile/models.py compile --work /tmp/meld-models

The models are built from transformers configs with random weights (seeded),
never downloaded or committed:
  gpt2-small   GPT-2, 12 layers, hidden 768, 12 heads, sequence 1024;
  llama-30     a Llama-architecture model of 30 layers, hidden 576, 9 heads,
               3 key/value heads, MLP 1536, sequence 1024 (SmolLM-135M's shape).
Each is exported by torch.onnx.export (the default dynamo exporter) with its
weights in an external-data file, batch 1, as a causal LM (logits).

`compile` runs `meldc MODEL.onnx -o MODEL.meld` (the default invocation: PTX
and cubins for sm_80 and sm_90a, the emulator's and the host's libraries,
weights embedded) plus any --meldc-arg, and prints

| model | ONNX nodes | kernels launched | distinct kernels | wall s | cpu s | peak RSS MiB |

where cpu s and peak RSS count meldc and the processes it ran (ptxas,
ld.lld), and the kernel counts come from `meldc --emit plan`.
"""

import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import run_meldc  # noqa: E402

MODELS = {
    "gpt2-small": dict(family="gpt2", layers=12, hidden=768, heads=12, seq=1024),
    "llama-30": dict(family="llama", layers=30, hidden=576, heads=9, kv_heads=3,
                     mlp=1536, seq=1024),
}


def export(name, spec, work):
    import torch
    import transformers

    torch.manual_seed(0)
    if spec["family"] == "gpt2":
        config = transformers.GPT2Config(
            n_layer=spec["layers"], n_embd=spec["hidden"], n_head=spec["heads"],
            n_positions=spec["seq"], vocab_size=50257)
    else:
        config = transformers.LlamaConfig(
            num_hidden_layers=spec["layers"], hidden_size=spec["hidden"],
            num_attention_heads=spec["heads"],
            num_key_value_heads=spec["kv_heads"],
            intermediate_size=spec["mlp"], max_position_embeddings=spec["seq"],
            vocab_size=49152)
    model = transformers.AutoModelForCausalLM.from_config(config).eval()

    class Logits(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids):
            return self.inner(input_ids=input_ids, use_cache=False).logits

    ids = torch.randint(0, config.vocab_size, (1, spec["seq"]))
    path = os.path.join(work, f"{name}.onnx")
    torch.onnx.export(Logits(model).eval(), (ids,), path, input_names=["input_ids"],
                      output_names=["logits"], external_data=True)
    return path


def compile_model(meldc, path, extra, timeout):
    import onnx

    nodes = len(onnx.load(path, load_external_data=False).graph.node)
    plan = subprocess.run([meldc, path, "--emit", "plan", "-o", "-"],
                          capture_output=True, text=True)
    if plan.returncode != 0:
        first = next((l for l in plan.stderr.splitlines() if l.strip()), "?")
        return nodes, None, None, None, None, None, first
    launches, kernels = count_kernels(json.loads(plan.stdout))
    argv = [meldc, path, "-o", os.path.splitext(path)[0] + ".meld"] + extra
    wall, cpu, rss, _, error = run_meldc(argv, False, timeout)
    return nodes, launches, kernels, wall, cpu, rss, error


def count_kernels(plan):
    """(launches, distinct kernels) of a launch plan."""
    launches = plan["launches"]
    return len(launches), len({launch["kernel"] for launch in launches})


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("action", choices=["export", "compile"])
    ap.add_argument("--work", required=True, help="folder of the exported models")
    ap.add_argument("--models", default=",".join(MODELS),
                    help="comma-separated, of: " + ", ".join(MODELS))
    ap.add_argument("--build", default="build", help="Meld build folder")
    ap.add_argument("--meldc-arg", action="append", default=[],
                    help="an extra meldc argument (repeatable)")
    ap.add_argument("--timeout", type=int, default=3600)
    args = ap.parse_args(argv)
    os.makedirs(args.work, exist_ok=True)
    names = args.models.split(",")
    for name in names:
        if name not in MODELS:
            print(f"models.py: error: no model '{name}'", file=sys.stderr)
            return 1

    if args.action == "export":
        for name in names:
            print(f"exported {export(name, MODELS[name], args.work)}")
        return 0

    meldc = os.path.join(args.build, "bin", "meldc")
    invocation = " ".join(["meldc MODEL.onnx -o MODEL.meld"] + args.meldc_arg)
    print(f"Compile time of whole models: {invocation}")
    print(f"({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start)")
    print("| model | ONNX nodes | kernels launched | distinct kernels | wall s | cpu s "
          "| peak RSS MiB |")
    print("|-------|-----------:|-----------------:|-----------------:|-------:|------:"
          "|-------------:|")
    for name in names:
        path = os.path.join(args.work, f"{name}.onnx")
        if not os.path.exists(path):
            print(f"| {name} | not exported (models.py export) | | | | | |")
            continue
        nodes, launches, kernels, wall, cpu, rss, error = compile_model(
            meldc, path, args.meldc_arg, args.timeout)
        if error:
            print(f"| {name} | {nodes} | {error} | | | | |")
            continue
        print(f"| {name} | {nodes} | {launches} | {kernels} | {wall:.1f} | {cpu:.1f} "
              f"| {rss:.0f} |")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
