"""The Python API of Meld (python/meld) on the end-to-end fixtures, against
onnxruntime, and each of its error paths. Run by api.test (lit), with the
package from the build tree and test/lib on PYTHONPATH."""

import os

import numpy as np
import onnx
import pytest
from onnx import helper, TensorProto

import meld
import run_e2e

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "E2E", "fixtures")


def fixture(name):
    return os.path.join(FIXTURES, name)


@pytest.fixture(scope="module")
def gpt2():
    """The GPT-2 block (dynamo export) compiled once for sm_80, which also
    carries the emulator's kernels, and random inputs with onnxruntime's
    outputs."""
    path = fixture("gpt2_block.dynamo.onnx")
    artifact = meld.compile(path, targets="sm_80")
    model = onnx.load(path)
    feeds = run_e2e.make_inputs(model, seed=3)
    return path, artifact, feeds, run_e2e.reference(path, feeds)


def check_outputs(outputs, expected, device="cpu"):
    """Against onnxruntime at the device's tolerance for meldc's default
    precision (run_e2e: f32's on the CPU, tf32's on the emulator)."""
    assert sorted(outputs) == sorted(expected)
    tolerance = run_e2e.device_tolerance(device, None,
                                         run_e2e.DEFAULT_PRECISION)
    for name, ref in expected.items():
        ok, line = run_e2e.compare(name, outputs[name], ref, tolerance)
        assert ok, line


FIXTURE_FILES = sorted(name for name in os.listdir(FIXTURES)
                       if name.endswith(".onnx"))


@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_fixture_matches_onnxruntime(name):
    """Every end-to-end fixture (both exporters), compiled once for sm_80
    (which carries the emulator's kernels), on cpu and emu."""
    path = fixture(name)
    artifact = meld.compile(path, targets="sm_80")
    feeds = run_e2e.make_inputs(onnx.load(path, load_external_data=False), seed=1)
    expected = run_e2e.reference(path, feeds)
    for device in ("cpu", "emu"):
        session = meld.Session(artifact, device=device)
        check_outputs(session.run(feeds), expected, device)
        assert session.last_run_ms is not None and session.last_run_ms >= 0


def test_external_weights(tmp_path):
    from onnx import numpy_helper
    from safetensors_io import write_safetensors

    path = fixture("mlp_external.dynamo.onnx")
    artifact = meld.compile(path, targets="cpu", weights="external")
    full = onnx.load(path)
    weights = tmp_path / "weights.safetensors"
    write_safetensors(str(weights), [(t.name, numpy_helper.to_array(t))
                                     for t in full.graph.initializer])
    feeds = run_e2e.make_inputs(full, seed=2)
    with pytest.raises(meld.RuntimeError) as caught:
        meld.Session(artifact)
    assert caught.value.status == "failed precondition"
    session = meld.Session(artifact, weights=weights)
    check_outputs(session.run(feeds), run_e2e.reference(path, feeds))


def test_concurrent_compiles_give_one_artifact():
    import concurrent.futures

    model = onnx.load(fixture("llama_block.dynamo.onnx")).SerializeToString()
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        artifacts = list(pool.map(lambda _: meld.compile(model, targets="cpu"),
                                  range(3)))
    assert len({a.data for a in artifacts}) == 1


def test_llama_block_from_bytes_and_model_proto():
    path = fixture("llama_block.torchscript.onnx")
    model = onnx.load(path)
    from_path = meld.compile(path, targets="cpu")
    from_bytes = meld.compile(model.SerializeToString(), targets="cpu")
    from_proto = meld.compile(model, targets="cpu")
    assert from_path.data == from_bytes.data == from_proto.data
    feeds = run_e2e.make_inputs(model, seed=5)
    check_outputs(meld.Session(from_proto).run(feeds),
                  run_e2e.reference(path, feeds))


def test_artifact_save_load_and_meldc_equal(gpt2, tmp_path):
    path, artifact, feeds, expected = gpt2
    saved = tmp_path / "block.meld"
    artifact.save(saved)
    loaded = meld.load(saved)
    assert loaded.data == artifact.data
    # A session straight from the file.
    check_outputs(meld.Session(str(saved)).run(feeds), expected)


