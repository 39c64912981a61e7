#!/usr/bin/env python3
"""Meld GPU benchmark, prepare step: one small folder to copy to a GPU server.

    python3 bench/gpu/prepare.py --build build --out bench/gpu/out [--models all|tiny|NAME,...]

Runs on a machine with a Meld build (no GPU needed). Needs numpy and onnx (the test
venv has both). Steps:
  1. builds meldc and meld-run in BUILD (`ninja -C BUILD meldc meld-run`; --no-build
     takes them as they are) and checks that meld-run depends on glibc and zlib only;
  2. writes each model's ONNX graph (bench/gpu/graphs.py, onnx.helper; no torch) with
     its float initializers as external data in a *sparse* file of the right size: no
     weight bytes exist here, and meldc never reads them;
  3. compiles each with `meldc --weights=external --target sm_80,sm_90a --precision
     fp32` (run.py compares with torch with TF32 off: the same computation): the
     artifact holds kernels (PTX, cubins where ptxas is installed, host and emulator
     code) and the launch and buffer plans, no weights;
  4. fills OUT with meld-run, the .meld artifacts, the graphs (without data), run.py
     and manifest.json (models, inputs, outputs, every weight's name, shape, dtype,
     recipe and offset in the ONNX data file), and checks the folder's size.
Then, on the GPU server, from a copy of OUT: `python3 run.py` (see bench/README.md).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import graphs  # noqa: E402

# Libraries meld-run may need on the server: glibc's own and zlib.
ALLOWED_LIBS = re.compile(r"^(linux-vdso|ld-linux[-\w]*|libc|libm|libz|libdl|libpthread|"
                          r"librt)\.so")
BUNDLE_LIMIT = 64 << 20


def fail(message):
    print(f"prepare: error: {message}", file=sys.stderr)
    sys.exit(1)


def check_meld_run(path):
    """The shared libraries meld-run needs; fails on anything but glibc and zlib.
    Returns (libraries, newest GLIBC_ symbol version it needs)."""
    proc = subprocess.run(["ldd", path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    if proc.returncode != 0:
        fail(f"ldd {path} failed: {proc.stdout.strip()}")
    libs = []
    for line in proc.stdout.splitlines():
        name = line.strip().split(" ")[0]
        if not name:
            continue
        base = os.path.basename(name)
        libs.append(base)
        if not ALLOWED_LIBS.match(base):
            fail(f"{path} needs {base} ({line.strip()}): a GPU server has only glibc and "
                 "zlib; build with MELD_RUNTIME_STATIC_CXX_RUNTIME=ON (docs/Runtime.md)")
    with open(path, "rb") as f:
        versions = set(re.findall(rb"GLIBC_2\.(\d+)(?:\.\d+)?\x00", f.read()))
    newest = max((int(v) for v in versions), default=0)
    return libs, f"2.{newest}"


def git_describe():
    try:
        head = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        return head.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")
    except OSError:
        return "unknown"


def select_models(spec):
    if spec == "all":
        return list(graphs.MODELS)
    if spec in ("tiny", "full"):
        return [n for n, c in graphs.MODELS.items() if c["size"] == spec]
    names = [n for n in spec.split(",") if n]
    unknown = [n for n in names if n not in graphs.MODELS]
    if unknown:
        fail(f"unknown model(s) {', '.join(unknown)}; models: {', '.join(graphs.MODELS)}")
    return names


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(REPO, "build"),
                    help="Meld build folder (bin/meldc, bin/meld-run)")
    ap.add_argument("--out", default=os.path.join(HERE, "out"), help="the folder to fill")
    ap.add_argument("--models", default="all",
                    help="all (default), tiny, full, or comma-separated names of: " +
                    ", ".join(graphs.MODELS))
    ap.add_argument("--target", default="sm_80,sm_90a", help="meldc --target")
    ap.add_argument("--no-build", action="store_true", help="use BUILD/bin as it is")
    ap.add_argument("--meldc", help="this meldc instead of BUILD/bin/meldc")
    ap.add_argument("--meld-run", help="this meld-run instead of BUILD/bin/meld-run")
    ap.add_argument("--jobs", type=int, default=2, help="ninja -j (default 2)")
    ap.add_argument("--meldc-timeout", type=int, default=1800, help="seconds per model")
    args = ap.parse_args(argv)

    build = os.path.abspath(args.build)
    out = os.path.abspath(args.out)
    meldc = os.path.abspath(args.meldc or os.path.join(build, "bin", "meldc"))
    meld_run = os.path.abspath(args.meld_run or os.path.join(build, "bin", "meld-run"))
    names = select_models(args.models)

    # Step 1: the tools.
    targets = [t for t, given in (("meldc", args.meldc), ("meld-run", args.meld_run))
               if not given]
    if targets and not args.no_build:
        if not os.path.exists(os.path.join(build, "build.ninja")):
            fail(f"{build} is not a configured build folder (no build.ninja); configure "
                 "Meld first (`make build`) or pass --build")
        print(f"prepare: ninja -C {build} {' '.join(targets)}", flush=True)
        r = subprocess.run(["ninja", "-C", build, f"-j{args.jobs}"] + targets,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            fail(f"building {' and '.join(targets)} failed:\n" + r.stdout[-3000:])
    for tool in (meldc, meld_run):
        if not os.access(tool, os.X_OK):
            fail(f"{tool} not found; build Meld first or pass --build")
    libs, glibc = check_meld_run(meld_run)
    print(f"prepare: meld-run needs {', '.join(libs)} (glibc >= {glibc})")

    # Step 2 and 3: graphs with sparse data, compiled without weights.
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    manifest = {"format": 1, "meld": git_describe(),
                "created": time.strftime("%Y-%m-%d %H:%M:%S"), "target": args.target,
                "meld_run_glibc": glibc, "models": []}
    with tempfile.TemporaryDirectory(prefix="meld-bench-") as tmp:
        for name in names:
            cfg = graphs.MODELS[name]
            onnx_path, entry = graphs.write_model(name, cfg, tmp)
            artifact = os.path.join(out, name + ".meld")
            argv = [meldc, onnx_path, "-o", artifact, "--weights=external",
                    "--target", args.target, "--precision", "fp32"]
            start = time.monotonic()
            try:
                r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, errors="replace", timeout=args.meldc_timeout)
            except subprocess.TimeoutExpired:
                fail(f"{name}: meldc timed out after {args.meldc_timeout} s")
            secs = time.monotonic() - start
            if r.returncode != 0:
                # Without the stack dump of a crash: its first lines say what failed.
                lines = [l for l in r.stdout.splitlines() if not re.match(r"\s*#\d+ ", l)]
                fail(f"{name}: meldc failed (exit code {r.returncode}): "
                     f"{' '.join(argv)}\n" + "\n".join(lines[:30]))
            shutil.copyfile(onnx_path, os.path.join(out, name + ".onnx"))
            entry["artifact"] = name + ".meld"
            entry["artifact_bytes"] = os.path.getsize(artifact)
            entry["compile_seconds"] = round(secs, 2)
            manifest["models"].append(entry)
            print(f"prepare: {name}: {entry['about']}; {entry['flops'] / 1e9:.1f} GFLOP, "
                  f"{entry['onnx_data_bytes'] / 2**20:.1f} MiB of weights (made on the "
                  f"server); compiled in {secs:.1f} s to "
                  f"{entry['artifact_bytes'] / 2**20:.2f} MiB", flush=True)

    # meld-run must time runs (--repeat, runtime API 3).
    r = subprocess.run([meld_run, "--help"], stdout=subprocess.PIPE, text=True)
    if "--repeat" not in r.stdout:
        fail(f"{meld_run} has no --repeat option: rebuild it")

    # Step 4: the rest of the folder.
    shutil.copy2(meld_run, os.path.join(out, "meld-run"))
    shutil.copy2(os.path.join(HERE, "run.py"), os.path.join(out, "run.py"))
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    print(f"prepare: {out}: {len(os.listdir(out))} files, {total / 2**20:.1f} MiB")
    if total > BUNDLE_LIMIT:
        fail(f"{out} is {total / 2**20:.1f} MiB, over the {BUNDLE_LIMIT >> 20} MiB a "
             "deployment bundle may have")
    print(f"prepare: copy {out} to the GPU server and run `python3 run.py` there")
    return 0


if __name__ == "__main__":
    sys.exit(main())
