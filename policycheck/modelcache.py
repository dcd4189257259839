"""The cache of a whole run's validated model, for runs that read YAML files or workbooks.

``policycheck.cache`` keeps what each YAML file gave, which spares a re-run the parsing but
not the typing and validation of the records (most of a warm run's time). A re-run over an
unchanged folder can skip both: the model of the last run over the same input paths is kept
in one pack, with the key of everything it was made from, and is served only when that key
is the same again:

- the survey of the inputs: the paths as given, every file found with whether it was named
  and its size, the problems met finding them (a missing path) and the files that could not
  be read, the YAML size limit;
- the cache key of each YAML file (``cache.key``: its bytes, shown path and the code that
  reads it), and the SHA-256 of each CSV table and workbook among them (an employees table
  beside the plans);
- the code that types and validates records: every file of the policycheck package (the
  built-in KPI library is one), and the versions of Python, pandas, numpy, pyarrow, pandera
  and PyYAML.

Runs that read YAML files or an .xlsx workbook use it: a workbook of 10,000 plans takes
openpyxl about 8 s to read, and its model comes back from the cache in 0.5 s. A run over CSV
tables alone uses it up to ``CSV_BYTES`` of tables. Below that, typing and validating is
mostly a fixed cost (pandera's import and set-up, about 0.3-0.5 s, and the typing of every
column, about 0.2 s at 17 plans), which a re-run is spared: on the benchmark's machine a
check of the sample company's CSV tables went from 2.2 to 1.1 s, of 10,000 plans from 3.0 to
1.9 s, of 20,000 from 3.5 to 2.5 s at a cost of 0.5 s to the run that keeps the model. Above
it, pandas reads the tables about as fast as their model comes back, and keeping it costs a
cold run more than it saves the next (100,000 plans: a 120 MB pack, 2.9 s to write and
check, 0.5 s saved). A table is read after it is hashed, so it is hashed again once the
model is made, and a model is not kept when a table changed in between. The pack is signed
and written as the file packs are (``cache.read_pack``, ``cache.write_pack``), holds only
marshal values (numbers as bytes of their numpy type, text as lists), and a model is stored
only when what is read back from it equals it, frame by frame and dtype by dtype.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from policycheck import cache
from policycheck.errors import display_path
from policycheck.inputfiles import TABLE_SUFFIXES, WORKBOOK_SUFFIXES
from policycheck.limits import fallback_encoding, size_limit
from policycheck.loading import Survey
from policycheck.model import Model
from policycheck.tablefiles import is_evidence_table

#: Bump when the stored shape changes.
FORMAT_VERSION = "2"
#: The libraries whose behaviour the typed and validated model depends on.
LIBRARIES = ("pandas", "numpy", "pyarrow", "pandera", "PyYAML")
#: CSV tables alone (evidence tables, which ``check`` does not read, aside) have their model
#: kept up to this many bytes: about 20,000 plans of the benchmark's generated company.
CSV_BYTES = 16 << 20


@functools.cache
def _code_identity() -> str | None:
    """What a model depends on besides its inputs; None when a library's version cannot be
    told (installed without its metadata), and then an upgrade could not be seen: the
    model cache is not used."""
    try:
        versions = [importlib.metadata.version(name) for name in LIBRARIES]
    except importlib.metadata.PackageNotFoundError:
        return None
    digest = hashlib.sha256()
    package = Path(__file__).parent
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(path.relative_to(package).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return "/".join((FORMAT_VERSION, sys.version, *versions, digest.hexdigest()))


def model_key(surveyed: Survey) -> str | None:
    """The key of the model a survey gives, or None when the model cache does not apply
    (it is off, or the inputs are CSV tables alone, more than ``CSV_BYTES`` of them)."""
    if not _worth_keeping(surveyed) or surveyed.keys is None:
        return None
    identity = _code_identity()
    if identity is None:
        return None
    found = [(display_path(path), explicit, size) for path, explicit, size in surveyed.found]
    problems = [cache.problem_values(p) for p in surveyed.problems]
    digest = hashlib.sha256(identity.encode())
    digest.update(repr((surveyed.paths, size_limit(".yaml", surveyed.max_bytes), found, problems,
                        surveyed.unread, surveyed.keys, _table_digests(surveyed),
                        fallback_encoding())).encode())
    return digest.hexdigest()


def _worth_keeping(surveyed: Survey) -> bool:
    """Whether a re-run would get the model from the cache sooner than by making it."""
    if surveyed.yaml or any(path.suffix.lower() in WORKBOOK_SUFFIXES for path in surveyed.tables):
        return True
    read = sum(size for path, _, size in surveyed.found
               if path.suffix.lower() in TABLE_SUFFIXES and not is_evidence_table(path.stem))
    return 0 < read <= CSV_BYTES


def _table_digests(surveyed: Survey) -> list[str | None]:
    """The SHA-256 of each table file (None for one that cannot be read)."""
    out: list[str | None] = []
    for path in surveyed.tables:
        try:
            with path.open("rb") as handle:
                out.append(hashlib.file_digest(handle, "sha256").hexdigest())
        except OSError:
            out.append(None)
    return out


def _pack(surveyed: Survey) -> Path:
    return cache.pack_path(list(surveyed.paths), "model")


def read(surveyed: Survey, key: str) -> Model | None:
    """The model stored under ``key`` for the survey's paths; None when there is none."""
    pack = _pack(surveyed)
    stored = cache.read_pack(pack)
    if stored.get("key") != key:
        return None
    model = decode(stored.get("model"))
    if model is not None:
        cache.touch(pack)
        cache.touch(cache.pack_path(list(surveyed.paths)))  # the files' pack stays in use
    return model


