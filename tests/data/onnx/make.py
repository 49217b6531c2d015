#!/usr/bin/python3
"""Regenerates every file in tests/data/onnx/ (see README.md there).

  apt-get install -y python3-torch python3-onnx python3-numpy
  /usr/bin/python3 tests/data/onnx/make.py

Writes, next to this script:
  tables/t<i>.model/{key,emb_vector}   26 HugeCTR sparse tables, dim 16, 40 rows
  dlrm.onnx dcn.onnx deepfm.onnx mmoe.onnx
  <model>_b<B>.json                    cases, B in {1, 4, 7, 16}
  OPS.md                               each graph's operator types and counts

Everything is seeded; running it twice writes the same bytes (same torch and
onnx versions assumed: a different exporter may order or name nodes
differently, but the numbers in the cases do not change).
"""

import collections
import json
import os
import sys

import numpy as np
import onnx
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
NUM_DENSE = 13
NUM_TABLES = 26
DIM = 16
ROWS = 40
BATCHES = (1, 4, 7, 16)
POOLING = {"t1": "SUM", "t2": "MEAN"}  # the multi-hot tables
MISSING_RATE = 0.1

# The operators Strata's dense engine is meant to run.
ALLOWED_OPS = {
    "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Pow", "Relu", "Sigmoid",
    "Tanh", "Softmax", "Concat", "Flatten", "Reshape", "Transpose",
    "Unsqueeze", "Squeeze", "ReduceSum", "ReduceMean", "Gather", "Shape",
    "Cast", "Identity", "Constant",
}

TABLE_NAMES = [f"t{i}" for i in range(NUM_TABLES)]


def table_keys(i):
    return np.array([i * 1000 + 7 * j + 3 for j in range(ROWS)], dtype=np.int64)


# --------------------------------------------------------------------------
# Tables


def make_tables():
    """Returns {name: (keys int64[ROWS], values float32[ROWS, DIM])}."""
    gen = torch.Generator().manual_seed(20240601)
    tables = {}
    for i, name in enumerate(TABLE_NAMES):
        values = (torch.randn(ROWS, DIM, generator=gen) * 0.1).numpy()
        tables[name] = (table_keys(i), values.astype(np.float32))
    return tables


def write_tables(tables):
    for name, (keys, values) in tables.items():
        d = os.path.join(HERE, "tables", f"{name}.model")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "key"), "wb") as f:
            f.write(keys.astype("<i8").tobytes())
        with open(os.path.join(d, "emb_vector"), "wb") as f:
            f.write(values.astype("<f4").tobytes())


# --------------------------------------------------------------------------
# Models. Every reshape uses static sizes with -1 for the batch axis only, so
# the graphs need no Shape/Slice/Expand/ConstantOfShape.


def mlp(sizes, last_relu):
    layers = []
    for k in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[k], sizes[k + 1]))
        if k < len(sizes) - 2 or last_relu:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def lower_triangle_index(n):
    """Flat indices (row-major in an n x n matrix) of the strictly-lower
    triangle: (1,0), (2,0), (2,1), (3,0), ..."""
    return torch.tensor([r * n + c for r in range(n) for c in range(r)],
                        dtype=torch.int64)


class DLRM(nn.Module):
    """Inputs dense (B,13), emb (B,26,16). Outputs logit, prob (B,1)."""

    def __init__(self, num_dense, num_tables, dim, bottom, top):
        super().__init__()
        self.num_tables = num_tables
        self.dim = dim
        self.n = num_tables + 1
        self.bottom = mlp([num_dense] + bottom, last_relu=True)
        assert bottom[-1] == dim
        pairs = self.n * (self.n - 1) // 2
        self.register_buffer("tri", lower_triangle_index(self.n))
        self.top = mlp([pairs + dim] + top, last_relu=False)

    def forward(self, dense, emb):
        x = self.bottom(dense)                                   # B x d
        t = torch.cat([x.unsqueeze(1), emb], dim=1)              # B x n x d
        z = torch.matmul(t, t.transpose(1, 2))                   # B x n x n
        z = z.reshape(-1, self.n * self.n)                       # B x n*n
        z = torch.index_select(z, 1, self.tri)                   # Gather
        logit = self.top(torch.cat([x, z], dim=1))
        return logit, torch.sigmoid(logit)


