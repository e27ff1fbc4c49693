"""``make demo`` (examples/demo.sh) runs end to end and writes, besides the IVO report and the
reminders, the committee pack and the internal-control report, and says where they are."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT


def test_demo_writes_the_committee_papers_and_prints_where(tmp_path: Path) -> None:
    bevaka = shutil.which("bevaka", path=str(Path(sys.executable).parent))
    assert bevaka, "the bevaka command is not installed in this environment"
    out = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEVAKA_")}
    run = subprocess.run(["bash", str(ROOT / "examples" / "demo.sh"), str(out)], cwd=ROOT,
                         env={**env, "BEVAKA": bevaka}, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    pack = out / "namnd" / "namnd-oxelosund-von-2023-12-13"
    ic = out / "internkontroll" / "internkontroll-oxelosund-von-2024-2024-11-20"
    for path in (pack.with_suffix(".html"), pack.with_suffix(".pdf"), pack.with_suffix(".xlsx"),
                 ic.with_suffix(".html"), ic.with_suffix(".pdf"), ic.with_suffix(".xlsx"),
                 ic.parent / f"{ic.name}-karta.png", ic.parent / f"{ic.name}-karta.svg"):
        assert path.stat().st_size > 0, path
    assert f"nämndens underlag    {out}/namnd/namnd-oxelosund-von-2023-12-13.html, .pdf, .xlsx" \
        in run.stdout
    assert f"internkontroll       {out}/internkontroll/internkontroll-oxelosund-von-2024-2024-11-20" \
        ".html" in run.stdout
    assert "Revisionsloggen är hel" in run.stdout
    # every line the demo itself prints is Swedish: its step headings and its list of files
    headings = [line for line in run.stdout.splitlines() if line.startswith("== ")]
    assert [h.split(" ", 2)[1] for h in headings] == [f"{n}." for n in range(1, 9)]
    assert headings[0].startswith("== 1. Importera Nyköping") and "== 8. Revisionsloggen" in headings
    assert "Klart. Filer:" in run.stdout and "Prova: BEVAKA_DB=" in run.stdout
    english = ("Import ", "Rules:", "Check ", "Audit log", "Done.", "Try:", "database ",
               "findings ", "worksheets", "committee", "internal control", "heat map",
               "reminder", " files)", " passed", " failed")
    text = run.stdout.replace(str(tmp_path), "TMP")  # the test's folder has English in it
    assert not [w for w in english if w in text], text
