#!/usr/bin/python3
"""Checks deploy/grafana/strata.json against a real server and Prometheus.

1. structure: the JSON is a dashboard (schemaVersion, uid, title); every
   panel, rows and nested ones included, has a unique id and a gridPos;
   every target has an expr and reads the ${datasource} variable; no
   datasource uid is hard-coded; every panel but a row sets a unit; the
   datasource, instance and model variables exist; no two panels overlap.
2. live: starts strata-server on a temp data dir with a small generated
   model, fed online updates by `strata dev-broker` (so the update series
   move, not only exist), and /usr/bin/prometheus scraping it every second;
   drives a short load (`strata bench`, lookups of absent keys so defaults
   move, one of an unknown model so the error ratio moves), then runs every
   variable's label_values query and every panel target's expr (template
   variables substituted) through Prometheus's HTTP API. A query that errors,
   returns no series or only NaN values fails, naming the panel and expr.

Stdlib only. Exits 0 when all pass, 1 when any fails, 77 (ctest's skip)
when /usr/bin/prometheus is not installed. Every process it starts is
stopped on the way out.

  check_dashboard.py --server build/server/strata-server \
      --cli build/client/strata [--dashboard deploy/grafana/strata.json] [--keep]
"""
import argparse
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROMETHEUS = "/usr/bin/prometheus"
MODEL = "m"
# What each template variable becomes in a query. $__rate_interval covers
# the load and the scrapes after it (the queries run within seconds of it).
VARIABLES = {"instance": ".*", "model": MODEL, "__rate_interval": "30s",
             "__interval": "5s", "__range": "1m"}
DATASOURCE_REFS = ("${datasource}", "$datasource")
SKIP = 77


class Failures:
    def __init__(self):
        self.items = []

    def add(self, what):
        self.items.append(what)
        print("FAIL " + what, flush=True)


# ---- 1. structure ---------------------------------------------------------

def all_panels(panels):
    """Every panel, a collapsed row's nested panels included."""
    for p in panels:
        yield p
        yield from all_panels(p.get("panels", []))


def check_datasource_refs(node, path, failures):
    """No datasource anywhere names a fixed uid (or a fixed name)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "datasource":
                uid = value.get("uid") if isinstance(value, dict) else value
                if uid not in DATASOURCE_REFS:
                    failures.add(f"{path}.datasource: hard-coded {value!r}; "
                                 "use {\"type\": \"prometheus\", \"uid\": "
                                 "\"${datasource}\"}")
            else:
                check_datasource_refs(value, f"{path}.{key}", failures)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            check_datasource_refs(value, f"{path}[{i}]", failures)


def check_structure(dash, failures):
    for key in ("title", "uid", "schemaVersion", "panels", "templating"):
        if key not in dash:
            failures.add(f"dashboard: no {key!r}")
    if not 36 <= dash.get("schemaVersion", 0) <= 41:
        failures.add(f"schemaVersion {dash.get('schemaVersion')}: want ~39")
    check_datasource_refs(dash, "dashboard", failures)

    variables = {v.get("name"): v for v in dash.get("templating", {})
                 .get("list", [])}
    ds = variables.get("datasource", {})
    if ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        failures.add("variable datasource: want type datasource, query "
                     "prometheus")
    for name in ("instance", "model"):
        v = variables.get(name, {})
        if v.get("type") != "query" or "label_values(" not in variable_query(v):
            failures.add(f"variable {name}: want a label_values query")

    ids = {}
    for p in all_panels(dash.get("panels", [])):
        title = p.get("title", "?")
        if "id" not in p:
            failures.add(f"panel {title!r}: no id")
        elif p["id"] in ids:
            failures.add(f"panel {title!r}: id {p['id']} also used by "
                         f"{ids[p['id']]!r}")
        else:
            ids[p["id"]] = title
        g = p.get("gridPos", {})
        if not all(isinstance(g.get(k), int) for k in ("h", "w", "x", "y")):
            failures.add(f"panel {title!r}: gridPos needs integer h, w, x, y")
        elif g["x"] + g["w"] > 24:
            failures.add(f"panel {title!r}: gridPos wider than 24 columns")
        if p.get("type") == "row":
            continue
        if not p.get("fieldConfig", {}).get("defaults", {}).get("unit"):
            failures.add(f"panel {title!r}: no unit")
        if not p.get("targets"):
            failures.add(f"panel {title!r}: no targets")
        for t in p.get("targets", []):
            if not t.get("expr"):
                failures.add(f"panel {title!r} target {t.get('refId')}: "
                             "no expr")
            if (t.get("datasource") or {}).get("uid") not in DATASOURCE_REFS:
                failures.add(f"panel {title!r} target {t.get('refId')}: "
                             "datasource is not ${datasource}")

    # Top-level panels must not overlap (Grafana would move them on load).
    boxes = [(p.get("title", "?"), p["gridPos"]) for p in dash.get("panels", [])
             if all(isinstance(p.get("gridPos", {}).get(k), int)
                    for k in ("h", "w", "x", "y"))]
    for i, (ta, a) in enumerate(boxes):
        for tb, b in boxes[i + 1:]:
            if (a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and
                    a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]):
                failures.add(f"panels {ta!r} and {tb!r} overlap")


def variable_query(v):
    q = v.get("query", "")
    return q.get("query", "") if isinstance(q, dict) else q


def substitute(expr):
    def one(m):
        name = m.group(1) or m.group(2)
        return VARIABLES.get(name, m.group(0))
    out = re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", one, expr)
    return out, re.findall(r"\$\{?\w+", out)


# ---- 2. live --------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, predicate, timeout_s, step_s=0.25):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step_s)
    raise RuntimeError(f"timed out after {timeout_s}s waiting for {what}")


def read_file(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def http_get(url, timeout_s=5):
    with urllib.request.urlopen(url, timeout=timeout_s) as r:
        return r.read().decode()


class Processes:
    """Background processes, each logging to its own file; stops them all."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.procs = []

    def start(self, name, argv):
        log = open(os.path.join(self.tmp, name + ".log"), "w")
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
        self.procs.append((name, p, log))
        return p

    def log(self, name):
        return read_file(os.path.join(self.tmp, name + ".log"))

    def stop_all(self):
        for name, p, log in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            log.close()


