"""PostgreSQL: the audit log refuses UPDATE always, and TRUNCATE unless unlocked.

0002's function returned OLD on an unlocked UPDATE (the row stayed as it was, silently), and
TRUNCATE skipped the row triggers altogether.  Now an UPDATE is refused even under
``ftu.audit.maintenance()`` (retention only ever deletes), and TRUNCATE meets a statement
trigger that the same transaction-local unlock lifts (the test suite's flush uses it).
SQLite has no TRUNCATE; its triggers are unchanged.
"""

from django.db import migrations

PG_UP = [
    """CREATE OR REPLACE FUNCTION ftu_audit_refuse() RETURNS trigger AS $$
       BEGIN
         IF TG_OP <> 'UPDATE' AND current_setting('ftu.audit_unlock', true) = 'on' THEN
           IF TG_OP = 'DELETE' THEN
             RETURN OLD;
           END IF;
           RETURN NULL;
         END IF;
         RAISE EXCEPTION 'the audit log is append-only';
       END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER ftu_audit_no_truncate BEFORE TRUNCATE ON ftu_auditevent
       FOR EACH STATEMENT EXECUTE FUNCTION ftu_audit_refuse();""",
]
PG_DOWN = [
    "DROP TRIGGER IF EXISTS ftu_audit_no_truncate ON ftu_auditevent;",
    """CREATE OR REPLACE FUNCTION ftu_audit_refuse() RETURNS trigger AS $$
       BEGIN
         IF current_setting('ftu.audit_unlock', true) = 'on' THEN
           RETURN OLD;
         END IF;
         RAISE EXCEPTION 'the audit log is append-only';
       END; $$ LANGUAGE plpgsql;""",
]


def up(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_UP:
            schema_editor.execute(sql)


def down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_DOWN:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("ftu", "0003_clock")]
    operations = [migrations.RunPython(up, down)]
