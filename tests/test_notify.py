"""notifications end to end: a real SQLite file and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from email.policy import default
from pathlib import Path

from conftest_smtp import AS_OF, counts, make_config, make_db, make_finding, two_recipient_findings
from smtp_server import SmtpServer, smtp_server  # noqa: F401  (fixture)

from engine.findings import Status
from notifications import notify, outbox_counts, queue_digests, send_pending, write_dry_run


def rows(db, sql: str, params: list | None = None) -> list[dict]:  # type: ignore[no-untyped-def]
    cur = db.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def test_one_digest_per_recipient(tmp_path: Path, smtp_server: SmtpServer) -> None:  # noqa: F811
    db, config = make_db(tmp_path), make_config(tmp_path, smtp_server.port)
    result = notify(db, config, two_recipient_findings(), AS_OF, "run-1")

    assert result.queue.queued == 2 and result.queue.reminders == 5
    assert result.send is not None and counts(result.send) == {
        "sent": 2, "deferred": 0, "failed": 0, "pending": 0}
    got = sorted(smtp_server.received, key=lambda r: r.rcpt_tos)
    assert [r.rcpt_tos for r in got] == [["enhetschef@kommun.example"], ["mas@kommun.example"]]
    assert all(r.mail_from == "bevaka@kommun.example" for r in got)
    first, second = (r.message for r in got)
    assert first["To"] == "enhetschef@kommun.example" and first["From"] == "bevaka@kommun.example"
    assert second["To"] == "mas@kommun.example"
    assert first["Message-ID"] and first["Date"]
    text = first.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert [c for c in ("AO-2024-0101", "AO-2024-0102", "AO-2024-0103") if c in text] == [
        "AO-2024-0101", "AO-2024-0102", "AO-2024-0103"]
    assert text.count("Ärende AO-2024-0103:") == 1  # named by role and by address: listed once
    mas = second.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "AO-2024-0104" in mas and "AO-2024-0105" in mas
    assert "AO-2024-0106" not in mas and "AO-2024-0107" not in mas  # beyond warn_days; resolved
    assert "Eskalerade (1)" in mas and "försenad (eskalerad)" in mas
    assert outbox_counts(db) == {"pending": 0, "sent": 2, "failed": 0, "blocked": 0}
    notified = rows(db, "SELECT finding_id, recipient, level FROM notified ORDER BY finding_id")
    assert [(r["finding_id"], r["level"]) for r in notified] == [
        ("f1", "forsenad"), ("f2", "idag"), ("f3", "varning"), ("f4", "eskalerad"),
        ("f5", "varning")]


def test_text_and_html_parts_are_clean(tmp_path: Path, smtp_server: SmtpServer) -> None:  # noqa: F811
    db, config = make_db(tmp_path), make_config(tmp_path, smtp_server.port)
    notify(db, config, two_recipient_findings(), AS_OF, "run-1")
    stored = {r["recipient"]: r for r in rows(db, "SELECT * FROM outbox")}
    for received in smtp_server.received:
        msg = received.message
        assert msg.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
        assert not list(msg.iter_attachments())
        text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
        row = stored[received.rcpt_tos[0]]
        # exactly what was rendered: yagmail added no <br> and changed nothing
        assert text.replace("\r\n", "\n") == row["body_text"]
        assert html.replace("\r\n", "\n") == row["body_html"]
        assert "<br" not in text and not re.search(r"</?[a-z]+[^>]*>", text)
        assert "<br" not in html
        assert html.startswith("<!DOCTYPE html>") and '<html lang="sv">' in html
        assert "<table>" in html and html.count("<style>") == 1
        assert "Status:" in text and "Förfallodag:" in text and "Lagrum:" in text


def test_no_personal_data_in_subject_or_bodies(tmp_path: Path, smtp_server: SmtpServer) -> None:  # noqa: F811
    db, config = make_db(tmp_path), make_config(tmp_path, smtp_server.port)
    notify(db, config, two_recipient_findings(), AS_OF, "run-1")
    subjects = sorted(str(m["Subject"]) for m in smtp_server.messages)
    assert subjects == [
        "bevaka: 2 bevakningar att hantera (1 försenad) per 2024-09-30",
        "bevaka: 3 bevakningar att hantera (1 försenad) per 2024-09-30",
    ]
    pattern = r"bevaka: \d+ bevakningar? att hantera( \(\d+ försenade?\))? per \d{4}-\d\d-\d\d"
    assert all(re.fullmatch(pattern, s) for s in subjects)
    raw = smtp_server.raw().decode()
    for m in smtp_server.messages:  # MIME boundaries are random digits: not content
        raw = raw.replace(str(m.get_boundary()), "")
    everything = raw + "".join(
        p.get_content() for m in smtp_server.messages for p in m.iter_parts())
    for secret in ("Anna", "Andersson", "1941", "birth_year", "sex"):
        assert secret not in everything  # fact context never reaches a message


def test_second_run_sends_nothing(tmp_path: Path, smtp_server: SmtpServer) -> None:  # noqa: F811
    db, config = make_db(tmp_path), make_config(tmp_path, smtp_server.port)
    findings = two_recipient_findings()
    notify(db, config, findings, AS_OF, "run-1")
    again = notify(db, config, findings, AS_OF, "run-2")
    assert again.queue.queued == 0 and again.queue.already_notified == 6
    assert again.send is not None and again.send.sent == 0
    assert len(smtp_server.received) == 2
    assert len(rows(db, "SELECT id FROM outbox")) == 2

    # the next day: f1 is escalated and f6 comes within warn_days -> only those go out
    later = AS_OF + timedelta(days=1)
    f1 = findings[0].model_copy(update={"escalated": True, "as_of": later})
    third = notify(db, config, [f1, *findings[1:]], later, "run-3")
    assert third.queue.queued == 2 and third.queue.reminders == 2
    assert sorted(str(m["Subject"]) for m in smtp_server.messages[2:]) == [
        "bevaka: 1 bevakning att hantera (1 försenad) per 2024-10-01",
        "bevaka: 1 bevakning att hantera per 2024-10-01",
    ]
    assert {(r["finding_id"], r["level"]) for r in rows(
        db, "SELECT * FROM notified WHERE outbox_id > 2")} == {("f1", "eskalerad"), ("f6", "varning")}


def test_server_down_keeps_pending_then_restart_sends(
    tmp_path: Path, smtp_server: SmtpServer  # noqa: F811
) -> None:
    db, config = make_db(tmp_path), make_config(tmp_path, smtp_server.port)
    smtp_server.stop()
    start = datetime.now(UTC)
    result = notify(db, config, two_recipient_findings(), AS_OF, "run-1")
    assert result.send is not None
    assert counts(result.send) == {"sent": 0, "deferred": 2, "failed": 0, "pending": 2}
    for row in rows(db, "SELECT * FROM outbox"):
        assert row["status"] == "pending" and row["attempts"] == 1
        assert "svarar inte" in row["last_error"]
        assert row["next_attempt_at"] > (start + timedelta(minutes=14)).isoformat()
    log = rows(db, "SELECT event, error FROM notification_log")
    assert [r["event"] for r in log] == ["transient", "transient"]
    assert all("@" not in r["error"] for r in log)

    smtp_server.start()  # same port
    assert send_pending(db, config).sent == 0  # not due yet
    done = send_pending(db, config, now=datetime.now(UTC) + timedelta(minutes=16))
    assert counts(done) == {"sent": 2, "deferred": 0, "failed": 0, "pending": 0}
    assert len(smtp_server.received) == 2
    assert {r["attempts"] for r in rows(db, "SELECT attempts FROM outbox")} == {2}


def test_gives_up_after_max_attempts(tmp_path: Path, smtp_server: SmtpServer) -> None:  # noqa: F811
    db, config = make_db(tmp_path), make_config(tmp_path, smtp_server.port)
    smtp_server.stop()
    queue_digests(db, config, two_recipient_findings(), AS_OF, "run-1")
    now = datetime.now(UTC)
    # retries back off: 15 minutes after the first failure, 30 after the second
    at = [now, now + timedelta(minutes=16), now + timedelta(minutes=40),
          now + timedelta(minutes=47)]
    results = [send_pending(db, config, now=t) for t in at]
    assert [r.deferred for r in results] == [2, 2, 0, 0]
    assert results[2].pending == 2  # not due yet: 16 + 30 minutes
    assert results[-1].failed == 2 and results[-1].pending == 0
    assert {m.error.split(" (")[-1] for m in results[-1].failed_messages} == {"gav upp efter 3 försök)"}
    assert outbox_counts(db)["failed"] == 2
    assert all("gav upp efter 3 försök" in r["last_error"]
               for r in rows(db, "SELECT last_error FROM outbox"))


def test_recipient_refused(tmp_path: Path, smtp_server: SmtpServer) -> None:  # noqa: F811
    db, config = make_db(tmp_path), make_config(tmp_path, smtp_server.port)
    smtp_server.handler.refuse = {
        "mas@kommun.example": "550 5.1.1 Mailbox unavailable",
        "enhetschef@kommun.example": "450 4.2.1 Mailbox busy, try later",
    }
    result = notify(db, config, two_recipient_findings(), AS_OF, "run-1")
    assert result.send is not None
    assert counts(result.send) == {"sent": 0, "deferred": 1, "failed": 1, "pending": 1}
    by_to = {r["recipient"]: r for r in rows(db, "SELECT * FROM outbox")}
    assert by_to["mas@kommun.example"]["status"] == "failed"
    assert "550" in by_to["mas@kommun.example"]["last_error"]
    assert by_to["enhetschef@kommun.example"]["status"] == "pending"
    smtp_server.handler.refuse = {}
    later = send_pending(db, config, now=datetime.now(UTC) + timedelta(minutes=16))
    assert later.sent == 1 and [r.rcpt_tos for r in smtp_server.received] == [
        ["enhetschef@kommun.example"]]


def test_personnummer_blocks_message(tmp_path: Path, smtp_server: SmtpServer) -> None:  # noqa: F811
    db, config = make_db(tmp_path), make_config(tmp_path, smtp_server.port)
    findings = [
        make_finding("p1", "AO-2024-0201", Status.overdue, AS_OF - timedelta(days=3), ["mas"],
                     why="Beslut för 19121212-1212 är inte verkställt."),
        make_finding("p2", "AO-2024-0202", Status.due, AS_OF, ["mas"]),
        make_finding("p3", "AO-2024-0203", Status.due, AS_OF, ["enhetschef"],
                     why="Referens 19121212-1213 (ogiltig kontrollsiffra) ska inte spärra."),
    ]
    result = notify(db, config, findings, AS_OF, "run-1")
    assert result.queue.blocked == 1 and result.queue.queued == 1
    blocked = rows(db, "SELECT * FROM outbox WHERE status = 'blocked'")
    assert len(blocked) == 1
    row = blocked[0]
    assert row["recipient"] == "mas@kommun.example"
    assert row["eml"] is None and row["body_text"] is None and row["body_html"] is None
    assert "19121212" not in row["subject"] and "personnummer" in row["last_error"]
    assert "19121212" not in row["last_error"] and "p1" in row["last_error"]
    log = rows(db, "SELECT * FROM notification_log WHERE event = 'blocked'")
    assert len(log) == 1 and log[0]["outbox_id"] == row["id"]
    assert log[0]["finding_ids"] == '["p1"]' and log[0]["case_refs"] == '["AO-2024-0201"]'
    assert not any("1212-1212" in str(v) or "12121212" in str(v) for v in log[0].values())

    raw = smtp_server.raw()
    assert [r.rcpt_tos for r in smtp_server.received] == [["enhetschef@kommun.example"]]
    assert b"1212-1212" not in raw and b"191212121212" not in raw
    assert "19121212-1213" in smtp_server.messages[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert not rows(db, "SELECT * FROM notified WHERE finding_id = 'p1'")

    # a rerun of the same findings adds nothing; once the text is fixed it is sent
    assert notify(db, config, findings, AS_OF, "run-2").queue.blocked == 0
    fixed = findings[0].model_copy(update={"why": "Beslutet är inte verkställt."})
    fixed_run = notify(db, config, [fixed, *findings[1:]], AS_OF, "run-3")
    assert fixed_run.queue.queued == 1 and fixed_run.send and fixed_run.send.sent == 1
    assert b"1212-1212" not in smtp_server.raw()


def test_missing_address_is_logged(tmp_path: Path, smtp_server: SmtpServer) -> None:  # noqa: F811
    db, config = make_db(tmp_path), make_config(tmp_path, smtp_server.port)
    findings = [
        make_finding("m1", "AO-2024-0301", Status.overdue, AS_OF - timedelta(days=1),
                     ["okand_roll", "mas"]),
        make_finding("m2", "AO-2024-0302", Status.due, AS_OF, []),
    ]
    result = notify(db, config, findings, AS_OF, "run-1")
    assert [u.to_dict() for u in result.queue.unaddressed] == [
        {"finding_id": "m1", "case_ref": "AO-2024-0301", "level": "forsenad", "role": "okand_roll",
         "org": "kommun/von"},
        {"finding_id": "m2", "case_ref": "AO-2024-0302", "level": "idag", "role": None,
         "org": "kommun/von"},
    ]
    log = rows(db, "SELECT event, role, finding_ids, run_id FROM notification_log ORDER BY id")
    assert log == [
        {"event": "no_address", "role": "okand_roll", "finding_ids": '["m1"]', "run_id": "run-1"},
        {"event": "no_recipient", "role": None, "finding_ids": '["m2"]', "run_id": "run-1"},
    ]
    assert [r.rcpt_tos for r in smtp_server.received] == [["mas@kommun.example"]]
    assert result.to_dict()["queue"]["unaddressed"][0]["role"] == "okand_roll"


def test_dry_run_writes_eml_and_records_nothing(
    tmp_path: Path, smtp_server: SmtpServer  # noqa: F811
) -> None:
    db, config = make_db(tmp_path), make_config(tmp_path, smtp_server.port)
    findings = two_recipient_findings()
    result = notify(db, config, findings, AS_OF, "run-1", dry_run=True)
    assert result.dry_run and result.send is None and result.queue.queued == 2
    assert [p.name for p in result.files] == [
        "2024-09-30_01_enhetschef_at_kommun.example.eml",
        "2024-09-30_02_mas_at_kommun.example.eml",
    ]
    assert all(p.parent == tmp_path / "utkorg" for p in result.files)
    eml = BytesParser(policy=default).parsebytes(result.files[0].read_bytes())
    assert eml["To"] == "enhetschef@kommun.example"
    assert eml["Subject"] == "bevaka: 3 bevakningar att hantera (1 försenad) per 2024-09-30"
    assert smtp_server.received == []
    assert rows(db, "SELECT * FROM outbox") == [] and rows(db, "SELECT * FROM notified") == []
    files = write_dry_run(db, config, findings, AS_OF, "run-1", tmp_path / "annan")
    assert len(files) == 2
    real = notify(db, config, findings, AS_OF, "run-2")
    assert real.send is not None and real.send.sent == 2


def test_only_transport_imports_yagmail() -> None:
    package = Path(__file__).resolve().parents[1] / "notifications"
    importers = sorted(p.name for p in package.rglob("*.py")
                       if re.search(r"^\s*(import|from)\s+yagmail", p.read_text(), re.M))
    assert importers == ["transport.py"]


def test_results_are_json_ready(tmp_path: Path, smtp_server: SmtpServer) -> None:  # noqa: F811
    import json

    db, config = make_db(tmp_path), make_config(tmp_path, smtp_server.port)
    findings = [*two_recipient_findings(),
                make_finding("z", "AO-9", Status.due, AS_OF, ["saknad_roll"])]
    result = notify(db, config, findings, AS_OF, "run-1")
    data = json.loads(json.dumps(result.to_dict()))
    assert data["queue"]["queued"] == 2 and data["send"]["sent"] == 2
    assert data["queue"]["unaddressed"] == [
        {"finding_id": "z", "case_ref": "AO-9", "level": "idag", "role": "saknad_roll",
         "org": "kommun/von"}]
    assert "@" not in json.dumps(data["queue"]["unaddressed"])