class DCNv2(nn.Module):
    """Inputs dense (B,13), t0..t25 (B,16). Outputs logit, prob (B,1).

    The cross layers are DCN-v2's low-rank form, W = U V (rank 16), which keeps
    the graph small: x_{l+1} = x0 * (U (V x_l) + b) + x_l. The deep MLP runs in
    parallel on x0; the final linear reads [x_L, deep]."""

    def __init__(self, width, layers=2, rank=16, deep=(64, 32)):
        super().__init__()
        self.down = nn.ModuleList(
            [nn.Linear(width, rank, bias=False) for _ in range(layers)])
        self.up = nn.ModuleList([nn.Linear(rank, width) for _ in range(layers)])
        self.deep = mlp([width] + list(deep), last_relu=True)
        self.final = nn.Linear(width + deep[-1], 1)

    def forward(self, dense, *embs):
        x0 = torch.cat([dense] + list(embs), dim=1)              # B x 429
        x = x0
        for down, up in zip(self.down, self.up):
            x = x0 * up(down(x)) + x
        logit = self.final(torch.cat([x, self.deep(x0)], dim=1))
        return logit, torch.sigmoid(logit)


class DeepFM(nn.Module):
    """Inputs dense (B,13), t0..t25 (B,16). Outputs logit, prob (B,1)."""

    def __init__(self, num_dense, num_tables, dim, dnn=(64, 32)):
        super().__init__()
        self.num_tables = num_tables
        self.dim = dim
        self.linear = nn.Linear(num_dense, 1)
        self.dnn = mlp([num_dense + num_tables * dim] + list(dnn) + [1],
                       last_relu=False)

    def forward(self, dense, *embs):
        flat = torch.cat(list(embs), dim=1)                      # B x 416
        v = flat.reshape(-1, self.num_tables, self.dim)          # B x 26 x 16
        s = torch.sum(v, dim=1)                                  # B x 16
        sq = torch.sum(v * v, dim=1)                             # B x 16
        fm = 0.5 * torch.sum(s * s - sq, dim=1, keepdim=True)    # B x 1
        deep = self.dnn(torch.cat([dense, flat], dim=1))
        logit = self.linear(dense) + fm + deep
        return logit, torch.sigmoid(logit)


class MMoE(nn.Module):
    """Inputs dense_x (B,13), sparse (B,26,16). Outputs ctr_logit, ctr,
    cvr_logit, cvr (B,1)."""

    def __init__(self, num_dense, num_tables, dim, experts=3, expert_dim=32,
                 tasks=2, tower=(16,)):
        super().__init__()
        self.flat = num_tables * dim
        width = num_dense + self.flat
        self.experts = nn.ModuleList(
            [mlp([width, expert_dim], last_relu=True) for _ in range(experts)])
        self.gates = nn.ModuleList(
            [nn.Linear(width, experts) for _ in range(tasks)])
        self.towers = nn.ModuleList(
            [mlp([expert_dim] + list(tower) + [1], last_relu=False)
             for _ in range(tasks)])

    def forward(self, dense_x, sparse):
        x = torch.cat([dense_x, sparse.reshape(-1, self.flat)], dim=1)
        e = torch.cat([ex(x).unsqueeze(1) for ex in self.experts], dim=1)
        outs = []
        for gate, tower in zip(self.gates, self.towers):
            g = torch.softmax(gate(x), dim=1).unsqueeze(1)       # B x 1 x E
            mixed = torch.matmul(g, e).squeeze(1)                # B x 32
            logit = tower(mixed)
            outs += [logit, torch.sigmoid(logit)]
        return tuple(outs)


def stacked_inputs(model_name):
    """The graph's input names, in order: the dense features first, then
    either one stacked (B,26,16) input (dlrm, mmoe) or t0..t25 (B,16)."""
    if model_name == "dlrm":
        return ["dense", "emb"]
    if model_name == "mmoe":
        return ["dense_x", "sparse"]
    return ["dense"] + TABLE_NAMES


