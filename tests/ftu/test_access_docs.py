"""docs/access.md and README.md carry the access table generated from ftu/policy.py."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from ftu import accessdocs
from ftu.policy import POLICY, Cap, markdown_table


def test_access_table_prints_the_policy() -> None:
    out = StringIO()
    call_command("access_table", stdout=out)
    assert out.getvalue() == markdown_table()
    # One row per capability, in the order of the table in the code.
    rows = [line for line in out.getvalue().splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == [cap.value for cap in POLICY]
    assert "| `audit.view` | Read the audit log | FTU secretariat: coordinators |" in rows


@pytest.mark.parametrize("path", accessdocs.documents(), ids=lambda p: p.name)
def test_document_table_matches_the_code(path: Path) -> None:
    table = accessdocs.embedded_table(path.read_text(encoding="utf-8"))
    assert table is not None, f"{path.name} has lost its access-table markers"
    assert table == markdown_table(), (
        f"{path.name} is out of date with ftu/policy.py: run `manage.py access_table --write`"
    )


def test_a_changed_policy_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    # The check above can fail: a capability granted to one more pair changes the table.
    import ftu.policy

    text = accessdocs.documents()[0].read_text(encoding="utf-8")
    changed = dict(POLICY)
    changed[Cap.AUDIT_VIEW] = (*POLICY[Cap.AUDIT_VIEW], ("police", "coordinator"))
    monkeypatch.setattr(ftu.policy, "POLICY", changed)
    assert accessdocs.embedded_table(text) != markdown_table()


def test_write_refreshes_only_the_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = tmp_path / "access.md"
    doc.write_text(f"# Intro\n\n{accessdocs.START}\n| old |\n{accessdocs.END}\n\nOutro\n")
    monkeypatch.setattr(accessdocs, "documents", lambda: [doc])
    call_command("access_table", "--write", stdout=StringIO())
    text = doc.read_text()
    assert text.startswith("# Intro\n\n") and text.endswith("\n\nOutro\n")
    assert accessdocs.embedded_table(text) == markdown_table()
    assert "| old |" not in text
