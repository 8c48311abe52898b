"""HMAC-SHA256 over raw bytes, compared in constant time: the one primitive every provider's
signature check is built on."""

import hashlib
import hmac


class SignatureInvalid(Exception):
    """The request does not prove it comes from the provider; the message says why."""


def digest(secret: str, data: bytes) -> str:
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


def check_hex(secret: str, data: bytes, presented: str | None, header: str) -> None:
    """Raise SignatureInvalid unless `presented` is the hex HMAC of `data`."""
    if not presented:
        raise SignatureInvalid(f"Missing signature header {header}")
    if not hmac.compare_digest(digest(secret, data).encode(), presented.strip().encode()):
        raise SignatureInvalid(f"Signature in {header} does not match the body")


def check_prefixed(secret: str, data: bytes, presented: str | None, header: str) -> None:
    """The `sha256=<hex>` form (GitHub, Jira, ours)."""
    if presented is not None and not presented.startswith("sha256="):
        raise SignatureInvalid(f"{header} must be of the form sha256=<hex>")
    check_hex(secret, data, presented.removeprefix("sha256=") if presented else None, header)
