# semgrep-fixture-path: tenants/slugs.py
# Tenants count as security code: slugs, invitation codes, first passwords.
import random
import string


def suggest_slug():
    # ruleid: jimu-random-in-security-code
    return "".join(random.choices(string.ascii_lowercase, k=8))
