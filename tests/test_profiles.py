"""Member profiles: name, bio, expertise and photo, through the page and the API; photos
checked by content, stripped of metadata, served only to who may see the member; avatars."""

from __future__ import annotations

import io
import os
import re
import struct
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from PIL import ExifTags, Image

import socialfabric.activity
from socialfabric.activity.models import Activity, Verb
from socialfabric.communities import services as communities
from socialfabric.conversations import services as conv
from socialfabric.org import photos
from socialfabric.org import services as org
from socialfabric.org.models import Expertise, Member
from tests.helpers import login
from tests.test_api_helpers import Api, assert_error, ok

# --- making pictures ------------------------------------------------------------------------


def picture(fmt: str = "PNG", size: tuple[int, int] = (120, 80), color: object = "teal", *, mode: str = "RGB",
            **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, fmt, **save)
    return out.getvalue()


def noise(fmt: str = "PNG", size: tuple[int, int] = (200, 200)) -> bytes:
    """A picture that does not compress: big enough to cut in half, or to pass a size limit."""
    out = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(out, fmt)
    return out.getvalue()


def halves_with_exif() -> bytes:
    """A 60×30 JPEG, red left half, blue right half, whose EXIF says "rotate 90° clockwise to
    show" (orientation 6) and says where it was taken (GPS)."""
    image = Image.new("RGB", (60, 30), "red")
    image.paste("blue", (30, 0, 60, 30))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneCo"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 22.0, 7.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (4.0, 53.0, 2.0)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, exif=exif)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` × `height` pixels: a decompression bomb's shape."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 4096))
            + chunk(b"IEND", b""))


def upload(data: bytes, name: str = "me.png", content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def rgb_at(data: bytes, xy: tuple[int, int]) -> tuple[int, int, int]:
    return Image.open(io.BytesIO(data)).convert("RGB").getpixel(xy)


# --- fixtures and checks ----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def files(media: Path) -> list[str]:
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()) if media.exists() else []


def state(media: Path) -> tuple:
    """Everything a profile edit may write: the profile columns, the tags, the stream, the files."""
    return (list(Member.objects.order_by("id").values_list("id", "name", "bio", "photo")),
            list(Expertise.objects.order_by("id").values_list("member_id", "name", "position")),
            Activity.objects.count(), files(media))


def photo_url(member: Member, size: int) -> str:
    member.refresh_from_db()
    return f"/people/{member.handle}/photo/{size}-{member.photo}.webp"


def set_photo(member: Member, data: bytes) -> str:
    org.update_profile(member, photo=upload(data))
    member.refresh_from_db()
    return member.photo


# --- name, bio and expertise through the page ---------------------------------------------------


def test_edit_page_is_a_multipart_form_linked_from_profile_and_settings(as_alice, alice):
    page = as_alice.get("/settings/profile/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'enctype="multipart/form-data"' in html and 'name="photo"' in html and 'value="Alice"' in html
    assert "remove_photo" not in html  # nothing to remove yet
    assert 'href="/settings/profile/"' in as_alice.get("/people/alice/").content.decode()
    assert 'href="/settings/profile/"' in as_alice.get("/settings/tokens/").content.decode()


def test_member_edits_name_bio_and_expertise(as_alice, alice, bob):
    response = as_alice.post("/settings/profile/", {
        "name": "  Alice   Liddell ", "bio": "Curious.\r\nFalls down <b>holes</b>.",
        "expertise": "Python, supply  chain, #python, C++, ",
    })
    assert response.status_code == 302 and response["Location"] == "/people/alice/"
    alice.refresh_from_db()
    assert (alice.name, alice.bio) == ("Alice Liddell", "Curious.\nFalls down <b>holes</b>.")
    assert org.expertise_of(alice) == ["python", "supply chain", "c++"]
    act = Activity.objects.get(verb=Verb.UPDATE_PROFILE)
    assert (act.actor_id, act.object_id, act.details) == (alice.id, alice.id, {"fields": ["name", "bio", "expertise"]})

    profile = login(bob).get("/people/alice/").content.decode()
    assert "Curious.<br>Falls down &lt;b&gt;holes&lt;/b&gt;." in profile  # plain text, line breaks kept
    assert 'href="/people/?expertise=supply%20chain"' in profile
    assert 'href="/people/?expertise=c%2B%2B"' in profile
    page = as_alice.get("/settings/profile/").content.decode()
    assert 'value="python, supply chain, c++"' in page


def test_saving_an_unchanged_profile_records_nothing(as_alice, alice, media):
    org.update_profile(alice, bio="Hello", expertise=["go"])
    before = state(media)
    response = as_alice.post("/settings/profile/", {"name": "Alice", "bio": "Hello", "expertise": "Go"}, follow=True)
    assert "Nothing changed" in response.content.decode()
    assert state(media) == before


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"name": "   "}, "name", "Give your name"),
    ({"name": "x" * 151}, "name", "1 to 150 characters"),
    ({"name": "Nul\x00l"}, "name", "cannot be stored"),
    ({"bio": "b" * 2001}, "bio", "at most 2,000"),
    ({"expertise": ", ".join(f"tag{i}" for i in range(21))}, "expertise", "At most 20"),
    ({"expertise": "python, " + "x" * 41}, "expertise", "at most 40 characters"),
    ({"expertise": "<script>"}, "expertise", "letters, digits"),
    ({"expertise": "right\u202eleft"}, "expertise", "letters, digits"),
])
def test_bad_fields_show_their_error_and_write_nothing(as_alice, alice, media, fields, field, words):
    org.update_profile(alice, bio="Before", expertise=["go"])
    before = state(media)
    data = {"name": "Alice", "bio": "Before", "expertise": "go", **fields}
    response = as_alice.post("/settings/profile/", {**data, "photo": upload(picture())})
    assert response.status_code == 400
    html = response.content.decode()
    assert words in html
    assert f'id="{field}-error"' in html and 'aria-invalid="true"' in html
    assert "Choose your new photo again" in html  # the chosen file is not kept
    assert state(media) == before


