"""Starting `optimize serve` as a user would, for the calculator's tests and benchmark."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from optimizer.calculator.server import free_port

LAUNCH = "import sys; from optimizer.cli import run; sys.argv[0] = 'optimize'; run()"


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str
    token: str
    log: Path

    def client(self) -> httpx.Client:
        origin = self.url.rstrip("/")
        return httpx.Client(
            base_url=origin,
            headers={"X-Calculator-Token": self.token, "Origin": origin},
            timeout=120,
        )


def optimize(*args: object, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """The command, in a process of its own."""
    return subprocess.run(
        [sys.executable, "-P", "-c", LAUNCH, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@contextlib.contextmanager
def running(plan: Path, log: Path, *extra: str, wait: float = 900) -> Iterator[Server]:
    """`optimize serve PLAN` on a free port of 127.0.0.1, until the block ends (Ctrl-C)."""
    port = free_port()
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-P", "-c", LAUNCH, "serve", str(plan), "--port", str(port), *extra],
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        token = _wait(process, url, wait, log)
        yield Server(process, url, token, log)
    finally:
        if process.poll() is None:
            process.send_signal(2)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait(process: subprocess.Popen[str], url: str, seconds: float, log: Path) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped: {log.read_text()}")
        with contextlib.suppress(httpx.HTTPError):
            page = httpx.get(url, timeout=5).text
            found = re.search(r'"token": "([^"]+)"', page)
            if found:
                return found.group(1)
        time.sleep(0.3)
    raise TimeoutError(f"the server did not answer: {log.read_text()}")


def settle(server: Server, session: str, seq: int, timeout: float = 300) -> dict:
    """The session's state once the change ``seq`` has its final answer (or failed)."""
    deadline = time.monotonic() + timeout
    after = -1
    with server.client() as client:
        while time.monotonic() < deadline:
            state = client.get("/api/state", params={"session": session, "after": after}).json()
            after = state.get("version", after)
            if state.get("seq") == seq and not state.get("solving"):
                return state
    raise TimeoutError(f"change {seq} was not answered")
