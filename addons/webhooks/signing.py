"""Endpoint secrets and the signature every delivery carries.

``X-Jimu-Signature: <algorithm>=<hex>`` is the keyed digest of the deployment's crypto
provider (:class:`jimucrm.core.interfaces.ICryptoProvider`) over
``<X-Jimu-Timestamp>.<body>``, keyed with the endpoint's secret as UTF-8 (the whole
string, ``whsec_`` included): HMAC-SHA-256 (``sha256=``) on a standard deployment,
HMAC-SM3 (``sm3=``) where ``jimu.crypto = national``. docs/webhooks.md shows a receiver
verifying both.
"""

from __future__ import annotations

import secrets

from pyramid.registry import Registry

from jimucrm.core.interfaces import ICryptoProvider

SECRET_PREFIX = "whsec_"  # noqa: S105 - a label, not a secret
ALGORITHMS = {"standard": "sha256", "national": "sm3"}


def new_secret() -> str:
    """A fresh endpoint secret: 256 random bits, URL-safe base64, prefixed."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def mask(secret: str) -> str:
    """What the pages show once the secret was shown: its last four characters only."""
    return SECRET_PREFIX + "••••••••" + secret[-4:]


def algorithm(registry: Registry) -> str:
    """The signature's algorithm label for this deployment (``sha256`` or ``sm3``)."""
    return ALGORITHMS.get(registry.settings.get("jimu.crypto", "standard"), "sha256")


def signature(registry: Registry, secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Jimu-Signature`` value for ``body`` sent at ``timestamp`` (Unix seconds)."""
    provider = registry.getUtility(ICryptoProvider)
    digest = provider.hmac(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body)
    return f"{algorithm(registry)}={digest.hex()}"
