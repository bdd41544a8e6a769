"""`socialfabric insights report` on files: outputs, window, privacy and bad input."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from socialfabric.insights.analysis import loader

PEOPLE = """\ufeffid,unit,level,stakeholder,manager,leader,shoe_size
a,Sales,1,employee,,true,42
b,Sales,2,employee,a,,40
c,Sales,3,employee,b,,41
d,"Research, Europe",2,employee,a,,39
e,"Research, Europe",3,employee,d,false,38
f,,,customer,,,37
g,Sales,3,employee,b,,36
h,"Research, Europe",3,employee,d,,35
"""

INTERACTIONS = """source,target,timestamp,kind,weight,thread,extra
a,b,2024-01-02T09:00:00Z,post,1,t1,x
f,c,2024-01-03T10:00:00Z,question,1,t2,x
c,f,2024-01-03T12:00:00Z,reply,2,t2,x
d,f,2024-01-03T13:00:00+01:00,reply,1,t2,x
b,a,2024-02-01T09:00:00,reply,1,t1,x
e,d,2024-04-05,mention,,t3,x
a,zz,2024-04-06T09:00:00Z,reply,1,t3,x
c,c,2024-04-06T09:00:00Z,reply,1,t3,x
f,g,2024-05-01T09:00:00Z,question,1,t4,x
h,e,2024-05-02T09:00:00Z,reply,1,t5,x
"""


def run(*args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "socialfabric"
    return subprocess.run([str(exe), "insights", "report", "--quiet", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def files(tmp_path):
    people = tmp_path / "people.csv"
    inter = tmp_path / "interactions.csv"
    people.write_text(PEOPLE, encoding="utf-8")
    inter.write_text(INTERACTIONS, encoding="utf-8")
    return people, inter


def test_json_report_from_files(files, tmp_path):
    people, inter = files
    out = tmp_path / "r.json"
    done = run("--people", str(people), "--interactions", str(inter), "--format", "json",
               "--out", str(out), "--window", "month", "--min-group", "1")
    assert done.returncode == 0, done.stderr
    r = json.loads(out.read_text())
    assert r["counts"]["people"] == 8
    assert r["counts"]["interactions"] == 8  # unknown id and self-interaction dropped
    assert r["counts"]["dropped_unknown"] == 1 and r["counts"]["dropped_self"] == 1
    assert "shoe_size" in done.stderr and "extra" in done.stderr  # unknown columns, once
    assert done.stderr.count("shoe_size") == 1
    assert set(r["silos"]["unit"]["groups"]) == {"Sales", "Research, Europe"}
    # Two questions by the customer: t2 answered after 2 h (c), t4 answered never (censored).
    q = r["boundary"]["questions"]
    assert q["count"] == 2 and q["answered"] == 1 and q["answer_rate"] == 0.5
    assert q["median_hours"] is None or q["median_hours"] >= 2
    assert r["boundary"]["cross_stakeholder_share"] == pytest.approx(1 / 5)  # t2 only
    assert [w["window"] for w in r["trend"]["windows"]] == ["2024-01", "2024-02", "2024-04",
                                                            "2024-05"]
    assert r["leadership"]["leaders"] == 3  # a (true), b and d (level 2 default); e is false
    assert r["stages"]["reached"] in (None, "internal", "external", "harmonise", "grow")


def test_since_until_and_csv(files, tmp_path):
    people, inter = files
    out = tmp_path / "r.csv"
    done = run("--people", str(people), "--interactions", str(inter), "--format", "csv",
               "--out", str(out), "--since", "2024-02-01", "--until", "2024-05-01",
               "--min-group", "1")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(out.open()))
    by_id = {r["id"]: r for r in rows}
    assert float(by_id["b"]["initiated"]) == 1 and float(by_id["e"]["initiated"]) == 1
    assert float(by_id["a"]["initiated"]) == 0  # a's January post is outside the window


def test_privacy_small_groups(files, tmp_path):
    people, inter = files
    out = tmp_path / "r.json"
    assert run("--people", str(people), "--interactions", str(inter), "--out", str(out),
               "--min-group", "4").returncode == 0
    r = json.loads(out.read_text())
    assert r["silos"]["unit"]["groups"]["Research, Europe"] == {"people": None,
                                                                "suppressed": True}
    assert r["silos"]["unit"]["groups"]["Sales"]["people"] == 4
    listed = {p["id"] for p in r["network"]["influencers"]}
    assert listed <= {"a", "b", "c", "g"}  # only people in groups of 4 or more
    out_csv = tmp_path / "r.csv"
    assert run("--people", str(people), "--interactions", str(inter), "--out", str(out_csv),
               "--format", "csv", "--anonymise", "--min-group", "4").returncode == 0
    ids = [r["id"] for r in csv.DictReader(out_csv.open())]
    assert len(ids) == 4 and all(i.startswith("p-") for i in ids)


def test_html_is_self_contained(files, tmp_path):
    people, inter = files
    out = tmp_path / "r.html"
    assert run("--people", str(people), "--interactions", str(inter), "--format", "html",
               "--out", str(out), "--window", "month", "--min-group", "1").returncode == 0
    page = out.read_text()
    assert page.index("Findings") < page.index("<svg")
    assert page.count("<svg") >= 5  # heatmap, Lorenz, flow bars, trend, units map
    assert "<script" not in page and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")


def _bad(tmp_path, people: str | bytes, inter: str | bytes, *extra: str):
    p, i = tmp_path / "p.csv", tmp_path / "i.csv"
    for path, body in ((p, people), (i, inter)):
        path.write_bytes(body if isinstance(body, bytes) else body.encode())
    done = run("--people", str(p), "--interactions", str(i), "--out", str(tmp_path / "o.json"),
               *extra)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    return done.stderr, p, i


@pytest.mark.parametrize(("people", "inter", "extra", "where", "words"), [
    ("name,unit\na,x\n", "source,target\na,a\n", (), "p.csv, row 1", "missing required column: id"),
    ("id\na\nb\n", "source\na\n", (), "i.csv, row 1", "missing required column: target"),
    ("id\na\nb\n", "source,target\na,zz\n", ("--strict",), "i.csv, row 2", "unknown person id 'zz'"),
    ("id,level\na,1\nb,two\n", "source,target\na,b\n", (), "p.csv, row 3", "level 'two'"),
    ("", "source,target\n", (), "p.csv", "empty"),
    ("id\na\nb\n", "", (), "i.csv", "empty"),
    ("id\na\nb\n", "source,target\n", (), "i.csv", "no interactions"),
    ("id\na\nb\na\n", "source,target\na,b\n", (), "p.csv, row 4", "listed twice"),
    ("id\na\nb\n", "source,target,weight\na,b,1\nb,a,-2\n", (), "i.csv, row 3", "positive"),
    ("id\na\nb\n", "source,target,weight\na,b,heavy\n", (), "i.csv, row 2", "not a number"),
    ("id\na\nb\n", "source,target,timestamp\na,b,yesterday\n", (), "i.csv, row 2", "ISO 8601"),
    ("id\na\nb\n", "source,target\na,b,c\n", (), "i.csv, row 2", "expected 2 fields"),
    ("id,stakeholder\na,alien\n", "source,target\na,a\n", (), "p.csv, row 2", "stakeholder"),
])
def test_bad_input(tmp_path, people, inter, extra, where, words):
    err, _, _ = _bad(tmp_path, people, inter, *extra)
    assert where in err and words in err


def test_binary_junk(tmp_path):
    junk = bytes(range(256)) * 4
    err, _, _ = _bad(tmp_path, junk, "source,target\n")
    assert "p.csv" in err and ("not UTF-8" in err or "NUL" in err)
    err, _, _ = _bad(tmp_path, "id\na\nb\n", b"source,target\na,b\n\x00\xff\xfe,\x01\n")
    assert "i.csv" in err and ("not UTF-8" in err or "NUL" in err)


def test_missing_file_and_bad_dates(tmp_path):
    p, i = tmp_path / "p.csv", tmp_path / "i.csv"
    p.write_text("id\na\nb\n")
    i.write_text("source,target\na,b\n")
    done = run("--people", str(tmp_path / "nope.csv"), "--interactions", str(i),
               "--out", str(tmp_path / "o.json"))
    assert done.returncode != 0 and "nope.csv: file not found" in done.stderr
    done = run("--people", str(p), "--interactions", str(i), "--out", str(tmp_path / "o.json"),
               "--since", "soon")
    assert done.returncode != 0 and "--since 'soon'" in done.stderr


def test_loader_streams_in_chunks(tmp_path, monkeypatch):
    """Row numbers stay right across chunk boundaries, blank lines included."""
    monkeypatch.setattr(loader, "CHUNK_ROWS", 3)
    monkeypatch.setattr(loader, "CHUNK_BYTES", 20)  # blocks of about two rows
    p = tmp_path / "p.csv"
    p.write_text("id\n" + "".join(f"p{i}\n" for i in range(10)))
    people = loader.read_people(p)
    i = tmp_path / "i.csv"
    body = "source,target,weight\n" + "p0,p1,1\n" * 4 + "\n" + "p1,p2,1\n" * 3 + "p2,p3,0\n"
    i.write_text(body)
    with pytest.raises(loader.InputFileError) as exc:
        loader.read_interactions(i, people)
    assert exc.value.row == 10  # header 1, 4 rows, a blank line, 3 rows, then the bad one
    i.write_text(body.replace("p2,p3,0", "p2,p3,2").replace("p1,p2,1", '"p1",p2,1', 1))
    inter = loader.read_interactions(i, people)  # quotes: the csv path from there on
    assert inter.m == 8 and inter.weight.sum() == 9 and inter.rows_read == 8
