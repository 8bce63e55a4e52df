# semgrep-fixture-path: security/keys/hsm.py
# Raw gmssl anywhere but the wrapper: every spelling of the import is caught.
import importlib

# ruleid: jimu-raw-gmssl
import gmssl
# ruleid: jimu-raw-gmssl
import gmssl.sm2
# ruleid: jimu-raw-gmssl
import gmssl.sm2 as raw_sm2
# ruleid: jimu-raw-gmssl
from gmssl import sm2
# ruleid: jimu-raw-gmssl
from gmssl import func as gmssl_func
# ruleid: jimu-raw-gmssl
from gmssl.sm4 import CryptSM4

# ok: jimu-raw-gmssl
from jimucrm.security.crypto import sm2 as our_sm2
# ok: jimu-raw-gmssl
import gmssl_compat_notes


def load():
    # ruleid: jimu-raw-gmssl
    return importlib.import_module("gmssl.sm2")


def use():
    return gmssl, raw_sm2, sm2, gmssl_func, CryptSM4, our_sm2, gmssl_compat_notes, load
