"""HTML and PDF documents from Jinja2 templates (``notifications/reports/templates``).

Every document extends ``base.html.j2``: an A4 page with the title, the organisation and the
date at the top and, in the footer of every page, the rule revision, the run id and the page
number. The PDF is the same HTML rendered by WeasyPrint, so what is tested in the HTML is what
is printed. Swedish number and date formats are Jinja2 filters (``sv_number``, ``sv_date``).
"""

from __future__ import annotations

import base64
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from notifications.privacy import assert_no_personal_data

__all__ = ["data_uri", "render", "sv_date", "sv_number", "write_html", "write_pdf"]

MONTHS_SV = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
             "september", "oktober", "november", "december")


def sv_number(value: Any, decimals: int = 1) -> str:
    """``66.666`` → ``66,7``; whole numbers without decimals; thousands with a thin space."""
    if value is None or value == "":
        return ""
    number = float(value)
    text = f"{int(number):,}" if number == int(number) else f"{number:,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def sv_date(value: Any, long: bool = False) -> str:
    """A date as ``2023-12-13`` or, with ``long``, ``13 december 2023``."""
    if value is None or value == "":
        return ""
    d = value if isinstance(value, date) else date.fromisoformat(str(value))
    return f"{d.day} {MONTHS_SV[d.month - 1]} {d.year}" if long else d.isoformat()


_ENV = SandboxedEnvironment(  # templates only read what they are given
    loader=jinja2.PackageLoader("notifications.reports", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_ENV.filters["sv_number"] = sv_number
_ENV.filters["sv_date"] = sv_date


def render(template: str, **context: Any) -> str:
    """The HTML of ``template`` with ``context``. Refuses a personnummer in the result."""
    html = _ENV.get_template(template).render(**context)
    assert_no_personal_data(html, where=template)
    return html


def data_uri(path: Path, mime: str = "image/png") -> str:
    """A picture embedded in the document (the HTML stands alone, the PDF needs no files)."""
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def write_html(html: str, path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(html, encoding="utf-8")
    return p


def write_pdf(html: str, path: str | Path) -> Path:
    """Render ``html`` to PDF with WeasyPrint (the only module that imports it)."""
    from weasyprint import HTML

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    HTML(string=html, base_url=str(p.parent)).write_pdf(p)
    return p