def run(argv, check=True):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=120)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {r.returncode}:\n"
                           f"{r.stdout}{r.stderr}")
    return r


class Prometheus:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"

    def api(self, path, **params):
        url = f"{self.base}/api/v1/{path}?{urllib.parse.urlencode(params)}"
        try:
            body = http_get(url)
        except urllib.error.HTTPError as e:  # 400/422 carry the error JSON
            body = e.read().decode()
        return json.loads(body)

    def value(self, expr):
        """The first sample's value of an instant query, or None."""
        try:
            r = self.api("query", query=expr)
        except (OSError, ValueError):
            return None
        result = r.get("data", {}).get("result", [])
        return float(result[0]["value"][1]) if result else None


def start_stack(args, tmp, procs):
    """Data dir, dev broker, server and Prometheus; returns (grpc, prom)."""
    model_dir = os.path.join(tmp, "model")
    delta_dir = os.path.join(tmp, "delta")
    data_dir = os.path.join(tmp, "data")
    run([args.cli, "gen-model", "--out", model_dir, "--tables", "2",
         "--rows", "2000", "--dim", "8", "--seed", "1"])
    run([args.cli, "gen-model", "--out", delta_dir, "--tables", "2",
         "--rows", "100", "--dim", "8", "--seed", "2"])
    run([args.cli, "import", "--data-dir", data_dir, "--model", MODEL,
         "--from", model_dir])

    broker = procs.start("broker", [args.cli, "dev-broker", "--topic",
                                    f"strata.{MODEL}:2"])
    brokers = wait_for(
        "the dev broker's address",
        lambda: broker.poll() is None and
        re.match(r"^\S+:\d+$", procs.log("broker").split("\n")[0]) and
        procs.log("broker").split("\n")[0], 20)

    port_file = os.path.join(tmp, "port")
    metrics_port_file = os.path.join(tmp, "metrics_port")
    server = procs.start("server", [
        args.server, "--data-dir", data_dir, "--listen", "127.0.0.1:0",
        "--port-file", port_file, "--metrics-listen", "127.0.0.1:0",
        "--metrics-port-file", metrics_port_file, "--kafka-brokers", brokers])

    def ports():
        if server.poll() is not None:
            raise RuntimeError("strata-server exited:\n" + procs.log("server"))
        return read_file(port_file) and read_file(metrics_port_file) and (
            int(read_file(port_file)), int(read_file(metrics_port_file)))
    grpc_port, metrics_port = wait_for("the server's ports", ports, 60)

    prom_port = free_port()
    config = os.path.join(tmp, "prometheus.yml")
    with open(config, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                "scrape_configs:\n  - job_name: strata\n"
                "    static_configs:\n"
                f"      - targets: ['127.0.0.1:{metrics_port}']\n")
    procs.start("prometheus", [
        PROMETHEUS, "--config.file=" + config,
        "--storage.tsdb.path=" + os.path.join(tmp, "tsdb"),
        f"--web.listen-address=127.0.0.1:{prom_port}"])
    prom = Prometheus(prom_port)
    # Several scrapes before the load, so every rate() starts from zero.
    wait_for("Prometheus's first scrapes",
             lambda: (prom.value('count_over_time(up{job="strata"}[1m])')
                      or 0) >= 3 and prom.value('up{job="strata"}') == 1, 60)
    return grpc_port, metrics_port, prom, delta_dir, brokers


