"""The sealing chain on its own: passphrase → member key → share → K → tender key → bid."""

import hashlib
from decimal import Decimal

import pytest
from nacl.pwhash import argon2id

from tenders import sealing
from tenders.sealing import NotEnoughShares, SealingError, WrongPassphrase

# Read at import, before tests/tenders/conftest.py's fixture lowers it for each test.
PRODUCTION_COST = (sealing.OPSLIMIT, sealing.MEMLIMIT)

PASSPHRASES = ["first member's passphrase", "second member's passphrase", "third one, longer"]


@pytest.fixture
def members():
    return [sealing.member_keypair_create(p) for p in PASSPHRASES]


@pytest.fixture
def tender(members):
    return sealing.tender_keys_create([m.public_key for m in members])


def _shares(members, sealed_shares, which):
    return [
        sealing.share_open(sealed_shares[i], sealing.member_private_key(members[i], PASSPHRASES[i]))
        for i in which
    ]


def test_member_key_round_trip_and_nothing_in_clear(members):
    record = members[0]
    private = sealing.member_private_key(record, PASSPHRASES[0])
    assert sealing.public_key_of(private) == record.public_key
    assert private not in record.protected_private_key
    assert PASSPHRASES[0].encode() not in record.protected_private_key
    assert (record.opslimit, record.memlimit) == (argon2id.OPSLIMIT_MIN, argon2id.MEMLIMIT_MIN)
    assert len(record.salt) == argon2id.SALTBYTES


def test_production_cost_is_moderate():
    assert PRODUCTION_COST >= (argon2id.OPSLIMIT_MODERATE, argon2id.MEMLIMIT_MODERATE)


def test_wrong_passphrase_fails(members):
    with pytest.raises(WrongPassphrase):
        sealing.member_private_key(members[0], PASSPHRASES[1])
    with pytest.raises(WrongPassphrase):
        sealing.member_private_key(members[0], "")


def test_record_keeps_its_own_cost(members, monkeypatch):
    # Raising the cost later must not lock out a member whose record was made at the old cost.
    monkeypatch.setattr(sealing, "OPSLIMIT", argon2id.OPSLIMIT_MIN + 1)
    assert sealing.member_private_key(members[0], PASSPHRASES[0])


def test_any_two_members_rebuild_the_tender_key(members, tender):
    public_key, sealed_private_key, sealed_shares = tender
    assert len(sealed_shares) == len(members)
    for pair in [(0, 1), (0, 2), (1, 2), (2, 0), (0, 1, 2)]:
        private = sealing.tender_private_key_rebuild(
            sealed_private_key, _shares(members, sealed_shares, pair)
        )
        assert sealing.public_key_of(private) == public_key


def test_one_share_fails(members, tender):
    _, sealed_private_key, sealed_shares = tender
    with pytest.raises(NotEnoughShares):
        sealing.tender_private_key_rebuild(sealed_private_key, _shares(members, sealed_shares, [0]))
    # The same share twice is still one member.
    twice = _shares(members, sealed_shares, [1, 1])
    with pytest.raises(NotEnoughShares):
        sealing.tender_private_key_rebuild(sealed_private_key, twice)
    with pytest.raises(NotEnoughShares):
        sealing.tender_private_key_rebuild(sealed_private_key, [])


def test_one_share_with_a_forged_second_fails(members, tender):
    _, sealed_private_key, sealed_shares = tender
    (real,) = _shares(members, sealed_shares, [0])
    forged = sealing.Share(index=2, low=b"\x00" * 16, high=b"\x00" * 16)
    with pytest.raises(SealingError):
        sealing.tender_private_key_rebuild(sealed_private_key, [real, forged])


def test_shares_of_another_tender_do_not_open(members, tender):
    _, sealed_private_key, _ = tender
    _, _, other_shares = sealing.tender_keys_create([m.public_key for m in members])
    with pytest.raises(SealingError):
        sealing.tender_private_key_rebuild(
            sealed_private_key, _shares(members, other_shares, [0, 1])
        )


def test_a_share_opens_only_with_its_members_key(members, tender):
    _, _, sealed_shares = tender
    other = sealing.member_private_key(members[1], PASSPHRASES[1])
    with pytest.raises(SealingError):
        sealing.share_open(sealed_shares[0], other)


def test_fewer_members_than_the_threshold_is_refused(members):
    with pytest.raises(ValueError):
        sealing.tender_keys_create([members[0].public_key])


def test_seal_round_trip(members, tender):
    public_key, sealed_private_key, sealed_shares = tender
    box = sealing.seal(public_key, b'{"total":"1234567.89"}')
    assert b"1234567.89" not in box
    private = sealing.tender_private_key_rebuild(
        sealed_private_key, _shares(members, sealed_shares, [0, 2])
    )
    assert sealing.unseal(private, box) == b'{"total":"1234567.89"}'
    with pytest.raises(SealingError):
        sealing.unseal(sealing.member_private_key(members[0], PASSPHRASES[0]), box)
    with pytest.raises(SealingError):
        sealing.unseal(private, box[:-1] + bytes([box[-1] ^ 1]))


