"""Setting, resetting and changing passwords, end to end: the message goes out through a real
SMTP server started here (aiosmtpd) by the background job worker, and its link works once."""

from __future__ import annotations

import re
import socket
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from socialfabric.activity.models import Activity, Verb
from socialfabric.org.models import Member
from tests.helpers import run_jobs as deliver

pytestmark = pytest.mark.django_db(transaction=True)  # the job worker closes connections


def link_in(message) -> str:
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    url = re.search(r"http://testserver(/password/reset/\S+/)", text).group(1)
    assert f'href="http://testserver{url}"' in html  # the same link in both parts
    return url


def test_an_imported_member_sets_a_first_password_by_email(smtp, make_member):
    ada = make_member("ada", password=None)  # imported: no usable password
    assert not ada.has_usable_password()
    page = Client().post("/password/reset/", {"email": "ADA@example.org"})
    assert page.status_code == 302 and page["Location"] == "/password/reset/sent/"
    assert smtp.messages == []  # sent by the job, not by the request
    deliver()
    [message] = smtp.messages
    assert message["To"] == "ada@example.org" and "noreply@northwind.example" in message["From"]
    assert message["Subject"] == "Set your Social Fabric password"
    assert "Your handle for signing in: ada" in message.get_body(("plain",)).get_content()
    url = link_in(message)
    browser = Client()
    form = browser.get(url, follow=True)
    assert "Choose a password" in form.content.decode()
    done = browser.post(form.redirect_chain[-1][0], {"new_password1": "a-long-new-secret", "new_password2":
                                                     "a-long-new-secret"})
    assert done.status_code == 302 and done["Location"] == "/password/reset/done/"
    assert Client().login(username="ada", password="a-long-new-secret")
    assert Activity.objects.filter(verb=Verb.SET_PASSWORD, actor=ada, details={"via": "reset"}).exists()
    again = Client().get(url, follow=True)  # once only
    assert "This link no longer works" in again.content.decode()


def test_reset_says_the_same_for_unknown_addresses_and_sends_nothing(smtp, make_member):
    make_member("bea")
    gone = make_member("cid")
    Member.objects.filter(id=gone.id).update(is_active=False)
    for address in ("nobody@example.org", "cid@example.org"):
        page = Client().post("/password/reset/", {"email": address})
        assert page.status_code == 302 and page["Location"] == "/password/reset/sent/"
    deliver()
    assert smtp.messages == []
    page = Client().post("/password/reset/", {"email": "not an address"})
    assert page.status_code == 200 and "Enter a valid email address" in page.content.decode()


def test_a_member_resets_a_forgotten_password(smtp, make_member):
    make_member("dan", password="an-old-secret-1")
    Client().post("/password/reset/", {"email": "dan@example.org"})
    deliver()
    [message] = smtp.messages
    assert message["Subject"] == "Reset your Social Fabric password"
    browser = Client()
    form = browser.get(link_in(message), follow=True)
    browser.post(form.redirect_chain[-1][0], {"new_password1": "a-new-secret-22", "new_password2": "a-new-secret-22"})
    assert not Client().login(username="dan", password="an-old-secret-1")
    assert Client().login(username="dan", password="a-new-secret-22")


def test_changing_the_password_needs_the_old_one_and_is_recorded(make_member):
    eve = make_member("eve", password="first-secret-11")
    browser = Client()
    browser.force_login(eve)
    wrong = browser.post("/password/change/", {"old_password": "nope", "new_password1": "second-secret-22",
                                               "new_password2": "second-secret-22"})
    assert wrong.status_code == 400 and "incorrectly" in wrong.content.decode()
    ok = browser.post("/password/change/", {"old_password": "first-secret-11", "new_password1": "second-secret-22",
                                            "new_password2": "second-secret-22"})
    assert ok.status_code == 302
    assert Client().login(username="eve", password="second-secret-22")
    assert Activity.objects.filter(verb=Verb.SET_PASSWORD, actor=eve, details={"via": "change"}).exists()
    assert Client().get("/password/change/").status_code == 302  # signed out: to sign-in


def test_a_failing_mail_server_is_retried_later(settings, make_member):
    from django_tasks_db.models import DBTaskResult

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port, 2
    make_member("fay")
    Client().post("/password/reset/", {"email": "fay@example.org"})
    deliver()
    from socialfabric import mail

    sends = DBTaskResult.objects.filter(task_path=mail.deliver.module_path)
    first = sends.get(status="SUCCESSFUL")  # its part done: the next attempt is queued
    retry = sends.get(status="READY")
    assert retry.args_kwargs["args"][:2] == first.args_kwargs["args"][:2] == ["fay@example.org",
                                                                              "Reset your Social Fabric password"]
    assert retry.args_kwargs["args"][4] == 2
    assert (retry.run_after - first.finished_at).total_seconds() > 55  # a minute later, not at once


def test_import_with_invite_sends_set_password_links(smtp, settings, tmp_path, make_member):
    settings.SOCIALFABRIC_SITE_URL = "https://social.northwind.example"
    make_member("kept", password="has-a-password-1")
    staff = tmp_path / "staff.csv"
    staff.write_text("id,name,email\nE1,Ada Lovelace,ada@northwind.example\nE2,No Mail,\n")
    out = StringIO()
    call_command("import_people", str(staff), "--invite", "--no-progress", stdout=out)
    assert "Invited 1 people to set a password" in out.getvalue()
    deliver()
    [message] = smtp.messages
    assert message["To"] == "ada@northwind.example" and message["Subject"] == "Set your Social Fabric password"
    text = message.get_body(("plain",)).get_content()
    url = re.search(r"https://social\.northwind\.example(/password/reset/\S+/)", text).group(1)
    browser = Client()
    form = browser.get(url, follow=True)
    browser.post(form.redirect_chain[-1][0], {"new_password1": "ada-chooses-this", "new_password2": "ada-chooses-this"})
    assert Client().login(username="ada", password="ada-chooses-this")
