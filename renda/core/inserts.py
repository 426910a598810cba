"""One new row stored with an INSERT that Django's own compiler wrote once per model and database.

``Model.objects.create()`` compiles its INSERT afresh every time: for a 30-column row that is a
quarter of a citizen's submission request (bench/README.md, intake). ``insert_one`` asks the
compiler once per (model, database), keeps the SQL it wrote (placeholders only, so it is the
same statement ``create()`` sends, in that backend's dialect), and for each row computes the
values as ``create()`` does (``pre_save`` with ``add=True`` for defaults, ``auto_now`` and the
like, then ``get_db_prep_save``) and reads the new primary key from ``RETURNING``.

Only for plain values and models nobody listens to: a model with ``pre_save``/``post_save``
receivers, a database that cannot return columns from an INSERT, or a value that is an
expression goes through ``save(force_insert=True)`` as before.
"""

from __future__ import annotations

from typing import Any

from django.db import connections, router
from django.db.models import Field, Model
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import InsertQuery

_statements: dict[tuple[type[Model], str], str] = {}


def _statement(model: type[Model], using: str, obj: Model, fields: list[Field[Any, Any]]) -> str:
    """The compiler's INSERT of ``fields`` (placeholders only) returning the pk, kept per model and database."""
    sql = _statements.get((model, using))
    if sql is None:
        query = InsertQuery(model)
        query.insert_values(fields, [obj])
        compiler = query.get_compiler(using=using)
        compiler.returning_fields = [model._meta.pk]
        [(sql, _params)] = compiler.as_sql()
        _statements[(model, using)] = sql
    return sql


def insert_one(obj: Model) -> None:
    """INSERT ``obj`` (a new instance with an auto primary key) and set its pk, as ``save()`` would."""
    model = type(obj)
    using = router.db_for_write(model, instance=obj)
    connection = connections[using]
    meta = model._meta
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field and not f.generated]
    plain = (
        meta.auto_field is not None
        and obj.pk is None
        and not meta.parents
        and connection.features.can_return_columns_from_insert
        and not pre_save.has_listeners(model)
        and not post_save.has_listeners(model)
        # F(), Now() and the like are compiled into the statement: create() does that.
        and not any(hasattr(getattr(obj, f.attname), "resolve_expression") for f in fields)
    )
    if not plain:
        obj.save(force_insert=True, using=using)
        return
    # The statement first: compiling it runs pre_save too, and the values below must be the last.
    sql = _statement(model, using, obj, fields)
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        value = cursor.fetchone()[0]
    pk = meta.pk
    assert pk is not None
    for converter in pk.get_db_converters(connection):
        value = converter(value, pk, connection)
    obj.pk = value
    obj._state.adding = False
    obj._state.db = using
