"""Checks the GPU emulator's mbarriers and TMA copies against numpy.

Usage:
  check_emu_tma.py gen
      prints the GPU-dialect module of the test kernels for
      meld-opt --meld-gpu-to-emu-pipeline;
  check_emu_tma.py run DRIVER MODULE [VARIANT ...]
      runs each variant (all by default) on random data and prints "PASS",
      or what differs (and exits 1);
  check_emu_tma.py errors DRIVER MODULE
      runs the kernels that break a rule of mbarriers or TMA copies and
      prints each one's result (the emulator's one-line error).

Kernel `tma_copyR` (R the rank, 1 to 3) runs on 64 threads. Thread 0
initializes an mbarrier (shared offset 0) for one arrival; after a barrier
it arrives on it expecting the box's bytes (argument 3, word 0) and issues
one cp.async.bulk.tensor of the box at the coordinates of argument 2 into
shared memory at offset 1024 through the tensor map of argument 1 (made
by the driver's --tmap over argument 0). Every thread waits for phase 0,
then copies the box's bytes from shared memory to argument 4, which this
script compares with the box it cuts from the tensor itself: zeros (or
NaNs) outside the tensor, rows laid out densely, then swizzled (bits 4..
of each byte's offset XORed with bits 7..).

Each runs as two blocks doing the same (the second block's shared memory,
its mbarriers included, must start afresh). Kernel `tma_twice` copies a second box into the same buffer once every
thread has read the first and said so on a second mbarrier (64 arrivals)
that thread 0 waits on, with no barrier: the ordering the emulator must
see through the mbarriers. Kernel `tma_again` copies the second box after
a barrier, once thread 0 has invalidated the mbarrier and initialized it
again (as the GPU lowering does after each run of a nested loop), and
every thread waits for parity 0 again: the phases count from the new init.
Both boxes are checked.
"""

import os
import subprocess
import sys
import tempfile

import numpy as np

DATA = 1024  # the box's offset in shared memory
SHARED = DATA + 64 * 1024
THREADS = 64

# name: (rank, element bytes, dims, row pitch in elements, box, coords,
#        swizzle, NaN fill)
VARIANTS = {
    "f32_1d_tail": (1, 4, (100,), None, (16,), (90,), 0, False),
    "f32_2d": (2, 4, (40, 30), 40, (8, 16), (4, 3), 0, False),
    "f32_2d_sw32_nan": (2, 4, (40, 30), 44, (8, 8), (-3, 25), 32, True),
    "bf16_2d_sw128_edges": (2, 2, (100, 70), 112, (64, 32), (48, 50), 128, False),
    "f16_3d_sw64": (3, 2, (32, 5, 6), 32, (32, 4, 2), (0, -2, 4), 64, False),
}

# Kernels that break a rule, and what each does wrong:
#   nowait     threads read the box after a barrier rather than a wait on
#              the mbarrier (a barrier does not order the copy's writes);
#   noinit     the copy names an mbarrier no thread initialized;
#   nobarrier  thread 1 waits on the mbarrier with no barrier after its init;
#   deadlock   the arrival expects more bytes than the copy brings;
#   plainload  thread 2 loads the mbarrier's bytes;
#   store      thread 3 stores to the box after a barrier rather than a
#              wait (the copy may still be writing);
#   reinit     thread 0 initializes the mbarrier twice;
#   overwrite  the second copy of tma_twice with no ordering after the
#              threads' reads of the first;
#   many       thread 0 initializes 65 mbarriers (the engine keeps 64 a
#              block; one initialized again in its place counts once).
# And one that does not: thread 0 waits, then a barrier tells the others
# ("handoff").
BROKEN = ["nowait", "noinit", "nobarrier", "deadlock", "plainload", "store",
          "reinit", "overwrite", "many", "handoff"]


