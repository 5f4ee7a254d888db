"""The node's change capture: SQLite triggers write a NodeChange row in the transaction of every
write to a table the office owns, so a committed change is never lost (a crash after commit
keeps both) and an uncommitted one is never sent. While central rows are being applied
(NodeState.applying), the triggers stay quiet."""

from django.db import connection

from loket.sync.models import NodeState
from loket.sync.ownership import NODE_ID_TABLES, NODE_TABLES, office_id_base

_OPS = {"I": ("INSERT", "NEW"), "U": ("UPDATE", "NEW"), "D": ("DELETE", "OLD")}


def trigger_sql(table: str, op: str) -> str:
    event, row = _OPS[op]
    holder = f"{row}.holder" if table == "capacity_liveplace" else "''"
    quiet = "COALESCE((SELECT applying FROM sync_nodestate WHERE id = 1), 0) = 0"
    return (
        f'CREATE TRIGGER IF NOT EXISTS "sync_{table}_{op.lower()}" AFTER {event} ON "{table}" '
        f"WHEN {quiet} BEGIN "
        f'INSERT INTO sync_nodechange ("table", row_id, op, holder) '
        f"VALUES ('{table}', {row}.id, '{op}', {holder}); END"
    )


def install_triggers() -> None:
    """Create the node's triggers and its state row (idempotent). SQLite only."""
    if connection.vendor != "sqlite":
        raise RuntimeError("An office node runs on the embedded SQLite database.")
    NodeState.objects.get_or_create(pk=1)
    with connection.cursor() as cursor:
        for table, (_label, ops) in NODE_TABLES.items():
            for op in ops:
                cursor.execute(trigger_sql(table, op))


def drop_triggers() -> None:
    with connection.cursor() as cursor:
        for table, (_label, ops) in NODE_TABLES.items():
            for op in ops:
                cursor.execute(f'DROP TRIGGER IF EXISTS "sync_{table}_{op.lower()}"')


def reserve_office_ids(office_pk: int) -> None:
    """Start the node's own rows at the office's id range (kept at the central site)."""
    base = office_id_base(office_pk)
    with connection.cursor() as cursor:
        for table in NODE_ID_TABLES:
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            found = cursor.fetchone()
            if found is None:
                cursor.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, base]
                )
            elif found[0] < base:
                cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [base, table])
