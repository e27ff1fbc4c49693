"""Writing outbound files privately, and only where the operator asked.

Reports, exports, ``.eml`` files and calendars carry case references and the municipality's
work: they are created ``0600`` in folders created ``0700`` (the ``bevaka`` command also sets
the umask ``077``, for anything a library creates). ``--out`` never writes through a symbolic
link and never outside the folder it names:

* :func:`write_private` opens one file with ``O_NOFOLLOW`` (a link where the file should be is
  refused, not followed);
* :func:`staged` lets a writer (openpyxl, WeasyPrint, matplotlib, csv) write its files into a
  private folder inside the target, then moves each into place with ``os.replace``, which
  replaces a name and never follows a link there; a link in the target, or a file the writer
  put outside its folder, is refused before anything is moved.

A refusal is an :class:`UnsafeOutput`: one Swedish line naming the path.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from facts.errors import UserError

__all__ = ["UnsafeOutput", "private_dir", "staged", "staged_file", "write_private"]

FILE_MODE = 0o600
DIR_MODE = 0o700


class UnsafeOutput(UserError):
    """``--out`` would write through a symbolic link or outside its folder."""


def _refuse_link(path: Path) -> None:
    if path.is_symlink():
        raise UnsafeOutput(f"{path}: är en symbolisk länk; bevaka skriver inte genom länkar "
                           "(ta bort länken eller välj en annan --out)")


def private_dir(path: str | Path) -> Path:
    """``path`` as a folder to write in: created ``0700`` if missing (with its parents); a
    symbolic link or a file there is refused."""
    folder = Path(path)
    _refuse_link(folder)
    if folder.exists() and not folder.is_dir():
        raise UnsafeOutput(f"{folder}: finns redan och är ingen mapp; välj en mapp med --out")
    folder.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    return folder


def write_private(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` (``0600``, replacing a regular file; a link is refused)."""
    p = Path(path)
    _refuse_link(p)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(p, flags, FILE_MODE)
    except OSError as exc:
        raise UnsafeOutput(f"{p}: kan inte skrivas ({exc.strerror}); välj en annan --out") \
            from None
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fh.fileno(), FILE_MODE)
        fh.write(data)
    return p


def _inside(path: Path, folder: Path) -> Path:
    try:
        return path.resolve().relative_to(folder.resolve())
    except ValueError:
        raise UnsafeOutput(f"{path}: ligger utanför {folder}; bevaka skriver bara i den mapp "
                           "--out anger") from None


def _walk(folder: Path) -> Iterable[Path]:
    for root, _, names in os.walk(folder):
        for name in names:
            yield Path(root) / name


def staged(out_dir: str | Path, write: Callable[[Path], list[Path]]) -> list[Path]:
    """Run ``write(folder)`` on a private folder inside ``out_dir`` and move what it wrote
    into ``out_dir`` (each file ``0600``); returns the paths in ``out_dir`` of the files
    ``write`` returned. Nothing is moved if a destination is a link (:class:`UnsafeOutput`)."""
    target = private_dir(out_dir)
    work = Path(tempfile.mkdtemp(prefix=".bevaka-", dir=target))
    try:
        returned = [_inside(p, work) for p in write(work)]
        moves = [(f, target / _inside(f, work)) for f in sorted(_walk(work))]
        for _, dest in moves:
            for part in [dest, *dest.parents]:
                if part == target or target not in part.parents:
                    break
                _refuse_link(part)
            if dest.exists() and not dest.is_file():
                raise UnsafeOutput(f"{dest}: finns redan och är ingen vanlig fil; välj en "
                                   "annan --out")
        for src, dest in moves:
            dest.parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
            os.chmod(src, FILE_MODE)
            os.replace(src, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return [target / rel for rel in returned]


def staged_file(path: str | Path, write: Callable[[Path], Path]) -> Path:
    """:func:`staged` for one file: ``write(tmp_path)`` writes it, and it is moved to ``path``."""
    p = Path(path)
    _refuse_link(p)
    folder = p.parent if str(p.parent) else Path(".")
    (written,) = staged(folder, lambda work: [write(work / p.name)])
    return written
