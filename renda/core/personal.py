"""Citizens' phone numbers, and the addresses messages go to, encrypted at rest.

A database copy, a backup or an administrator with SQL access sees ``s1:`` and base64, never a
number. The cipher is AES-SIV (RFC 5297, from pyca/cryptography): deterministic authenticated
encryption whose synthetic IV is a keyed hash (S2V, CMAC) of the number. Deterministic is what
makes it a lookup too: the same number encrypts to the same text, so ``filter(phone=...)``, the
"once per phone" unique constraints and the per-phone limits work in SQL as before, and nothing
else has to be kept in step (a separate hash column would have to be, by every ``update()``).
What that costs is what any lookup hash costs: rows with the same number are visibly the same
number. The plaintext is padded with NULs to a multiple of 32 bytes first, so a mobile number
and a landline encrypt to the same length.

The key is derived (HKDF-SHA256) from ``settings.PERSONAL_DATA_KEY``, kept outside the database
like SECRET_KEY: embedded installations make a random one in var/ (0600), production refuses to
start without it and ``check --deploy`` refuses a weak one (renda.E004). It is not in backups
(renda/site/backups.py): keep it with the other keys. Losing it loses the phone numbers; changing
it needs ``manage.py rekey_personal_data`` with the old key in ``PERSONAL_DATA_OLD_KEY``.

Only whole-value lookups work on an encrypted column (exact, in, isnull): ``contains`` and the
like cannot, and raise instead of silently finding nothing.
"""

from __future__ import annotations

import base64
import functools
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import FieldError
from django.db import models
from django.utils.datastructures import DictWrapper

PREFIX = "s1:"
BLOCK = 32  # plaintext padded to a multiple of this many bytes
TAG = 16  # AES-SIV's synthetic IV
INFO = b"renda personal data v1"
ASSOCIATED = [b"renda"]
LOOKUPS = frozenset({"exact", "in", "isnull"})


class UnreadableData(Exception):
    """Ciphertext that this installation's key did not make (another key, or altered)."""


@functools.cache
def _cipher(secret: str) -> AESSIV:
    key = HKDF(algorithm=hashes.SHA256(), length=64, salt=None, info=INFO).derive(secret.encode())
    return AESSIV(key)


def _current() -> AESSIV:
    return _cipher(str(settings.PERSONAL_DATA_KEY))


def seal(text: str, *, cipher: AESSIV | None = None) -> str:
    """The stored form of ``text`` ('' stays '')."""
    if not text:
        return ""
    data = text.encode()
    padded = data + b"\0" * (-len(data) % BLOCK)
    return PREFIX + base64.b64encode((cipher or _current()).encrypt(padded, ASSOCIATED)).decode()


def unseal(stored: str, *, cipher: AESSIV | None = None) -> str:
    """The text of a stored value. A value without the prefix is returned as it is (a row
    written before encryption, until its migration has run)."""
    if not stored or not stored.startswith(PREFIX):
        return stored
    try:
        padded = (cipher or _current()).decrypt(base64.b64decode(stored[len(PREFIX) :]), ASSOCIATED)
    except (InvalidTag, ValueError):
        raise UnreadableData("个人信息无法解密：PERSONAL_DATA_KEY 与写入时不同（见 docs/deploy.md“密钥”）") from None
    return padded.rstrip(b"\0").decode()


def sealed_length(max_length: int) -> int:
    """Column width for a plaintext of at most ``max_length`` characters (4 bytes each at worst)."""
    padded = -(-max_length * 4 // BLOCK) * BLOCK
    return len(PREFIX) + 4 * -(-(TAG + padded) // 3)


class EncryptedCharField(models.CharField):  # type: ignore[type-arg]
    """A CharField whose column holds ``seal(value)``. ``max_length`` is the plaintext's (forms
    and validation see the number); the column is as wide as the ciphertext needs."""

    description = "Text encrypted at rest (AES-SIV)"

    def db_type_parameters(self, connection: Any) -> DictWrapper:  # type: ignore[type-arg]
        width = sealed_length(self.max_length or 0)
        return DictWrapper({**self.__dict__, "max_length": width}, connection.ops.quote_name, "qn_")

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return value if value is None else unseal(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return seal(value) if isinstance(value, str) and value else value

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name not in LOOKUPS:
            raise FieldError(
                f"{self.model.__name__}.{self.name} 为加密存储，只能按整值查找（exact/in/isnull），不能用 {lookup_name}"
            )
        return super().get_lookup(lookup_name)


def encrypted_columns() -> list[tuple[type[models.Model], EncryptedCharField]]:
    """Every model field stored encrypted, for rekeying and the storage test."""
    from django.apps import apps

    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedCharField)
    ]


def reseal_column(cursor: Any, table: str, column: str, *, old: AESSIV | None, new: AESSIV | None) -> int:
    """Rewrite one column in place: ``old=None`` reads clear text, ``new=None`` writes clear text
    (the migrations' forward and backward steps); both given rekeys. Returns the rows changed."""
    cursor.execute(f"SELECT id, {column} FROM {table} WHERE {column} <> ''")  # noqa: S608 - names from the models
    changed = 0
    for pk, stored in cursor.fetchall():
        text = stored if old is None and not stored.startswith(PREFIX) else unseal(stored, cipher=old or _current())
        value = seal(text, cipher=new) if new is not None else text
        if value != stored:
            cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, pk])  # noqa: S608
            changed += 1
    return changed


def migrate_to_sealed(app_label: str, fields: dict[str, list[str]]) -> Any:
    """A RunPython pair for a migration that turns clear columns into encrypted ones:
    ``fields`` maps model name to field names."""

    def _run(apps: Any, schema_editor: Any, *, forward: bool) -> None:
        with schema_editor.connection.cursor() as cursor:
            for model_name, names in fields.items():
                model = apps.get_model(app_label, model_name)
                for name in names:
                    column = model._meta.get_field(name).column
                    table = schema_editor.quote_name(model._meta.db_table)
                    col = schema_editor.quote_name(column)
                    reseal_column(cursor, table, col, old=None, new=_current() if forward else None)

    def forward(apps: Any, schema_editor: Any) -> None:
        _run(apps, schema_editor, forward=True)

    def backward(apps: Any, schema_editor: Any) -> None:
        _run(apps, schema_editor, forward=False)

    return forward, backward