def test_seal_file_round_trip(members, tender):
    public_key, sealed_private_key, sealed_shares = tender
    data = b"%PDF-1.7\nTECHNICAL-ENVELOPE-MARKER\n" * 100
    sealed_key, ciphertext = sealing.seal_file(public_key, data)
    assert b"TECHNICAL-ENVELOPE-MARKER" not in ciphertext + sealed_key
    # A fresh key per file: the same bytes twice give different ciphertexts.
    assert sealing.seal_file(public_key, data)[1] != ciphertext
    private = sealing.tender_private_key_rebuild(
        sealed_private_key, _shares(members, sealed_shares, [1, 2])
    )
    assert sealing.unseal_file(private, sealed_key, ciphertext) == data
    with pytest.raises(SealingError):
        sealing.unseal_file(private, sealed_key, ciphertext[:-1] + b"x")


def test_resplit_replaces_a_member(members, tender):
    public_key, sealed_private_key, sealed_shares = tender
    box = sealing.seal(public_key, b"sealed before the replacement")
    newcomer_passphrase = "the replacement member's passphrase"
    newcomer = sealing.member_keypair_create(newcomer_passphrase)
    new_members = [members[0], members[1], newcomer]
    new_sealed_private_key, new_shares = sealing.resplit(
        sealed_private_key,
        _shares(members, sealed_shares, [0, 1]),
        [m.public_key for m in new_members],
    )
    # The newcomer and any one remaining member open what was sealed before.
    opened = [
        sealing.share_open(
            new_shares[2], sealing.member_private_key(newcomer, newcomer_passphrase)
        ),
        sealing.share_open(new_shares[0], sealing.member_private_key(members[0], PASSPHRASES[0])),
    ]
    private = sealing.tender_private_key_rebuild(new_sealed_private_key, opened)
    assert sealing.unseal(private, box) == b"sealed before the replacement"
    # The replaced member's old share, even with another old share, opens nothing any more.
    with pytest.raises(SealingError):
        sealing.tender_private_key_rebuild(
            new_sealed_private_key, _shares(members, sealed_shares, [1, 2])
        )


def test_resplit_needs_two_shares(members, tender):
    _, sealed_private_key, sealed_shares = tender
    with pytest.raises(NotEnoughShares):
        sealing.resplit(
            sealed_private_key,
            _shares(members, sealed_shares, [0]),
            [m.public_key for m in members],
        )


def test_held_share_round_trip(members, tender):
    _, _, sealed_shares = tender
    (share,) = _shares(members, sealed_shares, [0])
    held = sealing.held_share_protect(share, secret="settings-secret", context="tender:7")
    assert share.to_bytes() not in held
    assert sealing.held_share_recover(held, secret="settings-secret", context="tender:7") == share
    with pytest.raises(SealingError):
        sealing.held_share_recover(held, secret="settings-secret", context="tender:8")
    with pytest.raises(SealingError):
        sealing.held_share_recover(held, secret="another-secret", context="tender:7")


def test_canonical_json_is_stable():
    offer = {"total": Decimal("1500.50"), "boq": [{"code": "A1", "rate": Decimal("10.00")}]}
    reordered = {"boq": [{"rate": Decimal("10.00"), "code": "A1"}], "total": Decimal("1500.50")}
    canonical = sealing.canonical_json(offer)
    assert canonical == sealing.canonical_json(reordered)
    assert canonical == b'{"boq":[{"code":"A1","rate":"10.00"}],"total":"1500.50"}'
    # What the opening parses back hashes the same as what was submitted.
    import json

    assert sealing.canonical_json(json.loads(canonical)) == canonical
    assert sealing.canonical_json({"name": "عرض"}) == '{"name":"عرض"}'.encode()
    with pytest.raises(TypeError):
        sealing.canonical_json({"x": object()})


def test_receipt_hash_is_salted():
    canonical = sealing.canonical_json({"total": Decimal("1500.50")})
    salt = sealing.receipt_salt()
    digest = sealing.receipt_hash(salt, canonical)
    assert digest == hashlib.sha256(salt + canonical).hexdigest()
    assert digest != hashlib.sha256(canonical).hexdigest()
    assert sealing.receipt_hash(sealing.receipt_salt(), canonical) != digest


def test_errors_are_translated_messages():
    from django.utils import translation

    with translation.override("en"):
        assert str(NotEnoughShares().message) == (
            "Two different committee members are needed to open the bids."
        )
        assert str(WrongPassphrase().message) == "The opening passphrase is not correct."


def test_passphrase_change_keeps_the_key_pair(members, tender):
    public_key, sealed_private_key, sealed_shares = tender
    changed = sealing.member_passphrase_change(members[0], PASSPHRASES[0], "a brand new passphrase")
    assert changed.public_key == members[0].public_key
    assert changed.salt != members[0].salt
    with pytest.raises(WrongPassphrase):
        sealing.member_private_key(changed, PASSPHRASES[0])
    with pytest.raises(WrongPassphrase):
        sealing.member_passphrase_change(members[0], "not it", "whatever else")
    # The share sealed before the change still opens with the new passphrase.
    share = sealing.share_open(
        sealed_shares[0], sealing.member_private_key(changed, "a brand new passphrase")
    )
    (other,) = _shares(members, sealed_shares, [1])
    private = sealing.tender_private_key_rebuild(sealed_private_key, [share, other])
    assert sealing.public_key_of(private) == public_key