def header(name, rank, extra_args=""):
    return f"""
    gpu.func @{name}(%src: memref<16384xi32>, %map: memref<32xi32>,
                     %coords: memref<8xi32>, %params: memref<4xi32>,
                     %out: memref<32768xi32>{extra_args}) kernel {{
      %t = gpu.thread_id x
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c{THREADS} = arith.constant {THREADS} : index
      %zero = arith.constant 0 : i32
      %one = arith.constant 1 : i32
      %shared = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
      %base_index = memref.extract_aligned_pointer_as_index %shared : memref<?xi8, #gpu.address_space<workgroup>> -> index
      %base = arith.index_cast %base_index : index to i64
      %bar = llvm.inttoptr %base : i64 to !llvm.ptr<3>
      %c8_i64 = arith.constant 8 : i64
      %base8 = arith.addi %base, %c8_i64 : i64
      %empty = llvm.inttoptr %base8 : i64 to !llvm.ptr<3>
      %cdata_i64 = arith.constant {DATA} : i64
      %data_i64 = arith.addi %base, %cdata_i64 : i64
      %data = llvm.inttoptr %data_i64 : i64 to !llvm.ptr<3>
      %map_index = memref.extract_aligned_pointer_as_index %map : memref<32xi32> -> index
      %map_i64 = arith.index_cast %map_index : index to i64
      %map_ptr = llvm.inttoptr %map_i64 : i64 to !llvm.ptr
      %bytes = memref.load %params[%c0] : memref<4xi32>
      %is_first = arith.cmpi eq, %t, %c0 : index
      %words = arith.constant {(SHARED - DATA) // 4} : index
      %view = memref.view %shared[%c0][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<{SHARED // 4}xi32, #gpu.address_space<workgroup>>
      %cdata_words = arith.constant {DATA // 4} : index"""


def copy_box(rank, first, name="copy"):
    """Thread 0's arrival and copy of the box at coords[first..]."""
    coords = []
    lines = []
    for d in range(rank):
        lines.append(f"        %{name}_at{d} = arith.constant {first + d} : index")
        lines.append(f"        %{name}_c{d} = memref.load %coords[%{name}_at{d}] : memref<8xi32>")
        coords.append(f"%{name}_c{d}")
    lines.append("        nvvm.mbarrier.arrive.expect_tx %bar, %bytes : !llvm.ptr<3>, i32")
    lines.append("        nvvm.cp.async.bulk.tensor.shared.cluster.global %data, %map_ptr, %bar, "
                 f"box[{', '.join(coords)}] {{isCTAOnly = true}} : !llvm.ptr<3>, !llvm.ptr")
    return "\n".join(lines)


def dump(first_word):
    """Every thread copies its words of the box to %out[first_word..]."""
    return f"""      %nwords_{first_word} = arith.divui %bytes_index, %c4 : index
      scf.for %i = %t to %nwords_{first_word} step %c{THREADS} {{
        %from = arith.addi %i, %cdata_words : index
        %w = memref.load %view[%from] : memref<{SHARED // 4}xi32, #gpu.address_space<workgroup>>
        %to_base = arith.constant {first_word} : index
        %to = arith.addi %i, %to_base : index
        memref.store %w, %out[%to] : memref<32768xi32>
      }}"""


def dump_second():
    """dump() of the second box, at word 16384 of the output, its values renamed."""
    return (dump(16384).replace("%from", "%from2").replace("%w ", "%w2 ")
            .replace("%w,", "%w2,").replace("%to_base", "%to_base2")
            .replace("%to ", "%to2 ").replace("%out[%to]", "%out[%to2]"))


