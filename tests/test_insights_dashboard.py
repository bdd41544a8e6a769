"""The Insights dashboard: reports queued by analysts and admins, computed by the background
worker (never on a request), cached, and read back through pages, downloads and the API."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from html import escape

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from socialfabric.communities import services as communities
from socialfabric.conversations import services as conv
from socialfabric.errors import Conflict, Forbidden, InvalidInput, NotFound
from socialfabric.insights import services
from socialfabric.insights.analysis.report import pseudonym
from socialfabric.insights.models import Report, ReportStatus
from socialfabric.org.models import Member
from tests.helpers import failing_act

PASSWORD = "correct-horse-battery"


@pytest.fixture
def analyst(make_member, unit):
    return make_member("ana", unit=unit, level=2, is_analyst=True)


@pytest.fixture
def admin(make_member):
    return make_member("root", level=None, is_staff=True)


@pytest.fixture
def activity(alice, bob, carol, make_member, secret_community, two_units_talking):
    """Two units talking in an open community; a secret community with one very busy member."""
    people = two_units_talking
    ghost = make_member("ghost", unit=people[0].unit, level=3)
    communities.add_member(alice, secret_community, ghost)
    communities.add_member(alice, secret_community, bob)
    for p in people:
        communities.add_member(alice, secret_community, p)
    secret = conv.create_post(alice, secret_community, title="Initech", body="We acquire Initech.")
    for p in [bob, *people]:
        reply = conv.create_reply(ghost, secret.id, body=f"@{p.handle} acquire them all")
        conv.react(ghost, reply.id, "like")
    return {"people": people, "ghost": ghost, "secret_root": secret}


def login(member) -> Client:
    c = Client()
    assert c.login(username=member.handle, password=PASSWORD)
    return c


def queue_and_run(member, **params) -> Report:
    report = services.request_report(member, services.parse_request(**params))
    assert report.status == ReportStatus.QUEUED
    assert services.run_queue() >= 1
    report.refresh_from_db()
    return report


def rows():
    return {"reports": Report.objects.count()}


# ------------------------------------------------------------------------ access

@pytest.mark.parametrize("path", ["/insights/", "/insights/reports/1/", "/insights/reports/1/report.json",
                                  "/insights/reports/1/report.html", "/insights/reports/1/status/"])
def test_members_who_are_not_analysts_or_admins_are_refused(activity, bob, analyst, path):
    queue_and_run(analyst, min_group=1)
    response = login(bob).get(path)
    assert response.status_code == 403
    assert "Only analysts and admins can see the insights." in response.content.decode()
    assert "Findings" not in response.content.decode()
    api = login(bob).get("/api/v1/insights/reports/latest")
    assert api.status_code == 403 and api.json()["error"]["code"] == "forbidden"


def test_insights_link_only_for_analysts_and_admins(bob, analyst, admin):
    assert 'href="/insights/"' not in login(bob).get("/").content.decode()
    assert 'href="/insights/"' in login(analyst).get("/").content.decode()
    assert 'href="/insights/"' in login(admin).get("/").content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(db):
    response = Client().get("/insights/")
    assert response.status_code == 302 and "/signin/" in response["Location"]
    assert Client().get("/api/v1/insights/reports").status_code == 401


def test_services_refuse_members_without_the_right(bob, alice):
    fail = failing_act(rows)
    fail(Forbidden, services.request_report, bob, services.parse_request())
    with pytest.raises(Forbidden):
        services.latest(bob)
    with pytest.raises(Forbidden):
        services.history(alice)


# ----------------------------------------------------------- queue and background

def test_asking_queues_and_the_worker_computes(activity, analyst):
    report = services.request_report(analyst, services.parse_request(min_group=1))
    assert report.status == ReportStatus.QUEUED and report.result is None
    assert services.latest(analyst) is None
    assert services.run_queue() == 1
    report.refresh_from_db()
    assert report.status == ReportStatus.READY, report.error
    assert report.result["counts"]["people"] == report.people > 0
    assert report.interactions == report.result["counts"]["interactions"] > 0
    assert report.finished_at >= report.started_at >= report.requested_at
    assert services.latest(analyst).id == report.id
    assert services.run_queue() == 0  # nothing left


def test_no_page_or_api_request_computes(activity, analyst, admin, monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("a report was computed on a request")

    monkeypatch.setattr(services, "analyse", boom)
    c = login(analyst)
    assert c.get("/insights/").status_code == 200
    response = c.post("/insights/reports/", {"since": "", "until": "", "window": "month", "min_group": "5"})
    assert response.status_code == 302
    report = Report.objects.get()
    for path in ("/insights/", f"/insights/reports/{report.id}/", f"/insights/reports/{report.id}/status/",
                 "/api/v1/insights/reports", f"/api/v1/insights/reports/{report.id}"):
        assert c.get(path, HTTP_HX_REQUEST="true").status_code == 200, path
    assert login(admin).get(f"/insights/reports/{report.id}/").status_code == 200
    report.refresh_from_db()
    assert report.status == ReportStatus.QUEUED


def test_the_same_request_waiting_is_not_queued_twice(analyst, admin):
    first = services.request_report(analyst, services.parse_request(window="quarter"))
    again = services.request_report(admin, services.parse_request(window="quarter"))
    other = services.request_report(admin, services.parse_request(window="month"))
    assert again.id == first.id and other.id != first.id
    assert Report.objects.count() == 2


def test_too_many_waiting_reports_is_a_conflict(analyst):
    for min_group in range(1, services.MAX_WAITING + 1):
        services.request_report(analyst, services.parse_request(min_group=min_group))
    fail = failing_act(rows)
    err = fail(Conflict, services.request_report, analyst, services.parse_request(min_group=99))
    assert err.code == "busy"


def test_a_report_is_claimed_by_one_worker_only(analyst):
    report = services.request_report(analyst, services.parse_request())
    claimed = services.claim_next()
    assert claimed.id == report.id and claimed.status == ReportStatus.RUNNING
    assert services.claim_next() is None


@pytest.mark.parametrize(("raised", "message"), [
    (InvalidInput("the platform has no members yet: nothing to analyse"),
     "the platform has no members yet: nothing to analyse"),
    (RuntimeError("bug"), "internal error (details in the server log)"),
    (MemoryError(), "not enough memory for this report"),
])
def test_a_failing_computation_is_recorded_and_the_queue_goes_on(analyst, monkeypatch, raised, message):
    calls = []

    def analyse(req, **kwargs):
        calls.append(req)
        if len(calls) == 1:
            raise raised
        return {"counts": {"people": 3, "interactions": 4}, "stages": {"reached": None},
                "timing_seconds": 0.1}

    monkeypatch.setattr(services, "analyse", analyse)
    bad = services.request_report(analyst, services.parse_request(window="month"))
    good = services.request_report(analyst, services.parse_request(window="quarter"))
    assert services.run_queue() == 2
    bad.refresh_from_db()
    good.refresh_from_db()
    assert (bad.status, bad.error, bad.result) == (ReportStatus.FAILED, message, None)
    assert good.status == ReportStatus.READY and good.people == 3
    page = login(analyst).get(f"/insights/reports/{bad.id}/").content.decode()
    assert f"Report {bad.id} failed" in page and escape(message) in page


def test_a_report_left_running_by_a_dead_worker_is_retried_once(analyst):
    report = services.request_report(analyst, services.parse_request())
    services.claim_next()
    long_ago = timezone.now() - services.STALE_AFTER - timedelta(minutes=1)
    Report.objects.filter(id=report.id).update(started_at=long_ago)
    assert services.recover_stale() == 1
    report.refresh_from_db()
    assert report.status == ReportStatus.QUEUED and "interrupted" in report.error
    services.claim_next()
    Report.objects.filter(id=report.id).update(started_at=long_ago)
    services.recover_stale()
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED and "twice" in report.error
    # A fresh running one is left alone.
    fresh = services.request_report(analyst, services.parse_request(window="quarter"))
    services.claim_next()
    assert services.recover_stale() == 0
    fresh.refresh_from_db()
    assert fresh.status == ReportStatus.RUNNING


def test_a_report_whose_worker_process_died_on_this_host_is_requeued_at_once(analyst):
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # exited and reaped: its pid no longer exists
    dead_pid = child.pid
    with pytest.raises(ProcessLookupError):
        os.kill(dead_pid, 0)
    dead = services.request_report(analyst, services.parse_request(window="month"))
    alive = services.request_report(analyst, services.parse_request(window="quarter"))
    services.claim_next()
    services.claim_next()
    host = services.worker_id().rpartition(":")[0]
    Report.objects.filter(id=dead.id).update(worker=f"{host}:{dead_pid}")
    Report.objects.filter(id=alive.id).update(worker=services.worker_id())  # this very process
    other_host = services.request_report(analyst, services.parse_request(min_group=7))
    services.claim_next()
    Report.objects.filter(id=other_host.id).update(worker=f"elsewhere.example:{dead_pid}")
    assert services.recover_stale() == 1
    states = dict(Report.objects.values_list("id", "status"))
    assert states == {dead.id: ReportStatus.QUEUED, alive.id: ReportStatus.RUNNING,
                      other_host.id: ReportStatus.RUNNING}


def test_schedule_queues_a_refresh_only_when_due(analyst, settings):
    settings.SOCIALFABRIC_INSIGHTS_REFRESH_HOURS = 24
    settings.SOCIALFABRIC_INSIGHTS_DAYS = 90
    scheduled = services.schedule_due()
    assert scheduled is not None and scheduled.requested_by is None
    assert scheduled.since == timezone.now().date() - timedelta(days=90) and scheduled.until is None
    assert services.schedule_due() is None  # one waiting is enough
    Report.objects.update(status=ReportStatus.READY, requested_at=timezone.now() - timedelta(hours=25))
    assert services.schedule_due() is not None  # stale: refresh
    settings.SOCIALFABRIC_INSIGHTS_REFRESH_HOURS = 0
    Report.objects.all().delete()
    assert services.schedule_due() is None  # refresh switched off


@pytest.mark.django_db(transaction=True)  # the worker closes connections between jobs
def test_the_worker_runs_the_schedule_and_the_queue(activity, settings):
    """`socialfabric worker --batch`: the start hook begins the refresh chain, the refresh queues
    the scheduled report with its job, the job computes it, and the next refresh waits an hour."""
    settings.SOCIALFABRIC_INSIGHTS_REFRESH_HOURS = 24
    call_command("worker", "--batch", "--interval", "0")
    report = Report.objects.get()
    assert report.status == ReportStatus.READY and report.requested_by is None
    waiting = DBTaskResult.objects.filter(status="READY", task_path__startswith="socialfabric.insights.")
    assert [j.task_path for j in waiting] == [services.refresh.module_path]  # (digests and retention wait beside it)
    assert waiting[0].run_after > timezone.now() + timedelta(minutes=59)
    call_command("worker", "--batch", "--interval", "0")  # a second start adds no second chain
    assert waiting.count() == 1 and Report.objects.count() == 1


def test_no_refresh_chain_when_switched_off(db, settings):
    settings.SOCIALFABRIC_INSIGHTS_REFRESH_HOURS = 0
    services.start_refresh()
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db(transaction=True)  # the worker closes connections between jobs
def test_a_job_left_running_by_a_killed_worker_runs_again(activity, analyst):
    """kill -9 leaves a job running: the next worker on the host requeues it (its pid is gone),
    and the job, being idempotent, computes the report once."""
    from socialfabric.jobs import recovery

    services.request_report(analyst, services.parse_request(min_group=1))
    dead_pid = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True).stdout.strip()
    host = recovery.worker_id().rpartition(":")[0]
    job = DBTaskResult.objects.get()
    job.claim(f"{host}:{dead_pid}")  # as the killed worker left it
    Report.objects.update(status=ReportStatus.RUNNING, started_at=timezone.now(), worker=f"{host}:{dead_pid}")
    call_command("worker", "--batch", "--interval", "0")
    job.refresh_from_db()
    assert job.status == "SUCCESSFUL" and len(job.worker_ids) == 2
    assert Report.objects.get().status == ReportStatus.READY
    # A job whose workers died MAX_ATTEMPTS times is given up, not run forever.
    again = services.compute_reports.enqueue()
    stuck = DBTaskResult.objects.get(id=again.id)
    for _ in range(recovery.MAX_ATTEMPTS):
        stuck.claim(f"{host}:{dead_pid}")
    assert recovery.requeue_abandoned() == (0, 1)
    stuck.refresh_from_db()
    assert stuck.status == "FAILED"


@pytest.mark.parametrize(("params", "field"), [
    ({"since": "2026-13-01"}, "since"),
    ({"until": "yesterday"}, "until"),
    ({"since": "2026-05-01", "until": "2026-05-01"}, "since"),
    ({"window": "week"}, "window"),
    ({"min_group": 0}, "min_group"),
    ({"min_group": "five"}, "min_group"),
    ({"min_group": True}, "min_group"),
])
def test_bad_requests_are_refused_with_the_field(params, field):
    with pytest.raises(InvalidInput) as info:
        services.parse_request(**params)
    assert info.value.field == field


# ------------------------------------------------------------------------ privacy

def test_secret_communities_never_enter_a_report(activity, analyst, tmp_path):
    report = queue_and_run(analyst, min_group=1)
    result = report.result
    ghost = activity["ghost"]
    everyone = [r["id"] for r in result["network"]["influencers"]]
    for rows_ in result["network"]["brokers"].values():
        everyone += [r["id"] for r in rows_]
    assert ghost.handle not in everyone
    text = json.dumps(result)
    for word in ("Merger Talks", "Initech", "acquire", "merger-talks"):
        assert word not in text
    # The CLI with --include-secret sees the secret interactions: so they were really left out.
    out = tmp_path / "all.json"
    call_command("insights", "report", "--quiet", "--include-secret", "--min-group", "1",
                 "--format", "json", "--out", str(out))
    with_secret = json.loads(out.read_text())
    assert with_secret["counts"]["interactions"] > result["counts"]["interactions"]
    assert "interactions in secret communities are left out" in result["notes"]


def test_names_for_analysts_pseudonyms_for_other_admins(activity, analyst, admin):
    report = queue_and_run(analyst, min_group=1)
    names = [r["id"] for r in report.result["network"]["influencers"]]
    assert names and "bob" in names + [r["id"] for r in report.result["network"]["brokers"]["betweenness"]]
    as_analyst = login(analyst).get(f"/insights/reports/{report.id}/").content.decode()
    standalone = login(analyst).get(f"/insights/reports/{report.id}/report.html").content.decode()
    for handle in names:  # people read names, not handles; the link goes to the profile
        name = Member.objects.get(handle=handle).name
        assert name != handle and f'<a href="/people/{handle}/">{escape(name)}</a>' in as_analyst
        assert f"<tr><td>{escape(name)}</td>" in standalone
        assert f">{handle}</a>" not in as_analyst
    as_admin = login(admin).get(f"/insights/reports/{report.id}/").content.decode()
    cells = set(re.findall(r"<tr><td>([^<]+)</td>", as_admin))
    assert {pseudonym(h) for h in names} <= cells
    real = set(Member.objects.filter(handle__in=names).values_list("name", flat=True))
    assert not cells & (set(names) | {escape(n) for n in real})
    assert "People are shown by pseudonym" in as_admin
    data = login(admin).get(f"/api/v1/insights/reports/{report.id}").json()
    assert [r["id"] for r in data["result"]["network"]["influencers"]] == [pseudonym(h) for h in names]
    assert data["result"]["settings"]["anonymised"] is True
    download = login(admin).get(f"/insights/reports/{report.id}/report.json").json()
    assert {r["id"] for r in download["network"]["influencers"]} == {pseudonym(h) for h in names}
    stored = Report.objects.get(id=report.id).result  # the cached copy keeps the names
    assert [r["id"] for r in stored["network"]["influencers"]] == names


# ------------------------------------------------------------------------ pages

def test_dashboard_shows_the_latest_findings_and_charts(activity, analyst):
    older = queue_and_run(analyst, min_group=1, window="quarter")
    report = queue_and_run(analyst, min_group=1)
    page = login(analyst).get("/insights/").content.decode()
    for sentence in report.result["findings"]:
        assert escape(sentence) in page
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg"') == 5
    for anchor in ("units", "participation", "hierarchy", "trend", "map", "people"):
        assert f'id="insights-{anchor}"' in page
    assert "Roadmap stage reached" in page
    assert f'href="/insights/reports/{older.id}/"' in page  # the history
    assert f'href="/insights/reports/{report.id}/report.html"' in page


def test_figures_are_rounded_for_people_and_defined_in_the_guide(activity, analyst):
    report = queue_and_run(analyst, min_group=1)
    page = login(analyst).get("/insights/").content.decode()
    main = page.split("<main", 1)[1]
    text = re.sub(r"<[^>]+>", " ", main)  # what people read, not the charts' coordinates
    # No figure with more than two significant decimals (0.57 and 0.075, never 0.568445).
    assert not re.findall(r"\b\d\.0*[1-9]\d{2,}|\d{2,}\.\d{2,}", text), "an unrounded figure"
    gini = report.result["participation"]["gini"]
    assert len(str(gini)) > 4 and f"Gini {gini:.2f}" in text
    # Each section links to its definition, and the guide is a page with those anchors.
    links = set(re.findall(r'href="/insights/guide/#([a-z0-9-]+)"', page))
    assert {"participation-participation", "hierarchy-flow-hierarchy", "the-roadmap-stage-stages"} <= links
    guide = login(analyst).get("/insights/guide/")
    assert guide.status_code == 200
    body = guide.content.decode()
    assert "<h1" in body and "Insights: collaboration network analytics" in body
    for anchor in links:
        assert f'id="{anchor}"' in body and f'href="#{anchor}"' in body  # the heading and the contents
    assert "<script>" not in body.split("<main", 1)[1]


def test_empty_dashboard_says_so(analyst):
    page = login(analyst).get("/insights/").content.decode()
    content = page.split("<main", 1)[1]  # the header's bell is an icon, not a chart
    assert "No report yet" in content and "<svg" not in content


def test_form_queues_and_redirects_to_the_waiting_report(analyst):
    c = login(analyst)
    response = c.post("/insights/reports/", {"since": "2026-01-01", "until": "2026-07-01",
                                              "window": "quarter", "min_group": "3"})
    report = Report.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/insights/reports/{report.id}/"
    assert (str(report.since), str(report.until), report.window, report.min_group, report.requested_by_id) == \
        ("2026-01-01", "2026-07-01", "quarter", 3, analyst.id)
    page = c.get(response["Location"]).content.decode()
    assert f"Report {report.id} is queued" in page
    assert f'hx-get="/insights/reports/{report.id}/status/"' in page
    assert '<noscript><meta http-equiv="refresh"' in page


@pytest.mark.parametrize(("form", "message"), [
    ({"since": "2026-02-30"}, "since must be a date like 2026-01-31."),
    ({"since": "2026-05-01", "until": "2026-04-01"}, "since must be before until."),
    ({"min_group": "0"}, "min_group must be a whole number from 1 to 1000."),
    ({"window": "decade"}, "window must be one of month, quarter."),
])
def test_form_errors_are_readable_and_write_nothing(analyst, form, message):
    response = login(analyst).post("/insights/reports/", form)
    assert response.status_code == 400
    page = response.content.decode()
    assert escape(message) in page
    if "window" not in form:  # the select has no invalid state to show
        assert 'aria-invalid="true"' in page
    assert Report.objects.count() == 0


def test_status_fragment_polls_then_reloads_when_ready(activity, analyst):
    c = login(analyst)
    report = services.request_report(analyst, services.parse_request(min_group=1))
    url = f"/insights/reports/{report.id}/status/"
    waiting = c.get(url, HTTP_HX_REQUEST="true")
    assert waiting.status_code == 200 and "is queued" in waiting.content.decode()
    assert "hx-trigger=\"every" in waiting.content.decode()
    services.run_queue()
    done = c.get(url, HTTP_HX_REQUEST="true")
    assert done.status_code == 204 and done["HX-Refresh"] == "true"
    plain = c.get(url)
    assert plain.status_code == 302 and plain["Location"] == f"/insights/reports/{report.id}/"


def test_downloads_are_the_standalone_report(activity, analyst):
    report = queue_and_run(analyst, min_group=1)
    c = login(analyst)
    html_ = c.get(f"/insights/reports/{report.id}/report.html")
    assert html_["Content-Disposition"] == f'attachment; filename="insights-{report.id}.html"'
    body = html_.content.decode()
    assert body.startswith("<!doctype html>") and body.count("<svg") == 5 and "<script" not in body
    data = c.get(f"/insights/reports/{report.id}/report.json").json()
    assert data["counts"] == report.result["counts"] and data["stages"] == report.result["stages"]


def test_downloads_of_a_waiting_report_go_back_to_its_page(analyst):
    report = services.request_report(analyst, services.parse_request())
    response = login(analyst).get(f"/insights/reports/{report.id}/report.json")
    assert response.status_code == 302 and response["Location"] == f"/insights/reports/{report.id}/"


def test_unknown_report_is_404(analyst):
    assert login(analyst).get("/insights/reports/999/").status_code == 404
    with pytest.raises(NotFound):
        services.get_report(analyst, "x")


# ------------------------------------------------------------------------ API

def test_api_queue_poll_and_read(activity, analyst):
    c = login(analyst)
    token = c.get("/api/v1/csrf").json()["csrf_token"]
    queued = c.post("/api/v1/insights/reports", json.dumps({"since": "2025-01-01", "min_group": 1}),
                    content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert queued.status_code == 202
    body = queued.json()
    assert body["status"] == "queued" and body["result"] is None and body["since"] == "2025-01-01"
    assert c.get("/api/v1/insights/reports/latest").status_code == 404
    services.run_queue()
    got = c.get(f"/api/v1/insights/reports/{body['id']}").json()
    assert got["status"] == "ready" and got["result"]["counts"]["people"] == got["people"]
    assert set(got["result"]) >= {"counts", "silos", "hierarchy", "participation", "network",
                                  "communities", "stages", "findings", "trend"}
    latest = c.get("/api/v1/insights/reports/latest").json()
    assert latest["id"] == body["id"]
    listing = c.get("/api/v1/insights/reports?limit=1").json()
    assert [r["id"] for r in listing["items"]] == [body["id"]] and "result" not in listing["items"][0]


@pytest.mark.parametrize(("payload", "status", "field"), [
    ({"since": "2026-05-01", "until": "2026-04-01"}, 400, "since"),
    ({"since": "not a date"}, 422, "since"),
    ({"window": "week"}, 422, "window"),
    ({"min_group": 0}, 422, "min_group"),
])
def test_api_bad_requests(analyst, payload, status, field):
    c = login(analyst)
    token = c.get("/api/v1/csrf").json()["csrf_token"]
    response = c.post("/api/v1/insights/reports", json.dumps(payload), content_type="application/json",
                      HTTP_X_CSRFTOKEN=token)
    assert response.status_code == status
    assert response.json()["error"]["field"] == field
    assert Report.objects.count() == 0


# ------------------------------------------------------------------------ CLI

def test_cli_refresh_computes_now(activity, capsys):
    call_command("insights", "refresh", "--min-group", "1")
    report = Report.objects.get()
    assert report.status == ReportStatus.READY and report.requested_by is None
    assert f"Report {report.id} ready" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)  # the worker closes connections between jobs
def test_cli_worker_batch_empties_the_queue(activity, analyst):
    services.request_report(analyst, services.parse_request(min_group=1))
    call_command("worker", "--batch", "--interval", "0")
    assert Report.objects.get().status == ReportStatus.READY
    assert DBTaskResult.objects.get(task_path=services.compute_reports.module_path).status == "SUCCESSFUL"


def test_cli_refresh_bad_date(db):
    with pytest.raises(CommandError, match="since must be a date"):
        call_command("insights", "refresh", "--since", "2026-02-30")
    assert Report.objects.count() == 0


def test_a_serving_process_starts_no_worker_thread():
    import threading

    import socialfabric.wsgi

    assert callable(socialfabric.wsgi.application)
    assert not [t for t in threading.enumerate() if "worker" in t.name]


def test_summary_line_reads_as_days(activity, analyst):
    report = queue_and_run(analyst, min_group=1)
    page = login(analyst).get("/insights/").content.decode()
    first, last = report.result["counts"]["first"][:10], report.result["counts"]["last"][:10]
    assert f"activity from {first} to {last}." in page
    assert re.search(r"Generated \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\.", page)
