"""Lean writes for hot paths: the same rows, fewer round trips, no ORM query compilation.

`Batch` is the one write path: the caller adds rows built by each row's own builder (the
booking, `core.audit.build`, `notifications.services.build_message`, `capacity.live.new_claim`)
and statements (the ledger's `take_place_statement`); PostgreSQL gets them in one round trip,
other databases one by one through the ORM.

`python -m bench.cpu` measured a booking at 5.7 ms of application CPU, most of it Django
compiling ten small statements (about 0.3-0.5 ms each) and waiting for ten round trips. Here
each INSERT's SQL is built once per model from its fields, its values are prepared by the
fields themselves (`pre_save`, `get_db_prep_save`: defaults, auto_now_add and JSON as the ORM
does), and the statements of one step are sent together: PostgreSQL runs them in order, in
the caller's transaction, and a failing statement (a unique index, a check) raises the same
IntegrityError as the ORM would and aborts the rest.

Only for PostgreSQL (`enabled()`); other databases use the ORM code paths unchanged. None of
these models has save() overrides or signal receivers that such an INSERT would skip.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import connections, models, router


def enabled(model) -> bool:
    return connections[router.db_for_write(model)].vendor == "postgresql"


_PLAIN_VALUES = {
    models.CharField: (str,),
    models.TextField: (str,),
    models.EmailField: (str,),
    models.BooleanField: (bool,),
    models.IntegerField: (int,),
    models.BigIntegerField: (int,),
    models.PositiveIntegerField: (int,),
    models.PositiveSmallIntegerField: (int,),
    models.SmallIntegerField: (int,),
    models.BigAutoField: (int,),
    models.DateField: (dt.date,),
    models.TimeField: (dt.time,),
    models.DateTimeField: (dt.datetime,),
    models.ForeignKey: (int,),
}
_PLAIN = set(_PLAIN_VALUES)


class RowInsert:
    """INSERT of one row of `model` from an unsaved instance; the SQL is built once."""

    def __init__(self, model, *, ignore_conflicts: bool = False, returning_pk: bool = True):
        meta = model._meta
        self.model = model
        self.fields = [f for f in meta.concrete_fields if f is not meta.auto_field]
        self.columns = [f.column for f in self.fields]
        self.table = meta.db_table
        self.pk_column = meta.pk.column
        self.ignore_conflicts = ignore_conflicts
        self.returning_pk = returning_pk

        # Fields whose Python value psycopg takes as it is (the ORM's preparation returns it
        # unchanged for these types): read straight from the instance; the others (JSON,
        # auto_now(_add), anything else) go through the field's own preparation.
        self.plain = [
            type(f) in _PLAIN
            and not getattr(f, "auto_now", False)
            and not getattr(f, "auto_now_add", False)
            for f in self.fields
        ]
        self._sql: dict = {}

    def values(self, obj, connection) -> list:
        out = []
        for f, plain in zip(self.fields, self.plain, strict=True):
            value = getattr(obj, f.attname)
            if (
                not plain
                or not (value is None or type(value) in _PLAIN_VALUES[type(f)])
                or (type(value) is dt.datetime and value.tzinfo is None)  # the ORM warns
            ):
                value = f.get_db_prep_save(f.pre_save(obj, True), connection)
            out.append(value)
        return out

    def sql(self, overrides: dict[str, str] | None = None, source: str = "") -> str:
        """`overrides`: column -> SQL expression used instead of a parameter (then the values
        of those columns are left out of the parameters: see `params`)."""
        key = (tuple(sorted((overrides or {}).items())), source)
        sql = self._sql.get(key)
        if sql is None:
            sql = self._sql[key] = self._build_sql(overrides, source)
        return sql

    def _build_sql(self, overrides: dict[str, str] | None, source: str) -> str:
        overrides = overrides or {}
        cols = ", ".join(f'"{c}"' for c in self.columns)
        exprs = ", ".join(overrides.get(c, "%s") for c in self.columns)
        if source:
            body = f"SELECT {exprs} FROM {source}"
        else:
            body = f"VALUES ({exprs})"
        sql = f'INSERT INTO "{self.table}" ({cols}) {body}'
        if self.ignore_conflicts:
            sql += " ON CONFLICT DO NOTHING"
        if self.returning_pk:
            sql += f' RETURNING "{self.pk_column}"'
        return sql

    def params(self, obj, connection, overrides: dict[str, str] | None = None) -> list:
        values = self.values(obj, connection)
        if not overrides:
            return values
        return [v for c, v in zip(self.columns, values, strict=True) if c not in overrides]


_inserts: dict = {}


def row_insert(model, **options) -> RowInsert:
    key = (model, tuple(sorted(options.items())))
    insert = _inserts.get(key)
    if insert is None:
        insert = _inserts[key] = RowInsert(model, **options)
    return insert


@dataclass
class Statement:
    sql: str
    params: list
    returns_row: bool = False


def run_batch(model, statements: list[Statement]) -> list[tuple[tuple | None, int]]:
    """Send the statements in one round trip; (first row or None, rowcount) for each."""
    connection = connections[router.db_for_write(model)]
    sql = ";\n".join(s.sql for s in statements)
    params = [p for s in statements for p in s.params]
    results = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for i, statement in enumerate(statements):
            if i:
                cursor.nextset()
            row = cursor.fetchone() if statement.returns_row else None
            results.append((row, cursor.rowcount))
    return results


class Batch:
    """The statements of one step, in order, in the caller's transaction: `insert()` an unsaved
    instance (as its builder made it), `execute()` a statement of SQL; `run()` sends them and
    returns each one's row count. PostgreSQL: one round trip (`run_batch`); elsewhere the ORM's
    INSERTs and the statements one by one. A failing statement raises the same IntegrityError
    either way and the rest are not run.
    """

    def __init__(self, model):
        self.model = model
        self.steps: list[tuple] = []

    def insert(self, obj, *, ignore_conflicts: bool = False, returning_pk: bool = False) -> None:
        self.steps.append(("insert", obj, ignore_conflicts, returning_pk))

    def execute(self, sql: str, params: list) -> None:
        self.steps.append(("sql", sql, params))

    def run(self) -> list[int]:
        connection = connections[router.db_for_write(self.model)]
        if connection.vendor != "postgresql":
            return [self._run_one(step, connection) for step in self.steps]
        statements = []
        for step in self.steps:
            if step[0] == "sql":
                statements.append(Statement(step[1], step[2]))
                continue
            _, obj, ignore_conflicts, returning_pk = step
            insert = row_insert(
                type(obj), ignore_conflicts=ignore_conflicts, returning_pk=returning_pk
            )
            statements.append(
                Statement(insert.sql(), insert.params(obj, connection), returns_row=returning_pk)
            )
        results = run_batch(self.model, statements)
        for step, (row, _count) in zip(self.steps, results, strict=True):
            if step[0] == "insert" and step[3]:
                obj = step[1]
                obj.pk = row[0]
                obj._state.adding = False
                obj._state.db = connection.alias
        return [count for _row, count in results]

    @staticmethod
    def _run_one(step: tuple, connection) -> int:
        if step[0] == "sql":
            with connection.cursor() as cursor:
                cursor.execute(step[1], step[2])
                return cursor.rowcount
        _, obj, ignore_conflicts, _returning = step
        if ignore_conflicts:
            type(obj).objects.bulk_create([obj], ignore_conflicts=True)
        else:
            obj.save(force_insert=True)
        return 1
