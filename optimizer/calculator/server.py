"""Running the calculator: solve the base case, serve the page until Ctrl-C."""

from __future__ import annotations

import contextlib
import secrets
import socket
import webbrowser
from collections.abc import Callable
from pathlib import Path

import uvicorn

from optimizer.calculator.app import create_app
from optimizer.calculator.files import ResultsWriter
from optimizer.calculator.pool import Pool
from optimizer.plan import Plan
from optimizer.solve import SolverOptions
from optimizer.worker import helpers_started

LOCAL = "127.0.0.1"


class PortTaken(Exception):
    """The address cannot be listened on."""


def _check_port(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise PortTaken(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def free_port(host: str = LOCAL) -> int:
    """A port nothing listens on now (for tests and the benchmark)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def serve(
    plan: Plan,
    options: SolverOptions,
    write_results: ResultsWriter,
    host: str = LOCAL,
    port: int = 8750,
    open_browser: bool = False,
    say: Callable[[str], None] = print,
) -> None:
    """Solve the base case in a worker, then serve the calculator on ``host``:``port``
    until interrupted (Ctrl-C, SIGTERM); the workers are stopped on the way out.
    PortTaken, before any solve, when the address cannot be listened on."""
    _check_port(host, port)
    with helpers_started():  # worker processes ignore the terminal's Ctrl-C
        pool = Pool(plan, options)
    token = secrets.token_urlsafe(24)
    app = create_app(plan, pool, port, write_results, token)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else shown}:{port}/"
    say(f"calculator for {Path(plan.source).name} at {url} (Ctrl-C stops it)")
    if open_browser:
        with contextlib.suppress(Exception):
            webbrowser.open(url)
    try:
        server.run()
    finally:
        pool.close()
