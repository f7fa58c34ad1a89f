"""Database triggers that refuse UPDATE and DELETE on the audit log.

They can be lifted only for one transaction by ftu.audit.maintenance() (retention purge):
on PostgreSQL through a transaction-local setting, on SQLite through a function that only
the application's own connections register.
"""

from django.db import migrations

SQLITE_UP = [
    """CREATE TRIGGER ftu_audit_no_update BEFORE UPDATE ON ftu_auditevent
       WHEN ftu_audit_unlocked() = 0
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;""",
    """CREATE TRIGGER ftu_audit_no_delete BEFORE DELETE ON ftu_auditevent
       WHEN ftu_audit_unlocked() = 0
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS ftu_audit_no_update;",
    "DROP TRIGGER IF EXISTS ftu_audit_no_delete;",
]
PG_UP = [
    """CREATE OR REPLACE FUNCTION ftu_audit_refuse() RETURNS trigger AS $$
       BEGIN
         IF current_setting('ftu.audit_unlock', true) = 'on' THEN
           RETURN OLD;
         END IF;
         RAISE EXCEPTION 'the audit log is append-only';
       END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER ftu_audit_no_update BEFORE UPDATE OR DELETE ON ftu_auditevent
       FOR EACH ROW EXECUTE FUNCTION ftu_audit_refuse();""",
]
PG_DOWN = [
    "DROP TRIGGER IF EXISTS ftu_audit_no_update ON ftu_auditevent;",
    "DROP FUNCTION IF EXISTS ftu_audit_refuse();",
]


def up(apps, schema_editor):
    statements = PG_UP if schema_editor.connection.vendor == "postgresql" else SQLITE_UP
    for sql in statements:
        schema_editor.execute(sql)


def down(apps, schema_editor):
    statements = PG_DOWN if schema_editor.connection.vendor == "postgresql" else SQLITE_DOWN
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("ftu", "0001_initial")]
    operations = [migrations.RunPython(up, down)]