def gen():
    out = ["// Generated by check_emu_tma.py gen.",
           "module attributes {gpu.container_module} {",
           "  gpu.module @kernels {"]
    kernels = [(f"tma_copy{r}", r, None) for r in (1, 2, 3)]
    kernels += [("tma_twice", 2, None), ("tma_again", 2, None)]
    kernels += [("tma_" + flaw, 2, flaw) for flaw in BROKEN]
    for name, rank, flaw in kernels:
        twice = name == "tma_twice" or flaw == "overwrite"
        out.append(header(name, rank))
        out.append("""      %bytes_index = arith.index_cast %bytes : i32 to index
      %c4 = arith.constant 4 : index""")
        if flaw != "noinit":
            count = "%one"
            out.append(f"""      scf.if %is_first {{
        nvvm.mbarrier.init %bar, {count} : !llvm.ptr<3>, i32""")
            if twice:
                out.append(f"""        %nthreads = arith.constant {THREADS} : i32
        nvvm.mbarrier.init %empty, %nthreads : !llvm.ptr<3>, i32""")
            if flaw == "reinit":
                out.append(f"        nvvm.mbarrier.init %bar, {count} : !llvm.ptr<3>, i32")
            if flaw == "many":
                # 64 more at 16, 24, ... (the data starts at 1024).
                out.append("""        %sixty_four = arith.constant 64 : index
        scf.for %i = %c0 to %sixty_four step %c1 {
          %i64 = arith.index_cast %i : index to i64
          %at8 = arith.muli %i64, %c8_i64 : i64
          %at = arith.addi %base8, %at8 : i64
          %at16 = arith.addi %at, %c8_i64 : i64
          %another = llvm.inttoptr %at16 : i64 to !llvm.ptr<3>
          nvvm.mbarrier.init %another, %one : !llvm.ptr<3>, i32
        }""")
            out.append("      }")
        if flaw == "nobarrier":
            out.append("""      %is_second = arith.cmpi eq, %t, %c1 : index
      scf.if %is_second {
        nvvm.mbarrier.try_wait.parity %bar, %zero, %zero : !llvm.ptr<3>, i32, i32
      }""")
        out.append("      gpu.barrier")
        if flaw == "plainload":
            out.append("""      %is_third = arith.cmpi eq, %t, %c2 : index
      scf.if %is_third {
        %peek = memref.load %view[%c0] : memref<SHAREDxi32, #gpu.address_space<workgroup>>
        memref.store %peek, %out[%c0] : memref<32768xi32>
      }""".replace("SHARED", str(SHARED // 4)))
        out.append("      scf.if %is_first {")
        if flaw == "deadlock":
            out.append("        %more = arith.addi %bytes, %one : i32")
            out.append(copy_box(rank, 0).replace(
                "arrive.expect_tx %bar, %bytes", "arrive.expect_tx %bar, %more"))
        else:
            out.append(copy_box(rank, 0))
        out.append("      }")
        if flaw == "nowait":
            out.append("      gpu.barrier")
        elif flaw == "store":
            out.append("""      gpu.barrier
      %c3 = arith.constant 3 : index
      %is_fourth = arith.cmpi eq, %t, %c3 : index
      scf.if %is_fourth {
        memref.store %zero, %view[%cdata_words] : memref<SHAREDxi32, #gpu.address_space<workgroup>>
      }
      gpu.barrier""".replace("SHARED", str(SHARED // 4)))
        elif flaw == "handoff":
            out.append("""      scf.if %is_first {
        nvvm.mbarrier.try_wait.parity %bar, %zero, %zero : !llvm.ptr<3>, i32, i32
      }
      gpu.barrier""")
        else:
            out.append("      nvvm.mbarrier.try_wait.parity %bar, %zero, %zero : !llvm.ptr<3>, i32, i32")
        out.append(dump(0))
        if name == "tma_again":
            out.append("""      gpu.barrier
      scf.if %is_first {
        nvvm.mbarrier.inval %bar : !llvm.ptr<3>
        nvvm.mbarrier.init %bar, %one : !llvm.ptr<3>, i32
      }
      nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
      gpu.barrier
      scf.if %is_first {""")
            out.append(copy_box(rank, rank, "second"))
            out.append("      }")
            out.append("      nvvm.mbarrier.try_wait.parity %bar, %zero, %zero : !llvm.ptr<3>, i32, i32")
            out.append(dump_second())
        if twice:
            # The threads say they are done reading; thread 0 waits for
            # all of them before it copies the second box over the first.
            # (With the flaw, the last thread copies, after the others' reads
            # in the emulator's order, with nothing ordering them.)
            if flaw != "overwrite":
                out.append("      %state = nvvm.mbarrier.arrive %empty : !llvm.ptr<3> -> i64")
                out.append("      scf.if %is_first {")
            else:
                out.append(f"""      %clast = arith.constant {THREADS - 1} : index
      %is_last = arith.cmpi eq, %t, %clast : index
      scf.if %is_last {{""")
            if flaw != "overwrite":
                out.append("        nvvm.mbarrier.try_wait.parity %empty, %zero, %zero : !llvm.ptr<3>, i32, i32")
            out.append(copy_box(rank, rank, "second"))
            out.append("      }")
            out.append("      nvvm.mbarrier.try_wait.parity %bar, %one, %zero : !llvm.ptr<3>, i32, i32")
            out.append(dump_second())
        out.append("      gpu.return")
        out.append("    }")
    out.append("  }")
    out.append("}")
    print("\n".join(out))


def dtype(e):
    return {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}[e]


def expected_box(tensor, e, box, coords, swizzle, nan):
    """The shared-memory image of the box (bytes at DATA..)."""
    rank = len(box)
    fill = {4: 0x7FC00000, 2: 0x7FFF, 8: 0x7FF8000000000000}[e] if nan else 0
    # numpy order: outermost first.
    image = np.full(tuple(reversed(box)), fill, dtype=dtype(e))
    for index in np.ndindex(*reversed(box)):
        g = tuple(c + i for c, i in zip(reversed(coords), index))
        if all(0 <= x < n for x, n in zip(g, tensor.shape)):
            image[index] = tensor[g]
    dense = image.tobytes()
    swizzled = bytearray(len(dense))
    mask = swizzle // 16 - 1 if swizzle else 0
    for chunk in range(0, len(dense), 16):
        o = DATA + chunk
        to = o ^ (((o >> 7) & mask) << 4)
        swizzled[to - DATA:to - DATA + 16] = dense[chunk:chunk + 16]
    return bytes(swizzled)


def make_tensor(rng, e, dims, pitch):
    """A random tensor and its bytes in memory (rows `pitch` elements
    apart, outer dimensions dense over rows)."""
    shape = tuple(reversed(dims))
    values = rng.integers(0, 1 << (8 * e) - 1, size=shape, dtype=np.uint64)
    tensor = values.astype(dtype(e))
    pitch = pitch or dims[0]
    padded = np.zeros(shape[:-1] + (pitch,), dtype=dtype(e))
    padded[..., :dims[0]] = tensor
    return tensor, padded.tobytes(), pitch


def tmap_spec(e, dims, pitch, box, swizzle, nan):
    strides = []
    stride = pitch * e
    for d in range(1, len(dims)):
        strides.append(stride)
        stride *= dims[d]
    spec = "0:{}:{}:{}:{}:{}".format(
        e, ",".join(map(str, dims)), ",".join(map(str, strides)) or "-",
        ",".join(map(str, box)), swizzle)
    return spec + (":nan" if nan else "")


def launch(driver, module, kernel, work, src, spec, coords, nbytes,
           out_words, map_args=None, grid=1):
    src_path = os.path.join(work, "src.bin")
    with open(src_path, "wb") as f:
        f.write(src + bytes(-len(src) % 4))
    args = [driver, kernel, "--module", module, "--grid", str(grid),
            "--block", str(THREADS),
            "--shared", str(SHARED),
            "--buf", f"u32:{(len(src) + 3) // 4}:@{src_path}",
            *(map_args or ["--tmap", spec]),
            "--buf", "i32:8:" + ",".join(map(str, coords + [0] * (8 - len(coords)))),
            "--buf", f"u32:4:{nbytes},0,0,0",
            "--buf", f"u32:{out_words}:poison", "--print", "4"]
    # The map must be argument 1: --tmap adds it after the buffers before it.
    return subprocess.run(args, capture_output=True, text=True)


def words_of(text):
    line = [l for l in text.splitlines() if l.startswith("buf 4:")]
    return np.array([int(v) for v in line[0].split()[2:]], dtype=np.uint64)


def run(driver, module, names):
    rng = np.random.default_rng(7)
    ok = True
    with tempfile.TemporaryDirectory() as work:
        cases = [(n, VARIANTS[n], None) for n in names or VARIANTS] + \
                ([(k, VARIANTS["bf16_2d_sw128_edges"], "tma_" + k)
                  for k in ("twice", "again")] if not names else [])
        for name, (rank, e, dims, pitch, box, coords, swizzle, nan), twice in cases:
            tensor, src, pitch = make_tensor(rng, e, dims, pitch)
            nbytes = e * int(np.prod(box))
            spec = tmap_spec(e, dims, pitch, box, swizzle, nan)
            all_coords = list(coords)
            expected = expected_box(tensor, e, box, coords, swizzle, nan)
            kernel = f"tma_copy{rank}"
            out_words = nbytes // 4
            if twice:
                second = [coords[0] - 40, coords[1] - 45]
                all_coords += second
                kernel = twice
                out_words = 16384 + nbytes // 4
            # Two blocks (the same copies): the second's shared memory,
            # mbarriers included, starts afresh.
            r = launch(driver, module, kernel, work, src, spec, all_coords,
                       nbytes, out_words, grid=2)
            if r.returncode != 0:
                print(f"FAIL {name}: {r.stdout.strip()} {r.stderr.strip()}")
                ok = False
                continue
            got = words_of(r.stdout).astype(np.uint32).tobytes()
            checks = [(got[:nbytes], expected)]
            if twice:
                checks.append((got[16384 * 4:16384 * 4 + nbytes],
                               expected_box(tensor, e, box, second, swizzle, nan)))
            for i, (g, x) in enumerate(checks):
                if g != x:
                    bad = sum(a != b for a, b in zip(g, x))
                    print(f"FAIL {name} box {i}: {bad} of {len(x)} bytes differ")
                    ok = False
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def errors(driver, module):
    rng = np.random.default_rng(3)
    rank, e, dims, pitch, box, coords, swizzle, nan = VARIANTS["f32_2d"]
    with tempfile.TemporaryDirectory() as work:
        tensor, src, pitch = make_tensor(rng, e, dims, pitch)
        nbytes = e * int(np.prod(box))
        spec = tmap_spec(e, dims, pitch, box, swizzle, nan)
        for flaw in BROKEN:
            r = launch(driver, module, "tma_" + flaw, work, src, spec,
                       list(coords) * 2, nbytes, 16384 + nbytes // 4)
            result = r.stdout.strip().splitlines()
            line = [l for l in result if l.startswith("error:")]
            print(f"{flaw}: exit {r.returncode}: {line[0] if line else 'no error'}")
        # A map the driver would not encode, and one that is not a map.
        for what, args in (
                ("wide box", ["--tmap", tmap_spec(e, dims, pitch, (24, 4), 64, False)]),
                ("no map", ["--buf", "u32:32:0"])):
            r = launch(driver, module, "tma_copy2", work, src, spec,
                       list(coords), nbytes, nbytes // 4, args)
            line = [l for l in r.stdout.splitlines() if l.startswith("error:")]
            print(f"{what}: exit {r.returncode}: {line[0] if line else 'no error'}")
    return 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "gen":
        gen()
        return 0
    if len(argv) >= 4 and argv[1] == "run":
        return run(argv[2], argv[3], argv[4:])
    if len(argv) == 4 and argv[1] == "errors":
        return errors(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
