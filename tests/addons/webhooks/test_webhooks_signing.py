"""The signature each deployment's provider makes is the one docs/webhooks.md tells a
receiver to compute: HMAC-SHA-256 (standard) or HMAC-SM3 (national)."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from pyramid.registry import Registry

from jimucrm.addons.webhooks.signing import mask, new_secret, signature
from jimucrm.core.interfaces import ICryptoProvider
from jimucrm.security.crypto import provider_for

BODY = '{"id":7,"event":"order.paid","data":{"客户":"张三"}}'.encode()


def _registry(crypto: str) -> Registry:
    registry = Registry(f"signing-{crypto}")
    registry.settings = {"jimu.crypto": crypto}
    registry.registerUtility(provider_for(crypto), ICryptoProvider)
    return registry


def test_standard_deployments_sign_with_hmac_sha256():
    secret = new_secret()
    expected = hmac.new(secret.encode(), b"1795000000." + BODY, hashlib.sha256).hexdigest()
    assert signature(_registry("standard"), secret, "1795000000", BODY) == "sha256=" + expected


def test_national_deployments_sign_with_hmac_sm3():
    try:
        registry = _registry("national")
    except Exception as exc:  # an OpenSSL build without SM3/SM4
        pytest.skip(f"national cryptography unavailable here: {exc}")
    secret = new_secret()
    mac = crypto_hmac.HMAC(secret.encode(), hashes.SM3())
    mac.update(b"1795000000." + BODY)
    assert signature(registry, secret, "1795000000", BODY) == "sm3=" + mac.finalize().hex()


def test_secrets_are_random_and_masked_to_their_last_characters():
    first, second = new_secret(), new_secret()
    assert first != second and first.startswith("whsec_") and len(first) == 6 + 43
    assert mask(first).endswith(first[-4:]) and first[6:-4] not in mask(first)