# --- photos -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "name"), [
    (picture("PNG", (300, 120), (10, 200, 30, 128), mode="RGBA"), "see-through.png"),
    (picture("JPEG", (90, 240), "navy"), "tall.jpg"),
    (picture("WEBP", (500, 500), "orange"), "x.webp"),
    (picture("PNG", (10, 10), "white"), "tiny.png"),  # made larger: every size is exact
])
def test_photo_becomes_square_webp_thumbnails(as_alice, alice, media, data, name):
    response = as_alice.post("/settings/profile/", {"name": "Alice", "bio": "", "expertise": "",
                                                     "photo": upload(data, name, "application/octet-stream")})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert photos.is_key(alice.photo)
    assert files(media) == sorted(f"photos/{alice.id}/{alice.photo}-{s}.webp" for s in photos.SIZES)
    for size in photos.SIZES:
        thumb = Image.open(photos.path(alice.id, alice.photo, size))
        assert (thumb.format, thumb.size) == ("WEBP", (size, size))
    assert Activity.objects.get(verb=Verb.UPDATE_PROFILE).details == {"fields": ["photo"]}


def test_exif_orientation_is_applied_and_metadata_including_gps_is_removed(alice, media):
    original = halves_with_exif()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the file does carry GPS
    key = set_photo(alice, original)
    large = photos.path(alice.id, key, 256).read_bytes()
    # Shown upright the picture is 30 wide and 60 tall, red on top: its centre square is red
    # above and blue below. Unrotated, it would be red left and blue right.
    top, bottom = rgb_at(large, (128, 20)), rgb_at(large, (128, 235))
    assert top[0] > 200 and top[2] < 60, top
    assert bottom[2] > 200 and bottom[0] < 60, bottom
    for size in photos.SIZES:
        data = photos.path(alice.id, key, size).read_bytes()
        thumb = Image.open(io.BytesIO(data))
        assert not thumb.getexif() and not {"exif", "icc_profile", "xmp"} & set(thumb.info)
        assert b"Exif" not in data and b"PhoneCo" not in data and b"GPS" not in data


def test_a_large_camera_jpeg_is_decoded_at_reduced_scale_and_accepted(alice, settings):
    # 48 megapixels, over the pixel limit as a PNG would be; a JPEG decodes at 1/8 scale.
    data = picture("JPEG", (8000, 6000), "purple")
    assert 8000 * 6000 > settings.SOCIALFABRIC_PHOTO_MAX_PIXELS
    key = set_photo(alice, data)
    assert Image.open(photos.path(alice.id, key, 256)).size == (256, 256)


def test_gif_uses_its_first_frame(alice):
    frames = [Image.new("P", (50, 50), 1), Image.new("P", (50, 50), 2)]
    for f in frames:
        f.putpalette([0, 0, 0, 255, 0, 0, 0, 0, 255] + [0] * 759)
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    key = set_photo(alice, out.getvalue())
    r, g, b = rgb_at(photos.path(alice.id, key, 64).read_bytes(), (32, 32))
    assert r > 200 and b < 60


