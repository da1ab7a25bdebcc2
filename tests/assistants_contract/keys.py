"""One RSA key pair for the Coze OAuth tests, generated once per run (no key in the repo)."""

from __future__ import annotations

from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


@lru_cache(maxsize=1)
def key_pair() -> tuple[str, str]:
    """(private PEM, public PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def private_key_body() -> str:
    """A line from the middle of the private key: if it shows up anywhere, the key leaked."""
    lines = key_pair()[0].splitlines()
    return lines[len(lines) // 2]
