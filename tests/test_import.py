"""`socialfabric import people FILE.csv` and the importing service behind it."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from socialfabric.org.importing import ImportFailed, handle_base, import_people
from socialfabric.org.models import Member, Unit

HEADER = "id,name,email,unit,parent_unit,level,manager,stakeholder,organisation\n"
GOOD = HEADER + (
    "E1,Ada Lovelace,ada@example.com,Executive Office,,1,,,\n"
    "E2,Grace Hopper,Grace.Hopper@Example.com,Engineering,Executive Office,2,E1,employee,\n"
    "E3,Zoë Ørsted,,Platform,Engineering,3,E2,,\n"
    "E4,Ada Clone,ada@elsewhere.example,Platform,,4,E3,EMPLOYEE,\n"
    "C1,Chris Buyer,chris@acme.example,,,,,customer,Acme Ltd\n"
)


def write(tmp_path: Path, text: str | bytes, name: str = "people.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def errors_of(source) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(ImportFailed) as exc:
        import_people(source)
    return [(e.row, e.column, e.message) for e in exc.value.errors]


def test_happy_path_builds_people_units_and_reporting_lines(db, tmp_path):
    result = import_people(write(tmp_path, GOOD))
    assert (result.created, result.updated, result.unchanged, result.units_created) == (5, 0, 0, 3)
    people = {m.external_id: m for m in Member.objects.select_related("unit", "manager")}
    assert people["E1"].handle == "ada" and people["E4"].handle == "ada2"  # unique, from the email
    assert people["E3"].handle == "zoe.orsted"  # no email: from the name, ASCII, lower-case
    assert people["E2"].handle == "grace.hopper"
    assert people["E2"].manager == people["E1"] and people["E4"].manager == people["E3"]
    assert people["E3"].unit.name == "Platform" and people["E3"].level == 3
    assert people["C1"].stakeholder == "customer" and people["C1"].organisation == "Acme Ltd"
    assert people["C1"].unit is None and people["C1"].level is None
    assert people["E4"].stakeholder == "employee"
    assert not any(m.has_usable_password() for m in people.values())
    tree = {u.name: u.parent.name if u.parent else None for u in Unit.objects.select_related("parent")}
    assert tree == {"Executive Office": None, "Engineering": "Executive Office", "Platform": "Engineering"}
    assert Unit.objects.get(name="Platform").slug == "platform"


def test_reimport_is_idempotent_and_updates_by_id(db, tmp_path):
    import_people(write(tmp_path, GOOD))
    handles = dict(Member.objects.values_list("external_id", "handle"))
    again = import_people(write(tmp_path, GOOD))
    assert (again.created, again.updated, again.unchanged, again.units_created) == (0, 0, 5, 0)
    assert Member.objects.count() == 5 and Unit.objects.count() == 3
    changed = GOOD.replace("Ada Lovelace,ada@example.com", "Ada King,ada.king@example.com").replace(
        "Platform,Engineering,3,E2", "Platform,Engineering,3,E1")
    third = import_people(write(tmp_path, changed))
    assert (third.created, third.updated, third.unchanged) == (0, 2, 3)
    ada = Member.objects.get(external_id="E1")
    assert ada.name == "Ada King" and ada.email == "ada.king@example.com"
    assert dict(Member.objects.values_list("external_id", "handle")) == handles  # handles never move
    assert Member.objects.get(external_id="E3").manager.external_id == "E1"


def test_handles_avoid_existing_members_and_stay_valid(make_member, tmp_path):
    make_member("ada")
    import_people(write(tmp_path, HEADER + "X1,Ada Byron,ada@example.com,,,,,,\nX2,-- !!,,,,,,,\n"))
    assert Member.objects.get(external_id="X1").handle == "ada2"
    assert Member.objects.get(external_id="X2").handle == "member"
    assert handle_base("Jean-Luc.Picard+work@x.org", "") == "jean-luc.picard.work"
    assert handle_base("", "  Łukasz   Wójcik ") == "lukasz.wojcik"


def test_manager_may_be_a_member_imported_before(db, tmp_path):
    import_people(write(tmp_path, GOOD))
    import_people(write(tmp_path, HEADER + "E9,New Hire,new@example.com,Platform,,5,E3,,\n", "more.csv"))
    assert Member.objects.get(external_id="E9").manager.external_id == "E3"


def test_every_bad_row_is_reported_with_spreadsheet_row_numbers_and_nothing_is_written(db, tmp_path):
    text = HEADER + (
        "A1,Good Person,good@example.com,Sales,,3,,,\n"  # row 2: fine
        "A2,Bad Level,,Sales,,0,,,\n"  # row 3
        "A3,Bad Kind,,Sales,,3,,boss,\n"  # row 4
        "A4,Bad Mail,not-an-email,Sales,,3,,,\n"  # row 5
        "A1,Twin,,Sales,,3,,,\n"  # row 6: duplicate id
        "A5,Lost,,Sales,,3,NOPE,,\n"  # row 7: unknown manager
        ",No Id,,,,,,,\n"  # row 8
        "A6,,,,,,,,\n"  # row 9: no name
        "A7,Level Text,,Sales,,high,,,\n"  # row 10
        "A8,Org Missing,,,,,,supplier,\n"  # row 11
    )
    found = errors_of(write(tmp_path, text))
    where = {(row, col) for row, col, _ in found}
    assert where == {(3, "level"), (4, "stakeholder"), (5, "email"), (6, "id"), (7, "manager"), (8, "id"),
                     (9, "name"), (10, "level"), (11, "organisation")}
    messages = " ".join(m for _, _, m in found)
    assert "row 2" in messages  # the duplicate names where the id was first used
    assert "NOPE" in messages and "not-an-email" in messages and "boss" in messages
    assert [r for r, _, _ in found] == sorted(r for r, _, _ in found)
    assert Member.objects.count() == 0 and Unit.objects.count() == 0


def test_failed_reimport_changes_nothing(db, tmp_path):
    import_people(write(tmp_path, GOOD))
    before = list(Member.objects.order_by("id").values_list("name", "level", "manager_id", "unit_id"))
    bad = GOOD.replace("Ada Lovelace", "Renamed").replace(",4,E3,", ",four,E3,")
    assert [(r, c) for r, c, _ in errors_of(write(tmp_path, bad))] == [(5, "level")]
    assert list(Member.objects.order_by("id").values_list("name", "level", "manager_id", "unit_id")) == before


def test_cycles_in_units_and_reporting_lines_are_errors(db, tmp_path):
    units = HEADER + "U1,One,,Alpha,Beta,,,,\nU2,Two,,Beta,Alpha,,,,\n"
    found = errors_of(write(tmp_path, units))
    assert len(found) == 1 and found[0][:2] == (2, "parent_unit") and "circle" in found[0][2]
    conflict = HEADER + "U1,One,,Alpha,Beta,,,,\nU2,Two,,Alpha,Gamma,,,,\n"
    assert [(r, c) for r, c, _ in errors_of(write(tmp_path, conflict))] == [(3, "parent_unit")]
    managers = HEADER + "M1,One,,,,,M2,,\nM2,Two,,,,,M3,,\nM3,Three,,,,,M1,,\nM4,Self,,,,,M4,,\n"
    found = errors_of(write(tmp_path, managers))
    assert (2, "manager") in [(r, c) for r, c, _ in found] and "M1 → M2 → M3 → M1" in found[0][2]
    assert any(r == 5 and "own manager" in m for r, _, m in found)
    assert Member.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"\n\n  \n", "empty"),
        (HEADER.encode(), "no people"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
        (bytes(range(1, 32)) * 4, "binary"),
        ("id,name\nA1,Jos\xe9\n".encode("latin-1"), "not UTF-8"),
        (b"name,email\nAda,ada@example.com\n", "Missing required column: id"),
        (b"id,name,manger\nA,B,C\n", "Unknown column: manger"),
        (b"id,name,id\nA,B,C\n", "appears twice"),
    ],
)
def test_unusable_files_get_one_clear_message(db, tmp_path, content, expected):
    found = errors_of(write(tmp_path, content))
    assert len(found) >= 1 and expected in found[0][2]
    assert Member.objects.count() == 0


def test_missing_file_and_folder(db, tmp_path):
    assert "No such file" in errors_of(tmp_path / "nope.csv")[0][2]
    assert "folder" in errors_of(tmp_path)[0][2]


def test_bom_and_file_objects_and_blank_lines(db, tmp_path):
    data = ("\ufeff" + HEADER + "\n" + "B1,Bom Person,bom@example.com,Sales,,2,,,\n\n"
            "B2,Second,,Sales,,9x,,,\n").encode()
    # Blank lines still count as spreadsheet rows: B2 sits on row 5.
    assert [(r, c) for r, c, _ in errors_of(io.BytesIO(data))] == [(5, "level")]
    result = import_people(io.BytesIO(data.replace(b",9x,", b",3,")))
    assert result.created == 2
    assert Member.objects.get(external_id="B1").handle == "bom"
    # Text file objects too (an uploaded file decoded by a web layer).
    assert import_people(io.StringIO(HEADER + "B3,Text Person,,,,,,,\n")).created == 1


def test_progress_is_reported_for_big_files(db, tmp_path):
    rows = "".join(f"P{i},Person {i},,Unit {i % 7},,{1 + i % 5},{'P0' if i else ''},,\n" for i in range(1200))
    seen: list[tuple[str, int, int]] = []
    result = import_people(write(tmp_path, HEADER + rows), progress=lambda *a: seen.append(a))
    assert result.created == 1200 and Member.objects.filter(manager__external_id="P0").count() == 1199
    assert {s for s, _, _ in seen} == {"check", "write"} and seen[-1] == ("write", 1200, 1200)
    assert len(set(Member.objects.values_list("handle", flat=True))) == 1200


def test_command_prints_summary_and_fails_cleanly(db, tmp_path, capsys):
    call_command("import_people", str(write(tmp_path, GOOD)), "--no-progress")
    assert "5 created, 0 updated, 0 unchanged" in capsys.readouterr().out
    with pytest.raises(CommandError, match="Nothing was changed"):
        call_command("import_people", str(write(tmp_path, HEADER + "Z1,Zed,,,,0,,,\n", "bad.csv")))
    assert "row 2 [level]" in capsys.readouterr().err


def test_cli_exit_status_without_traceback(tmp_path):
    # No database is touched before the file is read, so the real CLI can run here.
    env = {**os.environ, "SOCIALFABRIC_VAR": str(tmp_path)}
    cli = Path(sys.executable).with_name("socialfabric")
    done = subprocess.run([str(cli), "import", "people", str(tmp_path / "missing.csv")], capture_output=True,
                          text=True, env=env, timeout=60)
    assert done.returncode == 1
    assert "No such file" in done.stderr and "Traceback" not in done.stderr


def _many(n: int, manager_of=lambda i: f"P{i - 1}" if i else "") -> str:
    rows = [f"P{i},Person {i},person{i}@example.com,Unit {i % 3},,,{manager_of(i)},," for i in range(n)]
    return HEADER + "\n".join(rows) + "\n"


@pytest.mark.skipif(os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="SQLite's chunked write")
def test_sqlite_import_writes_in_short_transactions_that_let_other_writers_in(transactional_db, tmp_path,
                                                                             monkeypatch):
    """Between two chunks the write lock is free (a web request's write gets in), a handle taken
    meanwhile is picked again inside the lock, and the result is the same as one transaction."""
    from django.db import connection

    from socialfabric.activity.models import Activity, Verb
    from socialfabric.org import importing

    monkeypatch.setattr(importing, "SQLITE_CHUNK", 4)
    seen_in_transaction = []

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "write" and done == 4:
            seen_in_transaction.append(connection.in_atomic_block)
            # Another writer takes the handle row P7 was going to get.
            Member.objects.create_user("person7", "someone@example.org", None, name="Came in between")

    result = import_people(write(tmp_path, _many(10)), progress=progress)
    assert seen_in_transaction == [False]  # no transaction open between chunks: the lock is free
    assert result.created == 10 and Member.objects.filter(external_id__startswith="P").count() == 10
    assert Member.objects.get(external_id="P7").handle == result.handles["P7"] != "person7"
    assert Member.objects.get(handle="person7").name == "Came in between"
    assert Member.objects.get(external_id="P9").manager.external_id == "P8"
    assert Activity.objects.filter(verb=Verb.IMPORT_PEOPLE).count() == 1
    again = import_people(write(tmp_path, _many(10, manager_of=lambda i: "P0" if i else "")))
    assert (again.created, again.updated, again.unchanged) == (0, 8, 2)  # P1 reported to P0 already
    details = Activity.objects.filter(verb=Verb.IMPORT_PEOPLE).latest("id").details
    assert (details["updated"], details["unchanged"]) == (8, 2)


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="PostgreSQL")
def test_postgresql_import_is_one_transaction(db, tmp_path, monkeypatch):
    """On PostgreSQL nothing is chunked: a failure at the very last step (reporting lines)
    leaves no member, unit or activity row behind."""
    from socialfabric.activity.models import Activity
    from socialfabric.bulk import BulkWriter

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(BulkWriter, "update_rows", fail)
    with pytest.raises(RuntimeError):
        import_people(write(tmp_path, _many(10)))
    assert not Member.objects.filter(external_id__startswith="P").exists()
    assert not Unit.objects.exists() and not Activity.objects.exists()