def drive_load(args, grpc_port, delta_dir, brokers):
    target = f"127.0.0.1:{grpc_port}"
    run([args.cli, "publish", "--brokers", brokers, "--model", MODEL,
         "--from", delta_dir, "--rows-per-message", "10"])
    bench = run([args.cli, "bench", "--target", target, "--model", MODEL,
                 "--batch", "16", "--concurrency", "2", "--duration", "3",
                 "--json"])
    print("bench: " + " ".join(bench.stdout.split())[:300], flush=True)
    for table in ("t0", "t1"):  # keys in no tier: default rows
        for i in range(3):
            run([args.cli, "lookup", "--target", target, "--model", MODEL,
                 "--table", table, "--keys",
                 ",".join(str((1 << 40) + 10 * i + k) for k in range(5))])
    # An unknown model: NOT_FOUND, so the error ratio has a non-zero series.
    run([args.cli, "lookup", "--target", target, "--model", "no_such_model",
         "--table", "t0", "--keys", "1"], check=False)


def scraped_after_load(metrics_port, prom):
    """Waits until Prometheus holds the server's final Lookup count."""
    text = http_get(f"http://127.0.0.1:{metrics_port}/metrics")
    m = re.search(r'^strata_requests_total\{method="Lookup",code="OK"\} (\S+)$',
                  text, re.M)
    if m is None:
        raise RuntimeError("the scrape has no Lookup OK count")
    want = float(m.group(1))
    wait_for(f"Prometheus to hold {want:g} Lookup OK calls",
             lambda: prom.value('strata_requests_total{method="Lookup",'
                                'code="OK"}') == want, 30)
    time.sleep(2.5)  # a couple more scrapes: every gauge is current


def check_queries(dash, prom, failures):
    names = set(prom.api("label/__name__/values").get("data", []))
    for v in dash["templating"]["list"]:
        if v.get("type") != "query":
            continue
        q, unknown = substitute(variable_query(v))
        m = re.fullmatch(r"\s*label_values\((.*),\s*(\w+)\s*\)\s*", q)
        if m is None or unknown:
            failures.add(f"variable {v['name']}: cannot read {q!r}")
            continue
        values = prom.api(f"label/{m.group(2)}/values",
                          **{"match[]": m.group(1)}).get("data", [])
        print(f"variable {v['name']}: {values}", flush=True)
        if not values:
            failures.add(f"variable {v['name']}: {q!r} has no values")

    checked = 0
    for p in all_panels(dash["panels"]):
        for t in p.get("targets", []):
            expr, unknown = substitute(t.get("expr", ""))
            where = f"panel {p.get('title')!r} {t.get('refId')}: {expr}"
            if unknown:
                failures.add(f"{where}: unknown variable(s) {unknown}")
                continue
            for metric in set(re.findall(r"\bstrata_\w+", expr)):
                base = re.sub(r"_(bucket|sum|count)$", "", metric)
                if metric not in names:
                    failures.add(f"{where}: Prometheus has no {metric}"
                                 f"{' (nor ' + base + ')' if base != metric else ''}")
            r = prom.api("query", query=expr)
            checked += 1
            if r.get("status") != "success":
                failures.add(f"{where}: {r.get('errorType')}: "
                             f"{r.get('error')}")
                continue
            result = r["data"]["result"]
            values = [float(s["value"][1]) for s in result]
            if not result:
                failures.add(f"{where}: no series")
            elif all(math.isnan(x) for x in values):
                failures.add(f"{where}: only NaN ({len(values)} series)")
            else:
                print(f"ok   {p.get('title')} {t.get('refId')}: "
                      f"{len(result)} series", flush=True)
    return checked


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", required=True, help="strata-server binary")
    parser.add_argument("--cli", required=True, help="strata binary")
    parser.add_argument("--dashboard",
                        default=os.path.join(ROOT, "deploy/grafana/strata.json"))
    parser.add_argument("--keep", action="store_true",
                        help="keep the temp dir (logs, tsdb) for a look")
    args = parser.parse_args()

    failures = Failures()
    with open(args.dashboard) as f:
        dash = json.load(f)
    check_structure(dash, failures)
    if failures.items:
        print(f"{len(failures.items)} structure failure(s); not starting "
              "the server")
        return 1
    print("PASS structure", flush=True)
    if not os.access(PROMETHEUS, os.X_OK):
        print(f"SKIP live: {PROMETHEUS} is not installed (apt-get install "
              "prometheus)")
        return SKIP

    tmp = tempfile.mkdtemp(prefix="strata-dashboard-")
    procs = Processes(tmp)
    try:
        grpc_port, metrics_port, prom, delta, brokers = start_stack(
            args, tmp, procs)
        drive_load(args, grpc_port, delta, brokers)
        scraped_after_load(metrics_port, prom)
        checked = check_queries(dash, prom, failures)
        print(f"{'PASS' if not failures.items else 'FAIL'} live: {checked} "
              f"exprs, {len(failures.items)} failure(s)", flush=True)
    except (RuntimeError, OSError, ValueError,
            subprocess.TimeoutExpired) as e:
        failures.add(f"live: {e}")
        for name in ("server", "prometheus", "broker"):
            print(f"--- {name} log (tail)\n" + procs.log(name)[-3000:])
    finally:
        procs.stop_all()
        if args.keep:
            print("kept " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failures.items else 0


if __name__ == "__main__":
    sys.exit(main())
