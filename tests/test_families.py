"""Family names → framework folders → programs: bundled frameworks found by name, a path on disk winning."""

from __future__ import annotations

from pathlib import Path

import pytest

from paths import ROOT
from xeploai import api
from xeploai.cli import main
from xeploai.framework import families

MEMBER = ROOT / "examples" / "members" / "nguyen-van-an.yaml"


def test_in_a_clone_the_bundled_frameworks_are_the_repositorys() -> None:
    assert api.frameworks_root() == ROOT / "frameworks"
    assert api.schema_root() == ROOT / "schema"
    assert api.example_district() == ROOT / "examples" / "district"
    assert set(api.bundled_families()) == {"party", "civil-service"}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("party", "frameworks/party"),
        ("party/2019-10-18", "frameworks/party/2019-10-18.yaml"),
        ("party/2019-10-18.yaml", "frameworks/party/2019-10-18.yaml"),
        ("frameworks/civil-service/2023-09-15.yaml", "frameworks/civil-service/2023-09-15.yaml"),
    ],
)
def test_a_name_that_is_no_path_here_names_a_bundled_framework(
    spec: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert api.resolve_framework(spec) == ROOT / expected


@pytest.mark.parametrize("spec", ["nothing", "party/1999-01-01", "../party", "party/../../etc"])
def test_anything_else_comes_back_unchanged(spec: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert api.resolve_framework(spec) == Path(spec)


def test_a_folder_on_disk_wins_over_the_bundled_family(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "party").mkdir()
    (tmp_path / "party" / "2019-10-18.yaml").write_bytes((ROOT / "frameworks/party/2019-10-18.yaml").read_bytes())
    monkeypatch.chdir(tmp_path)
    assert api.resolve_framework("party") == Path("party")
    family = api.load_family("party")
    assert family.folder == Path("party") and [p.info.version for p in family.programs] == ["HD21"]


def test_load_family_compiles_every_version_once_and_chooses_by_period() -> None:
    party = api.load_family("party")
    assert [p.name for p, _ in party.versions] == [
        "2018-09-24.yaml",
        "2019-10-18.yaml",
        "2023-10-04.yaml",
        "2025-08-30.yaml",
    ]
    assert party.select(api.parse_period(2026)).path.name == "2025-08-30.yaml"
    assert party.select(api.parse_period(2020)).program is party.version("HD21") is party.version("2019-10-18")
    with pytest.raises(api.NoFrameworkError):
        party.select(api.parse_period(2010))
    with pytest.raises(KeyError):
        party.version("HD99")


def test_an_unknown_family_names_the_bundled_ones() -> None:
    with pytest.raises(FileNotFoundError, match="party"):
        api.load_family("partyy")


def test_the_command_line_takes_a_bundled_family_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "member.yaml").write_bytes(MEMBER.read_bytes())
    monkeypatch.chdir(tmp_path)
    assert main(["evaluate", "party", "member.yaml", "--period", "2020", "--lang", "en"]) == 0
    assert "Completed tasks well (HTT)" in capsys.readouterr().out
    assert main(["evaluate", "party/2023-10-04", "member.yaml", "--period", "2024", "--format", "json"]) == 0
    assert '"version": "124/HD25"' in capsys.readouterr().out


def test_the_wheel_bundles_frameworks_schemas_and_the_example_district() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    included = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert included == {
        "frameworks": f"xeploai/{families.BUNDLED}/frameworks",
        "schema": f"xeploai/{families.BUNDLED}/schema",
        "examples/district": f"xeploai/{families.BUNDLED}/examples/district",
    }
