import io
import re

import pytest
from pypdf import PdfReader


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Store each test's report files in its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def pdf_pages(pdf: bytes) -> list[str]:
    """Extract the text of each page of a PDF."""
    reader = PdfReader(io.BytesIO(pdf))
    return [page.extract_text() for page in reader.pages]


def pdf_text(pdf: bytes) -> str:
    return "\n".join(pdf_pages(pdf))


def flat_text(pdf: bytes) -> str:
    """Extract a PDF's text as one line, undoing the breaks that wrap table cells.

    A cell wraps at spaces, and also after a hyphen or a slash, where no space was.
    """
    return re.sub(r"\s+", " ", re.sub(r"(?<=[-/])\n", "", pdf_text(pdf)))