@pytest.mark.parametrize(("data", "name", "content_type", "words"), [
    (b"just some text, honestly\n" * 20, "notes.png", "image/png", "not a photo we can use"),
    (b"<!doctype html><script>alert(1)</script>", "page.jpg", "image/jpeg", "not a photo we can use"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9" height="9"/></svg>',
     "logo.svg", "image/svg+xml", "not a photo we can use"),
    (picture("BMP"), "old.bmp", "image/bmp", "not a photo we can use"),
    (picture("TIFF"), "scan.png", "image/png", "not a photo we can use"),
    (b"", "empty.png", "image/png", "empty"),
    ("truncated-png", "cut.png", "image/png", "damaged or incomplete"),
    ("truncated-jpeg", "cut.jpg", "image/jpeg", "damaged or incomplete"),
    (png_claiming(8000, 6000), "48mp.png", "image/png", "too many pixels"),
    (png_claiming(60000, 60000), "bomb.png", "image/png", "too many pixels"),
])
def test_unacceptable_files_are_refused_with_a_message_and_nothing_written(
        as_alice, alice, media, data, name, content_type, words):
    if data == "truncated-png":
        whole = noise("PNG")
        data = whole[: len(whole) // 2]
    elif data == "truncated-jpeg":
        whole = noise("JPEG")
        data = whole[: len(whole) // 2]
    before = state(media)
    response = as_alice.post("/settings/profile/", {"name": "Alice", "bio": "", "expertise": "",
                                                     "photo": upload(data, name, content_type)})
    assert response.status_code == 400
    html = response.content.decode()
    assert words in html and 'id="photo-error"' in html
    assert state(media) == before


def test_an_oversized_upload_is_refused_before_decoding(as_alice, alice, media, settings):
    settings.SOCIALFABRIC_PHOTO_MAX_BYTES = 10_000
    data = noise("PNG", (100, 100))
    assert len(data) > 10_000
    before = state(media)
    response = as_alice.post("/settings/profile/", {"name": "Alice", "photo": upload(data)})
    assert response.status_code == 400
    assert "larger than" in response.content.decode()
    assert state(media) == before


def test_replacing_and_removing_delete_the_old_files_after_commit(alice, media, django_capture_on_commit_callbacks):
    first = set_photo(alice, picture(color="red"))
    with django_capture_on_commit_callbacks(execute=True):
        second = set_photo(alice, picture(color="blue"))
    assert first != second
    assert files(media) == sorted(f"photos/{alice.id}/{second}-{s}.webp" for s in photos.SIZES)
    with django_capture_on_commit_callbacks(execute=True):
        assert org.update_profile(alice, photo=None) == ["photo"]  # None: remove it
    alice.refresh_from_db()
    assert alice.photo == "" and files(media) == []
    assert [a.details for a in Activity.objects.order_by("id")] == [{"fields": ["photo"]}] * 3


def test_same_photo_again_changes_nothing(alice, media):
    key = set_photo(alice, picture())
    before = state(media)
    assert org.update_profile(alice, photo=upload(picture())) == []
    assert state(media) == before and alice.photo == key


def test_remove_box_on_the_page(as_alice, alice, media):
    set_photo(alice, picture())
    assert 'name="remove_photo"' in as_alice.get("/settings/profile/").content.decode()
    as_alice.post("/settings/profile/", {"name": "Alice", "bio": "", "expertise": "", "remove_photo": "1"})
    alice.refresh_from_db()
    assert alice.photo == ""


def test_failing_record_leaves_neither_the_new_photo_nor_its_files(alice, media, monkeypatch):
    old = set_photo(alice, picture(color="red"))
    before = state(media)

    def boom(*args, **kwargs):
        raise RuntimeError("stream down")

    monkeypatch.setattr(socialfabric.activity, "record", boom)
    with pytest.raises(RuntimeError):
        org.update_profile(alice, photo=upload(picture(color="green")), name="Changed")
    assert state(media) == before
    alice.refresh_from_db()
    assert (alice.photo, alice.name) == (old, "Alice")


# --- serving photos -------------------------------------------------------------------------------


def test_photo_is_served_with_headers_for_caching_and_safety(alice, bob, media):
    set_photo(alice, picture())
    as_bob = login(bob)
    url = photo_url(alice, 128)
    response = as_bob.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert response["Cache-Control"] == "private, max-age=31536000, immutable"
    assert b"".join(response.streaming_content) == photos.path(alice.id, alice.photo, 128).read_bytes()
    again = as_bob.get(url, headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304 and not again.content


def test_photo_needs_sign_in_and_answers_404_for_anything_unknown(alice, bob, make_member, media):
    set_photo(alice, picture(color="red"))
    url = photo_url(alice, 64)
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/signin/?next=")
    as_bob = login(bob)
    key = alice.photo
    for missing in (f"/people/nobody/photo/64-{key}.webp", f"/people/alice/photo/65-{key}.webp",
                    "/people/alice/photo/64-0123456789abcdef0123.webp", "/people/alice/photo/64-..%2F..%2Fx.webp",
                    f"/people/bob/photo/64-{key}.webp"):
        assert as_bob.get(missing).status_code == 404, missing
    # A replaced photo's old address is gone; so is every photo of a member one may not see.
    set_photo(alice, picture(color="blue"))
    assert as_bob.get(url).status_code == 404
    dave = make_member("dave")
    set_photo(dave, picture())
    dave_url = photo_url(dave, 64)
    assert as_bob.get(dave_url).status_code == 200
    org.deactivate(make_member("root", is_staff=True), dave)
    assert as_bob.get(dave_url).status_code == 404


def test_missing_file_on_disk_is_a_404_not_a_500(alice, bob, media):
    set_photo(alice, picture())
    photos.delete(alice.id, alice.photo)  # e.g. a database restored without its media folder
    assert login(bob).get(photo_url(alice, 64)).status_code == 404


# --- avatars ------------------------------------------------------------------------------------


def test_avatars_show_the_photo_where_there_is_one(alice, bob, open_community, media):
    conv.create_post(alice, open_community, body="Hello from Alice")
    conv.create_post(bob, open_community, body="Hello from Bob")
    set_photo(alice, picture())
    as_bob = login(bob)
    home = as_bob.get("/").content.decode()
    img = re.search(r'<img class="avatar[^>]*>', home).group(0)
    assert f'src="{photo_url(alice, 128)}"' in img and 'alt=""' in img and 'loading="lazy"' in img
    assert "style=" not in img
    assert 'aria-hidden="true">B</span>' in home  # Bob has no photo: his initial
    assert f'src="{photo_url(alice, 128)}"' in as_bob.get("/people/").content.decode()
    assert f'src="{photo_url(alice, 256)}"' in as_bob.get("/people/alice/").content.decode()
    community = as_bob.get(f"/communities/{open_community.slug}/").content.decode()
    assert f'src="{photo_url(alice, 64)}"' in community  # stewards: the small size


def test_feed_shows_photos_without_more_queries(alice, bob, make_member, open_community):
    for i in range(5):
        author = make_member(f"author{i}")
        communities.join(author, open_community)
        conv.create_post(author, open_community, body=f"Post {i}")
    as_bob = login(bob)
    with CaptureQueriesContext(connection) as without:
        as_bob.get("/")
    for member in Member.objects.filter(handle__startswith="author"):
        set_photo(member, picture())
    with CaptureQueriesContext(connection) as with_photos:
        html = as_bob.get("/").content.decode()
    assert html.count('<img class="avatar') == 5
    assert len(with_photos.captured_queries) == len(without.captured_queries)


# --- directory --------------------------------------------------------------------------------------


def test_directory_finds_people_by_expertise(as_alice, alice, bob, carol):
    org.update_profile(alice, expertise=["Python", "hydraulics"])
    org.update_profile(carol, expertise=["python"])
    page = as_alice.get("/people/", {"expertise": "#Python"}).content.decode()
    assert "/people/alice/" in page and "/people/carol/" in page and "/people/bob/" not in page
    assert 'name="expertise"' in page
    nobody = as_alice.get("/people/", {"expertise": "cobol"}).content.decode()
    assert "No one matches" in nobody
    bad = as_alice.get("/people/", {"expertise": "<b>"})
    assert bad.status_code == 400 and "letters, digits" in bad.content.decode()
    assert [m.handle for m in org.directory(bob, expertise="hydraulics")] == ["alice"]


# --- the API -------------------------------------------------------------------------------------


def test_api_edits_my_profile_and_shows_it(alice, bob):
    api = Api.for_member(alice)
    me = ok(api.patch("/me", {"bio": "Line one\nLine two", "expertise": ["Rust", "rust", "data"]}))
    assert (me["name"], me["bio"], me["expertise"], me["photo"]) == ("Alice", "Line one\nLine two",
                                                                       ["rust", "data"], None)
    ok(api.patch("/me", {"name": "Alice L."}))
    profile = ok(Api.for_member(bob).get("/members/alice"))
    assert (profile["name"], profile["bio"], profile["expertise"]) == ("Alice L.", "Line one\nLine two",
                                                                       ["rust", "data"])
    assert [a.details["fields"] for a in Activity.objects.filter(verb=Verb.UPDATE_PROFILE).order_by("id")] == [
        ["bio", "expertise"], ["name"]]
    found = ok(Api.for_member(bob).get("/members", expertise="RUST"))
    assert [m["handle"] for m in found["items"]] == ["alice"]


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"name": ""}, 400, "name"),
    ({"name": None}, 400, "name"),
    ({"bio": "b" * 2001}, 400, "bio"),
    ({"expertise": ["ok", "x" * 41]}, 400, "expertise"),
    ({"expertise": [f"t{i}" for i in range(21)]}, 400, "expertise"),
    ({"expertise": "python"}, 422, "expertise"),
    ({"name": "New name", "bio": 5}, 422, "bio"),
])
def test_api_refuses_bad_profile_input_and_writes_nothing(alice, media, body, status, field):
    api = Api.for_member(alice)
    before = state(media)
    assert_error(api.patch("/me", body), status, "invalid", field)
    assert state(media) == before


