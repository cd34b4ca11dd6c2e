"""Where a URL source may connect: only http(s), and never to loopback, private, link-local,
metadata or other non-global addresses, unless the configured URL itself lives there or the
operator allowed the host or network (``WIRESTREAM_FETCH_ALLOW_PRIVATE``).

Every hop of a redirect chain is checked, so a public feed cannot send the fetcher to an
internal service (SSRF). Known gap: the address is resolved here and again by the HTTP
client, so a DNS server that answers differently the second time (rebinding) is not caught.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from producers.sources.errors import FetchError, FetchRefused

Resolver = Callable[[str], Iterable[str]]
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def system_resolve(host: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve {host}: {exc.strerror}") from None
    return sorted({info[4][0] for info in infos})


def _address(text: str) -> IpAddress:
    ip = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def is_public(ip: IpAddress) -> bool:
    """Globally routable unicast: not loopback, private, link-local (169.254.169.254, the
    cloud metadata service), shared, reserved, multicast or unspecified."""
    return ip.is_global and not ip.is_multicast


class AddressGuard:
    """Decides, per URL, whether the fetcher may connect to it."""

    def __init__(self, origin: str, allow: Iterable[str] = (), resolve: Resolver = system_resolve):
        self._resolve = resolve
        self._hosts: set[str] = set()
        self._nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in allow:
            try:
                self._nets.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self._hosts.add(entry.lower())
        self._origin_ips: set[IpAddress] = set()
        host = urlsplit(origin).hostname
        if host:
            with contextlib.suppress(FetchError, ValueError):  # check() reports it on fetch
                self._origin_ips = {_address(a) for a in resolve(host)}

    def check(self, url: str) -> None:
        """Raise ``FetchRefused`` unless ``url`` is http(s) to an allowed address."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FetchRefused(f"{url[:200]}: only http(s) URLs are fetched, not {parts.scheme or 'none'!r}")
        host = (parts.hostname or "").lower()
        if not host:
            raise FetchRefused(f"{url[:200]}: no host")
        if host in self._hosts:
            return
        for text in self._resolve(host):
            ip = _address(text)
            if is_public(ip) or ip in self._origin_ips or any(ip in n for n in self._nets):
                continue
            raise FetchRefused(
                f"{url[:200]}: refused to connect to non-public address {ip} "
                "(allow it with WIRESTREAM_FETCH_ALLOW_PRIVATE)")
