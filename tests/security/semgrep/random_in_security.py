# semgrep-fixture-path: security/tokens.py
# Predictable randomness where secrets are made.
import random
import secrets
# ok: jimu-random-in-security-code
from random import SystemRandom
# ruleid: jimu-random-in-security-code
from random import choice

import numpy


def tokens(alphabet):
    # ruleid: jimu-random-in-security-code
    a = random.choice(alphabet)
    # ruleid: jimu-random-in-security-code
    b = random.randint(0, 10**6)
    # ruleid: jimu-random-in-security-code
    c = random.Random(42).random()
    # ruleid: jimu-random-in-security-code
    d = choice(alphabet)
    # ruleid: jimu-random-in-security-code
    e = numpy.random.randint(0, 10**6)
    # ruleid: jimu-random-in-security-code
    random.seed(7)
    # ok: jimu-random-in-security-code
    f = secrets.token_urlsafe(32)
    # ok: jimu-random-in-security-code
    g = random.SystemRandom().choice(alphabet)
    # ok: jimu-random-in-security-code
    h = SystemRandom().randint(0, 9)
    return a, b, c, d, e, f, g, h
