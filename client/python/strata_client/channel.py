"""How the Python client reaches strata-server: the channel and its config.

One place builds the channel credentials (plaintext, TLS, or mutual TLS),
balances calls round-robin over every address the target resolves to (a
Kubernetes headless Service: ``dns:///strata-headless.ns.svc:8500``), and
retries UNAVAILABLE for the idempotent data-plane calls (Lookup, Infer), so a
pod that drains costs the caller nothing. The same policy as the C++ client's
``client/channel.cc``.

Plain functions; the returned ``grpc.Channel`` is thread-safe (gRPC's).
"""

from __future__ import annotations

import json
from typing import Any, List, Optional, Tuple

import grpc

# Lookup and Infer read state and change none: safe to send again to another
# pod when the first one is going away. CANCELLED too: a call that reaches a
# server after its Shutdown() began, before the client has seen the GOAWAY,
# is answered CANCELLED by gRPC core, not UNAVAILABLE (grpc/grpc#41785); a
# call the caller cancels, or whose deadline passes, is never retried.
SERVICE_CONFIG: dict = {
    "loadBalancingConfig": [{"round_robin": {}}],
    "methodConfig": [{
        "name": [{"service": "strata.v1.Embedding", "method": "Lookup"},
                 {"service": "strata.v1.Embedding", "method": "Infer"}],
        "retryPolicy": {
            "maxAttempts": 4,
            "initialBackoff": "0.05s",
            "maxBackoff": "1s",
            "backoffMultiplier": 2,
            "retryableStatusCodes": ["UNAVAILABLE", "CANCELLED"],
        },
    }],
}

# Largest reply the channel accepts (the server's max_message_bytes default).
MAX_RECEIVE_MESSAGE_BYTES = 256 * 1024 * 1024
# HTTP/2 keepalive pings while calls are active: a dead peer is noticed in
# about KEEPALIVE_TIME_MS + KEEPALIVE_TIMEOUT_MS.
KEEPALIVE_TIME_MS = 30000
KEEPALIVE_TIMEOUT_MS = 10000


def channel_options() -> List[Tuple[str, Any]]:
    """The channel arguments every channel of ours carries."""
    return [
        ("grpc.service_config", json.dumps(SERVICE_CONFIG)),
        ("grpc.enable_retries", 1),
        ("grpc.max_receive_message_length", MAX_RECEIVE_MESSAGE_BYTES),
        ("grpc.keepalive_time_ms", KEEPALIVE_TIME_MS),
        ("grpc.keepalive_timeout_ms", KEEPALIVE_TIMEOUT_MS),
    ]


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def new_channel(target: str, *, tls: bool = False,
                tls_ca: Optional[str] = None,
                tls_cert: Optional[str] = None,
                tls_key: Optional[str] = None) -> grpc.Channel:
    """Opens a channel to ``target`` (``host:port``, ``dns:///name:port``,
    ``ipv4:a:p,b:p``, ...).

    TLS when ``tls`` is true (the server verified with gRPC's default CA
    roots) or ``tls_ca`` (the PEM CA bundle that signed the server) or
    ``tls_cert`` is set; mutual TLS when ``tls_cert`` and ``tls_key`` (PEM
    files) are both given. Otherwise plaintext.

    Raises ``ValueError`` when only one of ``tls_cert`` and ``tls_key`` is
    given, and ``OSError`` when a file cannot be read.
    """
    if (tls_cert is None) != (tls_key is None):
        raise ValueError(
            "tls_cert and tls_key go together: set both or neither")
    options = channel_options()
    if not tls and tls_ca is None and tls_cert is None:
        return grpc.insecure_channel(target, options=options)
    credentials = grpc.ssl_channel_credentials(
        root_certificates=_read(tls_ca) if tls_ca else None,
        private_key=_read(tls_key) if tls_key else None,
        certificate_chain=_read(tls_cert) if tls_cert else None)
    return grpc.secure_channel(target, credentials, options=options)


def authorization_metadata(token: Optional[str] = None,
                           token_file: Optional[str] = None
                           ) -> Tuple[Tuple[str, str], ...]:
    """The metadata admin calls send: ``authorization: Bearer <token>``.

    ``token`` wins over ``token_file`` (whose content is stripped of
    surrounding whitespace, as the server reads it). Empty when neither is
    given. Raises ``ValueError`` for an empty token, ``OSError`` for an
    unreadable file.
    """
    if token is None and token_file is None:
        return ()
    if token is None:
        token = _read(token_file).decode("utf-8")
        where = f"token_file {token_file}"
    else:
        where = "token"
    token = token.strip()
    if not token:
        raise ValueError(f"{where} is empty")
    return (("authorization", f"Bearer {token}"),)
