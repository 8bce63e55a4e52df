"""The symmetric algorithms data keys use, and the provider that runs each.

Ciphertexts and wrapped keys name their algorithm with a one-byte id, so data
written before ``jimu.crypto`` changed (standard ↔ national) still decrypts, and
``jimu keys rotate`` moves it to the new algorithm.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from jimucrm.core.i18n import _
from jimucrm.core.interfaces import ICryptoProvider

from ..crypto import CryptoError, provider_for
from .errors import KeysUnavailable


@dataclass(frozen=True)
class Algorithm:
    id: int
    name: str
    provider: str
    key_bytes: int


AES_256_GCM = Algorithm(1, "AES-256-GCM", "standard", 32)
SM4_GCM = Algorithm(2, "SM4-GCM", "national", 16)
ALGORITHMS = (AES_256_GCM, SM4_GCM)
BY_ID = {algorithm.id: algorithm for algorithm in ALGORITHMS}
BY_NAME = {algorithm.name: algorithm for algorithm in ALGORITHMS}
BY_PROVIDER = {algorithm.provider: algorithm for algorithm in ALGORITHMS}


def algorithm_named(name: str) -> Algorithm:
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeysUnavailable(_("Unknown key algorithm ${name}.", mapping={"name": name})) \
            from None


def algorithm_numbered(number: int) -> Algorithm:
    try:
        return BY_ID[number]
    except KeyError:
        raise KeysUnavailable(_("Unknown key algorithm number ${number}.",
                                mapping={"number": str(number)})) from None


class Providers:
    """The deployment's ``ICryptoProvider``, and the other one when old data needs it."""

    def __init__(self, active: ICryptoProvider) -> None:
        if active.name not in BY_PROVIDER:
            raise KeysUnavailable(_("The crypto provider ${name} has no data-key algorithm.",
                                    mapping={"name": active.name}))
        self.active = active
        self.algorithm = BY_PROVIDER[active.name]
        self._others: dict[str, ICryptoProvider] = {}
        self._lock = threading.Lock()

    def for_algorithm(self, algorithm: Algorithm) -> ICryptoProvider:
        if algorithm.provider == self.active.name:
            return self.active
        with self._lock:
            provider = self._others.get(algorithm.provider)
            if provider is None:
                try:
                    # Only its symmetric encryption and HMAC are used.
                    provider = provider_for(algorithm.provider)
                except CryptoError as exc:
                    raise KeysUnavailable(_(
                        "Data encrypted with ${algorithm} cannot be read here: ${reason}",
                        mapping={"algorithm": algorithm.name, "reason": str(exc)})) from None
                self._others[algorithm.provider] = provider
        return provider
