"""StrataError: what every failed call of StrataClient raises.

A key that exists in no tier is not an error (its row comes back flagged
default); an unknown model or table (NOT_FOUND), a malformed request
(INVALID_ARGUMENT), a full queue (RESOURCE_EXHAUSTED), a refused admin call
(UNAUTHENTICATED, PERMISSION_DENIED) or an unreachable server (UNAVAILABLE,
after the channel's retries) are.
"""

from __future__ import annotations

import grpc


class StrataError(Exception):
    """A gRPC call to strata-server failed.

    Attributes:
      method: the RPC, e.g. ``"strata.v1.Embedding/Lookup"``.
      code: the ``grpc.StatusCode`` the call ended with.
      details: the server's (or gRPC's) message.
    """

    def __init__(self, method: str, code: grpc.StatusCode, details: str):
        self.method = method
        self.code = code
        self.details = details
        super().__init__(f"{method}: {code.name}: {details}")

    @classmethod
    def from_rpc_error(cls, method: str, error: grpc.RpcError,
                       target: str) -> "StrataError":
        """Converts the error a stub call raised; UNAVAILABLE names the
        target, since the server's message cannot."""
        # A grpc.RpcError raised by a stub call is also a grpc.Call.
        code = (error.code() if hasattr(error, "code")
                else grpc.StatusCode.UNKNOWN)
        details = (error.details() if hasattr(error, "details") else "") or ""
        if code == grpc.StatusCode.UNAVAILABLE:
            details = f"{target}: {details}"
        return cls(method, code, details)
