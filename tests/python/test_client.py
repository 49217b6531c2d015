r"""The Python client (client/python/strata_client) end to end: a real
strata-server and the real strata CLI, called from Python over loopback.

    /usr/bin/python3 tests/python/test_client.py \
        --server build/server/strata-server --cli build/client/strata \
        [--stubs build/python] [--onnx-dir tests/data/onnx]

(ctest -R python_client runs it with the build's binaries.) Remaining
arguments go to unittest (e.g. -v, or a test name).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import grpc
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# Set by main() from the command line.
ARGS = argparse.Namespace(server=None, cli=None, onnx_dir=None)

# Imported in main(), once --stubs is on sys.path.
StrataClient = StrataError = None
from strata_processes import ServerProcess, run_cli  # noqa: E402

MODEL_FLAGS = ["--tables", "2", "--rows", "1000", "--dim", "8", "--seed", "1"]
ABSENT = [5000, -7, 1 << 40]  # gen-model writes keys 0..999


def stacked_tables() -> str:
    return "tables:" + ",".join(f"t{i}" for i in range(26))


# The import flags each fixture model needs (tests/data/onnx/README.md).
FIXTURES = {"dcn": [], "dlrm": ["--dense-input", "emb=" + stacked_tables()]}


def make_data_dir(scratch: str, name: str, *, fixtures: bool = False) -> str:
    """A data dir holding model "m" (gen-model, 2 tables x 1000 rows, dim 8)
    and, with ``fixtures``, the ONNX fixture models of FIXTURES."""
    model_dir = os.path.join(scratch, "gen")
    if not os.path.isdir(model_dir):
        run_cli(ARGS.cli, ["gen-model", "--out", model_dir, *MODEL_FLAGS])
    data_dir = os.path.join(scratch, name)
    run_cli(ARGS.cli, ["import", "--data-dir", data_dir, "--model", "m",
                       "--from", model_dir])
    if fixtures:
        for model, flags in FIXTURES.items():
            run_cli(ARGS.cli, [
                "import", "--data-dir", data_dir, "--model", model,
                "--from", os.path.join(ARGS.onnx_dir, "tables"),
                "--dense", os.path.join(ARGS.onnx_dir, f"{model}.onnx"),
                *flags])
    return data_dir


def server_lacks(flag: str) -> bool:
    """True when strata-server --help does not list ``flag`` (a server
    built before that feature)."""
    done = subprocess.run([ARGS.server, "--help"], capture_output=True,
                          text=True, timeout=60)
    return flag not in done.stdout + done.stderr


def cli_lookup(target: str, table: str, keys) -> dict:
    """What `strata lookup --json` prints for ``keys`` of model m."""
    out = run_cli(ARGS.cli, ["lookup", "--target", target, "--model", "m",
                             "--table", table, "--keys",
                             ",".join(str(k) for k in keys), "--json"])
    return json.loads(out)


def bag_reference(rows: np.ndarray, offsets, mean: bool) -> np.ndarray:
    """Pools (n, dim) rows as the server does: sums in key order from zeros
    in float32; MEAN multiplies by 1.0f / n (engine/common/bag_pool.h)."""
    out = np.zeros((len(offsets) - 1, rows.shape[1]), dtype=np.float32)
    for b in range(len(offsets) - 1):
        for i in range(offsets[b], offsets[b + 1]):
            out[b] += rows[i]
        n = offsets[b + 1] - offsets[b]
        if mean and n > 0:
            out[b] *= np.float32(1.0) / np.float32(n)
    return out


class ScratchTest(unittest.TestCase):
    """A temp dir and servers stopped (SIGTERM, then SIGKILL) in tearDown."""

    def setUp(self):
        self.scratch = tempfile.mkdtemp(prefix="strata-py-")
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.stop()
        shutil.rmtree(self.scratch, ignore_errors=True)

    def start(self, data_dir: str, flags=(), name="server") -> ServerProcess:
        s = ServerProcess(ARGS.server, data_dir, self.scratch, flags, name)
        self.servers.append(s)
        return s


class LookupAndInferTest(unittest.TestCase):
    """One server over model m and the fixture models, shared by the tests
    of the class (none changes what it serves); stopped in tearDownClass."""

    @classmethod
    def setUpClass(cls):
        scratch = tempfile.mkdtemp(prefix="strata-py-")
        cls.addClassCleanup(shutil.rmtree, scratch, ignore_errors=True)
        data_dir = make_data_dir(scratch, "data", fixtures=True)
        cls.server = ServerProcess(ARGS.server, data_dir, scratch)
        cls.client = StrataClient(cls.server.target, timeout_s=30)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.server.stop()

    def test_float32_rows_equal_what_the_cli_prints(self):
        keys = {"t0": [0, 1, 2, 999, 17, *ABSENT], "t1": [3, 4, 500, ABSENT[0]]}
        got = self.client.lookup("m", keys)
        self.assertEqual(got.model, "m")
        self.assertEqual(got.version, 1)
        self.assertEqual(list(got), ["t0", "t1"])
        for table, table_keys in keys.items():
            cli = cli_lookup(self.server.target, table, table_keys)
            rows = got[table]
            self.assertEqual(rows.dtype, "float32")
            self.assertEqual(rows.rows.dtype, np.float32)
            self.assertEqual(rows.rows.shape, (len(table_keys), 8))
            np.testing.assert_array_equal(
                rows.rows, np.array(cli["rows"], dtype=np.float32))
            self.assertEqual(rows.is_default.tolist(), cli["defaults"])
            self.assertEqual(got.version, cli["version"])

    def test_absent_keys_come_back_flagged_default(self):
        keys = np.array([10, ABSENT[0], 11, ABSENT[1], ABSENT[2]],
                        dtype=np.int64)
        t0 = self.client.lookup("m", {"t0": keys})["t0"]
        self.assertEqual(t0.is_default.tolist(),
                         [False, True, False, True, True])
        # The default row of a table imported without --default-value: zeros.
        np.testing.assert_array_equal(t0.rows[t0.is_default],
                                      np.zeros((3, 8), np.float32))
        self.assertTrue(np.any(t0.rows[~t0.is_default] != 0))
        self.assertEqual(len(t0.default_counts), 0)

    def test_int32_arrays_and_tuples_are_keys_too(self):
        a = self.client.lookup("m", {"t1": np.arange(5, dtype=np.int32)})
        b = self.client.lookup("m", {"t1": (0, 1, 2, 3, 4)})
        np.testing.assert_array_equal(a["t1"].rows, b["t1"].rows)

    def test_float16_within_half_precision_of_float32(self):
        keys = {"t0": list(range(0, 1000, 7)) + ABSENT}
        f32 = self.client.lookup("m", keys)["t0"]
        f16 = self.client.lookup("m", keys, dtype="float16")["t0"]
        self.assertEqual(f16.dtype, "float16")
        self.assertEqual(f16.rows.dtype, np.float16)
        self.assertEqual(f16.rows.shape, f32.rows.shape)
        np.testing.assert_array_equal(f16.is_default, f32.is_default)
        # Round to nearest: relative error <= 2^-11 (2^-25 absolute for
        # subnormal halves).
        error = np.abs(f16.rows.astype(np.float32) - f32.rows)
        bound = np.abs(f32.rows) * 2.0**-11 + 2.0**-25
        self.assertTrue(np.all(error <= bound), error.max())

    def test_bfloat16_widened_to_float32_within_its_precision(self):
        keys = {"t1": list(range(0, 1000, 13))}
        f32 = self.client.lookup("m", keys)["t1"]
        bf16 = self.client.lookup("m", keys, dtype="bfloat16")["t1"]
        self.assertEqual(bf16.dtype, "bfloat16")
        self.assertEqual(bf16.rows.dtype, np.float32)
        error = np.abs(bf16.rows - f32.rows)
        bound = np.abs(f32.rows) * 2.0**-8
        self.assertTrue(np.all(error <= bound), error.max())

    def test_pooled_sum_and_mean_equal_numpy_of_the_unpooled_rows(self):
        bags = [[1, 2, 3], [], [ABSENT[0], 4], [7], list(range(100, 120))]
        keys = [k for bag in bags for k in bag]
        offsets = np.cumsum([0] + [len(b) for b in bags])
        for table in ("t0", "t1"):
            unpooled = self.client.lookup("m", {table: keys})[table].rows
            for pooling in ("SUM", "MEAN"):
                with self.subTest(table=table, pooling=pooling):
                    got = self.client.lookup("m", {table: keys},
                                             offsets={table: offsets},
                                             pooling=pooling)[table]
                    self.assertEqual(got.rows.shape, (len(bags), 8))
                    np.testing.assert_allclose(
                        got.rows,
                        bag_reference(unpooled, offsets, pooling == "MEAN"),
                        rtol=1e-6, atol=1e-7)
                    np.testing.assert_array_equal(got.rows[1], np.zeros(8))
                    self.assertEqual(got.default_counts.tolist(),
                                     [0, 0, 1, 0, 0])
                    self.assertEqual(len(got.is_default), 0)

    def test_pooling_per_table_in_one_call(self):
        keys = {"t0": [1, 2, 3, 4], "t1": [5, 6, 7]}
        got = self.client.lookup("m", keys,
                                 offsets={"t0": [0, 2, 4], "t1": [0, 3]},
                                 pooling={"t0": "SUM", "t1": "MEAN"})
        rows = self.client.lookup("m", keys)
        np.testing.assert_allclose(
            got["t0"].rows, bag_reference(rows["t0"].rows, [0, 2, 4], False),
            rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(
            got["t1"].rows, bag_reference(rows["t1"].rows, [0, 3], True),
            rtol=1e-6, atol=1e-7)

    def test_infer_matches_the_fixture_outputs(self):
        for model in FIXTURES:
            for batch in (1, 4, 7, 16):
                with self.subTest(model=model, batch=batch):
                    path = os.path.join(ARGS.onnx_dir,
                                        f"{model}_b{batch}.json")
                    with open(path) as f:
                        case = json.load(f)
                    got = self.client.infer(model, case["dense"], case["keys"],
                                            case["pooling"])
                    expected = case["expected"]
                    self.assertEqual(got.version, 1)
                    self.assertEqual(list(got), list(expected["outputs"]))
                    for name, values in expected["outputs"].items():
                        self.assertEqual(got[name].shape, (batch, 1))
                        np.testing.assert_allclose(
                            got[name], np.array(values, np.float32),
                            rtol=0, atol=1e-5)
                    self.assertEqual(got.default_rows,
                                     expected["default_rows"])

    def test_unknown_model_raises_not_found(self):
        with self.assertRaises(StrataError) as raised:
            self.client.lookup("no_such_model", {"t0": [1]})
        self.assertEqual(raised.exception.code, grpc.StatusCode.NOT_FOUND)
        self.assertIn("no_such_model", raised.exception.details)
        self.assertIn("Lookup", str(raised.exception))
        with self.assertRaises(StrataError) as raised:
            self.client.lookup("m", {"no_such_table": [1]})
        self.assertEqual(raised.exception.code, grpc.StatusCode.NOT_FOUND)

    def test_bad_offsets_raise_invalid_argument(self):
        for offsets in ([0, 5], [0, 2, 1, 3], [1, 3]):
            with self.subTest(offsets=offsets):
                with self.assertRaises(StrataError) as raised:
                    self.client.lookup("m", {"t0": [1, 2, 3]},
                                       offsets={"t0": offsets}, pooling="SUM")
                self.assertEqual(raised.exception.code,
                                 grpc.StatusCode.INVALID_ARGUMENT)
        with self.assertRaises(StrataError) as raised:
            self.client.infer("dcn", np.zeros((2, 12), np.float32), {})
        self.assertEqual(raised.exception.code,
                         grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("Infer", str(raised.exception))

    def test_list_models_and_get_stats(self):
        models = {m.name: m for m in self.client.list_models().models}
        self.assertEqual(sorted(models), ["dcn", "dlrm", "m"])
        self.assertEqual([(t.name, t.dim, t.rows) for t in models["m"].tables],
                         [("t0", 8, 1000), ("t1", 8, 1000)])
        self.assertEqual(len(models["m"].dense_inputs), 0)
        self.assertEqual(models["dlrm"].dense_inputs[1].binding,
                         stacked_tables())
        self.client.lookup("m", {"t0": [1, 2, 3]})
        stats = self.client.get_stats()
        self.assertGreaterEqual(stats.lookup_requests, 1)
        self.assertGreaterEqual(stats.lookup_keys, 3)


class AdminTokenTest(ScratchTest):
    """Admin calls carry `authorization: Bearer <token>`."""

    def test_get_stats_needs_the_token(self):
        if server_lacks("--admin-token-file"):
            self.skipTest("this strata-server has no --admin-token-file")
        token_file = os.path.join(self.scratch, "token")
        with open(token_file, "w") as f:
            f.write("s3cret-token\n")
        server = self.start(make_data_dir(self.scratch, "data"),
                            ["--admin-token-file", token_file])
        with StrataClient(server.target, token_file=token_file) as client:
            self.assertEqual(client.get_stats().lookup_requests, 0)
        with StrataClient(server.target, token="s3cret-token") as client:
            client.get_stats()
            # Data-plane calls need no token.
            client.lookup("m", {"t0": [1]})
        with StrataClient(server.target) as client:
            with self.assertRaises(StrataError) as raised:
                client.get_stats()
            self.assertEqual(raised.exception.code,
                             grpc.StatusCode.UNAUTHENTICATED)
            client.lookup("m", {"t0": [1]})
        with StrataClient(server.target, token="wrong") as client:
            with self.assertRaises(StrataError) as raised:
                client.get_stats()
            self.assertEqual(raised.exception.code,
                             grpc.StatusCode.PERMISSION_DENIED)


class RoundRobinTest(ScratchTest):
    """Two servers behind one target: calls spread over both, and stopping
    one (SIGTERM: drain, then exit) costs no call."""

    def test_every_lookup_succeeds_while_one_of_two_servers_stops(self):
        a = self.start(make_data_dir(self.scratch, "data_a"), name="a")
        b = self.start(make_data_dir(self.scratch, "data_b"), name="b")
        keys = {"t0": [1, 2, 3, ABSENT[0]]}
        with StrataClient(a.target) as one:
            expected = one.lookup("m", keys)["t0"].rows
        target = f"ipv4:127.0.0.1:{a.port},127.0.0.1:{b.port}"
        client = StrataClient(target, timeout_s=30)
        self.addCleanup(client.close)

        def lookup_ok():
            np.testing.assert_array_equal(client.lookup("m", keys)["t0"].rows,
                                          expected)

        def requests_seen(server):
            with StrataClient(server.target) as c:
                return c.get_stats().lookup_requests

        # round_robin: both servers answer (bounded by calls, not time).
        base_a, base_b = requests_seen(a), requests_seen(b)
        for _ in range(200):
            lookup_ok()
            if requests_seen(a) > base_a and requests_seen(b) > base_b:
                break
        self.assertGreater(requests_seen(a), base_a)
        self.assertGreater(requests_seen(b), base_b)

        a.terminate()
        for _ in range(100):  # while a drains and exits
            lookup_ok()
        self.assertEqual(a.stop(), 0)
        for _ in range(50):  # a gone: every call goes to b
            lookup_ok()


class TlsTest(ScratchTest):
    """TLS and mutual TLS with certificates made by openssl."""

    def make_certs(self) -> dict:
        if server_lacks("--tls-client-ca-file"):
            self.skipTest("this strata-server has no TLS flags")
        if shutil.which("openssl") is None:
            self.skipTest("openssl not installed")
        d = os.path.join(self.scratch, "pki")
        os.makedirs(d)
        p = {n: os.path.join(d, n) for n in
             ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem",
              "client.key", "client.csr", "client.pem", "ext")}
        with open(p["ext"], "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")

        def ssl(*args):
            subprocess.run(["openssl", *args], check=True,
                           capture_output=True, timeout=60)

        ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=strata-test-ca", "-keyout", p["ca.key"],
            "-out", p["ca.pem"])
        for who in ("server", "client"):
            ssl("req", "-newkey", "rsa:2048", "-nodes", "-subj",
                f"/CN=strata-{who}", "-keyout", p[f"{who}.key"],
                "-out", p[f"{who}.csr"])
            ssl("x509", "-req", "-in", p[f"{who}.csr"], "-CA", p["ca.pem"],
                "-CAkey", p["ca.key"], "-CAcreateserial", "-days", "2",
                "-extfile", p["ext"], "-out", p[f"{who}.pem"])
        return p

    def test_tls_and_mutual_tls(self):
        p = self.make_certs()
        data = make_data_dir(self.scratch, "data")
        server = self.start(data, ["--tls-cert-file", p["server.pem"],
                                   "--tls-key-file", p["server.key"]])
        with StrataClient(server.target, tls_ca=p["ca.pem"]) as client:
            self.assertEqual(client.lookup("m", {"t0": [1]})["t0"].dim, 8)
        with StrataClient(server.target, timeout_s=2) as plaintext:
            with self.assertRaises(StrataError):
                plaintext.lookup("m", {"t0": [1]})
        server.stop()

        server = self.start(data, ["--tls-cert-file", p["server.pem"],
                                   "--tls-key-file", p["server.key"],
                                   "--tls-client-ca-file", p["ca.pem"]],
                            name="mtls")
        with StrataClient(server.target, tls_ca=p["ca.pem"],
                          tls_cert=p["client.pem"],
                          tls_key=p["client.key"]) as client:
            self.assertEqual(client.lookup("m", {"t0": [1]})["t0"].dim, 8)
        with StrataClient(server.target, tls_ca=p["ca.pem"],
                          timeout_s=2) as no_cert:
            with self.assertRaises(StrataError):
                no_cert.lookup("m", {"t0": [1]})
        with self.assertRaises(ValueError):
            StrataClient(server.target, tls_ca=p["ca.pem"],
                         tls_cert=p["client.pem"])


def main() -> None:
    global StrataClient, StrataError
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", required=True, help="strata-server binary")
    parser.add_argument("--cli", required=True, help="strata binary")
    parser.add_argument("--stubs", help="folder of the generated strata.v1 "
                        "stubs (<build>/python), if not on PYTHONPATH")
    parser.add_argument("--onnx-dir",
                        default=os.path.join(ROOT, "tests", "data", "onnx"),
                        help="tests/data/onnx")
    args, rest = parser.parse_known_args()
    ARGS.__dict__.update(vars(args))
    if args.stubs:
        sys.path.insert(0, os.path.abspath(args.stubs))
    sys.path.insert(0, os.path.join(ROOT, "client", "python"))
    import strata_client
    StrataClient = strata_client.StrataClient
    StrataError = strata_client.StrataError
    unittest.main(argv=[sys.argv[0], *rest])


if __name__ == "__main__":
    main()
