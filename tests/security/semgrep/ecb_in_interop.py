# semgrep-fixture-path: security/crypto/interop.py
# The declared interop module may use ECB.
from cryptography.hazmat.primitives.ciphers import modes

# ok: jimu-ecb-mode
MODE = modes.ECB()
