"""Rendering and selection: golden digest, levels, subject, escaping, what never shows.

Regenerate the golden files deliberately with ``BEVAKA_UPDATE_GOLDEN=1 pytest
tests/test_notify_render.py`` and review the diff.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest_smtp import AS_OF, make_config, make_db, make_finding

from engine.findings import Finding, Status
from notifications.render import build_message, render_digest
from notifications.select import Digest, DigestItem, Level, reminder_level, select_reminders

GOLDEN = Path(__file__).parent / "golden"


def golden_findings() -> list[Finding]:
    d = AS_OF
    return [
        make_finding("g1", "AO-2024-0042", Status.upcoming, d + timedelta(days=1), ["mas"]),
        make_finding("g2", "IFO-2024-0007", Status.overdue, d - timedelta(days=1), ["mas"],
                     rule_title="Anmälan om missförhållande (lex Sarah)",
                     legal_basis=["SoL 14 kap. 6 §", "SOSFS 2011:5"],
                     why="Rapporten kom in 2024-09-20 & ska utredas <skyndsamt>; sista dag "
                         "för anmälan till IVO var 2024-09-29."),
        make_finding("g3", "AO-2024-0013", Status.overdue, date(2024, 6, 28), ["mas"],
                     escalated=True, rule_title="Rapportera ej verkställt beslut till IVO",
                     legal_basis=["SoL 16 kap. 6 f §"]),
        make_finding("g4", "AO-2024-0050", Status.due, d, ["mas"], legal_basis=[]),
        make_finding("g5", "AO-2024-0051", Status.upcoming, d + timedelta(days=14), ["mas"],
                     context={"note": "Ring dottern Eva", "birth_year": 1938}),
    ]


def golden_digest(tmp_path: Path) -> Digest:
    sel = select_reminders(make_db(tmp_path), make_config(tmp_path), golden_findings(), AS_OF)
    assert len(sel.digests) == 1
    return sel.digests[0]


@pytest.mark.parametrize("kind", ["txt", "html"])
def test_golden_digest(tmp_path: Path, kind: str) -> None:
    rendered = render_digest(golden_digest(tmp_path), AS_OF)
    actual = rendered.text if kind == "txt" else rendered.html
    path = GOLDEN / f"digest.{kind}"
    if os.environ.get("BEVAKA_UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
    assert path.exists(), f"{path} saknas: kör med BEVAKA_UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8")


def test_golden_subject_and_order(tmp_path: Path) -> None:
    digest = golden_digest(tmp_path)
    rendered = render_digest(digest, AS_OF)
    assert rendered.subject == "bevaka: 5 bevakningar att hantera (2 försenade) per 2024-09-30"
    assert [(it.finding.id, it.level) for it in digest.items] == [
        ("g3", Level.eskalerad), ("g2", Level.forsenad), ("g4", Level.idag),
        ("g1", Level.varning), ("g5", Level.varning)]
    assert "1 dag kvar" in rendered.text and "94 dagar försenad" in rendered.text
    assert "1 dag försenad" in rendered.text and "Lagrum:      ej angivet" in rendered.text


def test_html_is_escaped_text_is_not(tmp_path: Path) -> None:
    rendered = render_digest(golden_digest(tmp_path), AS_OF)
    assert "&amp; ska utredas &lt;skyndsamt&gt;" in rendered.html
    assert "<skyndsamt>" not in rendered.html
    assert "& ska utredas <skyndsamt>" in rendered.text.replace("\n" + " " * 16, " ")


def test_context_never_rendered(tmp_path: Path) -> None:
    digest = golden_digest(tmp_path)
    rendered = render_digest(digest, AS_OF)
    msg = build_message(make_config(tmp_path), digest.address, rendered, "k" * 64)
    for text in (rendered.text, rendered.html, msg.as_string()):
        assert "Eva" not in text and "1938" not in text and "dottern" not in text


def test_message_headers(tmp_path: Path) -> None:
    digest = golden_digest(tmp_path)
    msg = build_message(make_config(tmp_path), digest.address, render_digest(digest, AS_OF), "")
    assert msg["From"] == "bevaka@kommun.example" and msg["To"] == "mas@kommun.example"
    assert msg["Message-ID"].endswith("@kommun.example>")
    assert msg["Date"] and msg["Auto-Submitted"] == "auto-generated"
    assert msg.as_string().isascii()  # encoded headers, quoted-printable bodies


def test_subject_singular_and_no_overdue(tmp_path: Path) -> None:
    f = make_finding("s1", "AO-1", Status.due, AS_OF, ["mas"])
    rendered = render_digest(Digest("mas@kommun.example", ["mas"], [DigestItem(f, Level.idag)]),
                             AS_OF)
    assert rendered.subject == "bevaka: 1 bevakning att hantera per 2024-09-30"


@pytest.mark.parametrize(
    ("status", "days", "escalated", "level"),
    [
        (Status.upcoming, 15, False, None),
        (Status.upcoming, 14, False, Level.varning),
        (Status.upcoming, 1, False, Level.varning),
        (Status.due, 0, False, Level.idag),
        (Status.overdue, -1, False, Level.forsenad),
        (Status.overdue, -30, True, Level.eskalerad),
        (Status.resolved, -3, False, None),
        (Status.resolved, -3, True, None),
    ],
)
def test_reminder_level(status: Status, days: int, escalated: bool, level: Level | None) -> None:
    f = make_finding("x", "AO-1", status, AS_OF + timedelta(days=days), ["mas"],
                     escalated=escalated)
    assert reminder_level(f, AS_OF, 14) == level


def test_a_long_digest_is_capped_and_says_where_the_rest_is(tmp_path: Path) -> None:
    from notifications import queue_digests

    db = make_db(tmp_path)
    config = make_config(tmp_path, 8025).model_copy(deep=True)
    config.notify.max_items = 100
    config.notify.list_url = "https://bevaka.kommun.example/mina-bevakningar"
    findings = [make_finding(f"f{i:03d}", f"ÄR-{i:03d}", Status.overdue, AS_OF - timedelta(days=i + 1),
                             ["mas"]) for i in range(150)]
    (digest,) = select_reminders(db, config, findings, AS_OF).digests
    rendered = render_digest(digest, AS_OF, config.notify.max_items, config.notify.list_url)
    assert rendered.text.count("Ärende ÄR-") == 100 and rendered.html.count("Ärende ÄR-") == 100
    assert ("Ytterligare 50 bevakningar visas inte här; hela listan:\n"
            "https://bevaka.kommun.example/mina-bevakningar") in rendered.text
    assert "Ytterligare 50 bevakningar visas inte här" in rendered.html
    assert rendered.subject.startswith("bevaka: 150 bevakningar att hantera")
    # the most urgent are written out: the longest overdue first
    assert "ÄR-149" in rendered.text and "ÄR-000" not in rendered.text
    result = queue_digests(db, config, findings, AS_OF, "run-1")
    assert result.queued == 1 and result.reminders == 150  # all 150 count as told
    assert db.execute("SELECT count(*) FROM notified").fetchone()[0] == 150
