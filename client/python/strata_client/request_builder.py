"""Builds LookupRequest and InferRequest messages from numpy / Python values.

Keys are int64; ``offsets`` (B + 1 non-decreasing offsets into a table's
keys) with ``pooling`` "SUM" or "MEAN" ask for one pooled row per bag.
Nothing is validated here that the server validates (it answers
INVALID_ARGUMENT naming the field); only values numpy cannot convert raise
here (``ValueError`` / ``TypeError``).

Plain functions, no state.
"""

from __future__ import annotations

from typing import Mapping, Optional, Sequence, Union

import numpy as np

from strata.v1 import embedding_pb2

# Anything np.asarray turns into int64 keys: a list, a tuple, an ndarray.
Keys = Union[Sequence[int], np.ndarray]
# Infer: per table B keys (one-hot) or B bags of keys (multi-hot).
SampleKeys = Union[Keys, Sequence[Keys]]
# One pooling for every table that has offsets, or one per table.
PoolingArg = Union[None, str, Mapping[str, str]]

_DTYPES = {
    "float32": embedding_pb2.FLOAT32,
    "float16": embedding_pb2.FLOAT16,
    "bfloat16": embedding_pb2.BFLOAT16,
}
_POOLINGS = {"NONE": embedding_pb2.NONE, "SUM": embedding_pb2.SUM,
             "MEAN": embedding_pb2.MEAN}


def value_dtype(name: str) -> int:
    """The wire enum of "float32", "float16" or "bfloat16"."""
    try:
        return _DTYPES[name.lower()]
    except KeyError:
        raise ValueError(
            f"dtype must be one of {sorted(_DTYPES)}: {name!r}") from None


def _pooling_of(pooling: PoolingArg, table: str) -> int:
    name = pooling.get(table) if isinstance(pooling, Mapping) else pooling
    if name is None:
        return embedding_pb2.NONE
    try:
        return _POOLINGS[name.upper()]
    except KeyError:
        raise ValueError(f"pooling of table {table!r} must be SUM or MEAN: "
                         f"{name!r}") from None


def _int64s(values: Keys) -> np.ndarray:
    array = np.asarray(values)
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"keys and offsets must be 1-D integers, got "
                        f"{array.dtype} of shape {array.shape}")
    return array.astype(np.int64, copy=False)


def table_keys(table: str, keys: Keys, offsets: Optional[Keys] = None,
               pooling: PoolingArg = None) -> embedding_pb2.TableKeys:
    """One table's entry of a request."""
    t = embedding_pb2.TableKeys(table=table,
                                pooling=_pooling_of(pooling, table))
    t.keys.extend(_int64s(keys).tolist())
    if offsets is not None:
        t.offsets.extend(_int64s(offsets).tolist())
    return t


def lookup_request(model: str, keys: Mapping[str, Keys], *, dtype: str,
                   version: int, offsets: Optional[Mapping[str, Keys]],
                   pooling: PoolingArg) -> embedding_pb2.LookupRequest:
    """A LookupRequest for {table: keys}, in the mapping's order."""
    request = embedding_pb2.LookupRequest(
        model=model, version=version, value_dtype=value_dtype(dtype))
    offsets = offsets or {}
    for table, table_keys_ in keys.items():
        request.tables.append(
            table_keys(table, table_keys_, offsets.get(table), pooling))
    return request


def _is_bags(values: object) -> bool:
    """True for a list of bags (a sequence of sequences), as opposed to one
    key per sample."""
    if isinstance(values, np.ndarray):
        return values.ndim == 2 or values.dtype == object
    return any(isinstance(v, (Sequence, np.ndarray)) for v in values)


def infer_request(model: str, dense: Optional[object],
                  keys: Mapping[str, SampleKeys], *,
                  pooling: Optional[Mapping[str, str]],
                  version: int) -> embedding_pb2.InferRequest:
    """An InferRequest of B samples.

    ``dense``: (B, F) float32 (anything np.asarray converts) or None.
    ``keys``: per table B keys (one-hot), or B bags (lists of keys, or a
    (B, k) array; pooled with ``pooling[table]``, SUM when not given).
    """
    request = embedding_pb2.InferRequest(model=model, version=version)
    batch = -1
    if dense is not None:
        rows = np.ascontiguousarray(dense, dtype="<f4")
        if rows.ndim != 2:
            raise ValueError(f"dense must be (B, F), got shape {rows.shape}")
        request.dense = rows.tobytes()
        batch = rows.shape[0]
    pooling = pooling or {}
    for table, values in keys.items():
        if _is_bags(values):
            bags = [_int64s(bag) for bag in values]
            offsets = np.cumsum([0] + [len(b) for b in bags])
            flat = np.concatenate(bags) if bags else np.zeros(0, np.int64)
            request.tables.append(table_keys(
                table, flat, offsets, pooling.get(table, "SUM")))
        elif table in pooling:
            raise ValueError(f"pooling names one-hot table {table!r} "
                             f"(give bags: lists of keys)")
        else:
            request.tables.append(table_keys(table, values))
        if batch < 0:
            batch = len(values)
    if batch <= 0:
        raise ValueError("infer needs at least one sample (dense or keys)")
    request.batch = batch
    return request
