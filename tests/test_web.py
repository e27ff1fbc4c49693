"""The web view in a real browser: ``bevaka web`` on a free loopback port with the demo data,
driven by Playwright through Debian's chromium (Playwright cannot download browsers here)."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from demo_db import CONFIG, build_demo

from bevaka.cli import cli
from facts.personnummer import find_personnummer

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = os.environ.get("BEVAKA_SCREENSHOTS")  # keep the screenshots here to look at them
WIDTH = 1280
#: Datasette's own English words: none may be left on a page (its text, title, buttons, menus)
ENGLISH = ("rows", "row", "records", "results", "home", "Run SQL", "Format SQL", "Custom SQL",
           "Edit SQL", "View and edit SQL", "hide", "show", "This data as", "Powered by",
           "Queries took", "Queries", "Query parameters", "Tables", "Views", "view", "table",
           "Next page", "Advanced export", "JSON shape", "CSV options", "download file",
           "stream all rows", "Export CSV", "Suggested facets", "Facet by this", "facets",
           "Sort ascending", "Sort descending", "Sort by", "descending", "sorted by", "where",
           "Hide this column", "Show all columns", "Show not-blank rows", "Type:", "Apply",
           "remove filter", "column", "contains", "starts with", "ends with", "not like",
           "is null", "is not blank", "Search", "Error", "Forbidden", "Not found", "not found",
           "permission", "Links from other tables", "Data license", "Data source", "About",
           "Menu", "Log out")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Server:
    def __init__(self, folder: Path, token: str | None = None):
        self.db = build_demo(folder) if not (folder / "bevaka.db").exists() else folder / "bevaka.db"
        self.snapshot = folder / f"snapshot-{token or 'open'}.db"
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "BEVAKA_WEB_TOKEN": token or ""}
        self.live_before = _digest(self.db)
        self.log = folder / f"web-{token or 'open'}.log"  # a file: a pipe nobody reads fills up
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bevaka.cli", "--db", str(self.db), "--config", str(CONFIG),
                 "web", "--port", str(self.port), "--snapshot", str(self.snapshot)],
                env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise AssertionError(self.log.read_text()) from None
                time.sleep(0.3)
        raise AssertionError("bevaka web started no server in 60 s")

    def get(self, path: str, method: str = "GET", headers: dict[str, str] | None = None) -> tuple[int, str]:
        req = urllib.request.Request(self.base + path, method=method, headers=headers or {},
                                     data=b"sql=DELETE+FROM+audit_log" if method == "POST" else None)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, resp.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("web")
    build_demo(path)
    return path


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[Server]:
    srv = Server(folder)
    yield srv
    srv.stop()


def _shot(page: object, tmp: Path, name: str) -> Path:
    path = Path(SHOTS or tmp) / f"web-{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    assert path.stat().st_size > 10_000
    return path


def _swedish(page: object) -> None:
    """No English word of Datasette's on the page (visible text, title, buttons), and no
    page wider than the window (a long SQL line made a canned query 3185 px wide). The rows'
    cells are data, not Datasette's words (a decision record's facts are JSON with the fact
    fields' names), so they are left out."""
    p: Any = page
    chrome = p.evaluate("""() => {
        const cells = [...document.querySelectorAll(".rows-and-columns tbody")];
        cells.forEach((t) => { t.style.display = "none"; });
        const text = document.body.innerText;
        cells.forEach((t) => { t.style.display = ""; });
        return text; }""")
    text = "\n".join([chrome, p.title(), *p.eval_on_selector_all(
        "input[type=submit], button", "els => els.map(e => e.value || e.innerText)")])
    found = [w for w in ENGLISH if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text, re.I)]
    assert not found, (p.url, found)
    assert p.evaluate("document.documentElement.scrollWidth") <= WIDTH, p.url