def test_api_photo_upload_serving_and_removal(alice, bob, media):
    _, token = org.create_token(alice, "photos")
    headers = {"Authorization": f"Bearer {token}"}
    c = Client()
    refused = c.post("/api/v1/me/photo", {"photo": upload(b"GIF89a but not really", "x.gif", "image/gif")},
                     headers=headers)
    assert_error(refused, 400, "invalid", "photo")
    me = ok(c.post("/api/v1/me/photo", {"photo": upload(picture("JPEG"), "me.jpg", "image/jpeg")}, headers=headers))
    alice.refresh_from_db()
    assert me["photo"] == {"small": f"/api/v1/members/alice/photo/64-{alice.photo}.webp",
                           "medium": f"/api/v1/members/alice/photo/128-{alice.photo}.webp",
                           "large": f"/api/v1/members/alice/photo/256-{alice.photo}.webp"}
    bobs = Api.for_member(bob)
    served = bobs.client.get(me["photo"]["large"], headers={"Authorization": f"Bearer {bobs.token}"})
    assert served.status_code == 200 and served["Content-Type"] == "image/webp"
    assert served["Cache-Control"] == "private, max-age=31536000, immutable"
    assert Image.open(io.BytesIO(b"".join(served.streaming_content))).size == (256, 256)
    assert_error(bobs.get(f"/members/alice/photo/256-{'0' * 20}.webp"), 404, "not_found")
    assert_error(Api().get(f"/members/alice/photo/256-{alice.photo}.webp"), 401)
    assert ok(c.delete("/api/v1/me/photo", headers=headers))["photo"] is None


