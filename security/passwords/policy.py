"""The default password policy: length, common passwords, the account's own names, strength.

No composition rules (digits, symbols, case), as NIST SP 800-63B and ASVS V2.1.9
advise. Common passwords and the strength estimate come from ``zxcvbn`` (MIT),
whose ranked frequency lists (30,000 most-used passwords from leaked sets, words,
names) ship with the package, so nothing is fetched at run time.
"""

from __future__ import annotations

import threading

from pyramid.i18n import TranslationString
from zope.interface import implementer
from zxcvbn import zxcvbn
from zxcvbn.matching import RANKED_DICTIONARIES

from jimucrm.core.i18n import _

from ..interfaces import IPasswordPolicy

MAX_LENGTH = 256
# zxcvbn's score 3: "safely unguessable", more than 10^10 guesses needed.
MIN_SCORE = 3
# zxcvbn's matching grows quickly with length and refuses more than this.
SCORED_LENGTH = 72
# Shorter names would refuse too much by mere containment; they are refused when equal.
CONTAINED_NAME_LENGTH = 3

# zxcvbn keeps the per-call user inputs in a module-level dictionary: one call at a time.
_zxcvbn_lock = threading.Lock()

_HINTS = {
    "spatial": _("Rows or patterns of keys are easy to guess."),
    "repeat": _("Repeated words or characters are easy to guess."),
    "sequence": _("Sequences like abc or 6543 are easy to guess."),
    "regex": _("Recent years are easy to guess."),
    "date": _("Dates are easy to guess."),
    "passwords": _("It is built from very common passwords."),
    "user_inputs": _("It is built from your own names."),
    "words": _("Single common words and names are easy to guess."),
}


def _hint(sequence: list[dict]) -> TranslationString | None:
    """Why zxcvbn found the password guessable: its longest recognised part."""
    known = [match for match in sequence if match.get("pattern") != "bruteforce"]
    if not known:
        return None
    longest = max(known, key=lambda match: len(match["token"]))
    pattern = longest["pattern"]
    if pattern == "dictionary":
        name = longest.get("dictionary_name")
        return _HINTS.get(name, _HINTS["words"])
    return _HINTS.get(pattern)


def _names(username: str, display_name: str, email: str) -> list[str]:
    """The account's names, case-folded: username, e-mail local part, display name (and words)."""
    names = [username, email.split("@", 1)[0] if email else "", display_name]
    names += display_name.split()
    return [name for name in dict.fromkeys(n.strip().casefold() for n in names) if name]


@implementer(IPasswordPolicy)
class PasswordPolicy:
    """Length limits, no common password, none of the account's names, a zxcvbn score ≥ 3."""

    def __init__(self, *, min_length: int = 10, max_length: int = MAX_LENGTH,
                 min_score: int = MIN_SCORE) -> None:
        self.min_length = min_length
        self.max_length = max_length
        self.min_score = min_score

    def problems(self, password: str, *, username: str = "", display_name: str = "",
                 email: str = "") -> list[TranslationString]:
        found: list[TranslationString] = []
        if len(password) < self.min_length:
            found.append(_("Use at least ${count} characters.",
                           mapping={"count": self.min_length}))
        if len(password) > self.max_length:
            found.append(_("Use at most ${count} characters.",
                           mapping={"count": self.max_length}))
            return found  # nothing else is worth checking on such input
        if not password:
            return found
        folded = password.casefold()
        if len(set(folded)) == 1:
            found.append(_("The password must not be one character repeated."))
        if folded in RANKED_DICTIONARIES["passwords"]:
            found.append(_("This password is on a list of commonly used passwords."))
        names = _names(username, display_name, email)
        if any(folded == name or (len(name) >= CONTAINED_NAME_LENGTH and name in folded)
               for name in names):
            found.append(_("The password must not contain your username, e-mail name "
                           "or display name."))
        if found:
            return found
        with _zxcvbn_lock:
            result = zxcvbn(password[:SCORED_LENGTH], user_inputs=names)
        if result["score"] < self.min_score:
            found.append(_("This password is too easy to guess."))
            hint = _hint(result["sequence"])
            if hint is not None:
                found.append(hint)
        return found