def test_report_as_a_dict():
    artifact = meld.compile(fixture("gpt2_block.dynamo.onnx"), targets="sm_90a",
                            report=True)
    report = artifact.report
    assert [t["target"] for t in report["totals"]] == ["sm_90a"]
    totals = report["totals"][0]
    kernels = [k for k in report["kernels"] if k["target"] == "sm_90a"]
    # The block's kernels (QKV, attention with its projection, the MLP's
    # chain), counted from the kernels.
    assert totals["kernels"] == len(kernels) == 3
    assert all(k["spill_store_bytes"] == 0 for k in kernels)
    assert any("MatMul" in op for k in kernels for op in k["ops"])
    # The default precision runs every product on tensor cores as tf32.
    assert all(k["precision"] == "tf32" for k in kernels)
    assert meld.Session(artifact).report is report
    # With precision="fp32" they stay on the CUDA cores.
    fp32 = meld.compile(fixture("gpt2_block.dynamo.onnx"), targets="sm_90a",
                        precision="fp32", report=True).report
    assert all(k["precision"] == "fp32" for k in fp32["kernels"])
    assert meld.compile(tiny_model(), targets="cpu").report is None
    with pytest.raises(meld.CompileError, match="report is of GPU targets"):
        meld.compile(tiny_model(), targets="cpu", report=True)


def test_metadata(gpt2):
    _, artifact, feeds, expected = gpt2
    session = meld.Session(artifact)
    assert [i.name for i in session.inputs] == list(feeds)
    for info in session.inputs:
        assert info.shape == feeds[info.name].shape
        assert info.numpy_dtype == feeds[info.name].dtype
    assert [o.name for o in session.outputs] == list(expected)
    assert all(o.dtype == "f32" for o in session.outputs)


def one_node_model(op_type, name, shape=(2, 3)):
    """y = op_type(x) over floats of `shape`, the node called `name`."""
    node = helper.make_node(op_type, ["x"], ["y"], name=name)
    graph = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def unsupported_model():
    return one_node_model("HardSigmoid", "hard_gate")


def tiny_model():
    return one_node_model("Tanh", "squash")


def test_unsupported_op_is_a_compile_error_naming_the_node():
    with pytest.raises(meld.CompileError) as caught:
        meld.compile(unsupported_model(), targets="cpu")
    diagnostics = caught.value.diagnostics
    assert len(diagnostics) == 1
    d = diagnostics[0]
    assert (d.severity, d.node, d.op_type) == ("error", "hard_gate", "HardSigmoid")
    assert "HardSigmoid" in str(caught.value)


def test_bad_options_are_compile_errors():
    with pytest.raises(meld.CompileError, match="unknown target 'sm_50'"):
        meld.compile(tiny_model(), targets=["sm_80", "sm_50"])
    with pytest.raises(meld.CompileError, match="num_warps must be 1 to 32"):
        meld.compile(tiny_model(), num_warps=64)
    with pytest.raises(meld.CompileError, match="precision must be fp32, tf32, fp16 or bf16"):
        meld.compile(tiny_model(), precision="fp8")
    with pytest.raises(meld.CompileError, match="dimension 1 to 4"):
        meld.compile(tiny_model(), targets="cpu", shapes={"x": (2, 4)})
    with pytest.raises(ValueError, match="weights must be"):
        meld.compile(tiny_model(), weights="elsewhere")
    with pytest.raises(TypeError, match="model must be a path"):
        meld.compile(42)


def test_missing_file_and_garbage_bytes():
    with pytest.raises(meld.CompileError, match="cannot open"):
        meld.compile("/nonexistent/model.onnx")
    with pytest.raises(meld.CompileError, match="cannot parse"):
        meld.compile(b"not a model")


@pytest.fixture(scope="module")
def tiny_session():
    return meld.Session(meld.compile(tiny_model(), targets="cpu"))


def test_tiny_model_runs(tiny_session):
    x = np.linspace(-2, 2, 6, dtype=np.float32).reshape(2, 3)
    y = tiny_session.run({"x": x})["y"]
    assert y.dtype == np.float32 and y.shape == (2, 3)
    np.testing.assert_allclose(y, np.tanh(x), rtol=1e-6)
    # Outputs are new arrays: a second run does not change the first's.
    kept = y.copy()
    tiny_session.run({"x": x * 2})
    np.testing.assert_array_equal(y, kept)
    # Lists and non-contiguous arrays are converted.
    np.testing.assert_allclose(tiny_session.run({"x": x.tolist()})["y"],
                               np.tanh(x), rtol=1e-6)
    np.testing.assert_allclose(
        tiny_session.run({"x": np.asfortranarray(x)})["y"], np.tanh(x), rtol=1e-6)


