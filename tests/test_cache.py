"""The cache of what YAML files gave (policycheck.cache): reuse, never stale, safe to break."""

from __future__ import annotations

import hashlib
import marshal
import os
from pathlib import Path

import pytest
from conftest import ROOT

from policycheck import cache, signing
from policycheck.cli import main
from policycheck.loading import Loaded, load_paths
from policycheck.validation import load_model

PLAN = """\
plan:
  id: p1
  role_kind: service
  base_pay: 30000
  target_variable: 3000
  effective_from: 2024-01-01
  x_reviewed: 2024-01-01T10:00:00+02:00
  components:
    - {id: c1, kpi: aht, weight: 1.0, curve_points: [[80, 0], [100, 100]]}
"""


def _packs(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.pack"))


def _fresh(paths: list[Path], monkeypatch: pytest.MonkeyPatch) -> Loaded:
    with monkeypatch.context() as patch:
        patch.setenv("POLICYCHECK_NO_CACHE", "1")
        return load_paths(paths)


def _kind(value: object) -> type:
    """A value's type; a nested YAML mapping or list comes back from the cache as a plain
    dict or list, which parsing takes as the same (``parsedcolumn.cell_types``)."""
    return dict if isinstance(value, dict) else list if isinstance(value, list) else type(value)


def _same(got: Loaded, fresh: Loaded) -> None:
    assert got.records.rows == fresh.records.rows
    assert got.problems == fresh.problems
    assert (got.files, got.skipped) == (fresh.files, fresh.skipped)
    for entity, rows in fresh.records.rows.items():  # types too: dates, position tuples
        for mine, theirs in zip(got.records.rows[entity], rows, strict=True):
            assert {k: _kind(v) for k, v in mine.items()} == \
                {k: _kind(v) for k, v in theirs.items()}
            assert {k: type(v) for k, v in mine["src_fields"].items()} == \
                {k: type(v) for k, v in theirs["src_fields"].items()}


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "a.yaml").write_text(PLAN, encoding="utf-8")
    (folder / "b.yaml").write_text(PLAN.replace("p1", "p2") + "  base_pay: 1\n",
                                   encoding="utf-8")  # a duplicate key: a problem
    (folder / "waivers-2027.yaml").write_text("waivers: []\n", encoding="utf-8")  # skipped
    (folder / "c.yaml").write_text("plan: [\n", encoding="utf-8")  # a syntax error
    return folder


