"""The calculator's web application (Starlette): one page, its script and style, and a
small JSON API, guarded as a local server must be.

- Every request must name this server in its Host header (``localhost`` or an IP address,
  with the port it listens on): a page of another site that had its name resolved to
  127.0.0.1 (DNS rebinding) is refused.
- Every API request carries the per-launch token the page was given, and every request
  that changes something comes from the page's own origin (the Origin header).
- The page loads nothing from elsewhere (a Content-Security-Policy says so) and every
  id from the workbook is escaped by Jinja2's autoescape or set as text by the script.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from optimizer.calculator import controls
from optimizer.calculator.controls import BadRequest
from optimizer.calculator.files import ResultsWriter, SaveError, save_scenario, zipped_results
from optimizer.calculator.pool import Pool
from optimizer.plan import Plan
from optimizer.report.page import ENVIRONMENT as REPORT
from optimizer.scenarios import from_sheet

WAIT_S = 25.0  # a long poll answers at the latest after this
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self' "
    "'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}
STATIC = {
    "calculator.js": "text/javascript",
    "calculator.css": "text/css",
    "report.css": "text/css",
}
TEMPLATES = Environment(
    loader=PackageLoader("optimizer.calculator", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
)


def _allowed_host(host: str, port: int) -> bool:
    name, sep, given = host.rpartition(":")
    if not sep or given != str(port):
        return False
    name = name.strip("[]")
    if name == "localhost":
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _error(status: int, field: str, message: str) -> JSONResponse:
    return JSONResponse({"errors": [{"field": field, "message": message}]}, status_code=status)


def create_app(
    plan: Plan, pool: Pool, port: int, write_results: ResultsWriter, token: str
) -> Guard:
    """The application for ``plan`` on ``port``; ``pool`` solves, ``write_results``
    writes a result folder (the command's own writer, handed down by the command), and
    ``token`` is this launch's secret, given to the page."""
    page_controls = controls.controls(plan)

    def guarded(
        handler: Callable[[HttpRequest], Awaitable[Response]], changes: bool
    ) -> Callable[[HttpRequest], Awaitable[Response]]:
        async def endpoint(request: HttpRequest) -> Response:
            if request.headers.get("x-calculator-token") != token:
                return _error(403, "request", "missing or wrong token: reload the page")
            host = request.headers.get("host", "")
            if changes and request.headers.get("origin") != f"http://{host}":
                return _error(
                    403,
                    "request",
                    "requests that change anything must come from the calculator's own page",
                )
            return await handler(request)

        return endpoint

    async def page(request: HttpRequest) -> Response:
        html = TEMPLATES.get_template("calculator.html").render(
            title=f"Calculator: {plan.source.name}",
            token=token,
            controls=page_controls,
            base=pool.base[0],
            currency=plan.settings.currency,
            workbook=plan.source.name,
            probabilities=any(s.probability is not None for s in from_sheet(plan)),
        )
        return Response(html, media_type="text/html; charset=utf-8")

    async def static(request: HttpRequest) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return PlainTextResponse("not found", status_code=404)
        source = REPORT if name == "report.css" else TEMPLATES  # the report's own style
        body = source.loader.get_source(source, name)[0]  # type: ignore[union-attr]
        return Response(body, media_type=STATIC[name])

    async def body(request: HttpRequest) -> dict[str, Any]:
        try:
            payload = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            raise BadRequest([("request", "the request is not valid JSON")]) from None
        if not isinstance(payload, dict):
            raise BadRequest([("request", "expected a JSON object")])
        sid = payload.get("session")
        if not isinstance(sid, str) or not 8 <= len(sid) <= 64 or not sid.isalnum():
            raise BadRequest([("session", "expected the page's session id")])
        return payload

    async def solve(request: HttpRequest) -> Response:
        try:
            payload = await body(request)
            seq = payload.get("seq")
            if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
                raise BadRequest([("seq", "expected a positive whole number")])
            checked = controls.parse(plan, payload)
        except BadRequest as exc:
            return JSONResponse(
                {"errors": [{"field": f, "message": m} for f, m in exc.problems]},
                status_code=400,
            )
        session = pool.change(payload["session"], seq, checked)
        return JSONResponse({"seq": seq, "version": session.version}, status_code=202)

    async def state(request: HttpRequest) -> Response:
        sid = request.query_params.get("session", "")
        try:
            after = int(request.query_params.get("after", "-1"))
        except ValueError:
            return _error(400, "after", "expected a whole number")
        session = pool.sessions.get(sid)
        if session is None:
            return JSONResponse({"version": 0, "final": pool.base[0], "unknown": True})
        if session.version <= after:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(session.changed.wait(), WAIT_S)
        return JSONResponse(session.state)

    async def current(request: HttpRequest) -> tuple[dict[str, Any], controls.Request]:
        """The request's JSON and its tab's last good request (the workbook as it is before
        the tab's first change)."""
        payload = await body(request)
        session = pool.sessions.get(payload["session"])
        return payload, session.request if session is not None else controls.Request()

    async def save(request: HttpRequest) -> Response:
        try:
            payload, chosen = await current(request)
        except BadRequest as exc:
            return _error(400, *exc.problems[0])
        try:
            path = await run_in_threadpool(
                save_scenario,
                plan,
                chosen,
                payload.get("name"),
                payload.get("file"),
                payload.get("probability"),
            )
        except SaveError as exc:
            return _error(400, exc.field, str(exc))
        return JSONResponse({"file": str(path), "name": path.name})

    async def download(request: HttpRequest) -> Response:
        try:
            _, chosen = await current(request)
        except BadRequest as exc:
            return _error(400, *exc.problems[0])
        data, name = await run_in_threadpool(zipped_results, plan, chosen, write_results)
        disposition = f'attachment; filename="{name}"'
        return Response(
            data, media_type="application/zip", headers={"Content-Disposition": disposition}
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pool.start(asyncio.get_running_loop())

        async def watch() -> None:
            while True:
                await asyncio.sleep(1.0)
                pool.watchdog()

        task = asyncio.create_task(watch())
        try:
            yield
        finally:
            task.cancel()
            await run_in_threadpool(pool.close)

    routes = [
        Route("/", page),
        Route("/static/{name}", static),
        Route("/api/solve", guarded(solve, True), methods=["POST"]),
        Route("/api/state", guarded(state, False)),
        Route("/api/save", guarded(save, True), methods=["POST"]),
        Route("/api/download", guarded(download, True), methods=["POST"]),
    ]
    return Guard(Starlette(routes=routes, lifespan=lifespan), port)


class Guard:
    """ASGI middleware: refuse a Host that is not this server's; add the security headers
    to every answer."""

    def __init__(self, app: Starlette, port: int) -> None:
        self.app, self.port = app, port

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
        if not _allowed_host(host, self.port):
            refused = PlainTextResponse(
                "refused: this server answers only to its own address", status_code=421
            )
            await refused(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + [
                    (k.lower().encode(), v.encode()) for k, v in HEADERS.items()
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)
