"""Saving a workbook's zip: whole or not at all, and the same bytes for the same content.

openpyxl stamps the time of saving into a workbook; ``fix_workbook_dates`` writes its zip
again with fixed dates (``EPOCH`` for the document's own), deflates its worksheets fast
(``FAST_LEVEL``) and gives no entry ZIP64 fields it does not need, which Excel takes for a
corrupt file. It also writes the sheet rows given as XML pieces (``formats.sheetxml``).
Shared by the plans' workbook (``export``) and the Excel report (``formats.xlsx_format``).
"""

from __future__ import annotations

import datetime
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from policycheck.outputfiles import COPY_SIZE, replacing
from policycheck.streams import write_pieces

EPOCH = datetime.datetime(2000, 1, 1)


def save_workbook(book: Any, target: Path,
                  rewrite: Mapping[str, Callable[[bytes], Iterable[bytes]]] | None = None
                  ) -> Path:
    """Save an openpyxl workbook whole or not at all, with fixed dates (same content, same
    bytes) and ordinary file permissions; ``rewrite`` as for ``fix_workbook_dates``."""
    with replacing(target, ".xlsx.tmp") as temporary:
        book.save(temporary)
        fix_workbook_dates(temporary, rewrite)
    return target


def fix_workbook_dates(path: Path,
                       rewrite: Mapping[str, Callable[[bytes], Iterable[bytes]]] | None = None
                       ) -> None:
    """openpyxl stamps the save time into docProps/core.xml and every zip entry; replace
    both with a fixed date so that the workbook's bytes depend on its content only.

    An entry named in ``rewrite`` becomes the pieces its function makes of the saved entry
    (a sheet given the rows openpyxl did not write). The zip gives an entry ZIP64 fields
    when its size, known before its header, asks for them, and Excel calls a workbook with
    ones it does not need corrupt: the pieces are compressed into the zip as they come (on
    a second thread) while they stay small enough not to need them; when they grow past
    that, the workbook is made again with the entry staged in a file first."""
    import zipfile

    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    try:
        _write_workbook(path, entries, rewrite or {}, staged=False)
    except _NeedsZip64:
        _write_workbook(path, entries, rewrite or {}, staged=True)


def _write_workbook(path: Path, entries: list[tuple[str, bytes]],
                    rewrite: Mapping[str, Callable[[bytes], Iterable[bytes]]],
                    staged: bool) -> None:
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2000-01-01T00:00:00Z",
                              data)
            entry = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            if name.startswith("xl/worksheets/"):  # the bulk: deflated fast (FAST_LEVEL)
                _fast(entry)
            if name not in rewrite:
                out.writestr(entry, data)  # its size known: ZIP64 fields only if needed
            elif not staged:
                with out.open(entry, "w") as stream:  # size 0 to the zip: no ZIP64 fields
                    write_pieces(stream, _short(rewrite[name](data)))
            else:
                with tempfile.TemporaryFile(dir=path.parent) as stage:
                    write_pieces(stage, rewrite[name](data))
                    entry.file_size = stage.tell()
                    stage.seek(0)
                    with out.open(entry, "w") as stream:
                        shutil.copyfileobj(stage, stream, COPY_SIZE)


#: The deflate level of worksheets. Deflating took most of the time of a
#: workbook of 833,392 findings (1.2 GB of sheet XML): at zlib's default (6), the Excel
#: report of 100,000 plans took 21.9 s and 120 MB; at 2, 15.5 s and 151 MB (at 4: 17.7 s,
#: 133 MB; at 1: 15.5 s, 158 MB).
FAST_LEVEL = 2


def _fast(entry: Any) -> None:
    """Deflate ``entry`` at ``FAST_LEVEL`` (the attribute is public from Python 3.13)."""
    if hasattr(type(entry), "compress_level"):
        entry.compress_level = FAST_LEVEL
    else:
        entry._compresslevel = FAST_LEVEL


class _NeedsZip64(Exception):
    """An entry written without ZIP64 fields turned out to need them."""


#: The size past which the zip gives an entry ZIP64 fields (``zipfile``: 1.05 times the
#: size above 2 GiB - 1).
_ZIP64_SIZE = int(((1 << 31) - 1) / 1.05)


def _short(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """``pieces``, raising _NeedsZip64 when together they pass _ZIP64_SIZE."""
    size = 0
    for piece in pieces:
        size += len(piece)
        if size > _ZIP64_SIZE:
            raise _NeedsZip64
        yield piece
