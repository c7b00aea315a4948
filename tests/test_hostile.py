"""Hostile inputs: each ends in a clear answer with a position, in bounded time and memory, never a traceback.

The corpus is listed in docs/hostile-inputs.md; large cases are generated here rather than checked in.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from paths import FIXTURES, ROOT

GOOD = (FIXTURES / "good" / "2019-10-18.yaml").read_text(encoding="utf-8")
POPULATION = FIXTURES / "population" / "2019-10-18.yaml"
MEMORY_LIMIT = 2 * 1024**3
TIME_LIMIT = 30


@dataclass(frozen=True)
class Case:
    name: str
    command: str  # check | evaluate | batch
    write: Callable[[Path], Path]  # writes the hostile input into a folder, returns the path to pass
    expect_code: str | None  # the issue code in the output; None when the input is accepted
    expect_exit: int
    expect_text: str | None = None  # a piece of the output that shows the input was read right


def framework(text: str | bytes, name: str = "2019-10-18.yaml") -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / "party" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return write


def evidence(body: str) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / "an.yaml"
        head = "subject: {id: A, name: Nguyễn Văn An, kind: member}\nperiod: 2020\nevidence:\n"
        path.write_text(head + body, encoding="utf-8")
        return path

    return write


def evidence_file(text: str) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / "an.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


def fifo(name: str = "2019-10-18.yaml") -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / "party" / name
        path.parent.mkdir(parents=True)
        os.mkfifo(path)  # opened for reading, it waits for a writer that never comes
        return path

    return write


def workbook(members: int, change: Callable[[str, bytes], bytes] | None = None) -> Callable[[Path], Path]:
    """A population workbook of ``members`` members; ``change(part, data)`` then rewrites its zip parts."""

    def write(folder: Path) -> Path:
        import openpyxl  # type: ignore[import-untyped]

        path = folder / "don-vi.xlsx"
        book = openpyxl.Workbook()
        book.remove(book.active)
        for name, text in (("units", UNITS), ("subjects", HEADER), ("extra", HEADER)):
            sheet = book.create_sheet(name)
            for line in text.splitlines():
                sheet.append(line.split(","))
            if name != "units":
                for i in range(1, members + 1):
                    sheet.append([f"m{i}", "C1", "member", f"Thành viên {i}", 10, 9, "Tốt"])
        book.save(path)
        if change is not None:
            with zipfile.ZipFile(path) as old:
                parts = [(info, old.read(info)) for info in old.infolist()]
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
                for info, data in parts:
                    new.writestr(info, change(info.filename, data))
        return path

    return write


def stale_dimension(part: str, data: bytes) -> bytes:
    return data.replace(b'ref="A1:G11"', b'ref="A1:G6"') if part == "xl/worksheets/sheet2.xml" else data


def second_subjects_sheet(part: str, data: bytes) -> bytes:
    return data.replace(b'name="extra"', b'name="SUBJECTS"') if part == "xl/workbook.xml" else data


def zip_bomb(folder: Path) -> Path:
    """A workbook whose zip directory says a sheet unpacks to 4 GiB, as a zip bomb's does."""
    path = workbook(2)(folder)
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet2.xml"
    at = data.rindex(b"PK\x01\x02", 0, data.rindex(name))
    data[at + 24 : at + 28] = (2**32 - 1).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    return path


def tables(units: str, subjects: str) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        data = folder / "data"
        data.mkdir()
        (data / "units.csv").write_text(units, encoding="utf-8")
        (data / "subjects.csv").write_text(subjects, encoding="utf-8")
        return data

    return write


def with_rules(count: int) -> str:
    """The good fixture with ``count`` more rules (about 130 bytes each)."""
    rules = "".join(
        f'      r{i}: {{when: "targets_met >= {i}", label: {{vi: R, en: R}}, cite: {{doc: HD21, at: x}}, '
        "confidence: secondary}\n"
        for i in range(count)
    )
    anchor = "    not_classified: [is_exempted]\n"
    return GOOD.replace(anchor, rules + anchor)


LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(9)
)
UNITS = "id,parent,kind,name,head\nD,,district,Huyện ủy,\nC1,D,grassroots_cell,Chi bộ,\n"
HEADER = "id,unit,kind,name,targets_assigned,targets_met,task_results\n"
MEMBERS = "".join(f"m{i},C1,member,Thành viên {i},10,9,Tốt\n" for i in range(2, 7))

