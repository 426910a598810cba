"""The sealed ballot box (电子票箱): a phone ballot is stored only as a libsodium sealed box.

While a vote is open, who voted (``Participation``) and the sealed ballot are written in the same
transaction (a deputy told "已投票" always has a ballot in the box), so the database may well show
which sealed ballot is whose: it cannot show what any of them says. Each vote has its own X25519
key pair, derived from ``settings.BALLOT_SEAL_KEY`` (kept outside the database) and a random salt
stored on the vote; the database holds the public half only. Every plaintext is padded to one
length per vote, so not even the size of a sealed ballot tells a long choice from a short one.

At close the box is opened once: the plain choices are written in shuffled order with no
receipt, deputy or time beside them, the trackers (receipt codes) in another shuffled order, the
sealed rows deleted and the salt erased, so the key cannot be derived again from anything
stored. The construction is libsodium's (PyNaCl): nothing here is home-made cryptography.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
from typing import Any

from django.conf import settings
from nacl.encoding import RawEncoder
from nacl.exceptions import CryptoError
from nacl.hash import blake2b
from nacl.public import PrivateKey, PublicKey, SealedBox

from renda.core.errors import Conflict

TRACKER_LENGTH = 16  # hex digits of the receipt code the voter keeps
_PERSON = b"renda-ballot-v1"  # domain separation for the key derivation (at most 16 bytes)
_ENTRY_BOUND = 20  # no canonical entry is longer: '"100":"abstain",' is 16, '"100":1000,' is 11


def new_salt() -> str:
    return secrets.token_hex(32)


def _master() -> bytes:
    return hashlib.sha256(str(settings.BALLOT_SEAL_KEY).encode()).digest()


def _private_key(vote_id: int, salt: str) -> PrivateKey:
    if not salt:
        raise Conflict("该事项的电子票箱已经启封，启封密钥已销毁")
    seed = blake2b(f"{vote_id}|{salt}".encode(), key=_master(), person=_PERSON, digest_size=32, encoder=RawEncoder)
    return PrivateKey.from_seed(seed)


def public_key_hex(vote_id: int, salt: str) -> str:
    return bytes(_private_key(vote_id, salt).public_key).hex()


def padded_length(n_options: int) -> int:
    """One plaintext length for every ballot of a vote with ``n_options`` options."""
    return 64 * math.ceil((64 + _ENTRY_BOUND * n_options) / 64)


def seal(public_hex: str, choices: Any, *, n_options: int) -> tuple[bytes, str]:
    """The sealed ballot and its tracker (the receipt code): the voter cannot prove from the
    tracker what the ballot says, as the box's ephemeral key is discarded by libsodium."""
    plain = json.dumps(choices, sort_keys=True, separators=(",", ":")).encode()
    size = padded_length(n_options)
    if len(plain) > size:  # pragma: no cover - the bound above covers every canonical ballot
        raise ValueError("ballot longer than its padded length")
    sealed = SealedBox(PublicKey(bytes.fromhex(public_hex))).encrypt(plain.ljust(size, b" "))
    return bytes(sealed), hashlib.sha256(sealed).hexdigest()[:TRACKER_LENGTH]


def opener(vote_id: int, salt: str) -> SealedBox[PrivateKey]:
    return SealedBox(_private_key(vote_id, salt))


def unseal(box: SealedBox[PrivateKey], sealed: bytes | memoryview) -> Any:
    try:
        return json.loads(box.decrypt(bytes(sealed)))
    except (CryptoError, ValueError):
        raise Conflict("电子选票无法启封：选票封存密钥（BALLOT_SEAL_KEY）与开始表决时不同，请联系系统管理员") from None
