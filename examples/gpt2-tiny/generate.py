#!/usr/bin/env python3
"""Generate the gpt2-tiny example: a 2-layer GPT-2-style language model in ONNX.

    scripts/gen-fixtures.sh            # makes .venv-gen (torch), runs this and the fixtures

or, with torch importable: `python examples/gpt2-tiny/generate.py`.

Writes, next to this script:
  gpt2-tiny.onnx          input_ids int64 [1, 32] -> logits float32 [1, 32, 500]; token and
                          position embeddings, 2 GPT-2 blocks (hidden 96, 4 heads, causal
                          attention, tanh-GELU MLP of 384), final LayerNorm, LM head tied to
                          the token embedding; opset 18 (torch.onnx.export, dynamo=True);
  input_ids.npy           a fixed input (seed 7);
  reference_logits.npy    onnxruntime's output for it (CPU, graph optimizations off).
The blocks are the GPT2Block of test/E2E/fixtures/generate.py.
"""

import os

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))

def _load_fixture_models():
    import importlib.util
    path = os.path.join(HERE, "..", "..", "test", "E2E", "fixtures", "generate.py")
    spec = importlib.util.spec_from_file_location("meld_fixture_models", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_fixtures = _load_fixture_models()
GPT2Block, randomize = _fixtures.GPT2Block, _fixtures.randomize
strip_metadata = _fixtures.strip_metadata

VOCAB, HIDDEN, HEADS, LAYERS, SEQ = 500, 96, 4, 2, 32


class GPT2Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(VOCAB, HIDDEN)
        self.wpe = nn.Embedding(SEQ, HIDDEN)
        self.h = nn.ModuleList(GPT2Block(HIDDEN, HEADS, 4 * HIDDEN, SEQ) for _ in range(LAYERS))
        self.ln_f = nn.LayerNorm(HIDDEN)
        self.lm_head = nn.Linear(HIDDEN, VOCAB, bias=False)
        self.lm_head.weight = self.wte.weight

    def forward(self, input_ids):
        pos = torch.arange(input_ids.shape[1], dtype=torch.long)
        x = self.wte(input_ids) + self.wpe(pos)[None]
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


def main():
    import onnx
    import onnxruntime as ort

    torch.manual_seed(0)
    model = GPT2Tiny().eval()
    randomize(model, seed=7)
    ids = torch.from_numpy(np.random.default_rng(7).integers(0, VOCAB, (1, SEQ)))
    path = os.path.join(HERE, "gpt2-tiny.onnx")
    program = torch.onnx.export(model, (ids,), input_names=["input_ids"],
                                output_names=["logits"], opset_version=18, dynamo=True)
    program.save(path, external_data=False)
    strip_metadata(path)
    onnx.checker.check_model(path)

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    ref = sess.run(["logits"], {"input_ids": ids.numpy()})[0]
    with torch.no_grad():
        want = model(ids).numpy()
    err = np.linalg.norm(ref.astype(np.float64) - want) / np.linalg.norm(want)
    assert err < 1e-5, f"onnxruntime and torch disagree: {err}"
    np.save(os.path.join(HERE, "input_ids.npy"), ids.numpy())
    np.save(os.path.join(HERE, "reference_logits.npy"), ref)
    print(f"{path}: {os.path.getsize(path) / 1e6:.2f} MB, logits {list(ref.shape)}, "
          f"onnxruntime vs torch {err:.2e}")


if __name__ == "__main__":
    main()
