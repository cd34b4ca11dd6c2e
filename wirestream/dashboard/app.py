"""The starlette app: HTML pages, their live fragments, JSON endpoints and ``/events`` (SSE).

``create_app(get_reader, database)`` is all it needs: ``get_reader()`` returns a Reader or
raises one of ``transient`` (ClickHouse not there yet, owner restarted, tables not created);
those show as a notice on the page and a ``status`` event, never as a crash. ``sink_url()``
says where the sink serves ``/metrics`` and ``/readyz`` for the health strip (None: not running).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
from collections.abc import Callable
from html import escape
from pathlib import Path

import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from wirestream.dashboard import data, front, health_view, story_view
from wirestream.dashboard.health import HealthSource
from wirestream.dashboard.hub import ChangeHub, event_stream
from wirestream.dashboard.river import story_river
from wirestream.reader import Reader

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("wirestream.dashboard")


def create_app(get_reader: Callable[[], Reader], database: str, *, poll_s: float = 1.0,
               transient: tuple[type[BaseException], ...] = (), keepalive_s: float = 15.0,
               sink_url: Callable[[], str | None] = lambda: None) -> Starlette:
    def poll(previous: str | None) -> tuple[str, list[str]]:
        reader = get_reader()
        fp = data.read_fingerprint(reader, database)
        if fp == previous:
            return fp, []
        since = previous.split(":", 1)[1] if previous and ":" in previous else None
        return fp, data.changed_since(reader, database, since)

    hub = ChangeHub(poll, poll_s, transient)
    sink_health = HealthSource(sink_url)

    async def read(fn, *args):
        """Run a blocking data function with a fresh reader: (result, error line)."""
        try:
            return await anyio.to_thread.run_sync(lambda: fn(get_reader(), database, *args)), None
        except transient as exc:
            return None, str(exc).strip().splitlines()[0] or type(exc).__name__

    async def health() -> tuple[dict, dict | None, str | None]:
        sink = await anyio.to_thread.run_sync(sink_health.read)
        counts, error = await read(data.pipeline_counts)
        return sink, counts, error

    async def strip() -> str:
        return health_view.health_strip(*(await health()))

    async def index(request: Request) -> Response:
        flt = data.StoryFilter.from_params(request.query_params)
        stories, error = await read(data.list_stories, flt)
        options, _ = await read(data.filter_options)
        return HTMLResponse(front.index_page(stories or [], options or {}, flt, error, await strip()),
                            status_code=200 if error is None else 503)

    async def stories_partial(request: Request) -> Response:
        flt = data.StoryFilter.from_params(request.query_params)
        stories, error = await read(data.list_stories, flt)
        return HTMLResponse(story_river(stories or [], flt, error))

    async def story_page(request: Request) -> Response:
        sid = request.path_params["story_id"]
        story, error = await read(data.story_detail, sid)
        status = 200 if story else (503 if error else 404)
        return HTMLResponse(story_view.story_page(story, sid, error, await strip()), status_code=status)

    async def story_partial(request: Request) -> Response:
        sid = request.path_params["story_id"]
        story, error = await read(data.story_detail, sid)
        if story is None:
            return HTMLResponse(f'<p class="notice" role="alert">{escape(error or "story not found")}</p>',
                                status_code=503 if error else 404)
        return HTMLResponse(story_view.story_body(story))

    async def health_partial(request: Request) -> Response:
        return HTMLResponse(await strip())

    async def api_health(request: Request) -> Response:
        sink, counts, error = await health()
        return JSONResponse({"sink": sink, "clickhouse": counts, "clickhouse_error": error})

    async def dlq_page(request: Request) -> Response:
        letters, error = await read(data.dead_letters)
        return HTMLResponse(health_view.dead_letter_page(letters, error, await strip()),
                            status_code=200 if error is None else 503)

    async def dlq_original(request: Request) -> Response:
        p = request.path_params
        stored, error = await read(data.dead_letter_original, p["topic"], p["partition"], p["offset"])
        if error:
            return JSONResponse({"error": error}, status_code=503)
        if stored is None:
            return JSONResponse({"error": "dead letter not found"}, status_code=404)
        try:
            raw = base64.b64decode(stored, validate=True)
        except (binascii.Error, ValueError):
            raw = stored.encode()
        name = f'{p["topic"]}-{p["partition"]}-{p["offset"]}.bin'
        return Response(raw, media_type="application/octet-stream",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    async def api_stories(request: Request) -> Response:
        flt = data.StoryFilter.from_params(request.query_params)
        stories, error = await read(data.list_stories, flt)
        if error:
            return JSONResponse({"error": error}, status_code=503)
        return JSONResponse({"stories": stories, "filters": flt.as_query(), **_state(hub)})

    async def api_story(request: Request) -> Response:
        story, error = await read(data.story_detail, request.path_params["story_id"])
        if error:
            return JSONResponse({"error": error}, status_code=503)
        if story is None:
            return JSONResponse({"error": "story not found"}, status_code=404)
        return JSONResponse(story)

    async def api_filters(request: Request) -> Response:
        options, error = await read(data.filter_options)
        if error:
            return JSONResponse({"error": error}, status_code=503)
        return JSONResponse(options)

    async def events(request: Request) -> Response:
        limit, last_id = _int(request.query_params.get("limit")), _int(request.headers.get("last-event-id"))
        return StreamingResponse(event_stream(hub, limit, keepalive_s, last_id), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "alive", **_state(hub)})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        task = asyncio.create_task(hub.run(), name="dashboard-poller")
        task.add_done_callback(_report_crash)
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = Starlette(routes=[
        Route("/", index),
        Route("/story/{story_id}", story_page),
        Route("/partials/stories", stories_partial),
        Route("/partials/story/{story_id}", story_partial),
        Route("/partials/health", health_partial),
        Route("/dlq", dlq_page),
        Route("/dlq/{topic}/{partition:int}/{offset:int}/original", dlq_original),
        Route("/api/health", api_health),
        Route("/api/stories", api_stories),
        Route("/api/story/{story_id}", api_story),
        Route("/api/filters", api_filters),
        Route("/events", events),
        Route("/healthz", healthz),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ], lifespan=lifespan)
    app.state.hub = hub
    return app


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _state(hub: ChangeHub) -> dict:
    return {"version": hub.version, "fingerprint": hub.fingerprint, "clickhouse_error": hub.error}


def _report_crash(task: asyncio.Task) -> None:
    """A poller that dies of a bug must be loud: its traceback goes to the log."""
    if not task.cancelled() and task.exception() is not None:
        log.error("dashboard poller crashed; live updates stopped", exc_info=task.exception())
