"""Crypto providers: ``standard`` (AES/Ed25519/X25519/SHA-256/Argon2id) and ``national``
(SM4/SM2/SM3/PBKDF2-HMAC-SM3), registered as core's ``ICryptoProvider``.

Settings read (declared in ``jimucrm.core.settings``):

* ``jimu.crypto``: ``standard`` (default) or ``national``;
* ``jimu.crypto_pbkdf2_iterations``: PBKDF2-HMAC-SM3 iterations for new password
  hashes in national mode (default 600,000); hashes with fewer are rehashed at login.
"""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator

from jimucrm.core.interfaces import ICryptoProvider
from jimucrm.core.settings import ConfigurationError

from .errors import CryptoError
from .national import NationalProvider
from .password_schemes import PBKDF2_SM3_DEFAULT_ITERATIONS
from .standard import StandardProvider

__all__ = ["CryptoError", "NationalProvider", "StandardProvider", "includeme", "provider_for"]

PROVIDERS = ("standard", "national")


def provider_for(name: str, *, pbkdf2_iterations: int = PBKDF2_SM3_DEFAULT_ITERATIONS,
                 **options: Any) -> StandardProvider | NationalProvider:
    """A new provider by setting value; ``ValueError`` for an unknown name.

    ``pbkdf2_iterations`` applies to ``national``; other ``options`` go to the
    provider's constructor (``sm2_backend`` for national, ``argon2`` for standard).
    """
    if name == "standard":
        return StandardProvider(**options)
    if name == "national":
        return NationalProvider(pbkdf2_iterations=pbkdf2_iterations, **options)
    raise ValueError(f"unknown crypto provider {name!r} (expected standard or national)")


def includeme(config: Configurator) -> None:
    """Register the provider chosen by ``jimu.crypto`` as the ``ICryptoProvider`` utility."""
    settings = config.get_settings()
    name = str(settings.get("jimu.crypto", "standard")).strip()
    if name not in PROVIDERS:
        raise ConfigurationError("setting jimu.crypto is malformed: expected standard or national")
    try:
        iterations = int(settings.get("jimu.crypto_pbkdf2_iterations",
                                      PBKDF2_SM3_DEFAULT_ITERATIONS))
        provider = provider_for(name, pbkdf2_iterations=iterations)
    except ValueError as exc:
        raise ConfigurationError(
            f"setting jimu.crypto_pbkdf2_iterations is malformed: {exc}"
        ) from None
    except CryptoError as exc:  # e.g. no SM4-GCM in this cryptography/OpenSSL build
        raise ConfigurationError(f"setting jimu.crypto = {name} cannot be used: {exc}") from None

    config.register_service(provider, ICryptoProvider)
