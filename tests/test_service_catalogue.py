"""The service's frameworks: compiled once per file content, a folder winning over the bundled family, a
changed file compiled again; and ``xeploai serve`` without its extra."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from paths import ROOT
from xeploai import api
from xeploai.cli import main
from xeploai.service import catalogue as catalogue_module
from xeploai.service import server
from xeploai.service.catalogue import Catalogue
from xeploai.service.errors import ServiceError


def test_a_framework_is_compiled_once_and_reused() -> None:
    served = Catalogue()
    first, entry = served.program("party/2019-10-18")
    again, _ = served.program("party/2019-10-18.yaml")
    selection, chosen = served.select("party", api.parse_period(2020))
    assert first is again and selection.program is first and chosen == entry and entry.origin == "bundled"
    compiled = served.compiled
    served.select("party", api.parse_period(2021))
    assert served.compiled == compiled


def test_a_folders_family_replaces_the_bundled_one_and_a_changed_file_is_compiled_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalogue_module, "RESCAN", 0.0)
    (tmp_path / "party").mkdir()
    copy = tmp_path / "party" / "2019-10-18.yaml"
    shutil.copy(ROOT / "frameworks" / "party" / "2019-10-18.yaml", copy)
    served = Catalogue(tmp_path)
    assert [e.id for e in served.families()["party"]] == ["party/2019-10-18"]
    assert served.families()["party"][0].origin == "folder" and "civil-service" in served.families()
    before, _ = served.program("party/2019-10-18")
    copy.write_text(copy.read_text(encoding="utf-8") + "\n# a comment changes the hash\n", encoding="utf-8")
    after, _ = served.program("party/2019-10-18")
    assert after is not before and after.info.source_sha256 != before.info.source_sha256
    with pytest.raises(ServiceError) as error:
        served.select("party", api.parse_period(2026))  # the folder's party has no version for 2026
    assert error.value.status == 404 and error.value.issues[0].code == "unknown-framework"


def test_an_unknown_framework_is_a_404_naming_what_is_served() -> None:
    with pytest.raises(ServiceError) as error:
        Catalogue().program("party/1999-01-01")
    assert error.value.status == 404 and "party/2019-10-18" in error.value.issues[0].message


def test_serve_without_the_extra_is_a_usage_error_in_both_languages(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(server, "missing_packages", lambda: ["fastapi", "uvicorn"])
    assert main(["serve", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "cần các gói tùy chọn" in err and "needs optional packages" in err and "xeploai[service]" in err