OUTPUTS = {
    "dlrm": ["logit", "prob"],
    "dcn": ["logit", "prob"],
    "deepfm": ["logit", "prob"],
    "mmoe": ["ctr_logit", "ctr", "cvr_logit", "cvr"],
}


def build(model_name):
    seed = {"dlrm": 101, "dcn": 102, "deepfm": 103, "mmoe": 104}[model_name]
    torch.manual_seed(seed)
    if model_name == "dlrm":
        m = DLRM(NUM_DENSE, NUM_TABLES, DIM, bottom=[32, 16], top=[32, 16, 1])
    elif model_name == "dcn":
        m = DCNv2(NUM_DENSE + NUM_TABLES * DIM)
    elif model_name == "deepfm":
        m = DeepFM(NUM_DENSE, NUM_TABLES, DIM)
    else:
        m = MMoE(NUM_DENSE, NUM_TABLES, DIM)
    # He-normal weights and small random biases: nn.Linear's default init
    # shrinks the signal layer by layer, leaving outputs that barely depend on
    # the embeddings (a wrong binding would then hide inside a tolerance).
    with torch.no_grad():
        for layer in m.modules():
            if isinstance(layer, nn.Linear):
                layer.weight.normal_(0.0, (2.0 / layer.in_features) ** 0.5)
                if layer.bias is not None:
                    layer.bias.normal_(0.0, 0.05)
    return m.eval()


def graph_feed(model_name, dense, pooled):
    """The graph's inputs as float32 numpy arrays, by name. `pooled` is
    {table: (B, DIM)}."""
    names = stacked_inputs(model_name)
    if model_name in ("dlrm", "mmoe"):
        emb = np.stack([pooled[t] for t in TABLE_NAMES], axis=1)  # B x 26 x 16
        return {names[0]: dense, names[1]: np.ascontiguousarray(emb)}
    feed = {"dense": dense}
    for t in TABLE_NAMES:
        feed[t] = pooled[t]
    return feed


def export(model_name, m):
    path = os.path.join(HERE, f"{model_name}.onnx")
    feed = graph_feed(model_name, np.zeros((2, NUM_DENSE), np.float32),
                      {t: np.zeros((2, DIM), np.float32) for t in TABLE_NAMES})
    in_names = list(feed.keys())
    args = tuple(torch.from_numpy(feed[n]) for n in in_names)
    out_names = OUTPUTS[model_name]
    dyn = {n: {0: "batch"} for n in in_names + out_names}
    torch.onnx.export(m, args, path, input_names=in_names,
                      output_names=out_names, dynamic_axes=dyn,
                      opset_version=13, do_constant_folding=True)
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    ops = collections.Counter(n.op_type for n in model.graph.node)
    bad = sorted(set(ops) - ALLOWED_OPS)
    if bad:
        sys.exit(f"{model_name}.onnx uses operators outside the allowed set: "
                 f"{bad}")
    got_in = [i.name for i in model.graph.input]
    got_out = [o.name for o in model.graph.output]
    assert got_in == in_names, (got_in, in_names)
    assert got_out == out_names, (got_out, out_names)
    return ops, os.path.getsize(path)


# --------------------------------------------------------------------------
# Cases


def make_keys(rng, i, batch, multi_hot):
    """Keys of table i for `batch` samples: a list of B keys (one-hot) or of B
    lists (multi-hot, bags of 0..4 keys, one empty bag forced when B >= 4).
    About MISSING_RATE of the keys are missing from the table, of three kinds:
    far outside its range, inside its range between two keys, and a key of the
    next table (tables are separate key spaces)."""
    valid = table_keys(i)

    def one():
        if rng.random() < MISSING_RATE:
            kind = int(rng.integers(3))
            j = int(rng.integers(ROWS))
            if kind == 0:
                return i * 1000 + 999999
            if kind == 1:
                return i * 1000 + 7 * j + 5
            return ((i + 1) % NUM_TABLES) * 1000 + 7 * j + 3
        return int(valid[int(rng.integers(ROWS))])

    if not multi_hot:
        return [one() for _ in range(batch)]
    sizes = [int(rng.integers(0, 5)) for _ in range(batch)]
    if batch >= 4 and 0 not in sizes:
        sizes[int(rng.integers(batch))] = 0
    if batch >= 4 and max(sizes) < 2:
        sizes[(sizes.index(0) + 1) % batch] = 3
    return [[one() for _ in range(n)] for n in sizes]


