"""The SSRF guard as webhooks use it: the operator's intranet allow-list applied."""

from __future__ import annotations

from pyramid.registry import Registry

from jimucrm.security.http.ssrf import SafeResponse, check_outbound_url, safe_request

TIMEOUT_SECONDS = 5.0
MAX_RESPONSE_BYTES = 64 * 1024


def allowed_networks(registry: Registry) -> tuple:
    """``jimu.webhooks_allowed_networks``: networks the guard lets through (on-prem)."""
    return tuple(registry.settings.get("jimu.webhooks_allowed_networks") or ())


def check(registry: Registry, url: str) -> str:
    """Refuse ``url`` (``OutboundURLRefused``) or return the address it would reach."""
    return check_outbound_url(url, allowed_networks=allowed_networks(registry))


def post(registry: Registry, url: str, body: bytes, headers: dict[str, str]) -> SafeResponse:
    """POST once, checked again now (DNS may have changed), to the approved address only.

    No redirects are followed (a 3xx is a failed delivery), the environment's proxies
    are ignored, and the answer is read up to :data:`MAX_RESPONSE_BYTES`.
    """
    return safe_request("POST", url, body=body, headers=headers, timeout=TIMEOUT_SECONDS,
                        max_response_bytes=MAX_RESPONSE_BYTES,
                        allowed_networks=allowed_networks(registry))
