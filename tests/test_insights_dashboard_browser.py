"""The Insights dashboard in Chromium, on the demo organisation, with the real background
worker (django-tasks-db's, as `socialfabric worker` runs it) computing the reports while the
page waits for them."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from socialfabric import demo
from socialfabric.insights.models import Report, ReportStatus
from socialfabric.org.models import Member, Unit
from tests.browser import CHART_LABELS, labels_clash, no_horizontal_scroll, painted, shot, sign_in

# The shape that carries each chart's data (html.py), by aria-label.
CHARTS = dict(zip(CHART_LABELS, ("rect", "polyline", "rect.bar", "polyline.trend", "circle.unit"), strict=True))
WAIT_MS = 90_000  # the worker polls every second here; a report on the demo takes a few

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_org(settings):
    today = datetime.now(UTC).date().isoformat()
    call_command("demo", "--members", "150", "--seed", "3", "--until", today, "--no-progress")
    # The demo's password hash is made for the real hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher",
                                 "django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def background():
    """The job worker `socialfabric worker` runs, in a thread of this process so that it shares
    the test database: start hooks first (the refresh chain), then jobs as they come."""
    from django.db import connections
    from django_tasks_db.management.commands.db_worker import Worker

    from socialfabric import jobs
    from socialfabric.jobs import recovery

    runner = Worker(queue_names=["*"], interval=1.0, batch=False, backend_name="default", startup_delay=False,
                    max_tasks=None, worker_id=recovery.worker_id(), excluded_queue_names=[])

    def work() -> None:
        try:
            runner.run()
        finally:
            connections.close_all()

    thread = threading.Thread(target=work, name="jobs-worker", daemon=True)

    def start() -> None:
        jobs.worker_started()
        thread.start()

    yield start
    runner.running = False
    thread.join(30)


def sign_in_as_admin(page: Page, base: str, then: str) -> None:
    sign_in(page, base, demo.ADMIN_LOGIN, then, password=demo.DEMO_PASSWORD)


def assert_charts_drawn(page: Page) -> None:
    for label, shape in CHARTS.items():
        svg = page.locator(f'main svg[aria-label="{label}"]')
        expect(svg).to_have_count(1)
        expect(svg).to_be_visible()
        box = svg.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 50, (label, box)
        assert painted(svg, shape, area=True) > 0, label


def test_dashboard_shows_the_demo_organisations_findings(live_server, browser, demo_org, background,
                                                         settings):
    settings.SOCIALFABRIC_INSIGHTS_REFRESH_HOURS = 24  # the worker queues the first report itself
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in_as_admin(page, live_server.url, "/")
    background()
    page.get_by_role("link", name="Insights").click()
    expect(page).to_have_url(live_server.url + "/insights/")
    # Either ready already, or the waiting notice reloads the page when it is.
    findings = page.locator("ul.findings li")
    expect(findings.first).to_be_visible(timeout=WAIT_MS)

    report = Report.objects.get(status=ReportStatus.READY)
    assert report.requested_by is None  # the scheduled refresh, computed by the job worker
    assert report.people == 150
    expect(findings).to_have_count(len(report.result["findings"]))
    for i, sentence in enumerate(report.result["findings"]):
        expect(findings.nth(i)).to_have_text(sentence)
    assert "people initiated at least one interaction" in report.result["findings"][0]
    stage = report.result["stages"]["reached"] or "none yet"
    expect(page.locator("main .stage")).to_have_text(f"Roadmap stage reached: {stage.capitalize()}")
    assert_charts_drawn(page)
    units = Unit.objects.count()
    assert page.locator('main svg[aria-label^="Units sized"] circle.unit').count() == min(units, 40)
    # The admin of the demo is an analyst: influencers are named and linked to their profiles.
    first = report.result["network"]["influencers"][0]["id"]
    name = Member.objects.get(handle=first).name
    expect(page.locator("#insights-people").get_by_role("link", name=name, exact=True).first) \
        .to_have_attribute("href", f"/people/{first}/")
    assert labels_clash(page.locator('main svg[aria-label^="Units sized"]')) == []
    # On a wide screen every chart fits its card: nothing to scroll sideways.
    assert page.locator("main .chart-scroll").evaluate_all(
        "boxes => boxes.every(e => e.scrollWidth <= e.clientWidth)")
    shot(page, "insights-dashboard")
    # Findings come before the charts.
    assert findings.last.bounding_box()["y"] < page.locator("main svg.chart").first.bounding_box()["y"]
    assert errors == []
    page.close()


def test_asking_for_a_report_updates_the_page_when_it_is_ready(live_server, browser, demo_org, background,
                                                               settings):
    settings.SOCIALFABRIC_INSIGHTS_REFRESH_HOURS = 0  # only what is asked for
    page = browser.new_page(viewport={"width": 360, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in_as_admin(page, live_server.url, "/insights/")
    expect(page.get_by_role("heading", name="No report yet")).to_be_visible()
    page.get_by_label("From").fill("2000-01-01")
    page.get_by_label("Trend by").select_option("quarter")
    page.get_by_role("button", name="Compute in the background").click()
    expect(page).to_have_url(re.compile(r"/insights/reports/\d+/$"))
    report = Report.objects.get()
    expect(page.locator(f"#insights-status-{report.id}")).to_contain_text("queued")
    assert report.status == ReportStatus.QUEUED  # nothing was computed by the request
    background()  # the worker starts; the page polls and reloads itself when the report is ready
    expect(page.locator("ul.findings li").first).to_be_visible(timeout=WAIT_MS)
    report.refresh_from_db()
    assert report.status == ReportStatus.READY and report.window == "quarter"
    trend = page.locator('main svg[aria-label="Headline metrics per window"]')
    expect(trend).to_contain_text(re.compile(r"\d{4}-Q[1-4]"))
    assert_charts_drawn(page)
    shot(page, "insights-dashboard-360")
    assert no_horizontal_scroll(page)
    # On a phone the wide tables and the dense charts scroll in their own box, not the page.
    for box in (page.locator("main .table-scroll").first, page.locator("main .chart-scroll").first):
        assert box.evaluate("e => e.scrollWidth > e.clientWidth && getComputedStyle(e).overflowX === 'auto'")
    # Every figure's definition is a page of the platform, a click away.
    page.locator("#insights-participation").get_by_role("link", name="How this is measured").click()
    expect(page).to_have_url(re.compile(r"/insights/guide/#participation"))
    expect(page.locator("h3#participation-participation")).to_be_in_viewport()
    assert no_horizontal_scroll(page)
    assert errors == []
    page.close()