def test_host_cpus():
    # One host library per ISA level; the session runs the widest this CPU
    # supports (the baseline's loops, or AVX2's vectors where it has AVX2).
    x = np.linspace(-2, 2, 6, dtype=np.float32).reshape(2, 3)
    for levels in ("x86-64", ["x86-64", "x86-64-v3"]):
        artifact = meld.compile(tiny_model(), targets="cpu", host_cpus=levels)
        np.testing.assert_allclose(meld.Session(artifact).run({"x": x})["y"],
                                   np.tanh(x), rtol=1e-6)
    with pytest.raises(meld.CompileError, match="host CPU must be x86-64"):
        meld.compile(tiny_model(), targets="cpu", host_cpus="pentium")


def test_bad_inputs_are_runtime_errors(tiny_session):
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(meld.RuntimeError, match="'x'") as caught:
        tiny_session.run({"x": np.zeros((3, 3), np.float32)})
    assert caught.value.status == "invalid argument"
    with pytest.raises(meld.RuntimeError, match="'x'") as caught:
        tiny_session.run({"x": x.astype(np.float64)})
    assert caught.value.status == "invalid argument"
    with pytest.raises(meld.RuntimeError, match="no input 'z'"):
        tiny_session.run({"x": x, "z": x})
    with pytest.raises(TypeError, match="not Meld tensors"):
        tiny_session.run({"x": x.astype(np.complex64)})
    assert isinstance(meld.RuntimeError("s", "m"), RuntimeError)


def test_missing_input_binding():
    session = meld.Session(meld.compile(tiny_model(), targets="cpu"))
    with pytest.raises(meld.RuntimeError) as caught:
        session.run({})
    assert caught.value.status == "failed precondition"
    assert "'x'" in str(caught.value)


def test_devices_without_their_kernels_or_hardware(tiny_session):
    cpu_only = meld.compile(tiny_model(), targets="cpu")
    with pytest.raises(meld.RuntimeError) as caught:
        meld.Session(cpu_only, device="emu")
    assert caught.value.status == "unsupported"
    with pytest.raises(meld.RuntimeError) as caught:
        meld.Session(cpu_only, device="tpu")
    assert caught.value.status in ("unsupported", "invalid argument")


def test_bad_artifact_files(tmp_path):
    bad = tmp_path / "bad.meld"
    bad.write_bytes(b"\0" * 64)
    with pytest.raises(meld.RuntimeError) as caught:
        meld.Session(str(bad))
    assert caught.value.status == "invalid artifact"
    with pytest.raises(meld.RuntimeError) as caught:
        meld.Session(str(tmp_path / "missing.meld"))
    assert caught.value.status == "i/o error"


def test_type_information_ships_with_the_package():
    package = os.path.dirname(meld.__file__)
    assert os.path.exists(os.path.join(package, "py.typed"))
    with open(os.path.join(package, "_meld.pyi")) as stub:
        text = stub.read()
    assert "def compile_file(path: str, options: CompileOptions)" in text
    assert "class Session:" in text


@pytest.mark.parametrize("device", ["cpu", "emu"])
def test_two_models_with_the_same_kernels_in_one_process(device):
    """Two artifacts whose kernel modules have the same kernel names (one
    model at two shapes): each session runs its own module, both alive at
    once and one after the other (the runtime once loaded the second module
    under the first one's /proc/self/fd path, which dlopen took for the
    first module)."""
    targets = "cpu" if device == "cpu" else "sm_80"
    shapes = [(2, 3), (64, 300)]
    artifacts = [meld.compile(one_node_model("Softmax", "weights", shape),
                              targets=targets) for shape in shapes]

    def check(session, shape):
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        np.testing.assert_allclose(session.run({"x": x})["y"],
                                   e / e.sum(axis=-1, keepdims=True), rtol=1e-5)

    together = [meld.Session(a, device=device) for a in artifacts]
    for session, shape in zip(together, shapes):
        check(session, shape)
    del together
    for artifact, shape in zip(artifacts, shapes):
        check(meld.Session(artifact, device=device), shape)
