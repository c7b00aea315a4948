"""Signatures: receipts and case-history entries signed with a key the office holds (Ed25519).

Input: a key file (PEM), a purpose and the bytes to sign or check. Output: a signature as JSON data
(``{"algorithm": "ed25519", "key_id": …, "value": base64}``), or whether one holds. A digest anyone can recompute
shows only that a receipt is consistent with itself; a signature shows that the holder of the private key made it,
for that subject, period and outcome. Needs the optional extra ``sign`` (the ``cryptography`` package), imported
only here and only when a key is used.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xeploai.program.ir import Text

ALGORITHM = "ed25519"
# What a signature is for, signed with the message, so that a signature of one kind cannot pass for another.
RECEIPT_PURPOSE = b"xeploai.receipt-signature/1\n"
HISTORY_PURPOSE = b"xeploai.history-entry-signature/1\n"
EXTRA_HINT = "pip install 'xeploai[sign]'"


class SigningError(Exception):
    """A key that cannot be made, read or used; ``text`` says why in both languages."""

    def __init__(self, text: Text) -> None:
        self.text = text
        super().__init__(text.en)


def _crypto() -> Any:
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        raise SigningError(
            Text(
                f"ký và kiểm tra chữ ký cần gói cryptography: {EXTRA_HINT}",
                f"signing and checking signatures need the cryptography package: {EXTRA_HINT}",
            )
        ) from None
    return serialization, ed25519


def key_id(public_raw: bytes) -> str:
    """The id of a public key: the first 16 hex digits of the sha256 of its 32 raw bytes."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


@dataclass(frozen=True)
class SigningKey:
    """A private key and the id of its public key."""

    key: Any  # cryptography's Ed25519PrivateKey
    key_id: str


@dataclass(frozen=True)
class PublicKey:
    key: Any  # cryptography's Ed25519PublicKey
    key_id: str


def _raw_public(key: Any) -> bytes:
    serialization, _ = _crypto()
    raw: bytes = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw


def generate_key_pair(private_path: str | os.PathLike[str], public_path: str | os.PathLike[str]) -> str:
    """Write a new private key (PEM, PKCS#8, readable by its owner only) and its public key (PEM); neither file may
    exist already. Returns the key id."""
    serialization, ed25519 = _crypto()
    key = ed25519.Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for path, data, mode in ((private_path, private_pem, 0o600), (public_path, public_pem, 0o644)):
        # O_EXCL: a key is never overwritten; O_NOFOLLOW: nor written through a link
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
    return key_id(_raw_public(key.public_key()))


def _read_pem(path: str | os.PathLike[str]) -> bytes:
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        raise SigningError(
            Text(f"không đọc được khóa {path}: {reason}", f"cannot read the key {path}: {reason}")
        ) from None
    return data


def load_signing_key(path: str | os.PathLike[str]) -> SigningKey:
    """The private key in ``path`` (PEM, unencrypted, as ``generate_key_pair`` writes it)."""
    serialization, ed25519 = _crypto()
    try:
        key = serialization.load_pem_private_key(_read_pem(path), password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise SigningError(
            Text(f"{path} không phải khóa bí mật Ed25519 (PEM)", f"{path} is not an Ed25519 private key (PEM)")
        )
    return SigningKey(key, key_id(_raw_public(key.public_key())))


def load_public_key(path: str | os.PathLike[str]) -> PublicKey:
    """The public key in ``path`` (PEM)."""
    serialization, ed25519 = _crypto()
    try:
        key = serialization.load_pem_public_key(_read_pem(path))
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise SigningError(
            Text(f"{path} không phải khóa công khai Ed25519 (PEM)", f"{path} is not an Ed25519 public key (PEM)")
        )
    return PublicKey(key, key_id(_raw_public(key)))


def sign(key: SigningKey, purpose: bytes, message: bytes) -> dict[str, str]:
    """The signature of ``message`` for ``purpose``, as JSON data."""
    value = key.key.sign(purpose + message)
    return {"algorithm": ALGORITHM, "key_id": key.key_id, "value": base64.b64encode(value).decode("ascii")}


def signature_problem(public: PublicKey, purpose: bytes, message: bytes, signature: object) -> Text | None:
    """Why ``signature`` is not a valid signature of ``message`` for ``purpose`` by ``public``; None when it is."""
    from cryptography.exceptions import InvalidSignature

    if not isinstance(signature, Mapping):
        return Text("không có chữ ký", "there is no signature")
    if signature.get("algorithm") != ALGORITHM:
        found = signature.get("algorithm")
        return Text(f"thuật toán ký {found!r} không phải {ALGORITHM}", f"the algorithm {found!r} is not {ALGORITHM}")
    if signature.get("key_id") != public.key_id:
        found = signature.get("key_id")
        return Text(
            f"được ký bằng khóa {found}, không phải khóa {public.key_id} đã cho",
            f"signed with the key {found}, not with the key {public.key_id} given",
        )
    try:
        value = base64.b64decode(str(signature.get("value", "")), validate=True)
        public.key.verify(value, purpose + message)
    except (ValueError, InvalidSignature):
        return Text(
            "chữ ký không khớp nội dung: nội dung đã bị sửa sau khi ký, hoặc chữ ký bị giả",
            "the signature does not match the content: it was changed after signing, or the signature is forged",
        )
    return None


def is_signature(value: object) -> bool:
    """Whether ``value`` has the shape of a signature (its validity is ``signature_problem``'s question)."""
    return isinstance(value, Mapping) and all(isinstance(value.get(k), str) for k in ("algorithm", "key_id", "value"))
