"""The documentation keeps up with the code: every issue code is documented (and nothing else is), the glossary
has its terms, the Markdown is NFC, and relative links point at files and headings that exist."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from xeploai.program.issues import CODES

ROOT = Path(__file__).resolve().parents[1]
ISSUE_CODES = ROOT / "docs" / "reference" / "issue-codes.md"
GLOSSARY = ROOT / "docs" / "glossary.md"
MARKDOWN = sorted([*ROOT.glob("*.md"), *(ROOT / "docs").rglob("*.md")])

_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def _without_code(text: str) -> str:
    return _FENCE.sub("", text)


def sections(path: Path, level: int = 2) -> dict[str, str]:
    """Heading text → the section's body, for headings of exactly ``level`` (code blocks are not headings)."""
    marker = "#" * level + " "
    out: dict[str, str] = {}
    current: str | None = None
    in_code = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if not in_code and line.startswith("#"):
            current = line[len(marker) :].strip() if line.startswith(marker) else None
            if current is not None:
                assert current not in out, f"{path.name}: heading '{current}' appears twice"
                out[current] = ""
            continue
        if current is not None:
            out[current] += line + "\n"
    return out


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    for level in range(1, 7):
        found.update(github_anchor(h) for h in sections(path, level))
    return found


# --- issue codes -------------------------------------------------------------------------------------------


def test_every_issue_code_has_a_section() -> None:
    documented = set(sections(ISSUE_CODES))
    missing = [code for code in CODES if code not in documented]
    assert not missing, f"document these codes in {ISSUE_CODES.relative_to(ROOT)}: {missing}"


def test_every_section_of_the_issue_codes_page_is_a_code() -> None:
    extra = [heading for heading in sections(ISSUE_CODES) if heading not in CODES]
    assert not extra, f"sections that are not codes of xeploai.program.issues.CODES: {extra}"


def test_issue_code_sections_follow_the_order_of_codes() -> None:
    assert list(sections(ISSUE_CODES)) == list(CODES)


@pytest.mark.parametrize("code", list(CODES))
def test_each_code_has_a_failing_example_and_what_the_tool_prints(code: str) -> None:
    body = sections(ISSUE_CODES).get(code)
    if body is None:
        pytest.fail(f"no section for {code}")
    blocks = _FENCE.findall(body)
    assert len(blocks) >= 2, f"{code}: give a minimal failing snippet and what the tool prints"
    assert "What to do" in body, f"{code}: say what to do about it"
    prose = _without_code(body).strip()
    assert prose, f"{code}: say what it means"


# --- glossary ----------------------------------------------------------------------------------------------

GLOSSARY_TERMS = {
    "framework": "khung tiêu chí",
    "subject": "đối tượng",
    "subject kind": "loại đối tượng",
    "criterion": "tiêu chí",
    "rule": "",
    "condition": "điều kiện",
    "evidence": "minh chứng",
    "level": "mức xếp loại",
    "cap": "",
    "quota": "tỷ lệ",
    "outcome": "",
    "trace": "",
    "citation": "",
    "confidence mark": "",
    "receipt": "",
    "trigger": "",
    "not classified": "không xếp loại",
    "insufficient evidence": "",
}


def glossary_rows() -> dict[str, tuple[str, str]]:
    rows: dict[str, tuple[str, str]] = {}
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and not set(cells[0]) <= {"-", " "} and cells[0] != "English term":
            rows[cells[0]] = (cells[1], cells[2])
    return rows


@pytest.mark.parametrize(("term", "vietnamese"), list(GLOSSARY_TERMS.items()))
def test_glossary_defines_the_shared_vocabulary(term: str, vietnamese: str) -> None:
    rows = glossary_rows()
    assert term in rows, f"the glossary lacks '{term}'"
    vi, meaning = rows[term]
    assert vi and meaning, f"'{term}' needs a Vietnamese term and a meaning"
    assert vietnamese in vi


