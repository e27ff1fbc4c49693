"""Reading reports back as a person's tools do: pdftotext for the text of a PDF, pdftoppm for
its pages as pictures. ``make test`` installs poppler-utils (the Makefile's sysdeps); a
missing tool fails the test that needs it, it is never skipped."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} saknas: kör make sysdeps (apt-get install poppler-utils)"
    return path


def pdf_text(pdf: Path) -> str:
    """The PDF's text in reading order (pdftotext -layout)."""
    return subprocess.run([tool("pdftotext"), "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout


def pdf_pages(pdf: Path, out: Path, dpi: int = 50) -> list[Path]:
    """The PDF's pages as PNG files (pdftoppm)."""
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([tool("pdftoppm"), "-r", str(dpi), "-png", str(pdf), str(out / "sida")],
                   check=True, capture_output=True)
    return sorted(out.glob("sida-*.png"))
