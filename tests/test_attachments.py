"""Files on posts and replies: judged by their content, images re-encoded without metadata and
previewed, served only after the read policy, all or nothing with their post, and gone from the
storage with it."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from socialfabric.activity.models import Activity
from socialfabric.attachments import services as attachments
from socialfabric.attachments.models import Attachment
from socialfabric.communities import services as communities
from socialfabric.conversations import services as conv
from socialfabric.conversations.models import Post
from socialfabric.errors import Conflict, Forbidden, InvalidInput, NotFound
from socialfabric.org import services as org
from tests.helpers import failing_act, login

HTMX = {"HTTP_HX_REQUEST": "true"}
GPS = 0x8825


@pytest.fixture(autouse=True)
def store(settings, tmp_path) -> Path:
    """Each test its own attachments folder, to look inside."""
    folder = tmp_path / "attachments"
    settings.STORAGES = {**settings.STORAGES, "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(folder)}}}
    return folder


def stored(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def photo_with_gps(name: str = "holiday.png", size=(2400, 1200)) -> SimpleUploadedFile:
    """A JPEG (whatever its name says) carrying a camera make and a GPS position."""
    image = Image.new("RGB", size, (200, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[GPS] = {1: "N", 2: (52.0, 22.0, 1.0), 3: "E", 4: (4.0, 53.0, 2.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=90)
    assert b"PhoneMaker" in out.getvalue()
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def docx(name: str = "plan.docx") -> SimpleUploadedFile:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return SimpleUploadedFile(name, out.getvalue(), content_type="application/octet-stream")


def pdf(name: str = "report.exe") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
                              content_type="application/x-msdownload")


def rows() -> dict[str, int]:
    return {"posts": Post.objects.count(), "files": Attachment.objects.count(), "acts": Activity.objects.count()}


# --- what is accepted, and as what ------------------------------------------------------------

def test_an_image_is_stored_without_its_metadata_previewed_and_shown_inline(alice, bob, open_community, store):
    post = attachments.create_post(alice, open_community, title="Offsite", body="Photos from the offsite",
                                   files=[photo_with_gps()])
    [a] = Attachment.objects.filter(post=post)
    assert (a.content_type, a.name, a.width, a.height) == ("image/jpeg", "holiday.png.jpg", 2400, 1200)
    assert stored(store) == [f"{post.id}/{a.key}", f"{post.id}/{a.key}-preview.webp"]
    kept = (store / a.file_name).read_bytes()
    assert b"PhoneMaker" not in kept and not Image.open(io.BytesIO(kept)).getexif()
    preview = Image.open(store / a.preview_name)
    assert preview.format == "WEBP" and max(preview.size) == 960 and a.preview_size == preview.size

    client = login(bob)
    page = client.get(reverse("web:post", args=[post.id])).content.decode()
    assert f'<img src="/files/{a.id}/preview.webp" alt="holiday.png.jpg" width="960" height="480"' in page
    shown = client.get(f"/files/{a.id}/holiday.png.jpg")
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"
    assert shown["Content-Disposition"].startswith("inline") and shown["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in shown["Content-Security-Policy"] and shown["Cache-Control"].startswith("private")
    assert b"".join(shown.streaming_content) == kept
    again = client.get(f"/files/{a.id}/holiday.png.jpg", HTTP_IF_NONE_MATCH=shown["ETag"])
    assert again.status_code == 304
    small = client.get(f"/files/{a.id}/preview.webp")
    assert small.status_code == 200 and small["Content-Type"] == "image/webp"
    # The feed shows it too, with one query for the page's files.
    assert f'src="/files/{a.id}/preview.webp"' in client.get(reverse("web:home")).content.decode()


@pytest.mark.parametrize(("upload", "content_type", "name"), [
    (pdf(), "application/pdf", "report.exe.pdf"),
    (docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "plan.docx"),
    (SimpleUploadedFile("figures.csv", b"month,sales\n2026-11,12\n"), "text/plain", "figures.csv"),
    (SimpleUploadedFile("page.txt", b"<html><script>alert(1)</script></html>", content_type="text/html"),
     "text/plain", "page.txt"),
    (SimpleUploadedFile("../../etc/pass\u202ewd.zip", b"PK\x03\x04" + b"\0" * 26), None, None),
])
def test_other_files_download_as_the_type_their_content_shows(alice, bob, open_community, upload, content_type,
                                                              name):
    if content_type is None:  # a ZIP header without an archive behind it is not a file we accept
        with pytest.raises(InvalidInput, match="is not a kind of file we accept"):
            attachments.create_post(alice, open_community, body="See attached", files=[upload])
        return
    post = attachments.create_post(alice, open_community, body="See attached", files=[upload])
    [a] = Attachment.objects.filter(post=post)
    assert (a.content_type, a.name, a.width) == (content_type, name, None)
    got = login(bob).get(f"/files/{a.id}/{a.name}")
    assert got.status_code == 200 and got["Content-Type"].startswith(content_type)
    assert got["Content-Disposition"].startswith("attachment") and got["X-Content-Type-Options"] == "nosniff"
    assert login(bob).get(f"/files/{a.id}/preview.webp").status_code == 404  # no preview for a non-image


def test_a_file_name_is_cleaned_of_folders_and_control_characters(alice, open_community):
    weird = SimpleUploadedFile("C:\\Users\\ana\\..\\Q3\u202e\u0007 plan .txt", b"plain words")
    post = attachments.create_post(alice, open_community, body="x", files=[weird])
    assert Attachment.objects.get(post=post).name == "Q3 plan .txt"


@pytest.mark.parametrize(("upload", "message"), [
    (SimpleUploadedFile("tool.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00program"), "is not a kind of file we accept"),
    (SimpleUploadedFile("empty.txt", b""), "is empty"),
    (SimpleUploadedFile("nul.txt", b"text\x00with a NUL"), "is not a kind of file we accept"),
])
def test_files_we_do_not_accept_are_refused_and_nothing_is_written(alice, open_community, store, upload, message):
    fail = failing_act(rows)
    fail(InvalidInput, attachments.create_post, alice, open_community, body="See attached",
         files=[SimpleUploadedFile("fine.txt", b"fine"), upload], field="attachments")
    assert stored(store) == []
    with pytest.raises(InvalidInput, match=message):
        attachments.create_post(alice, open_community, body="x", files=[upload])


def test_the_limits_hold(alice, open_community, store, settings):
    settings.SOCIALFABRIC_ATTACHMENT_MAX_BYTES = 1000
    with pytest.raises(InvalidInput, match="larger than"):
        attachments.create_post(alice, open_community, body="x", files=[SimpleUploadedFile("a.txt", b"a" * 1001)])
    settings.SOCIALFABRIC_ATTACHMENT_MAX_BYTES = 10_000_000
    settings.SOCIALFABRIC_ATTACHMENTS_PER_POST = 2
    many = [SimpleUploadedFile(f"{i}.txt", b"words") for i in range(3)]
    with pytest.raises(InvalidInput, match="at most 2 files"):
        attachments.create_post(alice, open_community, body="x", files=many)
    # A decompression bomb: a small PNG whose header claims 50,000 x 50,000 pixels.
    out = io.BytesIO()
    Image.new("1", (50_000, 50_000)).save(out, format="PNG")
    assert len(out.getvalue()) < 1_000_000
    with pytest.raises(InvalidInput, match="too many pixels"):
        attachments.create_post(alice, open_community, body="x", files=[SimpleUploadedFile("b.png", out.getvalue())])
    assert stored(store) == [] and Post.objects.count() == 0


def test_a_refused_post_leaves_no_file_behind(alice, open_community, secret_community, bob, store):
    fail = failing_act(rows)
    fail(InvalidInput, attachments.create_post, alice, open_community, body="   ", files=[photo_with_gps()],
         field="body")
    fail(NotFound, attachments.create_post, bob, secret_community, body="hi", files=[pdf()])
    assert stored(store) == []


def test_only_the_author_attaches_later_and_only_to_a_live_post(alice, bob, open_community, store):
    post = conv.create_post(alice, open_community, title="Plan", body="v1")
    fail = failing_act(rows)
    fail(Forbidden, attachments.attach, bob, post.id, [pdf()], field="post")
    added = attachments.attach(alice, post.id, [pdf(), docx()])
    assert [a.position for a in added] == [1, 2]
    act = Activity.objects.filter(verb="attach").get()
    assert (act.actor_id, act.object_id, act.details) == (alice.id, post.id, {"files": 2})
    conv.remove_post(alice, post.id)
    fail(Conflict, attachments.attach, alice, post.id, [pdf()], field="post")


# --- who may read them ------------------------------------------------------------------------

def test_a_file_exists_only_for_who_may_read_its_post(alice, bob, carol, secret_community, open_community):
    secret = attachments.create_post(alice, secret_community, body="Term sheet", files=[pdf("terms.pdf")])
    [a] = Attachment.objects.filter(post=secret)
    unknown = a.id + 1000
    as_bob = login(bob)
    for path in (f"/files/{a.id}/terms.pdf", f"/files/{a.id}/preview.webp", f"/files/{a.id}/x"):
        assert as_bob.get(path).status_code == 404
    hidden, missing = as_bob.get(f"/files/{a.id}/terms.pdf"), as_bob.get(f"/files/{unknown}/terms.pdf")
    assert hidden.status_code == missing.status_code == 404
    assert b"No such file." in hidden.content and b"No such file." in missing.content
    assert Client().get(f"/files/{a.id}/terms.pdf").status_code == 302  # to sign in
    assert login(alice).get(f"/files/{a.id}/terms.pdf").status_code == 200
    _, plain = org.create_token(bob, "script")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
    for path in (f"/api/v1/attachments/{a.id}", f"/api/v1/attachments/{a.id}/content"):
        got = api.get(path)
        assert got.status_code == 404 and got.json()["error"]["field"] == "attachment"
    communities.add_member(alice, secret_community, bob)
    assert api.get(f"/api/v1/attachments/{a.id}/content").status_code == 200
    # Nothing confirms the file to who may not read it: not even posting to it.
    with pytest.raises(NotFound):
        attachments.attach(carol, secret.id, [pdf()])


def test_removing_the_post_takes_its_files_out_of_the_storage(alice, bob, open_community, store,
                                                             django_capture_on_commit_callbacks):
    post = attachments.create_post(alice, open_community, body="Two files", files=[photo_with_gps(), pdf()])
    reply = attachments.create_reply(bob, post.id, body="And mine", files=[docx()])
    assert len(stored(store)) == 4
    ids = list(Attachment.objects.filter(post=post).values_list("id", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        conv.remove_post(alice, post.id)
    assert stored(store) == [f"{reply.id}/{Attachment.objects.get(post=reply).key}"]
    assert Attachment.objects.filter(id__in=ids, removed_at__isnull=False).count() == 2
    for i in ids:
        assert login(alice).get(f"/files/{i}/x").status_code == 404
    assert login(bob).get(f"/files/{Attachment.objects.get(post=reply).id}/plan.docx").status_code == 200


# --- through the pages and the API ------------------------------------------------------------

def test_posting_and_replying_with_files_on_the_web(alice, bob, open_community):
    client = login(alice)
    made = client.post(reverse("web:home"), {"community": open_community.slug, "kind": "discussion",
                                             "title": "Specs", "body": "Attached", "attachments": [pdf(), docx()]})
    assert made.status_code == 302
    post = Post.objects.get(title="Specs")
    assert [a.name for a in Attachment.objects.filter(post=post)] == ["report.exe.pdf", "plan.docx"]
    page = client.get(made["Location"]).content.decode()
    assert 'enctype="multipart/form-data"' in page and "report.exe.pdf" in page
    reply = login(bob).post(reverse("web:post_reply", args=[post.id]),
                            {"body": "A picture", "attachments": [photo_with_gps("me.jpg")]}, **HTMX)
    assert reply.status_code == 200 and "/preview.webp" in reply.content.decode()
    bad = login(bob).post(reverse("web:post_reply", args=[post.id]),
                          {"body": "A program", "attachments": [SimpleUploadedFile("x.exe", b"MZ\x90\x00")]},
                          **HTMX)
    assert bad.status_code == 400 and "is not a kind of file we accept" in bad.content.decode()
    assert Post.objects.filter(body="A program").count() == 0


def test_the_api_attaches_lists_and_serves_files(alice, bob, open_community):
    _, plain = org.create_token(alice, "script")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
    made = api.post(f"/api/v1/communities/{open_community.slug}/posts", {"body": "Report", "title": "Q3"},
                    content_type="application/json").json()
    up = api.post(f"/api/v1/posts/{made['id']}/attachments", {"files": [pdf(), photo_with_gps()]})
    assert up.status_code == 201
    items = up.json()["items"]
    assert [i["content_type"] for i in items] == ["application/pdf", "image/jpeg"]
    assert items[0]["preview_url"] is None and items[1]["preview_url"].endswith("/preview")
    thread = api.get(f"/api/v1/posts/{made['id']}").json()
    assert [a["id"] for a in thread["post"]["attachments"]] == [i["id"] for i in items]
    feed = api.get(f"/api/v1/communities/{open_community.slug}/feed").json()
    assert [a["name"] for a in feed["items"][0]["attachments"]] == ["report.exe.pdf", "holiday.png.jpg"]
    content = api.get(items[0]["url"])
    assert content.status_code == 200 and content["Content-Disposition"].startswith("attachment")
    assert api.get(items[1]["preview_url"]).status_code == 200
    bad = api.post(f"/api/v1/posts/{made['id']}/attachments", {"files": [SimpleUploadedFile("a.bin", b"\xff\xfe\x00")]})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "attachments"
    _, other = org.create_token(bob, "script")
    refused = Client(HTTP_AUTHORIZATION=f"Bearer {other}").post(f"/api/v1/posts/{made['id']}/attachments",
                                                                 {"files": [pdf()]})
    assert refused.status_code == 403


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_posting_an_image_and_a_file_from_the_composer_in_a_browser(live_server, browser, alice, bob, open_community,
                                                                  tmp_path):
    """htmx sends the composer as multipart: the image shows in the new feed item without a reload,
    and the reader downloads the other file."""
    from tests.browser import sign_in

    image, document = tmp_path / "whiteboard.jpg", tmp_path / "minutes.pdf"
    image.write_bytes(photo_with_gps().read())
    document.write_bytes(pdf().read())
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, live_server.url, "alice", "/")
    page.get_by_text("Start a conversation").click()
    page.get_by_label("Title").fill("Workshop notes")
    page.get_by_label("Message").fill("The whiteboard and the minutes")
    page.get_by_label("Files").set_input_files([str(image), str(document)])
    page.get_by_role("button", name="Post", exact=True).click()
    item = page.locator("#feed-items > li").first
    expect(item).to_contain_text("Workshop notes")
    picture = item.locator(".attachment-image img")
    expect(picture).to_be_visible()
    page.wait_for_function("() => { const i = document.querySelector('#feed-items > li .attachment-image img');"
                           " return i && i.complete && i.naturalWidth > 0; }")
    assert picture.evaluate("img => img.naturalWidth") == 960  # the preview, loaded
    expect(item.get_by_role("link", name="minutes.pdf")).to_be_visible()
    reader = browser.new_context().new_page()
    sign_in(reader, live_server.url, "bob", f"/posts/{Post.objects.get(title='Workshop notes').id}/")
    with reader.expect_download() as download:
        reader.get_by_role("link", name="minutes.pdf").click()
    assert download.value.suggested_filename == "minutes.pdf"
    assert Path(download.value.path()).read_bytes() == document.read_bytes()