# --- all Markdown ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda p: str(p.relative_to(ROOT)))
def test_markdown_is_nfc(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), 1):
        assert unicodedata.is_normalized("NFC", line), f"{path.name}:{number} is not in Unicode NFC"


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(path: Path) -> None:
    for target in _LINK.findall(_without_code(path.read_text(encoding="utf-8"))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        assert linked.exists(), f"{path.relative_to(ROOT)} links to missing {target}"
        if anchor and linked.suffix == ".md":
            assert anchor in anchors(linked), f"{path.relative_to(ROOT)} links to missing heading {target}"


def test_readme_names_the_two_fresh_machine_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "bash .ci/run" in readme
    assert "xeploai batch frameworks examples/district-2026 --period 2026 --out results" in readme


def test_every_issue_code_has_a_vietnamese_summary() -> None:
    from xeploai.program.issues import CODES, CODES_VI

    assert set(CODES_VI) == set(CODES)
    assert all(text and unicodedata.normalize("NFC", text) == text for text in CODES_VI.values())


def test_the_architecture_page_lists_every_module() -> None:
    """docs/architecture.md is the folder map: each module under src/xeploai has its row, linked to its file."""
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    package = ROOT / "src" / "xeploai"
    missing = [
        str(path.relative_to(package))
        for path in sorted(package.rglob("*.py"))
        if path.name not in ("__init__.py", "__main__.py")
        and f"](../src/xeploai/{path.relative_to(package).as_posix()})" not in page
    ]
    assert not missing, f"docs/architecture.md has no row for {missing}"


# --- framework pages -----------------------------------------------------------------------------------------

FRAMEWORK_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}\.yaml$")


def framework_page_problems(frameworks: Path, docs: Path) -> list[str]:
    """What the docs lack for the framework files under ``frameworks``: each version ``<family>/<date>.yaml`` has a
    page ``frameworks/<family>-<date>.md`` and a row in the index linking to it."""
    index = (docs / "index.md").read_text(encoding="utf-8")
    problems = []
    for file in sorted(frameworks.glob("*/*.yaml")):
        if not FRAMEWORK_NAME.match(file.name):
            continue
        page = f"frameworks/{file.parent.name}-{file.stem}.md"
        if not (docs / page).is_file():
            problems.append(f"no page docs/{page} for {file.parent.name}/{file.name}")
        row = re.compile(rf"^\|\s*{re.escape(file.parent.name)}\s*\|\s*\[{re.escape(file.stem)}\]\({re.escape(page)}\)")
        if not any(row.match(line) for line in index.splitlines()):
            problems.append(f"no row for {file.parent.name}/{file.stem} in the frameworks table of docs/index.md")
    return problems


def test_every_bundled_framework_has_its_page_and_its_index_row() -> None:
    assert (ROOT / "frameworks" / "party" / "2019-10-18.yaml").is_file()
    assert framework_page_problems(ROOT / "frameworks", ROOT / "docs") == []


def test_a_framework_without_page_or_index_row_is_named(tmp_path: Path) -> None:
    frameworks, docs = tmp_path / "frameworks", tmp_path / "docs"
    (frameworks / "party").mkdir(parents=True)
    (docs / "frameworks").mkdir(parents=True)
    for name in ("2019-10-18.yaml", "2019-10-18.tests.yaml", "2024-01-01.yaml"):
        (frameworks / "party" / name).write_text("format: xeploai/1\n", encoding="utf-8")
    (docs / "frameworks" / "party-2019-10-18.md").write_text("# party 2019-10-18\n", encoding="utf-8")
    (docs / "index.md").write_text(
        "| family | file |\n| --- | --- |\n| party | [2019-10-18](frameworks/party-2019-10-18.md) |\n", encoding="utf-8"
    )
    assert framework_page_problems(frameworks, docs) == [
        "no page docs/frameworks/party-2024-01-01.md for party/2024-01-01.yaml",
        "no row for party/2024-01-01 in the frameworks table of docs/index.md",
    ]


# --- docs that match the code ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_page_calls_a_shipped_command_planned(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for phrase in ("(being added)", "đang được bổ sung vào chương trình", "Planned command line"):
        assert phrase not in text, f"{path.name}: {phrase!r} — the command exists; show it"


def test_the_readme_names_what_ci_runs_beyond_scripts_test() -> None:
    """`.ci/run` runs more than `scripts/test`; the README must not say they are the same."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for script in re.findall(r"bash (scripts/[\w-]+)", ci):
        if script != "scripts/test":
            assert script in readme, f"the README does not say that .ci/run also runs {script}"
