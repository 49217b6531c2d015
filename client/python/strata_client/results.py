"""What Lookup and Infer replies decode to: numpy arrays per table / output.

Row values travel as packed little-endian bytes in the reply's value_dtype
(proto/strata/v1/embedding.proto): FLOAT32 rows come back as float32,
FLOAT16 as float16, and BFLOAT16 widened to float32 (numpy has no
bfloat16; the widening is exact). FLOAT32 and FLOAT16 arrays are read-only
views of the reply's bytes (no copy); ``.copy()`` one to write to it.

Plain immutable data; safe to share between threads.
"""

from __future__ import annotations

import dataclasses
from typing import Dict, Iterator, Mapping

import numpy as np

from strata.v1 import embedding_pb2

_DTYPE_NAMES = {
    embedding_pb2.FLOAT32: "float32",
    embedding_pb2.FLOAT16: "float16",
    embedding_pb2.BFLOAT16: "bfloat16",
}


def decode_values(values: bytes, dtype: int, n: int, dim: int) -> np.ndarray:
    """(n, dim) rows from packed ``values`` in wire ``dtype``."""
    if dtype == embedding_pb2.FLOAT32:
        flat = np.frombuffer(values, dtype="<f4")
    elif dtype == embedding_pb2.FLOAT16:
        flat = np.frombuffer(values, dtype="<f2")
    elif dtype == embedding_pb2.BFLOAT16:
        # A bfloat16 is the top half of a float32.
        wide = np.frombuffer(values, dtype="<u2").astype(np.uint32) << 16
        flat = wide.view(np.float32)
    else:
        raise ValueError(f"unknown value_dtype {dtype}")
    return flat.reshape(n, dim)


@dataclasses.dataclass(frozen=True)
class TableRows:
    """The rows of one table, in request order.

    Attributes:
      table: the table's name.
      dim: floats per row.
      dtype: the wire dtype: "float32", "float16" or "bfloat16".
      rows: (n, dim) one row per key, or (B, dim) one per bag when pooled.
      is_default: (n) bool, true where the key exists in no tier and the row
        is the table's default row; empty for pooled tables.
      default_counts: (B) uint32, pooled tables: how many of each bag's rows
        were default rows; empty otherwise.
    """

    table: str
    dim: int
    dtype: str
    rows: np.ndarray
    is_default: np.ndarray
    default_counts: np.ndarray

    @classmethod
    def from_proto(cls, t: embedding_pb2.TableRows) -> "TableRows":
        is_default = np.array(t.is_default, dtype=bool)
        default_counts = np.array(t.default_counts, dtype=np.uint32)
        width = 4 if t.value_dtype == embedding_pb2.FLOAT32 else 2
        if t.dim > 0:
            n = len(t.values) // (width * t.dim)
        else:
            n = max(len(is_default), len(default_counts))
        return cls(table=t.table, dim=t.dim,
                   dtype=_DTYPE_NAMES.get(t.value_dtype, str(t.value_dtype)),
                   rows=decode_values(t.values, t.value_dtype, n, t.dim),
                   is_default=is_default, default_counts=default_counts)


@dataclasses.dataclass(frozen=True)
class LookupResult(Mapping[str, TableRows]):
    """A Lookup reply: ``result["t0"].rows``; iterates over table names in
    request order.

    Attributes:
      model: the model answered.
      version: the model version that answered (the serving one when the
        request asked for 0).
      tables: table name -> TableRows.
    """

    model: str
    version: int
    tables: Dict[str, TableRows]

    @classmethod
    def from_proto(cls, reply: embedding_pb2.LookupResponse) -> "LookupResult":
        return cls(model=reply.model, version=reply.version,
                   tables={t.table: TableRows.from_proto(t)
                           for t in reply.tables})

    def __getitem__(self, table: str) -> TableRows:
        return self.tables[table]

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)


class InferResult(Dict[str, np.ndarray]):
    """An Infer reply: output name -> (B, ...) float32 array, in the graph's
    output order (a dict), with the reply's ``model``, ``version`` and
    ``default_rows`` (rows of the request's keys that were default rows,
    inside bags too) as attributes."""

    def __init__(self, reply: embedding_pb2.InferResponse):
        super().__init__(
            (o.name,
             np.frombuffer(o.values, dtype="<f4").reshape(tuple(o.shape)))
            for o in reply.outputs)
        self.model: str = reply.model
        self.version: int = reply.version
        self.default_rows: int = reply.default_rows
