"""Sealed bids: the cryptography, as pure functions over bytes (no models, no database).

The chain of keys, from a bid to the people who can open it:

- every bid's offer is a libsodium sealed box to the tender's X25519 public key; every file is
  encrypted with a fresh SecretBox key, itself sealed to the same public key;
- the tender's private key is kept only inside a SecretBox under a random key K;
- K is split 2-of-n among the committee with Shamir secret sharing (pycryptodome works on 16-byte
  secrets: K's two halves are split separately, at the same indices);
- each member's share is sealed to that member's own key pair, whose private key is kept only
  inside a SecretBox under a key derived (Argon2id) from the member's opening passphrase.

So the database and the server's settings together give nothing without two passphrases.
"""

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from Crypto.Protocol.SecretSharing import Shamir
from django.utils.translation import gettext_lazy as _
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.pwhash import argon2id
from nacl.secret import SecretBox

from portal.errors import DomainError

# Argon2id cost of a member's passphrase. MODERATE (3 passes, 256 MiB, about 0.4 s here) because
# the protected key sits in the database: whoever copies it may guess passphrases offline, and
# each guess must cost that much. Unlocking happens once per opening, so the wait is fine. Tests
# lower these two constants (tests/tenders/conftest.py); each record stores its own limits, so
# changing them never locks anyone out.
OPSLIMIT = argon2id.OPSLIMIT_MODERATE
MEMLIMIT = argon2id.MEMLIMIT_MODERATE

# Fixed by the issue: two different committee members open a tender.
THRESHOLD = 2

KEY_BYTES = SecretBox.KEY_SIZE  # 32: K, file keys, X25519 keys
_HALF = KEY_BYTES // 2  # pycryptodome's Shamir works on 16-byte secrets
_SHARE_BYTES = 1 + 2 * _HALF  # index, then the share of each half
RECEIPT_SALT_BYTES = 16


class SealingError(DomainError):
    code = "sealing_failed"
    default_message = _("The sealed data could not be opened.")


class WrongPassphrase(SealingError):
    code = "wrong_passphrase"
    default_message = _("The opening passphrase is not correct.")


class NotEnoughShares(SealingError):
    code = "not_enough_shares"
    default_message = _("Two different committee members are needed to open the bids.")


# --- a committee member's own key pair ----------------------------------------------------------
@dataclass(frozen=True)
class MemberKeyRecord:
    """What is stored for a member (tenders.models.MemberKey): nothing here opens anything
    without the passphrase."""

    public_key: bytes
    protected_private_key: bytes
    salt: bytes
    opslimit: int
    memlimit: int


