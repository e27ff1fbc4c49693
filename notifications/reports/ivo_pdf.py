"""HTML and PDF for the IVO quarter's reports: one Jinja2 template per kind of page, and
WeasyPrint for the PDF (A4, page numbers "Sida X av Y").

The HTML that goes into WeasyPrint is also written as the report's ``.html`` file, so what a
browser shows and what is printed are the same document. IVO's pseudo-identifier in the
individrapport (``ÅÅÅÅMMDD-T123``) is no personnummer and stays.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from facts.personnummer import replace_personnummer
from notifications.reports.export import CLEANED

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

_env = SandboxedEnvironment(
    loader=FileSystemLoader(TEMPLATES),
    undefined=StrictUndefined,
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_env.filters["cell"] = _cell


def render(template: str, **context: Any) -> str:
    """The HTML of ``template`` (``notifications/templates/<template>``), with any
    personnummer in its free text replaced by ``[personnummer borttaget]`` (the scanner runs
    over the whole page, so no cell or title can carry one)."""
    return replace_personnummer(_env.get_template(template).render(**context), CLEANED)


def write_html_pdf(html: str, stem: Path, formats: set[str]) -> list[Path]:
    """Write ``<stem>.html`` and/or ``<stem>.pdf`` from ``html`` as ``formats`` asks."""
    out: list[Path] = []
    if "html" in formats:
        path = stem.with_suffix(".html")
        path.write_text(html, encoding="utf-8")
        out.append(path)
    if "pdf" in formats:
        from weasyprint import HTML  # imported only when a PDF is written (it loads Pango)

        path = stem.with_suffix(".pdf")
        HTML(string=html, base_url=str(TEMPLATES)).write_pdf(path)
        out.append(path)
    return out
