"""What the key layer raises: one readable sentence, translatable, never a key."""

from __future__ import annotations

from pyramid.i18n import TranslationString

from jimucrm.core.settings import ConfigurationError


class KeysError(Exception):
    """Keys or encrypted fields could not be used.

    ``message`` is a TranslationString for the user (``environment.translate`` /
    ``request.localizer``); ``str()`` is its English text. Neither ever carries
    key material or plaintext.
    """

    def __init__(self, message: TranslationString, text: str | None = None) -> None:
        super().__init__(text or message.interpolate())
        self.message = message


class MasterKeyError(KeysError, ConfigurationError):
    """The master key is missing, malformed, or not the one the tenants' keys need.

    A ``ConfigurationError``: start-up stops with this one line.
    """


class KeysUnavailable(KeysError):
    """A tenant's data keys cannot be used here: nothing is encrypted or decrypted."""


class FieldDecryptionError(KeysError):
    """An encrypted value was altered, moved to another column, or is not ours."""


class EncryptedFieldUsage(KeysError, TypeError):
    """An encrypted column was used in a way that cannot work (e.g. ``LIKE``)."""


class RotationError(KeysError):
    """A rotation could not go on now; running it again resumes where it stopped."""
