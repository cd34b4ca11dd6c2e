"""Why a URL fetch failed. Both are transient for a poller (it backs off and tries again);
``FetchRefused`` says the fetcher itself declined (a forbidden address or scheme)."""

from __future__ import annotations

from wirecore.errors import TransientError


class FetchError(TransientError):
    """A fetch failed (network error, HTTP error status, deadline); the poller backs off."""


class FetchRefused(FetchError):
    """The URL, or a redirect on the way, points where the fetcher must not go."""
