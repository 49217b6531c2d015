"""Real strata processes for the Python client's tests: the CLI run to
completion, and strata-server on a loopback port of its own choosing.

A ServerProcess owns its child: stop() sends SIGTERM (the server drains and
exits 0), then SIGKILL if it has not exited within the grace given. Not
thread-safe; one test drives each.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from typing import List, Optional, Sequence


def run_cli(cli: str, args: Sequence[str]) -> str:
    """Runs ``cli args...``; returns stdout, raises AssertionError with
    stderr when it exits non-zero."""
    done = subprocess.run([cli, *args], capture_output=True, text=True,
                          timeout=120)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join([cli, *args])} exited "
                             f"{done.returncode}: {done.stderr}")
    return done.stdout


class ServerProcess:
    """strata-server --data-dir DATA_DIR on 127.0.0.1:0, metrics off.

    The constructor returns once the port file is written (the server is
    serving) and raises AssertionError with the log if the server exits
    first.
    """

    def __init__(self, binary: str, data_dir: str, scratch_dir: str,
                 flags: Sequence[str] = (), name: str = "server"):
        self.port_file = os.path.join(scratch_dir, f"{name}.port")
        self.log_path = os.path.join(scratch_dir, f"{name}.log")
        argv: List[str] = [binary, "--data-dir", data_dir,
                           "--listen", "127.0.0.1:0",
                           "--port-file", self.port_file,
                           "--metrics-listen", "", *flags]
        self._log = open(self.log_path, "wb")
        self._proc: Optional[subprocess.Popen] = subprocess.Popen(
            argv, stdout=self._log, stderr=subprocess.STDOUT)
        self.port = self._wait_for_port()

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def log(self) -> str:
        with open(self.log_path, "r", errors="replace") as f:
            return f.read()

    def _wait_for_port(self) -> int:
        # Bounded by polls, not asserted on: a slow machine only waits more.
        for _ in range(1200):
            if self._proc.poll() is not None:
                raise AssertionError(f"strata-server exited "
                                     f"{self._proc.returncode}:\n{self.log()}")
            try:
                with open(self.port_file) as f:
                    text = f.read().strip()
                if text:
                    return int(text)
            except FileNotFoundError:
                pass
            time.sleep(0.05)
        self.stop()
        raise AssertionError(f"strata-server wrote no port file:\n{self.log()}")

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def terminate(self) -> None:
        """Sends SIGTERM (drain, then exit) without waiting."""
        if self.running():
            self._proc.send_signal(signal.SIGTERM)

    def stop(self, grace_s: float = 20.0) -> Optional[int]:
        """SIGTERM, then SIGKILL after ``grace_s``; returns the exit code."""
        if self._proc is None:
            return None
        self.terminate()
        try:
            self._proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        code = self._proc.returncode
        self._proc = None
        self._log.close()
        return code