def write(surveyed: Survey, key: str, model: Model) -> None:
    """Keep the model under ``key``; skipped when it does not come back equal, or when a
    table changed while the model was made."""
    if surveyed.tables and model_key(surveyed) != key:
        return
    encoded = encode(model)
    if encoded is not None and _equal(decode(encoded), model):
        cache.write_pack(_pack(surveyed), {"key": key, "model": encoded})


# --- a model to and from marshal values -------------------------------------------------------

def encode(model: Model) -> dict[str, Any] | None:
    """The model as plain values; None when a column holds what they cannot."""
    try:
        frames = {name: _encode_frame(frame) for name, frame in model.frames.items()}
    except TypeError:
        return None
    return {"frames": frames, "problems": [cache.problem_values(p) for p in model.problems],
            "plans_read": model.plans_read, "invalid_plans": list(model.invalid_plans),
            "files": list(model.files), "skipped": list(model.skipped),
            "files_unread": list(model.files_unread)}


def decode(stored: Any) -> Model | None:
    """The model of ``encode``'s values; None when they are not of that shape."""
    try:
        frames = {name: _decode_frame(columns)
                  for name, columns in stored["frames"].items()}
        return Model(frames, tuple(cache.problem_from(p) for p in stored["problems"]),
                     int(stored["plans_read"]), tuple(stored["invalid_plans"]),
                     tuple(stored["files"]), tuple(stored["skipped"]),
                     tuple(stored["files_unread"]))
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        return None


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _encode_frame(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    if not frame.index.equals(pd.RangeIndex(len(frame))):  # kept frames are numbered from 0
        raise TypeError("index")
    columns: list[tuple[Any, ...]] = []
    for name, column in frame.items():
        dtype = column.dtype
        if isinstance(dtype, np.dtype) and dtype.kind in "biufmM":
            columns.append((name, f"numpy:{dtype.str}", column.to_numpy().tobytes()))
            continue
        if isinstance(dtype, np.dtype) and dtype.kind == "O":
            kind, values = "object", column.tolist()
        elif isinstance(dtype, np.dtype):
            raise TypeError(name)  # fixed-width text or bytes: not made by policycheck
        else:  # an extension column's missing values (pd.NA, NaN) as None
            kind = f"pandas:{dtype}"
            values = column.astype(object).where(column.notna(), None).tolist()
        if not set(map(type, values)) <= _PLAIN:
            raise TypeError(name)
        columns.append((name, kind, values))
    return columns


def _decode_frame(columns: list[tuple[Any, ...]]) -> pd.DataFrame:
    data: dict[str, Any] = {}
    for name, kind, values in columns:
        family, _, dtype = kind.partition(":")
        if family == "numpy":
            data[name] = np.frombuffer(values, dtype=np.dtype(dtype)).copy()
        elif family == "object":
            data[name] = pd.Series(values, dtype=object)
        else:
            data[name] = pd.array(values, dtype=pd.api.types.pandas_dtype(dtype))
    return pd.DataFrame(data)


def _equal(decoded: Model | None, model: Model) -> bool:
    if decoded is None or decoded.frames.keys() != model.frames.keys():
        return False
    for name, frame in model.frames.items():
        other = decoded.frames[name]
        if (list(other.columns) != list(frame.columns) or not other.dtypes.equals(frame.dtypes)
                or not other.equals(frame)):
            return False
    return (decoded.problems, decoded.plans_read, decoded.invalid_plans, decoded.files,
            decoded.skipped, decoded.files_unread) == (
        model.problems, model.plans_read, model.invalid_plans, model.files, model.skipped,
        model.files_unread)


__all__ = ["decode", "encode", "model_key", "read", "write"]
