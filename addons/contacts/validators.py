"""Checks of Chinese identifiers whose last character is a checksum.

Used as field checks (``info["check"]``, see :mod:`jimucrm.core.metadata`): each
takes the submitted text and says whether it is valid. Empty values are the
``required`` rule's business, so they pass here.
"""

from __future__ import annotations

import re
from datetime import date

from jimucrm.security.keys import normalise_compact

# 居民身份证号码 (GB 11643-1999): 17 digits and an ISO 7064 MOD 11-2 check character.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECKS = "10X98765432"
_ID_FORM = re.compile(r"[1-9]\d{5}(\d{4})(\d{2})(\d{2})\d{3}[0-9X]")

# 统一社会信用代码 (GB 32100-2015): 18 characters from this alphabet (no I, O, S, V, Z),
# the last a MOD 31 check character.
_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CODE_FORM = re.compile(rf"[1-9ANY][1-9]\d{{6}}[{_CODE_ALPHABET}]{{10}}")


def id_number_valid(value: str) -> bool:
    """An 18-character resident ID number with a real birth date and the right check."""
    text = normalise_compact(value)
    if not text:
        return True
    found = _ID_FORM.fullmatch(text)
    if found is None:
        return False
    try:
        date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        return False
    total = sum(int(digit) * weight for digit, weight in zip(text[:17], _ID_WEIGHTS, strict=True))
    return text[17] == _ID_CHECKS[total % 11]


def credit_code_valid(value: str) -> bool:
    """An 18-character unified social credit code with the right check character."""
    text = normalise_compact(value)
    if not text:
        return True
    if _CODE_FORM.fullmatch(text) is None:
        return False
    total = sum(_CODE_ALPHABET.index(char) * weight
                for char, weight in zip(text[:17], _CODE_WEIGHTS, strict=True))
    return text[17] == _CODE_ALPHABET[(31 - total % 31) % 31]
