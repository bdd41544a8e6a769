"""A few files on the demo's busiest open threads, attached through the service as a member
would (so `make run` shows images inline and downloads): a chart, minutes as a PDF, a CSV."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from socialfabric.attachments import services as attachments
from socialfabric.communities.models import Visibility
from socialfabric.conversations.models import Post

QUARTERS = (("Q1", 42), ("Q2", 58), ("Q3", 71), ("Q4", 66))


def _chart() -> bytes:
    """A bar chart of the quarters, drawn with Pillow."""
    image = Image.new("RGB", (1200, 700), "white")
    draw = ImageDraw.Draw(image)
    draw.text((60, 30), "Customer questions answered within a day (%)", fill="#1b2029", font_size=36)
    for i, (label, value) in enumerate(QUARTERS):
        x = 120 + i * 260
        draw.rectangle((x, 620 - value * 6, x + 160, 620), fill="#2f6fad")
        draw.text((x + 50, 640), label, fill="#1b2029", font_size=32)
        draw.text((x + 45, 570 - value * 6), f"{value}", fill="#1b2029", font_size=32)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _pdf(title: str) -> bytes:
    """A one-page PDF with a line of text (hand-built: the format's smallest valid file)."""
    text = title.replace("\\", "").replace("(", "").replace(")", "")
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def attach_samples() -> int:
    """Files on the three most-replied threads of open communities; how many were attached."""
    busiest = list(Post.objects.filter(parent__isnull=True, deleted_at__isnull=True,
                                       community__visibility=Visibility.OPEN)
                   .select_related("author").order_by("-reply_count", "id")[:3])
    samples = [
        [SimpleUploadedFile("answered-within-a-day.png", _chart())],
        [SimpleUploadedFile("meeting-minutes.pdf", _pdf("Minutes: what we agreed"))],
        [SimpleUploadedFile("questions-by-quarter.csv",
                            ("quarter,answered_within_a_day\n" + "".join(f"{q},{v}\n" for q, v in QUARTERS)).encode())],
    ]
    count = 0
    for post, files in zip(busiest, samples, strict=False):
        count += len(attachments.attach(post.author, post.id, files))
    return count