def lookup(table, key):
    """(row float32[DIM], was_missing): the server's lookup of one key."""
    keys, values = table
    hit = np.nonzero(keys == key)[0]
    if len(hit) == 0:
        return np.zeros(DIM, np.float32), True
    return values[hit[0]], False


def pool(table, bags, mode):
    """Pools each bag exactly as engine/common/bag_pool.h does: float32 sum in
    key order starting from zeros; MEAN multiplies by 1.0f / n (n counts the
    missing keys too); an empty bag is a zero row."""
    out = np.zeros((len(bags), DIM), np.float32)
    defaults = 0
    for b, bag in enumerate(bags):
        acc = np.zeros(DIM, np.float32)
        for k in bag:
            row, missing = lookup(table, k)
            defaults += missing
            acc = (acc + row).astype(np.float32)
        if mode == "MEAN" and len(bag) > 0:
            scale = np.float32(1.0) / np.float32(len(bag))
            acc = (acc * scale).astype(np.float32)
        out[b] = acc
    return out, defaults


def make_case(model_name, m, tables, batch):
    seed = {"dlrm": 1, "dcn": 2, "deepfm": 3, "mmoe": 4}[model_name]
    rng = np.random.default_rng(seed * 1000 + batch)
    dense = rng.standard_normal((batch, NUM_DENSE)).astype(np.float32)
    keys, pooled, default_rows = {}, {}, 0
    for i, t in enumerate(TABLE_NAMES):
        multi = t in POOLING
        k = make_keys(rng, i, batch, multi)
        keys[t] = k
        bags = k if multi else [[x] for x in k]
        pooled[t], d = pool(tables[t], bags, POOLING.get(t, "SUM"))
        default_rows += d
    feed = graph_feed(model_name, dense, pooled)
    with torch.inference_mode():
        outs = m(*[torch.from_numpy(v) for v in feed.values()])
    expected = {}
    for name, o in zip(OUTPUTS[model_name], outs):
        a = o.numpy().astype(np.float32)
        assert a.shape == (batch, 1), (name, a.shape)
        assert np.all(np.isfinite(a)), (model_name, batch, name)
        expected[name] = [[float(x) for x in row] for row in a]
    return {
        "model": model_name,
        "batch": batch,
        "dense": [[float(x) for x in row] for row in dense],
        "keys": keys,
        "pooling": dict(POOLING),
        "graph_inputs": {n: [float(x) for x in v.reshape(-1)]
                         for n, v in feed.items()},
        "expected": {"outputs": expected, "default_rows": int(default_rows)},
    }, sum(len(x) if isinstance(x, list) else 1
           for t in TABLE_NAMES for x in keys[t])


def main():
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    tables = make_tables()
    write_tables(tables)
    lines = ["# Operators of each graph", "",
             "Written by make.py (opset 13, torch "
             f"{torch.__version__.split('+')[0]}, onnx {onnx.__version__}).", ""]
    for name in ("dlrm", "dcn", "deepfm", "mmoe"):
        m = build(name)
        ops, size = export(name, m)
        lines += [f"## {name}.onnx ({size} bytes)", "",
                  "| op | count |", "|---|---|"]
        lines += [f"| {op} | {n} |" for op, n in sorted(ops.items())]
        lines.append("")
        print(f"{name}.onnx: {size} bytes; " +
              ", ".join(f"{op} x{n}" for op, n in sorted(ops.items())))
        for b in BATCHES:
            case, nkeys = make_case(name, m, tables, b)
            path = os.path.join(HERE, f"{name}_b{b}.json")
            with open(path, "w") as f:
                json.dump(case, f, separators=(",", ":"))
                f.write("\n")
            print(f"  {name}_b{b}.json: {nkeys} keys, "
                  f"{case['expected']['default_rows']} default rows")
    with open(os.path.join(HERE, "OPS.md"), "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