def test_in_the_browser(server: Server, tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium missing: make test installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": WIDTH, "height": 900})
        page.goto(server.base + "/")
        assert page.locator("h1").first.inner_text() == "bevaka – granskningsvy"
        banner = page.locator("#kedjestatus").inner_text()
        assert "Revisionsloggen är hel: kedjan verifierad" in banner and "3 körningar" in banner
        assert page.locator("a[href='/bevaka']").count() >= 1
        assert "Sidor per roll eller adress" in page.content()
        assert "_memory" not in page.content()
        assert "7 vyer och 5 färdiga frågor" in page.inner_text("body")
        _swedish(page)
        _shot(page, tmp_path, "1-start")

        page.goto(server.base + "/bevaka")
        assert page.locator("h2").all_inner_texts() == ["Färdiga frågor", "Vyer"]
        _swedish(page)
        page.click("text=Överskridna frister per kvartal och lag")
        assert page.locator("h1").inner_text().startswith("Överskridna frister per kvartal och lag")
        rows = page.locator("table.rows-and-columns tbody tr")
        assert rows.count() >= 5
        assert "nykoping/von" in rows.first.inner_text() and "Revisionsloggen är hel" in page.content()
        assert page.locator("pre, textarea, #sql-format").count() == 0  # no SQL shown
        assert page.locator("h3").inner_text() == f"{rows.count()} rader"
        _swedish(page)
        _shot(page, tmp_path, "2-overskridna")

        page.goto(server.base + "/bevaka/per_regel_och_status")
        table = page.locator("table.rows-and-columns").inner_text()
        assert "ivo.ej-verkstallt" in table and "åtgärdad" in table and "försenad" in table
        _swedish(page)
        _shot(page, tmp_path, "3-per-regel")

        page.goto(server.base + "/bevaka/bevakningar?regel=ivo.ej-verkstallt")
        assert "Bevakningar" in page.locator("h1").inner_text()
        heading = page.locator("h3").first.inner_text()
        assert heading.endswith("rader där regel = ”ivo.ej-verkstallt”, sorterat efter frist")
        shown = int(heading.split()[0])
        assert "kvartal" in page.locator(".facet-results").inner_text()
        page.click("th.col-frist svg")  # Datasette's column menu, in Swedish
        assert "Sortera fallande" in page.locator(".dropdown-menu").inner_text()
        _swedish(page)
        _shot(page, tmp_path, "7-bevakningar")
        page.click("a:text-is('Exportera som CSV')")
        text = page.locator("body").inner_text()
        data = list(csv.DictReader(io.StringIO(text)))
        assert len(data) == shown > 10 and {r["regel"] for r in data} == {"ivo.ej-verkstallt"}
        assert "varfor" in data[0] and data[0]["organisation"] == "nykoping/von"

        for view in ("bevakningar", "bevakningar_per_kvartal", "korningar", "andringar",
                     "beslutsposter", "utkorg", "regler"):
            page.goto(f"{server.base}/bevaka/{view}")
            assert re.match(r"\d+ rad(er)?\b", page.locator("h3").first.inner_text()), view
            _swedish(page)
        runs = page.goto(server.base + "/bevaka/korningar.json?_shape=array&_sort=slutrad")
        ordered = runs.json()  # type: ignore[union-attr]
        page.goto(server.base + "/bevaka/andringar_mellan_korningar")
        page.get_by_label("Från körning (id)").fill(ordered[0]["korning"])
        page.get_by_label("Till och med körning (id)").fill(ordered[-1]["korning"])
        page.click("input[value='Visa']")
        changes = sum(int(r["andringar"]) for r in ordered[1:])
        assert page.locator("table.rows-and-columns tbody tr").count() == changes > 100
        _swedish(page)
        _shot(page, tmp_path, "8-andringar")
        for path, status, heading in (("/bevaka/bevakningar/1", 404, "Hittades inte"),  # a row
                                      ("/bevaka/finns_inte", 404, "Hittades inte"),
                                      ("/bevaka?sql=SELECT+1", 403, "Förbjudet"),
                                      ("/bevaka/audit_log", 403, "Förbjudet")):
            response = page.goto(server.base + path)
            assert response is not None and response.status == status, path
            assert page.locator("h1").inner_text() == heading
            _swedish(page)
        _shot(page, tmp_path, "9-forbjudet")
        assert "Traceback" not in server.log.read_text()  # a 403 or 404 is no fault

        page.goto(server.base + "/-/sidor")
        _swedish(page)
        page.click("a[href='/-/sida/nykoping/von/ifo']")
        assert page.locator("h1").inner_text() == "Bevakningar för ifo"
        assert page.locator("#oppna tbody tr").count() >= 1
        day = page.locator("#kalender td[data-datum='2025-01-01']")
        assert "D-2024-002" in day.inner_text()
        assert page.locator("#kalender td.idag").get_attribute("data-datum") == "2024-12-31"
        _swedish(page)
        _shot(page, tmp_path, "4-ifo")

        page.goto(server.base + "/-/sida/oxelosund/von/namndsekreterare")
        heat = page.locator("#riskkarta")
        assert heat.locator("td").count() == 25
        assert any("5, 8" in t for t in heat.locator("td.rod").all_inner_texts())
        _swedish(page)
        _shot(page, tmp_path, "5-namndsekreterare")
        heat.screenshot(path=str(Path(SHOTS or tmp_path) / "web-6-riskkarta.png"))
        browser.close()


def _pages(server: Server) -> list[str]:
    status, listing = server.get("/-/sidor")
    assert status == 200
    paths = ["/", "/bevaka", "/-/kedja.json", "/-/sidor"]
    for view in ("bevakningar", "bevakningar_per_kvartal", "korningar", "andringar",
                 "beslutsposter", "utkorg", "regler"):
        paths += [f"/bevaka/{view}?_size=max", f"/bevaka/{view}.csv?_size=max",
                  f"/bevaka/{view}.json?_size=max"]
    for query in ("overskridna_frister", "per_regel_och_status", "korningar_utan_fynd",
                  "stoppade_meddelanden"):
        paths += [f"/bevaka/{query}", f"/bevaka/{query}.csv"]
    for href in set(__import__("re").findall(r'href="(/-/(?:sida|kalender)/[^"]+)"', listing)):
        paths.append(href)
    return paths


def test_no_personal_data_on_any_page_or_csv(server: Server) -> None:
    conn = sqlite3.connect(server.db)
    secrets: set[str] = set()
    for table, column in (("decisions", "note"), ("decisions", "reason"), ("decisions", "birth_date"),
                          ("complaints", "summary"),
                          ("complaints", "acknowledgement_note"), ("submissions", "note")):
        secrets |= {v for (v,) in conn.execute(f"SELECT {column} FROM {table}") if v and len(v) >= 8}
    years = {str(v) for (v,) in conn.execute("SELECT birth_year FROM decisions") if v}
    conn.close()
    assert len(secrets) > 20 and len(years) > 10
    pages = _pages(server)
    assert len(pages) > 40
    for path in pages:
        status, text = server.get(path)
        assert status == 200, path
        assert not find_personnummer(text), path
        leaked = [s for s in secrets if s in text]
        assert not leaked, (path, leaked[:3])
        # a birth year, not an SFS number such as Tandvårdslag (1985:125)
        # (nor four digits inside a run id or a hash: a random hex string holds "1950" at times)
        tokens = set(__import__("re").findall(r"(?<![\w-])(19\d\d)(?![\w:-])", text))
        assert not tokens & years, (path, tokens & years)


def test_sql_and_writes_are_refused_and_nothing_changes(server: Server) -> None:
    before = _digest(server.snapshot)
    assert server.get("/bevaka?sql=SELECT+1")[0] == 403
    assert server.get("/bevaka/audit_log")[0] == 403
    assert server.get("/bevaka/_bevakningar.csv")[0] == 403
    assert server.get("/bevaka/bevakningar?_where=1%3D1")[0] in (400, 403)
    assert server.get("/bevaka.db")[0] == 403
    for tool in ("/-/versions", "/-/databases", "/-/metadata.json", "/-/threads", "/-/messages"):
        assert server.get(tool)[0] == 404, tool  # Datasette's own pages: paths, SQL, English
    assert server.get("/bevaka", method="POST")[0] == 405
    assert server.get("/bevaka/overskridna_frister", method="POST")[0] == 405
    assert server.get("/bevaka/bevakningar/-/insert", method="POST")[0] == 405
    assert _digest(server.snapshot) == before
    assert _digest(server.db) == server.live_before


def test_beyond_loopback_only_with_a_token(folder: Path) -> None:
    result = CliRunner().invoke(cli, ["--db", str(folder / "bevaka.db"), "--config", str(CONFIG),
                                      "web", "--host", "0.0.0.0"], env={"BEVAKA_WEB_TOKEN": ""})
    assert result.exit_code == 1 and "bara på 127.0.0.1 utan token" in result.output
    guarded = Server(folder, token="hemligt-token")
    try:
        assert guarded.get("/")[0] == 401
        assert guarded.get("/", headers={"Authorization": "Bearer fel"})[0] == 401
        assert guarded.get("/", headers={"Authorization": "Bearer hemligt-token"})[0] == 200
        basic = base64.b64encode(b"revisor:hemligt-token").decode()
        status, feed = guarded.get("/-/kalender/nykoping/von/ifo.ics",
                                   headers={"Authorization": f"Basic {basic}"})
        assert status == 200 and feed.startswith("BEGIN:VCALENDAR")
    finally:
        guarded.stop()


def test_stopped_messages_in_swedish(server: Server, tmp_path: Path) -> None:
    """The outbox's codes are shown in Swedish, and the canned query finds a stopped message
    by its Swedish status (the demo's dry run leaves the outbox empty, so one is added to a
    copy of the snapshot)."""
    from notifications.web.metadata import QUERIES

    copy = tmp_path / "kopia.db"
    copy.write_bytes(server.snapshot.read_bytes())
    conn = sqlite3.connect(copy)
    conn.executemany("INSERT INTO _utkorg (id, org, recipient, role, subject, status, attempts) "
                     "VALUES (?, 'nykoping/von', 'ifo@example.se', 'ifo', 'Påminnelse', ?, 0)",
                     [(1, "blocked"), (2, "sent"), (3, "pending"), (4, "failed")])
    assert [s for (s,) in conn.execute("SELECT status FROM utkorg ORDER BY id")] == [
        "stoppad", "skickad", "väntar", "misslyckad"]
    assert [r[0] for r in conn.execute(QUERIES["stoppade_meddelanden"]["sql"])] == [1]
    assert {a for (a,) in conn.execute("SELECT andring FROM andringar")} == {"ny", "ändrad", "borttagen"}
    conn.close()


def test_the_words_of_a_filtered_view() -> None:
    from notifications.web.svenska import describe, error, heading, number

    filters = [("regel", "exact", "ivo.avbrott"), ("klar", "isblank", "1"), ("antal", "gte", "3")]
    assert heading(1, describe(filters, sort_desc="frist")) == (
        "1 rad där regel = ”ivo.avbrott”, klar är tomt och antal ≥ 3, sorterat fallande efter frist")
    assert heading(1234, describe([], sort="frist")) == "1 234 rader, sorterat efter frist"
    assert heading(0, describe([], search="D-2024")) == "0 rader där sökningen matchar ”D-2024”"
    assert number(0.855) == "0,9" and error(404)[0] == "Hittades inte" and error(418)[0] == "Felaktig begäran"
