"""kill -9 of a sending process, at every message boundary and at random moments: no digest is
delivered twice, and every digest is either delivered or reported failed with its reason.

The sender is a real process (``sender_child.py``) sending over real SMTP on loopback; the
server kills it with SIGKILL right after accepting message k (before the client hears "250"),
or the trial kills it after a random delay. A second run then recovers and sends the rest.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from conftest_smtp import AS_OF, make_config, make_db, make_finding
from smtp_server import Received, SmtpServer
from trials import report, size

from engine.findings import Finding, Status
from notifications import queue_digests, send_pending
from notifications.outbox import CUT_OFF

CHILD = Path(__file__).with_name("sender_child.py")


def _findings(n: int) -> list[Finding]:
    return [make_finding(f"ivo.x/D-{i}", f"D-{i}", Status.overdue, AS_OF - timedelta(days=9),
                         [f"person{i}@kommun.example"]) for i in range(n)]


def _queue(tmp: Path, port: int, n: int) -> None:
    queue_digests(make_db(tmp), make_config(tmp, port), _findings(n), AS_OF, "run-1")


def _outcome(tmp: Path, server: SmtpServer) -> tuple[int, int, list[tuple[int, str, str]]]:
    """(duplicated, lost, rows): a digest delivered twice; one neither delivered nor failed."""
    got = Counter(str(m["Message-ID"]).strip() for m in server.messages)
    rows = make_db(tmp).execute("SELECT id, message_id, status, last_error FROM outbox").fetchall()
    duplicated = sum(1 for _, mid, _, _ in rows if got[mid] > 1)
    lost = sum(1 for _, mid, status, err in rows
               if got[mid] == 0 and not (status == "failed" and err))
    return duplicated, lost, [(i, s, e or "") for i, _, s, e in rows]


def _child(tmp: Path, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, str(CHILD), str(tmp), str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _boundary_trial(tmp: Path, n: int, k: int) -> tuple[int, int, list[tuple[int, str, str]]]:
    server = SmtpServer()
    server.start()
    try:
        _queue(tmp, server.port, n)
        proc: dict[str, subprocess.Popen[bytes]] = {}

        def kill_at_k(_: Received) -> None:
            if len(server.received) == k:
                os.kill(proc["p"].pid, signal.SIGKILL)

        server.handler.on_data = kill_at_k
        proc["p"] = _child(tmp, server.port)
        assert proc["p"].wait(timeout=60) == -signal.SIGKILL
        server.handler.on_data = None
        send_pending(make_db(tmp), make_config(tmp, server.port))  # the next run recovers
        return _outcome(tmp, server)
    finally:
        server.stop()


def test_a_kill_right_after_the_server_accepted_message_k_never_sends_it_again(
        tmp_path: Path) -> None:
    n = size(3, 10)
    trials = failures = 0
    for k in range(1, n + 1):
        tmp = tmp_path / f"k{k}"
        tmp.mkdir()
        duplicated, lost, rows = _boundary_trial(tmp, n, k)
        trials += 1
        failures += duplicated + lost
        statuses = Counter(s for _, s, _ in rows)
        assert statuses == {"sent": n - 1, "failed": 1}, rows  # k was cut off: reported
        assert [e for _, s, e in rows if s == "failed"] == [CUT_OFF]
    report("kill -9 at each message boundary", trials, failures)
    assert failures == 0


def test_a_kill_at_a_random_moment_loses_nothing_and_sends_nothing_twice(tmp_path: Path) -> None:
    """The random moment is drawn from the sending itself: the trial waits until the server
    has accepted the first digest (a child's start-up on a loaded machine is slower than any
    fixed delay) and kills the sender a random 0–n × the server's delay later, so kills land
    between, during and after the messages of the batch."""
    rng = random.Random(20241201)
    trials, failures, n = size(6, 100), 0, 6
    mid_batch = 0  # trials killed after some but not all digests had arrived
    server = SmtpServer()
    server.start()
    server.handler.data_delay = 0.05
    try:
        for t in range(trials):
            tmp = tmp_path / f"t{t}"
            tmp.mkdir()
            server.handler.received.clear()
            _queue(tmp, server.port, n)
            proc = _child(tmp, server.port)
            deadline = time.monotonic() + 60
            while not server.received and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(rng.uniform(0, n * server.handler.data_delay))
            proc.kill()
            proc.wait(timeout=60)
            mid_batch += 0 < len(server.received) < n
            send_pending(make_db(tmp), make_config(tmp, server.port))
            duplicated, lost, rows = _outcome(tmp, server)
            failures += duplicated + lost
            assert not [r for r in rows if r[1] == "pending"], rows
    finally:
        server.stop()
    report("kill -9 at random moments", trials, failures, digests=trials * n,
           killed_mid_batch=mid_batch)
    assert failures == 0
    assert mid_batch >= trials // 3, f"only {mid_batch} of {trials} kills landed mid-batch"


def test_a_dead_senders_claim_is_taken_over_at_once(tmp_path: Path) -> None:
    """A process that died after claiming a message but before sending it: the next run sends
    it right away (no lease to wait out)."""
    server = SmtpServer()
    server.start()
    try:
        _queue(tmp_path, server.port, 2)
        db = make_db(tmp_path)
        db.execute("UPDATE outbox SET claimed_by = 'annan-vard:4242:2024-09-30T06:30:00+00:00'")
        db.conn.commit()
        result = send_pending(db, make_config(tmp_path, server.port))
        assert result.sent == 2 and len(server.messages) == 2
    finally:
        server.stop()


@pytest.mark.parametrize("after_crash", ["resend"])
def test_resend_after_a_crash_sends_the_same_message_id(tmp_path: Path, after_crash: str) -> None:
    """With ``after_crash = "resend"`` the cut-off message goes out again, recognisably: the
    same Message-ID, so a mail client can tell it is the same digest."""
    server = SmtpServer()
    server.start()
    try:
        _queue(tmp_path, server.port, 1)
        db = make_db(tmp_path)
        db.execute("UPDATE outbox SET claimed_by = 'x:1:t', sending_at = '2024-09-30T06:30:00+00:00'")
        db.conn.commit()
        config = make_config(tmp_path, server.port)
        config.notify.after_crash = after_crash  # type: ignore[misc]
        assert send_pending(db, config).sent == 1
        mid = db.execute("SELECT message_id FROM outbox").fetchone()[0]
        assert [str(m["Message-ID"]).strip() for m in server.messages] == [mid]
    finally:
        server.stop()
