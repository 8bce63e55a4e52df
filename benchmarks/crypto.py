"""Crypto benchmarks: the providers against the libraries under them, printed, never asserted.

1. SM4-GCM through ``NationalProvider`` against the same cipher called raw through
   ``cryptography`` (fixed nonce, no framing), on 64-byte fields and 1 MiB blobs:
   ratio raw/provider (target ≥ 0.8 on 1 MiB) and the provider's overhead per field
   in µs. AES-256-GCM through ``StandardProvider`` against raw ``AESGCM`` beside it.
2. SM2 signatures per second with each available backend (``tongsuo``, ``gmssl``)
   beside ``openssl speed sm2`` when ``openssl`` is on the machine (target: native
   ≥ 0.5 of OpenSSL); SM2 encryption/decryption (gmssl path) and Ed25519 for scale.
3. Login cost per password scheme at the configured parameters: Argon2id
   (argon2-cffi defaults, as ``StandardProvider`` uses) and PBKDF2-HMAC-SM3
   (``--iterations``, default that of ``jimu.crypto_pbkdf2_iterations``).

    python benchmarks/crypto.py            # about half a minute
    python benchmarks/crypto.py --quick    # smoke run, a few seconds
    python benchmarks/crypto.py --json results.json

Every figure is the median of several rounds; the two sides of a comparison run in
alternating rounds so machine noise falls on both. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from typing import Any

import cryptography
from cryptography.hazmat.backends.openssl.backend import backend as openssl_backend
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from jimucrm.security.crypto import NationalProvider, StandardProvider, sm2
from jimucrm.security.crypto.password_schemes import PBKDF2_SM3_DEFAULT_ITERATIONS

MIB = 1 << 20


def per_call(function: Callable[[], Any], budget: float, rounds: int) -> float:
    """Median seconds per call over ``rounds`` rounds of about ``budget`` seconds each."""
    function()
    start = time.perf_counter()
    function()
    single = max(time.perf_counter() - start, 1e-7)
    calls = max(1, int(budget / single))
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            function()
        samples.append((time.perf_counter() - start) / calls)
    return statistics.median(samples)


def paired(a: Callable[[], Any], b: Callable[[], Any], budget: float,
           rounds: int) -> tuple[float, float]:
    """Median seconds per call of ``a`` and ``b``, measured in alternating rounds."""
    a_samples, b_samples = [], []
    for index in range(rounds):
        order = (a, b) if index % 2 == 0 else (b, a)
        results = [per_call(function, budget, 1) for function in order]
        if index % 2:
            results.reverse()
        a_samples.append(results[0])
        b_samples.append(results[1])
    return statistics.median(a_samples), statistics.median(b_samples)


# -- 1. symmetric -------------------------------------------------------------------------

def raw_sm4_gcm(key: bytes, nonce: bytes) -> tuple[Callable, Callable]:
    def seal(data: bytes) -> tuple[bytes, bytes]:
        encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
        return encryptor.update(data) + encryptor.finalize(), encryptor.tag

    def open_(sealed: tuple[bytes, bytes]) -> bytes:
        decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, sealed[1])).decryptor()
        return decryptor.update(sealed[0]) + decryptor.finalize()

    return seal, open_


def symmetric(budget: float, rounds: int) -> dict[str, Any]:
    return {label: symmetric_size(size, budget, rounds)
            for label, size in (("64 B field", 64), ("1 MiB blob", MIB))}


def symmetric_size(size: int, budget: float, rounds: int) -> dict[str, Any]:
    national, standard = NationalProvider(), StandardProvider()
    sm4_key, aes_key = national.generate_symmetric_key(), standard.generate_symmetric_key()
    nonce = os.urandom(12)
    raw_seal, raw_open = raw_sm4_gcm(sm4_key, nonce)
    aes = AESGCM(aes_key)
    data = os.urandom(size)
    sealed, raw_sealed = national.encrypt(sm4_key, data), raw_seal(data)
    enc_p, enc_r = paired(lambda: national.encrypt(sm4_key, data),
                          lambda: raw_seal(data), budget, rounds)
    dec_p, dec_r = paired(lambda: national.decrypt(sm4_key, sealed),
                          lambda: raw_open(raw_sealed), budget, rounds)
    aes_sealed, aes_raw_sealed = standard.encrypt(aes_key, data), aes.encrypt(nonce, data, None)
    aes_p, aes_r = paired(lambda: standard.encrypt(aes_key, data),
                          lambda: aes.encrypt(nonce, data, None), budget, rounds)
    aes_dp, aes_dr = paired(lambda: standard.decrypt(aes_key, aes_sealed),
                            lambda: aes.decrypt(nonce, aes_raw_sealed, None), budget, rounds)
    return {
        "bytes": size,
        "sm4_gcm": _pair(enc_p, enc_r, dec_p, dec_r, size),
        "aes_256_gcm": _pair(aes_p, aes_r, aes_dp, aes_dr, size),
    }


def _pair(enc_p: float, enc_r: float, dec_p: float, dec_r: float, size: int) -> dict[str, float]:
    return {
        "encrypt_provider_us": enc_p * 1e6, "encrypt_raw_us": enc_r * 1e6,
        "encrypt_ratio": enc_r / enc_p, "encrypt_overhead_us": (enc_p - enc_r) * 1e6,
        "decrypt_provider_us": dec_p * 1e6, "decrypt_raw_us": dec_r * 1e6,
        "decrypt_ratio": dec_r / dec_p, "decrypt_overhead_us": (dec_p - dec_r) * 1e6,
        "provider_mb_per_s": size / enc_p / 1e6,
    }


# -- 2. SM2 -------------------------------------------------------------------------------

_SPEED_LINE = re.compile(  # " 256 bits SM2 (CurveSM2)   0.0006s   0.0005s   1664.6   1929.3"
    r"^\s*256 bits SM2 \(\w+\)\s+([\d.]+)s\s+([\d.]+)s\s+([\d.]+)\s+([\d.]+)\s*$"
)


def openssl_speed(seconds: int) -> dict[str, Any]:
    """``openssl speed sm2`` parsed: sign/s and verify/s, or why there are none."""
    binary = shutil.which("openssl")
    if not binary:
        return {"error": "openssl is not on this machine"}
    version = subprocess.run([binary, "version"], capture_output=True, text=True,
                             check=False).stdout.strip()
    run = subprocess.run([binary, "speed", "-seconds", str(seconds), "sm2"],
                         capture_output=True, text=True, check=False, timeout=60 + 4 * seconds)
    for line in run.stdout.splitlines():
        match = _SPEED_LINE.match(line)
        if match:
            return {"version": version, "sign_per_s": float(match.group(3)),
                    "verify_per_s": float(match.group(4))}
    return {"version": version, "error": (run.stderr or run.stdout).strip()[-200:]}


def sm2_rates(budget: float, rounds: int, openssl_seconds: int) -> dict[str, Any]:
    key = sm2.generate_private_key()
    message = b"x" * 64
    results: dict[str, Any] = {"backends": {}}
    for backend in sm2.available_backends():
        signature = sm2.sign(key, message, backend=backend)
        sign_s = per_call(lambda b=backend: sm2.sign(key, message, backend=b), budget, rounds)
        verify_s = per_call(lambda b=backend, s=signature: sm2.verify(
            key.public, message, s, backend=b), budget, rounds)
        results["backends"][backend] = {"sign_per_s": 1 / sign_s, "verify_per_s": 1 / verify_s}
    ciphertext = sm2.encrypt(key.public, b"k" * 32)
    results["encrypt_32B_per_s"] = 1 / per_call(lambda: sm2.encrypt(key.public, b"k" * 32),
                                                budget, rounds)
    results["decrypt_32B_per_s"] = 1 / per_call(lambda: sm2.decrypt(key, ciphertext),
                                                budget, rounds)
    ed = ed25519.Ed25519PrivateKey.generate()
    ed_signature = ed.sign(message)
    results["ed25519"] = {
        "sign_per_s": 1 / per_call(lambda: ed.sign(message), budget, rounds),
        "verify_per_s": 1 / per_call(lambda: ed.public_key().verify(ed_signature, message),
                                     budget, rounds),
    }
    results["openssl"] = openssl_speed(openssl_seconds)
    return results


# -- 3. passwords -------------------------------------------------------------------------

def login_costs(iterations: int, rounds: int) -> dict[str, Any]:
    standard, national = StandardProvider(), NationalProvider(pbkdf2_iterations=iterations)
    results = {}
    for label, provider in (("Argon2id", standard), ("PBKDF2-HMAC-SM3", national)):
        stored = provider.hash_password("correct-horse-电池-staple")
        samples = []
        for _ in range(rounds):
            start = time.perf_counter()
            provider.verify_password(stored, "correct-horse-电池-staple")
            samples.append(time.perf_counter() - start)
        results[label] = {"parameters": _parameters(stored), "verify_ms": statistics.median(
            samples) * 1e3}
    return results


def _parameters(stored: str) -> str:
    if stored.startswith("$argon2id$"):
        return stored.split("$")[3]
    return f"{int(stored.split('$')[1]):,} iterations"


# -- report -------------------------------------------------------------------------------

def report(results: dict[str, Any]) -> None:
    env = results["environment"]
    print(f"Python {env['python']}, cryptography {env['cryptography']} "
          f"({env['openssl']}), {env['cpus']} CPUs, backends: {', '.join(env['sm2_backends'])}")
    print(f"MALLOC_TRIM_THRESHOLD_={env['malloc_trim_threshold'] or 'unset'} "
          "(see benchmarks/README.md: glibc's trimming weighs on the 1 MiB figures)")
    print("\n== Symmetric: provider vs raw cryptography (encrypt / decrypt)")
    for label, entry in results["symmetric"].items():
        for cipher, key in (("SM4-GCM", "sm4_gcm"), ("AES-256-GCM", "aes_256_gcm")):
            figures = entry[key]
            target = "   target ≥ 0.80" if cipher == "SM4-GCM" and entry["bytes"] == MIB else ""
            print(f"  {cipher:<12}{label:<11} provider {figures['encrypt_provider_us']:10.1f} µs"
                  f"  raw {figures['encrypt_raw_us']:10.1f} µs   ratio "
                  f"{figures['encrypt_ratio']:.2f} / {figures['decrypt_ratio']:.2f}"
                  f"   overhead {figures['encrypt_overhead_us']:+6.1f} / "
                  f"{figures['decrypt_overhead_us']:+6.1f} µs{target}")
    print("\n== SM2 signatures (sign/s, verify/s)")
    rates = results["sm2"]
    speed = rates["openssl"]
    for backend, figures in rates["backends"].items():
        line = f"  {backend:<10} {figures['sign_per_s']:9.0f} {figures['verify_per_s']:9.0f}"
        if "sign_per_s" in speed:
            line += (f"    of openssl: {figures['sign_per_s'] / speed['sign_per_s']:.2f} / "
                     f"{figures['verify_per_s'] / speed['verify_per_s']:.2f}")
            line += "   target ≥ 0.50" if backend == "tongsuo" else ""
        print(line)
    if "sign_per_s" in speed:
        print(f"  {'openssl':<10} {speed['sign_per_s']:9.0f} {speed['verify_per_s']:9.0f}"
              f"    ({speed['version']}, `openssl speed sm2`)")
    else:
        print(f"  openssl speed sm2: not measured ({speed['error']})")
    print(f"  SM2 encrypt/decrypt 32 B (gmssl path): {rates['encrypt_32B_per_s']:.0f} / "
          f"{rates['decrypt_32B_per_s']:.0f} per s")
    print(f"  Ed25519 for scale: {rates['ed25519']['sign_per_s']:.0f} / "
          f"{rates['ed25519']['verify_per_s']:.0f} per s")
    print("\n== Login cost (one password verification)")
    for label, figures in results["passwords"].items():
        print(f"  {label:<16} {figures['verify_ms']:8.1f} ms   ({figures['parameters']})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run, a few seconds")
    parser.add_argument("--iterations", type=int, default=PBKDF2_SM3_DEFAULT_ITERATIONS,
                        help="PBKDF2-HMAC-SM3 iterations (jimu.crypto_pbkdf2_iterations)")
    parser.add_argument("--openssl-seconds", type=int, default=None,
                        help="seconds per operation for openssl speed (default 3, quick 1)")
    parser.add_argument("--json", help="also write every figure to this file")
    args = parser.parse_args()
    budget, rounds = (0.05, 3) if args.quick else (0.3, 7)
    openssl_seconds = args.openssl_seconds or (1 if args.quick else 3)
    started = time.perf_counter()
    results = {
        "environment": {
            "python": platform.python_version(), "cryptography": cryptography.__version__,
            "openssl": openssl_backend.openssl_version_text(), "cpus": os.cpu_count(),
            "sm2_backends": list(sm2.available_backends()),
            "malloc_trim_threshold": os.environ.get("MALLOC_TRIM_THRESHOLD_"),
        },
        "symmetric": symmetric(budget, rounds),
        "sm2": sm2_rates(budget, rounds, openssl_seconds),
        "passwords": login_costs(args.iterations, 3 if args.quick else 7),
    }
    results["seconds"] = time.perf_counter() - started
    report(results)
    print(f"\n  ({results['seconds']:.0f} s in all)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=2, ensure_ascii=False)
        print(f"  results written to {args.json}")


if __name__ == "__main__":
    main()
