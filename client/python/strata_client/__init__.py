"""Python client of strata-server (strata.v1 Embedding and Admin).

    from strata_client import StrataClient
    with StrataClient("dns:///strata-headless.ns.svc:8500") as client:
        rows = client.lookup("demo", {"t0": [1, 2, 3]})["t0"].rows  # (3, dim)

The generated stubs (``strata.v1.*_pb2``) come from the build: put
``<build>/python`` on PYTHONPATH next to this package's folder.
"""

try:
    import strata.v1.embedding_pb2  # noqa: F401
except ImportError as e:  # pragma: no cover - a setup error, said plainly
    raise ImportError(
        "strata_client needs the generated strata.v1 stubs: build the "
        "strata_python_stubs target and put <build>/python on PYTHONPATH"
    ) from e

from .client import StrataClient
from .errors import StrataError
from .results import InferResult, LookupResult, TableRows

__all__ = ["StrataClient", "StrataError", "LookupResult", "TableRows",
           "InferResult"]
