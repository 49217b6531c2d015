"""StrataClient: a small Python client of strata.v1 (Embedding, Admin).

Every call carries the deadline ``timeout_s``; the channel is
``channel.new_channel``'s (TLS, round_robin over every address of the target,
retries of UNAVAILABLE for Lookup and Infer); admin calls carry
``authorization: Bearer <token>`` when a token is given. A failed call
raises ``StrataError``.

Ownership: owns its channel (``close()``, or use it as a context manager).
Thread safety: safe for concurrent calls from many threads (gRPC stubs are).
"""

from __future__ import annotations

from typing import Callable, Mapping, Optional, Tuple, TypeVar

import grpc

from strata.v1 import admin_pb2, admin_pb2_grpc, embedding_pb2_grpc

from . import channel as channel_lib
from . import request_builder
from .errors import StrataError
from .results import InferResult, LookupResult

_Reply = TypeVar("_Reply")


class StrataClient:
    """A client of one strata-server target (one server, or many behind a
    ``dns:///`` name or an ``ipv4:a:p,b:p`` list).

    Args:
      target: gRPC target, e.g. ``"localhost:8500"`` or
        ``"dns:///strata-headless.ns.svc.cluster.local:8500"``.
      timeout_s: deadline of every call, in seconds (retries included).
      tls: TLS, verifying the server with gRPC's default CA roots.
      tls_ca: CA bundle (PEM file) that signed the server's certificate: TLS.
      tls_cert, tls_key: client certificate and its key (PEM files): mTLS.
      token, token_file: the bearer token admin calls send (the server's
        admin_token_file); ``token`` wins when both are given.

    Raises ``ValueError`` / ``OSError`` for unusable TLS or token settings.
    """

    def __init__(self, target: str, *, timeout_s: float = 5.0,
                 tls: bool = False, tls_ca: Optional[str] = None,
                 tls_cert: Optional[str] = None, tls_key: Optional[str] = None,
                 token: Optional[str] = None,
                 token_file: Optional[str] = None):
        self.target = target
        self.timeout_s = timeout_s
        self._admin_metadata = channel_lib.authorization_metadata(
            token, token_file)
        self._channel = channel_lib.new_channel(
            target, tls=tls, tls_ca=tls_ca, tls_cert=tls_cert, tls_key=tls_key)
        self._embedding = embedding_pb2_grpc.EmbeddingStub(self._channel)
        self._admin = admin_pb2_grpc.AdminStub(self._channel)

    def close(self) -> None:
        """Closes the channel; calls in flight are cancelled."""
        self._channel.close()

    def __enter__(self) -> "StrataClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, stub_method: Callable[..., _Reply],
              request: object,
              metadata: Tuple[Tuple[str, str], ...] = ()) -> _Reply:
        try:
            return stub_method(request, timeout=self.timeout_s,
                               metadata=metadata or None)
        except grpc.RpcError as e:
            raise StrataError.from_rpc_error(method, e, self.target) from None

    def lookup(self, model: str, keys: Mapping[str, request_builder.Keys], *,
               dtype: str = "float32", version: int = 0,
               offsets: Optional[Mapping[str, request_builder.Keys]] = None,
               pooling: request_builder.PoolingArg = None) -> LookupResult:
        """Looks up the rows of ``keys`` ({table: int64 keys}) in one call.

        ``dtype``: how rows travel ("float32", "float16" or "bfloat16", the
        latter widened to float32 on arrival). ``version``: 0 = the serving
        one. ``offsets``: {table: B + 1 offsets into its keys} for multi-hot
        bags, which need ``pooling`` ("SUM" / "MEAN", or {table: ...}) and
        come back one row per bag (an empty bag gives a zero row).

        A key that exists in no tier gets the table's default row, flagged in
        ``is_default`` (``default_counts`` per bag).
        """
        request = request_builder.lookup_request(
            model, keys, dtype=dtype, version=version, offsets=offsets,
            pooling=pooling)
        reply = self._call("strata.v1.Embedding/Lookup",
                           self._embedding.Lookup, request)
        return LookupResult.from_proto(reply)

    def infer(self, model: str, dense: Optional[object] = None,
              keys: Optional[Mapping[str, request_builder.SampleKeys]] = None,
              pooling: Optional[Mapping[str, str]] = None, *,
              version: int = 0) -> InferResult:
        """Runs the model's dense network on B samples.

        ``dense``: (B, F) float32 features (None when the graph takes none).
        ``keys``: for every table the graph is bound to, B keys, or B bags
        (lists of keys) pooled with ``pooling[table]`` ("SUM" / "MEAN"; SUM
        when not given). Returns {output name: (B, ...) float32 array}.
        """
        request = request_builder.infer_request(model, dense, keys or {},
                                         pooling=pooling, version=version)
        reply = self._call("strata.v1.Embedding/Infer",
                           self._embedding.Infer, request)
        return InferResult(reply)

    def list_models(self) -> admin_pb2.ListModelsResponse:
        """The models the server serves: name, version, tables, and the dense
        network's inputs and outputs (the proto message)."""
        return self._call("strata.v1.Admin/ListModels", self._admin.ListModels,
                          admin_pb2.ListModelsRequest(), self._admin_metadata)

    def get_stats(self) -> admin_pb2.GetStatsResponse:
        """The server's lookup, tier and update counters (the proto
        message). An admin call: needs the token, or a loopback peer when the
        server has none configured."""
        return self._call("strata.v1.Admin/GetStats", self._admin.GetStats,
                          admin_pb2.GetStatsRequest(), self._admin_metadata)
