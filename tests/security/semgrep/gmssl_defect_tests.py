# semgrep-fixture-path: tests/security/crypto/test_crypto_gmssl_defects.py
# The tests that show gmssl's defects on gmssl itself may import it.
# ok: jimu-raw-gmssl
from gmssl import sm2 as raw_gmssl

ENGINE = raw_gmssl.CryptSM2
