"""Behind a TLS-terminating proxy: believe X-Forwarded-* only from trusted proxies.

nginx terminates TLS and talks plain HTTP to gunicorn, so without help the app sees
``http``: ``request.scheme``, ``route_url``, the session cookie's ``Secure`` flag, HSTS
and Pyramid's CSRF Origin check (which Pyramid skips on plain http) would all be wrong.
Anyone can send ``X-Forwarded-Proto``, so it counts only when the TCP peer
(``REMOTE_ADDR``) is in ``jimu.trusted_proxies`` (default: loopback). Then:

* ``X-Forwarded-Proto`` (the value the nearest proxy added, i.e. the last one) becomes
  ``wsgi.url_scheme``, with the default port to match;
* ``X-Forwarded-For`` is walked from the right, skipping trusted proxies; the first
  address that is not one is the client, and becomes ``REMOTE_ADDR`` (login throttling
  and the audit log count per real client, not per proxy). The proxy's own address is
  kept in ``environ["jimu.proxy_addr"]``.

From an untrusted peer the headers are ignored, whatever they say.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence

from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.response import Response

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
DEFAULT_PORTS = {"http": "80", "https": "443"}


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def is_trusted(address: str | None, networks: Sequence[Network]) -> bool:
    parsed = _address(address or "")
    return parsed is not None and any(parsed in network for network in networks)


def forwarded_client(header: str, networks: Sequence[Network]) -> str | None:
    """The rightmost address in an X-Forwarded-For chain that is not a trusted proxy."""
    hops = [hop.strip() for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        parsed = _address(hop)
        if parsed is None:
            return None  # garbage in the chain: believe nothing further left
        if not any(parsed in network for network in networks):
            return str(parsed)
    return str(_address(hops[0])) if hops else None


def apply_forwarded(environ: dict, networks: Sequence[Network]) -> None:
    """Rewrite ``environ`` from X-Forwarded-* when the peer is a trusted proxy."""
    peer = environ.get("REMOTE_ADDR")
    if not is_trusted(peer, networks):
        return
    proto = environ.get("HTTP_X_FORWARDED_PROTO", "")
    scheme = proto.split(",")[-1].strip().lower() if proto else ""
    if scheme in DEFAULT_PORTS and scheme != environ.get("wsgi.url_scheme"):
        old_default = DEFAULT_PORTS.get(environ.get("wsgi.url_scheme", ""))
        environ["wsgi.url_scheme"] = scheme
        if environ.get("SERVER_PORT") in (None, old_default):
            environ["SERVER_PORT"] = DEFAULT_PORTS[scheme]
        host = environ.get("HTTP_HOST", "")
        if old_default and host.endswith(":" + old_default):
            # The proxy passed Host with the port it was reached on internally.
            environ["HTTP_HOST"] = host[: -len(old_default) - 1]
        if scheme == "https":
            environ["HTTPS"] = "on"
    forwarded_for = environ.get("HTTP_X_FORWARDED_FOR")
    if forwarded_for:
        client = forwarded_client(forwarded_for, networks)
        if client is not None:
            environ["jimu.proxy_addr"] = peer
            environ["REMOTE_ADDR"] = client


def trusted_proxy_tween_factory(handler: Callable[[Request], Response],
                                registry: Registry) -> Callable[[Request], Response]:
    networks = registry.settings["jimu.trusted_proxies"]

    def trusted_proxy_tween(request: Request) -> Response:
        apply_forwarded(request.environ, networks)
        return handler(request)

    return trusted_proxy_tween