# --- in a real browser ----------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_upload_a_photo_in_the_browser_and_see_it_as_avatar(live_server, browser, alice, bob, open_community,
                                                           tmp_path):
    """Without any script of ours involved: the plain multipart form, then the photo shown on
    the profile and in the feed, loaded through the checked view, under the site's CSP."""
    from tests.browser import shot, sign_in

    conv.create_post(alice, open_community, body="Hello, with a face")
    photo = tmp_path / "me.jpg"
    photo.write_bytes(halves_with_exif())
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, live_server.url, "alice", "/settings/profile/")
    page.get_by_label("About you").fill("Pumps and\nhydraulics.")
    page.get_by_label("Expertise").fill("Hydraulics, Pumps")
    page.get_by_label("Upload a photo").set_input_files(str(photo))
    page.get_by_role("button", name="Save profile").click()
    page.wait_for_url(live_server.url + "/people/alice/")
    avatar = page.locator(".profile img.avatar")
    avatar.wait_for()
    # Wait for the picture itself (the element is there before its bytes are).
    page.wait_for_function("() => { const img = document.querySelector('.profile img.avatar');"
                           " return img.complete && img.naturalWidth > 0; }")
    assert avatar.evaluate("img => img.naturalWidth") == 256
    assert page.get_by_role("link", name="hydraulics").get_attribute("href") == "/people/?expertise=hydraulics"
    shot(page, "profile-photo-1280")
    page.goto(live_server.url + "/")
    feed_avatar = page.locator("#feed-items img.avatar").first
    feed_avatar.scroll_into_view_if_needed()
    page.wait_for_function("() => [...document.querySelectorAll('#feed-items img.avatar')]"
                           ".every(img => img.complete && img.naturalWidth === 128)")
    shot(page, "home-photo-1280")
    page.goto(live_server.url + "/settings/profile/")
    shot(page, "profile-edit-1280")