def _imported(module: str) -> set[str]:
    """The policycheck modules ``module`` (a file name) imports, as file names."""
    import ast

    tree = ast.parse((ROOT / "policycheck" / module).read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("policycheck"):
            inner = (node.module or "").removeprefix("policycheck").lstrip(".")
            found |= {f"{inner}.py"} if inner else {f"{a.name}.py" for a in node.names}
    return {name for name in found if (ROOT / "policycheck" / name).is_file()}


def test_the_code_a_cached_outcome_depends_on_is_all_in_its_key() -> None:
    """An entry is keyed by a hash of ``SOURCES``: a module they import and it missed
    (``limits.py``, ``closest.py`` were) could change what a file gives, and an entry made
    before the change would still be served."""
    seen, todo = set(), list(cache.SOURCES)
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(_imported(module))
    assert seen == set(cache.SOURCES)


def test_second_run_comes_from_the_cache_and_equals_a_parse(
        tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _folder(tmp_path)
    first = load_paths([folder])
    assert len(_packs(cache_dir)) == 1
    (pack,) = _packs(cache_dir)
    written = pack.stat().st_ino, pack.read_bytes()
    fresh = _fresh([folder], monkeypatch)
    monkeypatch.setattr("policycheck.yamlfiles.read_yaml_file", None)  # no parse at all
    second = load_paths([folder])
    _same(first, fresh)
    _same(second, fresh)
    assert (pack.stat().st_ino, pack.read_bytes()) == written  # nothing changed: not rewritten
    assert any(p.code == "duplicate-key" for p in second.problems)


def test_an_edited_file_is_parsed_again(tmp_path: Path, cache_dir: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _folder(tmp_path)
    load_paths([folder])
    # Same size, same modification time: only the content tells.
    plan = folder / "a.yaml"
    stat = plan.stat()
    plan.write_text(PLAN.replace("30000", "40000"), encoding="utf-8")
    os.utime(plan, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    again = load_paths([folder])
    assert again.records.rows["plans"][0]["base_pay"] == 40000
    _same(again, _fresh([folder], monkeypatch))


def test_a_file_read_in_another_encoding_is_not_served_as_read_in_none(
        tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The encoding of the files that are not UTF-8 (``--encoding``) is part of the key of
    each file's entry and of the model: runs with and without it alternate correctly."""
    folder = _folder(tmp_path)
    (folder / "d.yaml").write_bytes(PLAN.replace("p1", "p4").encode() + b"  name: caf\xe9\n")
    (folder / "plans.csv").write_bytes(b"id,name,role_kind,base_pay,target_variable\n"
                                       b"p5,caf\xe9,service,30000,0\n")
    for encoding in ("", "cp1252", "", "cp1252"):
        monkeypatch.setenv("POLICYCHECK_ENCODING", encoding)
        model = load_model([folder])
        encoded = [p.location.file for p in model.problems if p.code == "encoding"]
        names = model.plans.set_index("plan_id")["name"]
        if encoding:
            assert (encoded, names["p4"], names["p5"]) == ([], "caf\xe9", "caf\xe9")
        else:
            assert encoded == [str(folder / "d.yaml"), str(folder / "plans.csv")]
            assert "p4" not in names and "p5" not in names


def test_a_damaged_pack_is_ignored_and_rewritten(tmp_path: Path, cache_dir: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _folder(tmp_path)
    load_paths([folder])
    (pack,) = _packs(cache_dir)
    good = pack.read_bytes()
    body = marshal.dumps({"k": ("not", "an", "entry")})
    for broken in (b"", good[:-10], good[:40] + b"x" + good[41:], b"junk" * 20,
                   cache.MAGIC + hashlib.sha256(body).digest() + body):  # unsigned
        pack.write_bytes(broken)
        _same(load_paths([folder]), _fresh([folder], monkeypatch))
    assert pack.read_bytes().startswith(cache.MAGIC)


def test_entries_of_another_shape_are_parsed_again(tmp_path: Path, cache_dir: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _folder(tmp_path)
    load_paths([folder])
    (pack,) = _packs(cache_dir)
    entries = cache.read_pack(pack)
    assert len(entries) == 4
    cache.write_pack(pack, {k: ({"plans": ["text"]}, [], False, []) for k in entries})
    _same(load_paths([folder]), _fresh([folder], monkeypatch))


def test_no_cache_flag_writes_nothing(tmp_path: Path, cache_dir: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    main(["validate", str(plan), "--no-cache"])
    assert main(["diff", str(plan), str(plan), "--no-cache"]) == 0
    assert main(["export", str(plan), "--csv", str(tmp_path / "csv"), "--no-cache"]) == 0
    assert not cache_dir.exists()
    main(["validate", str(plan)])
    assert [p.parent.name for p in _packs(cache_dir)] == ["model", "yaml"]


def test_packs_are_marshal_data_never_pickle(tmp_path: Path, cache_dir: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    load_paths([plan])
    (pack,) = _packs(cache_dir)
    raw = pack.read_bytes()
    assert raw.startswith(cache.MAGIC)
    entries = marshal.loads(raw[len(cache.MAGIC) + 32:])
    assert list(entries) == [cache.key(plan.read_bytes(), plan.as_posix(), True)]


def test_a_pack_that_cannot_be_unmarshalled_is_a_miss(tmp_path: Path, cache_dir: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A crafted pack with a good checksum may claim a list of two billion items: marshal
    then fails with MemoryError (or anything else), and the run parses the files again."""
    folder = _folder(tmp_path)
    load_paths([folder])
    (pack,) = _packs(cache_dir)
    body = b"[" + (2**31 - 1).to_bytes(4, "little")
    pack.write_bytes(cache.MAGIC + signing.signature(body) + body)

    def huge(data: bytes) -> object:
        raise MemoryError

    monkeypatch.setattr(cache.marshal, "loads", huge)
    assert cache.read_pack(pack) == {}
    _same(load_paths([folder]), _fresh([folder], monkeypatch))


def test_a_pack_signed_with_another_key_is_not_read(tmp_path: Path, cache_dir: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache folder is in the checkout, where a pull request may commit a pack forged to
    say its plans hold no components: a pack not signed with this user's key is a miss."""
    folder = _folder(tmp_path)
    load_paths([folder])
    (pack,) = _packs(cache_dir)
    key = tmp_path / "user-cache" / "policycheck" / "pack.key"
    assert len(key.read_bytes()) == signing.KEY_BYTES
    assert key.stat().st_mode & 0o777 == 0o600
    entries = cache.read_pack(pack)
    assert len(entries) == 4
    forged = {k: ({}, [], False, []) for k in entries}  # every file "empty"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "attacker"))
    cache.write_pack(pack, forged)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    assert cache.read_pack(pack) == {}
    again = load_paths([folder])
    assert [r["plan_id"] for r in again.records.rows["plans"]] == ["p1", "p2"]
    _same(again, _fresh([folder], monkeypatch))


def test_without_a_place_for_the_key_the_cache_is_off(tmp_path: Path, cache_dir: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert signing.signing_key() is None and not cache.enabled()
    folder = _folder(tmp_path)
    _same(load_paths([folder]), _fresh([folder], monkeypatch))
    assert not cache_dir.exists()


SECRET = "0123456789abcdef0123456789abcdef"  # 32 characters: the shortest accepted


def test_a_ci_secret_signs_the_packs_so_a_restored_cache_is_read_on_another_machine(
        tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A CI job runs on a new machine each time: with POLICYCHECK_CACHE_KEY its packs are
    read by the next job that restores them, and by no run without that secret."""
    folder = _folder(tmp_path)
    monkeypatch.setenv("POLICYCHECK_CACHE_KEY", SECRET)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "first-machine"))
    load_paths([folder])
    (pack,) = _packs(cache_dir)
    fresh = _fresh([folder], monkeypatch)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "next-machine"))
    with monkeypatch.context() as patch:
        patch.setattr("policycheck.yamlfiles.read_yaml_file", None)  # no parse at all
        _same(load_paths([folder]), fresh)
    assert not (tmp_path / "first-machine").exists()  # no key of the machine's own is made
    assert not (tmp_path / "next-machine").exists()
    monkeypatch.setenv("POLICYCHECK_CACHE_KEY", SECRET[:-1] + "0")
    assert cache.read_pack(pack) == {}
    monkeypatch.delenv("POLICYCHECK_CACHE_KEY")  # a fork's pull request: no secret
    assert cache.read_pack(pack) == {}


def test_a_step_without_the_secret_keeps_its_packs_apart(
        tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A CI step run without the secret (the workflow's diff) signed its packs with the
    machine's own key over those of the step given it: the cache the job saved was read by
    no later run. Packs of different keys now sit side by side."""
    folder = _folder(tmp_path)
    monkeypatch.setenv("POLICYCHECK_CACHE_KEY", SECRET)
    fresh = load_paths([folder])
    with monkeypatch.context() as patch:
        patch.delenv("POLICYCHECK_CACHE_KEY")
        load_paths([folder])
    assert len(_packs(cache_dir)) == 2
    with monkeypatch.context() as patch:
        patch.setattr("policycheck.yamlfiles.read_yaml_file", None)  # no parse at all
        _same(load_paths([folder]), fresh)


def test_a_short_ci_secret_stops_the_run_without_showing_it(
        tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    monkeypatch.setenv("POLICYCHECK_CACHE_KEY", "  " + SECRET[:31] + "  ")
    assert main(["validate", str(plan)]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", "policycheck: error: POLICYCHECK_CACHE_KEY: expected a secret of "
                              "at least 32 characters (for example the output of 'openssl "
                              "rand -hex 32'), got 31\n")
    assert not cache_dir.exists()
    assert main(["validate", str(plan), "--no-cache"]) == 0  # no cache, no key needed
    monkeypatch.setenv("POLICYCHECK_CACHE_KEY", " ")  # blank: as if unset
    assert main(["validate", str(plan)]) == 0
    assert (tmp_path / "user-cache" / "policycheck" / "pack.key").exists()


def test_packs_unused_for_a_month_are_pruned_when_another_is_written(
        tmp_path: Path, cache_dir: Path) -> None:
    first, second = tmp_path / "first.yaml", tmp_path / "second.yaml"
    first.write_text(PLAN, encoding="utf-8")
    second.write_text(PLAN.replace("p1", "p2"), encoding="utf-8")
    load_paths([first])
    (old,) = _packs(cache_dir)
    long_ago = old.stat().st_mtime - (cache.PRUNE_DAYS + 1) * 86400
    os.utime(old, (long_ago, long_ago))
    load_paths([first])  # a hit marks the pack used
    assert old.stat().st_mtime > long_ago
    os.utime(old, (long_ago, long_ago))
    load_paths([second])  # a new pack: the stale one goes
    assert _packs(cache_dir) == [cache.pack_path([second.as_posix()])]


def test_a_file_named_twice_is_read_once_from_the_cache_without_a_rewrite(
        tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    first = load_paths([plan, plan])
    (pack,) = _packs(cache_dir)
    written = pack.stat().st_ino
    monkeypatch.setattr("policycheck.yamlfiles.read_yaml_file", None)  # no parse at all
    second = load_paths([plan, plan])
    assert pack.stat().st_ino == written
    assert second.records.rows == first.records.rows
    assert len(second.records.rows["plans"]) == 1
