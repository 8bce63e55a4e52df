"""The one exception the crypto layer lets out."""

from __future__ import annotations


class CryptoError(Exception):
    """A cryptographic operation failed: bad key, malformed or altered input.

    The message is one readable sentence that is safe to show or log; it never
    carries the internal exception of the library underneath (callers that need
    the cause for debugging get it as ``__cause__`` only where that leaks
    nothing about keys or plaintext, which in practice means never: we raise
    ``from None``).
    """
