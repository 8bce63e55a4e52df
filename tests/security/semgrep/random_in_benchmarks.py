# semgrep-fixture-path: benchmarks/addons.py
# Reproducible benchmark data is not security code.
import random


def sample(seed):
    # ok: jimu-random-in-security-code
    return random.Random(seed).random()
