#!/usr/bin/python3
"""PyTorch baseline for the dense part of MLPerf DLRM-v2 (see run.sh).

  pytorch_dense_bench.py --out DIR --threads T --batch 256 --batch 2048 --seconds S

Builds the DLRM-v2 dense shape with seeded random weights: 13 dense
features, bottom MLP 13-512-256-128 (ReLU), 26 embeddings of dim 128, dot
interaction of the 27 vectors (strictly-lower triangle by a constant-index
gather: 351 values) concatenated with the bottom output (479), top MLP
479-1024-1024-512-256-1 (ReLU between), sigmoid. Exports it to
DIR/dlrm_v2.onnx (opset 13; inputs `dense` B x 13 and `emb` B x 26 x 128;
outputs `logit`, `prob`; dynamic batch), then times PyTorch's own forward
(eval, inference_mode, torch.set_num_threads(T), warmed up) for S seconds per
batch size and prints one JSON line per batch size to stdout:

  {"subject":"pytorch","batch":B,"threads":T,"samples_per_s":X}

T bounds the whole process: OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and
MKL_NUM_THREADS default to T, OMP_WAIT_POLICY to PASSIVE (see below). Progress, with the cores the
process kept busy, goes to stderr. Needs python3-torch and python3-onnx (apt).
"""

import argparse
import json
import os
import sys
import time


def _threads_from_argv():
    for i, arg in enumerate(sys.argv):
        if arg == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return "1"


# --threads T bounds every pool, not only ATen's: Debian's torch runs its
# GEMMs on OpenBLAS, whose own thread pool is otherwise sized to the machine
# (so "1 thread" would use every core, and T threads would oversubscribe).
# And ATen's OpenMP workers must not spin between parallel regions: spinning
# they hold the cores OpenBLAS's threads need, and 2 threads ran at a third
# of 1 thread's rate (measured on a 2-core VM) until OMP_WAIT_POLICY=PASSIVE.
# These must be set before torch (and OpenBLAS) load; an explicit setting in
# the environment wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, _threads_from_argv())
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
from torch import nn  # noqa: E402

NUM_DENSE = 13
NUM_TABLES = 26
DIM = 128
BOTTOM = [512, 256, 128]
TOP = [1024, 1024, 512, 256, 1]


def mlp(sizes, last_relu):
    layers = []
    for k in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[k], sizes[k + 1]))
        if k < len(sizes) - 2 or last_relu:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class DLRMv2Dense(nn.Module):
    def __init__(self):
        super().__init__()
        self.n = NUM_TABLES + 1
        self.bottom = mlp([NUM_DENSE] + BOTTOM, last_relu=True)
        tri = [r * self.n + c for r in range(self.n) for c in range(r)]
        self.register_buffer("tri", torch.tensor(tri, dtype=torch.int64))
        self.top = mlp([len(tri) + DIM] + TOP, last_relu=False)

    def forward(self, dense, emb):
        x = self.bottom(dense)                                   # B x 128
        t = torch.cat([x.unsqueeze(1), emb], dim=1)              # B x 27 x 128
        z = torch.matmul(t, t.transpose(1, 2))                   # B x 27 x 27
        z = torch.index_select(z.reshape(-1, self.n * self.n), 1, self.tri)
        logit = self.top(torch.cat([x, z], dim=1))               # 479 -> 1
        return logit, torch.sigmoid(logit)


def export(model, path):
    args = (torch.zeros(2, NUM_DENSE), torch.zeros(2, NUM_TABLES, DIM))
    names_in, names_out = ["dense", "emb"], ["logit", "prob"]
    torch.onnx.export(model, args, path, input_names=names_in,
                      output_names=names_out,
                      dynamic_axes={n: {0: "batch"}
                                    for n in names_in + names_out},
                      opset_version=13, do_constant_folding=True)
    try:
        import onnx
        onnx.checker.check_model(onnx.load(path))
    except ImportError:
        print("onnx not installed; exported graph not checked", file=sys.stderr)


def time_batch(model, batch, seconds, gen):
    dense = torch.randn(batch, NUM_DENSE, generator=gen)
    emb = torch.randn(batch, NUM_TABLES, DIM, generator=gen) * 0.1
    with torch.inference_mode():
        # Warm-up: at least 3 runs and 10% of the measured time.
        start = time.perf_counter()
        runs = 0
        while runs < 3 or time.perf_counter() - start < 0.1 * seconds:
            model(dense, emb)
            runs += 1
        runs = 0
        cpu_start = time.process_time()
        start = time.perf_counter()
        while True:
            logit, _ = model(dense, emb)
            runs += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                break
        cpu = time.process_time() - cpu_start
    assert torch.isfinite(logit).all()
    return runs * batch / elapsed, runs, cpu / elapsed


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, help="folder for dlrm_v2.onnx")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, action="append",
                   help="batch size (repeatable; default 256 and 2048)")
    p.add_argument("--seconds", type=float, default=5.0,
                   help="measured seconds per batch size")
    p.add_argument("--seed", type=int, default=2024)
    a = p.parse_args()
    batches = a.batch or [256, 2048]

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    model = DLRMv2Dense().eval()
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, "dlrm_v2.onnx")
    export(model, path)
    print(f"exported {path} ({os.path.getsize(path)} bytes); torch "
          f"{torch.__version__}, {a.threads} thread(s)", file=sys.stderr)

    gen = torch.Generator().manual_seed(a.seed + 1)
    for b in batches:
        rate, runs, cores = time_batch(model, b, a.seconds, gen)
        # cores: process CPU time / wall time. It can exceed --threads: BLAS
        # may run its own thread pool (Debian's torch uses OpenBLAS, sized to
        # the machine unless OPENBLAS_NUM_THREADS is set).
        print(f"batch {b}: {runs} runs, {rate:.0f} samples/s, "
              f"{cores:.2f} cores busy", file=sys.stderr)
        print(json.dumps({"subject": "pytorch", "batch": b,
                          "threads": a.threads,
                          "samples_per_s": round(rate, 1)},
                         separators=(",", ":")), flush=True)


if __name__ == "__main__":
    main()
