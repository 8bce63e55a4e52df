# semgrep-fixture-path: security/crypto/sm2_gmssl.py
# The wrapper is the one module allowed to import gmssl.
# ok: jimu-raw-gmssl
from gmssl import sm2 as _gmssl_sm2

ENGINE = _gmssl_sm2.CryptSM2
