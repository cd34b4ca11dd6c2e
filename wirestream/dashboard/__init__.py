"""``wirestream dashboard``: live stories in the browser (starlette + server-sent events).

``app`` routes and SSE, ``data`` the ClickHouse reads, ``render`` the HTML, ``hub`` the
change poller, ``server`` the uvicorn edge. See docs/dashboard.md.
"""
