"""Reaching an existing Dask scheduler, within a stated time, or saying what answered.

Dask's own connect waits for the scheduler's handshake without a bound: an
address where an HTTP server (a Dask dashboard), or any server that accepts a
connection and never replies, listens would hang a run forever. ``reach``
looks first: a Dask scheduler sends its handshake as soon as it accepts a
connection, so anything else is found and named within ``CONNECT_S +
2 × ANSWER_S`` seconds.
"""

from __future__ import annotations

import contextlib
import socket
import struct

from optimizer.safety import visible

CONNECT_S = 10.0  # to open the connection
ANSWER_S = 5.0  # for the first bytes of a handshake, and for an HTTP reply
DEFAULT_PORT = 8786
MAX_FRAMES = 1000  # a Dask message starts with its count of frames, a small number


class ClusterError(Exception):
    """The Dask cluster cannot be reached, is not a Dask scheduler, or was lost."""


def _host_port(address: str) -> tuple[str, int] | None:
    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "tcp", address
    if scheme != "tcp":
        return None  # tls://, ucx://, inproc:// are left to Dask
    host, _, port = rest.rpartition(":")
    if not host:
        return rest.strip("[]"), DEFAULT_PORT
    try:
        return host.strip("[]"), int(port)
    except ValueError:
        raise ClusterError(
            f"scheduler address {visible(address)}: the port is not a number"
        ) from None


def reach(address: str) -> None:
    """Raise ClusterError unless a Dask scheduler answers at ``address`` in time."""
    where = _host_port(address)
    if where is None:
        return
    host, port = where
    try:
        conn = socket.create_connection((host, port), timeout=CONNECT_S)
    except TimeoutError:
        raise ClusterError(
            f"nothing answered at {host}:{port} within {CONNECT_S:g} s (no route, or a "
            "firewall drops the connection)"
        ) from None
    except OSError as exc:
        raise ClusterError(f"nothing answered at {host}:{port}: {exc.strerror or exc}") from None
    with conn:
        conn.settimeout(ANSWER_S)
        try:
            head = conn.recv(64)
        except TimeoutError:
            head = None
        except OSError as exc:
            raise ClusterError(
                f"{host}:{port} accepted the connection and dropped it ({exc.strerror or exc}): "
                "not a Dask scheduler"
            ) from None
        if head is None:
            raise ClusterError(_silent(conn, host, port))
        if not head:
            raise ClusterError(
                f"{host}:{port} accepted the connection and closed it without a word: not a "
                "Dask scheduler"
            )
        if len(head) >= 8 and 0 < struct.unpack("<Q", head[:8])[0] < MAX_FRAMES:
            return
        raise ClusterError(
            f"{host}:{port} answered, but not as a Dask scheduler does (it sent "
            f"{visible(head[:32].decode('latin-1'))!s}...)"
        )


def _silent(conn: socket.socket, host: str, port: int) -> str:
    """What a server that waits for the client to speak is: HTTP, or nothing known."""
    reply = b""
    with contextlib.suppress(OSError):
        conn.sendall(f"GET / HTTP/1.0\r\nHost: {host}\r\n\r\n".encode("ascii", "replace"))
        reply = conn.recv(512)
    if reply.startswith(b"HTTP/"):
        lines = reply.decode("latin-1").split("\r\n")
        server = next((x for x in lines if x.lower().startswith("server:")), "")
        said = visible(lines[0] + (f"; {server}" if server else ""))
        return (
            f"an HTTP server answered at {host}:{port} ({said}), not a Dask scheduler; a "
            f"Dask dashboard is HTTP, the scheduler itself listens on tcp://HOST:{DEFAULT_PORT} "
            "by default"
        )
    return (
        f"{host}:{port} accepted the connection but sent nothing in {ANSWER_S:g} s: not a "
        "Dask scheduler"
    )