CASES = [
    Case("alias bomb", "check", framework(LAUGHS), "alias-limit", 1),
    Case("deep nesting", "check", framework("a: " + "[" * 5000 + "]" * 5000 + "\n"), "nesting-limit", 1),
    Case(
        "python object tag",
        "check",
        framework(GOOD + "x: !!python/object/apply:os.system ['echo hi']\n"),
        "forbidden-tag",
        1,
    ),
    Case(
        "duplicate keys",
        "check",
        framework(GOOD.replace("  version: HD21", "  version: HD21\n  version: HD22")),
        "duplicate-key",
        1,
    ),
    Case(
        "not UTF-8",
        "check",
        framework(GOOD.replace("Thử", "Th?").encode("utf-8").replace(b"Th?", b"Th\xff")),
        "not-utf8",
        1,
    ),
    Case("byte-order mark", "check", framework(b"\xef\xbb\xbf" + GOOD.encode("utf-8")), None, 0),
    Case("Vietnamese in NFD", "check", framework(GOOD.replace("Thử", "Thu\u0309")), "non-nfc-text", 1),
    Case("very long string", "check", framework(GOOD.replace('"Thử"', '"' + "x" * 1_100_000 + '"')), "too-large", 1),
    Case(
        "code in a condition",
        "check",
        framework(GOOD.replace("when: exempted,", "when: \"__import__('os').system('id')\",")),
        "unknown-reference",
        1,
    ),
    Case(
        "condition nested 10,000 deep",
        "check",
        framework(GOOD.replace("when: exempted,", 'when: "' + "(" * 10000 + "exempted" + ")" * 10000 + '",')),
        "unsupported-syntax",
        1,
    ),
    Case(
        "path traversal in extends",
        "check",
        framework(
            GOOD.replace(
                "  effective_from: 2019-10-18", "  effective_from: 2019-10-18\n  extends: ../../../../../etc/passwd"
            )
        ),
        "extends-path",
        1,
    ),
    Case("huge number", "evaluate", evidence("  sick_leave_months: 1.0e+400\n"), "not-finite", 3),
    Case("huge integer", "evaluate", evidence("  targets_assigned: " + "9" * 5000 + "\n"), "yaml-syntax", 3),
    Case("NaN", "evaluate", evidence("  sick_leave_months: .nan\n"), "not-finite", 3),
    Case("negative count", "evaluate", evidence("  targets_assigned: -3\n"), "out-of-range", 3),
    Case("met above assigned", "evaluate", evidence("  targets_assigned: 3\n  targets_met: 4\n"), "exceeds-field", 3),
    Case("null for a boolean", "evaluate", evidence("  exempted: null\n"), "null-value", 3),
    Case("text for a number", "evaluate", evidence("  targets_assigned: mười\n"), "wrong-type", 3),
    Case(
        "octal-looking counts",
        "evaluate",
        evidence("  targets_assigned: 012\n  targets_met: 05\n  task_results: Tốt\n"),
        None,
        0,
        "(A): Not completed (KHT)",
    ),
    Case(
        "YAML 1.1 words",
        "evaluate",
        evidence_file("subject: {id: 0012, name: No, kind: member}\nperiod: 2020\nevidence: {exempted: yes}\n"),
        "wrong-type",
        3,
        "exempted = 'yes'",
    ),
    Case(
        "decimal below a bound",
        "evaluate",
        evidence(
            "  targets_assigned: 10\n  targets_met: 9\n  task_results: Tốt\n"
            "  sick_leave_months: 2.99999999999999999999\n"
        ),
        None,
        0,
        "(A): Good (HTT)",
    ),
    Case("400-digit count", "evaluate", evidence("  targets_assigned: " + "9" * 400 + "\n"), "number-too-long", 3),
    Case("4,000-digit count", "evaluate", evidence("  targets_assigned: " + "9" * 4000 + "\n"), "number-too-long", 3),
    Case("tiny exponent", "evaluate", evidence("  sick_leave_months: 1e-999999999\n"), "number-too-long", 3),
    Case(
        "lone surrogate in a name",
        "evaluate",
        evidence_file('subject: {id: A, name: "\\ud800", kind: member}\nperiod: 2020\nevidence: {}\n'),
        "yaml-syntax",
        3,
    ),
    Case(
        "huge literal in a condition",
        "check",
        framework(GOOD.replace("sick_leave_months >= 3", "sick_leave_months >= 1e999999999")),
        "number-too-long",
        1,
    ),
    Case(
        "tiny literal in a condition",
        "check",
        framework(GOOD.replace("sick_leave_months >= 3", "sick_leave_months >= 1e-999999999")),
        "number-too-long",
        1,
    ),
    Case("FIFO as a framework", "check", fifo(), "not-a-file", 1),
    Case(
        "colliding spellings",
        "check",
        framework(GOOD.replace('en: "Good"}}', 'en: "HT"}}')),
        "ambiguous-spelling",
        1,
    ),
    Case("100,000 rules", "check", framework(with_rules(100_000)), "too-large", 1, "larger than 1 MiB"),
    Case("3,000 rules", "check", framework(with_rules(3_000)), "too-large", 1, "at most 2,000 are allowed"),
    Case(
        "400-digit count in a table",
        "batch",
        tables(UNITS, HEADER + "m1,C1,member,An," + "9" * 400 + ",9,Tốt\nm2,C1,member,Bình,10,9,Tốt\n"),
        None,
        0,
        "2 subject rows (people and collectives) = 1 classified + 0 not classified"
        " + 0 insufficient evidence + 0 awaiting the competent level's decision"
        " + 0 not decided by the rules + 1 rejected",
    ),
    Case(
        "unclosed quote",
        "batch",
        tables(UNITS, HEADER + 'm1,C1,member,"An,10,9,Tốt\n' + MEMBERS),
        None,
        0,
        "6 subject rows (people and collectives) = 5 classified + 0 not classified"
        " + 0 insufficient evidence + 0 awaiting the competent level's decision"
        " + 0 not decided by the rules + 1 rejected",
    ),
    Case(
        "cell over the CSV field limit",
        "batch",
        tables(UNITS, HEADER + "m1,C1,member," + "x" * 200_000 + ",10,9,Tốt\n" + MEMBERS),
        None,
        0,
        "6 subject rows (people and collectives) = 5 classified + 0 not classified"
        " + 0 insufficient evidence + 0 awaiting the competent level's decision"
        " + 0 not decided by the rules + 1 rejected",
    ),
    Case("subjects without a header row", "batch", tables(UNITS, MEMBERS), None, 3, "does not look like a header"),
    Case(
        "stale dimension",
        "batch",
        workbook(10, stale_dimension),
        None,
        0,
        "10 subject rows (people and collectives) = 10 classified",
    ),
    Case("second SUBJECTS sheet", "batch", workbook(2, second_subjects_sheet), None, 3, "'subjects' and 'SUBJECTS'"),
    Case("zip bomb workbook", "batch", zip_bomb, None, 3, "unpacks to more than 512 MiB"),
    Case("empty subjects table", "batch", tables(UNITS, ""), None, 3),
    Case("header-only subjects table", "batch", tables(UNITS, HEADER), None, 3),
    Case(
        "formula in a cell",
        "batch",
        tables(UNITS, HEADER + '=HYPERLINK("http://x"),C1,member,@SUM(A1),10,9,Tốt\n'),
        None,
        0,
    ),
]


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile_input_gets_a_clear_answer(case: Case, tmp_path: Path) -> None:
    target = case.write(tmp_path)
    if case.command == "check":
        argv = ["check", str(target), "--lang", "en"]
    elif case.command == "evaluate":
        argv = ["evaluate", str(FIXTURES / "good" / "2019-10-18.yaml"), str(target), "--lang", "en"]
    else:
        argv = [
            "batch",
            str(POPULATION),
            str(target),
            "--period",
            "2020",
            "--out",
            str(tmp_path / "out"),
            "--lang",
            "en",
        ]
    done = subprocess.run(
        [sys.executable, "-m", "xeploai", *argv],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=TIME_LIMIT,
        preexec_fn=_limit,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    output = done.stdout + done.stderr
    assert "Traceback" not in output
    assert done.returncode == case.expect_exit, output[-2000:]
    if case.expect_text is not None:
        assert case.expect_text in output, output[-2000:]
    if case.expect_code is not None:
        assert f"[{case.expect_code}]" in output, output[-2000:]
        assert " at " in output or ":" in output  # a position or a file:row is named


def test_formula_cells_are_neutralised_in_the_exports(tmp_path: Path) -> None:
    data = tables(UNITS, HEADER + '=HYPERLINK("http://x"),C1,member,@SUM(A1),10,9,Tốt\n')(tmp_path)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "xeploai",
            "batch",
            str(POPULATION),
            str(data),
            "--period",
            "2020",
            "--out",
            str(tmp_path / "out"),
            "--quiet",
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        timeout=60,
    )
    results = (tmp_path / "out" / "ket-qua.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in results and "'@SUM(A1)" in results
    assert "\n=" not in results and ",=" not in results and ",@" not in results


def test_the_corpus_is_documented() -> None:
    doc = (ROOT / "docs" / "hostile-inputs.md").read_text(encoding="utf-8")
    for case in CASES:
        assert f"| {case.name} |" in doc, f"docs/hostile-inputs.md lacks the case '{case.name}'"