def _passphrase_key(passphrase: str, *, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    return argon2id.kdf(
        KEY_BYTES, passphrase.encode("utf-8"), salt, opslimit=opslimit, memlimit=memlimit
    )


def member_keypair_create(passphrase: str) -> MemberKeyRecord:
    """A fresh X25519 key pair whose private key is locked under the passphrase (Argon2id)."""
    private = PrivateKey.generate()
    salt = secrets.token_bytes(argon2id.SALTBYTES)
    key = _passphrase_key(passphrase, salt=salt, opslimit=OPSLIMIT, memlimit=MEMLIMIT)
    return MemberKeyRecord(
        public_key=bytes(private.public_key),
        protected_private_key=bytes(SecretBox(key).encrypt(bytes(private))),
        salt=salt,
        opslimit=OPSLIMIT,
        memlimit=MEMLIMIT,
    )


def member_private_key(record, passphrase: str) -> bytes:
    """The member's private key, unlocked by the passphrase. `record` is a MemberKeyRecord or a
    MemberKey row (same attribute names). Raises WrongPassphrase."""
    key = _passphrase_key(
        passphrase,
        salt=bytes(record.salt),
        opslimit=record.opslimit,
        memlimit=record.memlimit,
    )
    try:
        return SecretBox(key).decrypt(bytes(record.protected_private_key))
    except CryptoError:
        raise WrongPassphrase() from None


def member_passphrase_change(record, old_passphrase: str, new_passphrase: str) -> MemberKeyRecord:
    """The same key pair locked under a new passphrase (fresh salt, today's cost). A member who
    changes the passphrase must keep the key pair: the shares of tenders already published are
    sealed to its public key. Raises WrongPassphrase."""
    private = member_private_key(record, old_passphrase)
    salt = secrets.token_bytes(argon2id.SALTBYTES)
    key = _passphrase_key(new_passphrase, salt=salt, opslimit=OPSLIMIT, memlimit=MEMLIMIT)
    return MemberKeyRecord(
        public_key=bytes(record.public_key),
        protected_private_key=bytes(SecretBox(key).encrypt(private)),
        salt=salt,
        opslimit=OPSLIMIT,
        memlimit=MEMLIMIT,
    )


# --- the tender's key, K and the shares ----------------------------------------------------------
@dataclass(frozen=True)
class Share:
    """One member's Shamir share of K: the same index for both halves."""

    index: int
    low: bytes
    high: bytes

    def to_bytes(self) -> bytes:
        return bytes([self.index]) + self.low + self.high

    @classmethod
    def from_bytes(cls, data: bytes) -> "Share":
        data = bytes(data)
        if len(data) != _SHARE_BYTES or data[0] == 0:
            raise SealingError()
        return cls(index=data[0], low=data[1 : 1 + _HALF], high=data[1 + _HALF :])


def _split(k: bytes, member_public_keys: list[bytes], threshold: int) -> list[bytes]:
    count = len(member_public_keys)
    if not threshold <= count <= 255:  # one byte holds the index
        raise ValueError(f"{count} members cannot share a {threshold}-of-n key")
    lows = Shamir.split(threshold, count, k[:_HALF])
    highs = Shamir.split(threshold, count, k[_HALF:])
    sealed = []
    for public_key, (index, low), (index_high, high) in zip(
        member_public_keys, lows, highs, strict=True
    ):
        assert index == index_high
        share = Share(index=index, low=low, high=high)
        sealed.append(seal(public_key, share.to_bytes()))
    return sealed


def tender_keys_create(
    member_public_keys: list[bytes], threshold: int = THRESHOLD
) -> tuple[bytes, bytes, list[bytes]]:
    """A tender's key pair, its private key locked under a fresh K, and K split among the
    members: (public_key, sealed_private_key, sealed_shares aligned with member_public_keys)."""
    private = PrivateKey.generate()
    k = secrets.token_bytes(KEY_BYTES)
    sealed_private_key = bytes(SecretBox(k).encrypt(bytes(private)))
    sealed_shares = _split(k, member_public_keys, threshold)
    return bytes(private.public_key), sealed_private_key, sealed_shares


def share_open(sealed_share: bytes, member_private_key: bytes) -> Share:
    """A member's share, opened with the member's (unlocked) private key."""
    return Share.from_bytes(unseal(member_private_key, sealed_share))


def _combine(shares: list[Share], threshold: int) -> bytes:
    distinct = {share.index: share for share in shares}
    if len(distinct) < threshold:
        raise NotEnoughShares()
    chosen = list(distinct.values())
    low = Shamir.combine([(s.index, s.low) for s in chosen])
    high = Shamir.combine([(s.index, s.high) for s in chosen])
    return low + high


def tender_private_key_rebuild(
    sealed_private_key: bytes, shares: list[Share], threshold: int = THRESHOLD
) -> bytes:
    """Rebuild K from the shares (in memory only) and unlock the tender's private key.

    Raises NotEnoughShares with fewer than `threshold` distinct shares, SealingError when the
    shares do not rebuild this tender's K (the SecretBox's MAC refuses it)."""
    k = _combine(shares, threshold)
    try:
        return SecretBox(k).decrypt(bytes(sealed_private_key))
    except CryptoError:
        raise SealingError() from None


def resplit(
    sealed_private_key: bytes,
    shares: list[Share],
    new_member_public_keys: list[bytes],
    threshold: int = THRESHOLD,
) -> tuple[bytes, list[bytes]]:
    """Replace the committee's shares: unlock the tender's private key with `threshold` of the
    current shares, lock it under a NEW K, and split that among the new members. The public key
    (and so every bid already sealed) stays; the old shares no longer open anything.

    Returns (new sealed_private_key, sealed_shares aligned with new_member_public_keys)."""
    private = tender_private_key_rebuild(sealed_private_key, shares, threshold)
    k = secrets.token_bytes(KEY_BYTES)
    new_sealed_private_key = bytes(SecretBox(k).encrypt(private))
    return new_sealed_private_key, _split(k, new_member_public_keys, threshold)


def public_key_of(private_key: bytes) -> bytes:
    return bytes(PrivateKey(bytes(private_key)).public_key)


# --- sealing and opening data --------------------------------------------------------------------
def seal(public_key: bytes, data: bytes) -> bytes:
    """Anonymous sealed box: only the holder of the matching private key opens it."""
    return bytes(SealedBox(PublicKey(bytes(public_key))).encrypt(bytes(data)))


def unseal(private_key: bytes, data: bytes) -> bytes:
    """Raises SealingError when `data` was not sealed to this key or was altered."""
    try:
        return SealedBox(PrivateKey(bytes(private_key))).decrypt(bytes(data))
    except CryptoError:
        raise SealingError() from None


def seal_file(public_key: bytes, data: bytes) -> tuple[bytes, bytes]:
    """(sealed_key, ciphertext): the file under a fresh SecretBox key, that key sealed to the
    tender's public key."""
    key = secrets.token_bytes(KEY_BYTES)
    return seal(public_key, key), bytes(SecretBox(key).encrypt(bytes(data)))


def unseal_file(private_key: bytes, sealed_key: bytes, ciphertext: bytes) -> bytes:
    key = unseal(private_key, sealed_key)
    try:
        return SecretBox(key).decrypt(bytes(ciphertext))
    except CryptoError:
        raise SealingError() from None


# --- the first confirmer's share, held until the second ------------------------------------------
def _held_key(secret: str, context: str) -> bytes:
    return hashlib.blake2b(
        context.encode("utf-8"),
        key=hashlib.sha256(secret.encode("utf-8")).digest(),
        digest_size=KEY_BYTES,
        person=b"tenders-held",
    ).digest()


def held_share_protect(share: Share, *, secret: str, context: str) -> bytes:
    """Keep the first confirmer's opened share until a second member confirms, encrypted under
    a key derived from `secret` (settings.SECRET_KEY) and `context` (the tender). One share
    alone opens nothing, so this adds no way in; it only keeps the share out of the clear."""
    return bytes(SecretBox(_held_key(secret, context)).encrypt(share.to_bytes()))


def held_share_recover(held: bytes, *, secret: str, context: str) -> Share:
    try:
        return Share.from_bytes(SecretBox(_held_key(secret, context)).decrypt(bytes(held)))
    except CryptoError:
        raise SealingError() from None


# --- what a bidder submitted, and its receipt hash -----------------------------------------------
def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def canonical_json(value) -> bytes:
    """One byte string for one value: sorted keys, no spaces, UTF-8, Decimals (and dates) as
    strings, so that what is hashed at submission is hashed the same at the opening."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
    ).encode("utf-8")


def receipt_salt() -> bytes:
    return secrets.token_bytes(RECEIPT_SALT_BYTES)


def receipt_hash(salt: bytes, canonical: bytes) -> str:
    """Hex SHA-256 of salt + canonical bytes. The salt travels only inside the sealed offer, so
    nobody can test guessed prices against a receipt before the opening."""
    return hashlib.sha256(bytes(salt) + bytes(canonical)).hexdigest()
