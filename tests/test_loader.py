"""Tests of the loader: YAML text -> plain data with spans, key spans and scalar styles, or every problem found."""

from __future__ import annotations

import datetime
import doctest
import itertools
import os
import time
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xeploai.framework import loader
from xeploai.framework.loader import Document, format_path, load_file, load_yaml
from xeploai.program.ir import Span
from xeploai.program.issues import FrameworkError, Issue

SRC = "fw.yaml"


def issues_of(text: str | bytes) -> tuple[Issue, ...]:
    with pytest.raises(FrameworkError) as caught:
        load_yaml(text, SRC)
    assert caught.value.source == SRC
    return caught.value.issues


def only_issue(text: str | bytes) -> Issue:
    issues = issues_of(text)
    assert len(issues) == 1, [i.render() for i in issues]
    return issues[0]


def at(line: int, col: int) -> Span:
    return Span(SRC, line, col)


def mapping(value: object) -> dict[object, object]:
    assert isinstance(value, dict)
    return value


def sequence(value: object) -> list[object]:
    assert isinstance(value, list)
    return value


# --- data, positions, styles --------------------------------------------------------------------------------

FRAMEWORK = """\
format: xeploai/1
subjects:
  party_member:
    rules:
      x: "đạt"
      y:  'single'
    levels:
      - good
      - fair
      - text: |
          literal
        folded: >
          folded
"""


def test_plain_data_is_built_from_nested_mappings_and_sequences() -> None:
    doc = load_yaml(FRAMEWORK, SRC)
    assert doc.source == SRC
    assert doc.data == {
        "format": "xeploai/1",
        "subjects": {
            "party_member": {
                "rules": {"x": "đạt", "y": "single"},
                "levels": ["good", "fair", {"text": "literal\n", "folded": "folded\n"}],
            }
        },
    }


def test_positions_of_nested_values_are_one_based() -> None:
    doc = load_yaml(FRAMEWORK, SRC)
    assert doc.spans[()] == at(1, 1)
    assert doc.spans[("format",)] == at(1, 9)
    assert doc.spans[("subjects", "party_member")] == at(4, 5)  # a block mapping starts at its first key
    assert doc.spans[("subjects", "party_member", "rules", "x")] == at(5, 10)
    assert doc.spans[("subjects", "party_member", "rules", "y")] == at(6, 11)
    assert doc.spans[("subjects", "party_member", "levels", 0)] == at(8, 9)
    assert doc.spans[("subjects", "party_member", "levels", 2, "text")] == at(10, 15)


def test_positions_of_nested_keys_are_recorded_for_mapping_entries() -> None:
    doc = load_yaml(FRAMEWORK, SRC)
    assert doc.key_spans[("subjects",)] == at(2, 1)
    assert doc.key_spans[("subjects", "party_member", "rules")] == at(4, 5)
    assert doc.key_spans[("subjects", "party_member", "rules", "y")] == at(6, 7)
    assert doc.key_spans[("subjects", "party_member", "levels", 2, "folded")] == at(12, 9)
    assert ("subjects", "party_member", "levels", 0) not in doc.key_spans  # a sequence item has no key


def test_scalar_styles_are_recorded_quoted_plain_and_block() -> None:
    doc = load_yaml(FRAMEWORK, SRC)
    rules = ("subjects", "party_member", "rules")
    levels = ("subjects", "party_member", "levels")
    assert doc.styles[(*rules, "x")] == '"'
    assert doc.styles[(*rules, "y")] == "'"
    assert doc.styles[(*levels, 0)] == ""
    assert doc.styles[(*levels, 2, "text")] == "|"
    assert doc.styles[(*levels, 2, "folded")] == ">"
    assert rules not in doc.styles  # only scalars have a style


def test_span_of_an_absent_path_is_the_nearest_known_ancestor() -> None:
    doc = load_yaml(FRAMEWORK, SRC)
    assert doc.span(("subjects", "party_member", "rules", "x")) == at(5, 10)
    assert doc.span(["subjects", "party_member", "missing", "deeper"]) == at(4, 5)
    assert doc.span(("nothing",)) == at(1, 1)


def test_empty_value_is_null_positioned_after_its_key() -> None:
    doc = load_yaml("a:\nb: 1\n", SRC)
    assert doc.data == {"a": None, "b": 1}
    assert doc.spans[("a",)] == at(1, 3)


def test_dates_become_date_and_datetimes_datetime() -> None:
    doc = load_yaml("issued_on: 2019-10-18\nat: 2019-10-18 10:30:00\nquoted: '2019-10-18'\n", SRC)
    assert doc.data == {
        "issued_on": datetime.date(2019, 10, 18),
        "at": datetime.datetime(2019, 10, 18, 10, 30),
        "quoted": "2019-10-18",
    }
    assert type(mapping(doc.data)["issued_on"]) is datetime.date


def test_scalars_resolve_as_yaml_1_1_safe_loader_does() -> None:
    doc = load_yaml("[1, -2, 0x10, 2.5, .inf, yes, No, true, ~, null, '', plain, '1']", SRC)
    assert doc.data == [1, -2, 16, 2.5, float("inf"), True, False, True, None, None, "", "plain", "1"]


def test_standard_tags_are_allowed_explicitly() -> None:
    text = "a: !!str 12\nb: !!int '7'\nc: !!float 1\nd: !!bool yes\ne: !!null ''\nf: !!seq [1]\ng: !!map {}\n"
    doc = load_yaml(text, SRC)
    assert doc.data == {"a": "12", "b": 7, "c": 1.0, "d": True, "e": None, "f": [1], "g": {}}


def test_mapping_keys_keep_their_resolved_type_and_path_element() -> None:
    doc = load_yaml("1: one\n'1': text\n", SRC)
    assert doc.data == {1: "one", "1": "text"}
    assert doc.key_spans[(1,)] == at(1, 1)
    assert doc.key_spans[("1",)] == at(2, 1)


def test_aliases_expand_to_copies_positioned_at_the_alias() -> None:
    doc = load_yaml("base: &b {k: 'v'}\ncopy: *b\n", SRC)
    assert doc.data == {"base": {"k": "v"}, "copy": {"k": "v"}}
    assert mapping(doc.data)["copy"] is not mapping(doc.data)["base"]
    assert doc.spans[("copy",)] == at(2, 7)
    assert doc.spans[("copy", "k")] == at(1, 14)  # inside the expansion: where the anchored text is
    assert doc.styles[("copy", "k")] == "'"


def test_vietnamese_nfd_text_is_preserved_as_is() -> None:
    nfd = unicodedata.normalize("NFD", "Hoàn thành xuất sắc nhiệm vụ")
    nfc = unicodedata.normalize("NFC", nfd)
    assert nfd != nfc
    doc = load_yaml(f"nfd: {nfd}\nnfc: '{nfc}'\n{nfd}: key\n", SRC)
    assert doc.data == {"nfd": nfd, "nfc": nfc, nfd: "key"}
    doc = load_yaml(f"nfd: {nfd}\n".encode(), SRC)
    assert doc.data == {"nfd": nfd}


def test_crlf_line_ends_give_the_same_positions() -> None:
    doc = load_yaml("a: b\r\nc: 'd'\r\n", SRC)
    assert doc.data == {"a": "b", "c": "d"}
    assert doc.spans[("c",)] == at(2, 4)


# --- encoding and size --------------------------------------------------------------------------------------


def test_utf8_bom_is_accepted_in_bytes_and_text() -> None:
    assert load_yaml(b"\xef\xbb\xbfa: 1\n", SRC).data == {"a": 1}
    doc = load_yaml("\ufeffa: 1\n", SRC)
    assert doc.data == {"a": 1}
    assert doc.key_spans[("a",)] == at(1, 1)


def test_non_utf8_bytes_are_rejected_naming_offset_and_line() -> None:
    issue = only_issue(b"a: 1\nb: caf\xe9\n")
    assert issue.code == "not-utf8"
    assert "offset 11" in issue.message
    assert "line 2" in issue.message
    assert issue.span == at(2, 7)


def test_non_utf8_offset_counts_the_bom() -> None:
    issue = only_issue(b"\xef\xbb\xbfa: \xff\n")
    assert issue.code == "not-utf8"
    assert "offset 6" in issue.message


def test_utf16_is_not_utf8() -> None:
    assert only_issue("a: 1\n".encode("utf-16")).code == "not-utf8"


def test_file_larger_than_the_limit_is_too_large() -> None:
    big = "#" * (loader.MAX_TEXT_BYTES + 1)
    assert only_issue(big).code == "too-large"
    assert only_issue(big.encode()).code == "too-large"
    multibyte = "đ" * (loader.MAX_TEXT_BYTES // 2 + 1)  # fewer characters than the limit, more bytes
    assert only_issue(multibyte).code == "too-large"


def test_scalar_longer_than_the_limit_is_too_large_with_position() -> None:
    issue = only_issue("ok: 1\nlong: " + "x" * (loader.MAX_SCALAR_BYTES + 1) + "\n")
    assert issue.code == "too-large"
    assert issue.path == "long"
    assert issue.span == at(2, 7)


def test_scalar_at_the_limit_is_accepted() -> None:
    assert load_yaml("a: " + "x" * loader.MAX_SCALAR_BYTES, SRC).data == {"a": "x" * loader.MAX_SCALAR_BYTES}


# --- documents and syntax -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n", "---\n", b"\xef\xbb\xbf"])
def test_empty_document(text: str | bytes) -> None:
    issue = only_issue(text)
    assert issue.code == "empty-document"
    assert issue.span == at(1, 1)


def test_explicit_null_document_is_not_empty() -> None:
    assert load_yaml("~\n", SRC).data is None


def test_multiple_documents_reported_at_the_second() -> None:
    issue = only_issue("a: 1\n---\nb: 2\n")
    assert issue.code == "multiple-documents"
    assert issue.span == at(2, 1)


def test_document_end_marker_alone_is_one_document() -> None:
    assert load_yaml("a: 1\n...\n", SRC).data == {"a": 1}


def test_syntax_error_has_problem_text_and_position() -> None:
    issue = only_issue("a: 1\nb: [1, 2\nc: 3\n")
    assert issue.code == "yaml-syntax"
    assert issue.message == "expected ',' or ']', but got ':'"
    assert issue.span == at(3, 2)
    assert issue.hint is not None and "flow sequence" in issue.hint and "line 2" in issue.hint


def test_syntax_error_mapping_values_not_allowed() -> None:
    issue = only_issue("a: b: c\n")
    assert (issue.code, issue.message, issue.span) == ("yaml-syntax", "mapping values are not allowed here", at(1, 5))


def test_undefined_alias_is_a_syntax_error() -> None:
    issue = only_issue("a: *nowhere\n")
    assert issue.code == "yaml-syntax"
    assert "nowhere" in issue.message
    assert issue.span == at(1, 4)


def test_duplicate_anchor_is_a_syntax_error_naming_the_first() -> None:
    issue = only_issue("a: &x 1\nb: &x 2\n")
    assert (issue.code, issue.message, issue.span) == ("yaml-syntax", "duplicate anchor &x", at(2, 4))
    assert issue.hint == "the first occurrence is at line 1, column 4"


def test_unprintable_character_is_a_syntax_error_with_position() -> None:
    issue = only_issue("a: 1\nb: x\x07y\n")
    assert issue.code == "yaml-syntax"
    assert "#x0007" in issue.message
    assert issue.span == at(2, 5)


@pytest.mark.parametrize(
    ("text", "tag"),
    [("a: !!int abc\n", "!!int"), ("a: !!bool maybe\n", "!!bool"), ("a: !!timestamp soon\n", "!!timestamp")],
)
def test_scalar_that_does_not_fit_its_explicit_tag(text: str, tag: str) -> None:
    issue = only_issue(text)
    assert issue.code == "yaml-syntax"
    assert tag in issue.message
    assert (issue.path, issue.span) == ("a", at(1, 4))


def test_impossible_date_is_reported_not_raised() -> None:
    issue = only_issue("issued_on: 2019-02-30\n")
    assert issue.code == "yaml-syntax"
    assert "day is out of range" in issue.message
    assert issue.hint == "quote it if it is meant as text"


# --- mapping keys and tags ----------------------------------------------------------------------------------


def test_duplicate_key_is_reported_at_the_second_naming_the_first_line() -> None:
    issue = only_issue("subjects:\n  member:\n    a: 1\n    b: 2\n    a: 3\n")
    assert issue.code == "duplicate-key"
    assert issue.path == "subjects.member.a"
    assert issue.span == at(5, 5)
    assert issue.hint is not None and "line 3" in issue.hint


def test_keys_equal_after_resolution_are_duplicates() -> None:
    issue = only_issue("yes: 1\ntrue: 2\n")
    assert (issue.code, issue.span) == ("duplicate-key", at(2, 1))


@pytest.mark.parametrize(
    "tagged",
    [
        "!!python/object:os.system x",
        "!!python/name:os.system ''",
        "!custom x",
        "!custom {a: 1}",
        "!!binary aGk=",
        "!!set {a, b}",
        "!!omap [a: 1]",
        "!!pairs [a: 1]",
        "!<tag:example.com,2000:x> 1",
        "!!map [1]",
        "!!seq x",
        "!!str [1]",
    ],
)
def test_forbidden_tag_is_reported_with_position(tagged: str) -> None:
    issue = only_issue(f"ok: 1\nvalue: {tagged}\n")
    assert issue.code == "forbidden-tag"
    assert issue.path == "value"
    assert issue.span == at(2, 8)


def test_forbidden_tag_from_a_tag_directive() -> None:
    issue = only_issue("%TAG ! tag:yaml.org,2002:python/\n---\na: !object:os.system x\n")
    assert (issue.code, issue.span) == ("forbidden-tag", at(3, 4))


def test_forbidden_tag_on_a_key() -> None:
    issue = only_issue("!custom k: 1\n")
    assert (issue.code, issue.span) == ("forbidden-tag", at(1, 1))


def test_merge_key_is_rejected() -> None:
    issue = only_issue("base: &b {x: 1}\nlevels:\n  <<: *b\n  y: 2\n")
    assert issue.code == "merge-key"
    assert issue.path == "levels"
    assert issue.span == at(3, 3)


def test_quoted_merge_text_is_an_ordinary_key_and_value() -> None:
    assert load_yaml("'<<': <<\n", SRC).data == {"<<": "<<"}


@pytest.mark.parametrize(("text", "span"), [("? [a, b]\n: 1\n", at(1, 3)), ("{{x: 1}: 2}\n", at(1, 2))])
def test_non_scalar_key(text: str, span: Span) -> None:
    issue = only_issue(text)
    assert (issue.code, issue.span) == ("non-scalar-key", span)


def test_alias_to_a_collection_as_key_is_non_scalar() -> None:
    issue = only_issue("a: &l [1]\n*l : 2\n")
    assert (issue.code, issue.span) == ("non-scalar-key", at(2, 1))


def test_several_issues_are_reported_at_once_in_document_order() -> None:
    text = (
        "format: xeploai/1\n"  # 1
        "levels:\n"  # 2
        "  - !custom x\n"  # 3
        "  - {<<: {a: 1}}\n"  # 4
        "  - {[k]: v}\n"  # 5
        "rules:\n"  # 6
        "  x: 1\n"  # 7
        "  x: 2\n"  # 8
        "---\n"  # 9
    )
    with pytest.raises(FrameworkError) as caught:
        load_yaml(text, SRC)
    error = caught.value
    found = [(i.code, i.path, i.span) for i in error.issues]
    assert found == [
        ("forbidden-tag", "levels[0]", at(3, 5)),
        ("merge-key", "levels[1]", at(4, 6)),
        ("non-scalar-key", "levels[2]", at(5, 6)),
        ("duplicate-key", "rules.x", at(8, 3)),
        ("multiple-documents", "", at(9, 1)),
    ]
    assert str(error).startswith(f"5 problems in {SRC}")


def test_a_problem_inside_an_anchor_is_reported_once() -> None:
    issues = issues_of("a: &a {k: 1, k: 2}\nb: *a\nc: *a\n")
    assert [(i.code, i.span) for i in issues] == [("duplicate-key", at(1, 14))]


# --- limits -------------------------------------------------------------------------------------------------


def billion_laughs(levels: int = 9) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in itertools.pairwise("abcdefghijklmnop"[:levels]):
        lines.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_fails_fast_with_alias_limit() -> None:
    start = time.perf_counter()
    issue = only_issue(billion_laughs())
    elapsed = time.perf_counter() - start
    assert issue.code == "alias-limit"
    assert issue.span is not None and issue.span.line > 1
    assert elapsed < 10  # bounded, not a benchmark: an unbounded expansion would run for hours


def test_alias_expansion_below_the_limit_is_fine() -> None:
    doc = load_yaml(billion_laughs(levels=4), SRC)  # 9 + 81 + 729 + 6561 nodes under aliases
    assert sequence(mapping(doc.data)["d"]) == [[[["lol"] * 9] * 9] * 9] * 9


def test_large_document_without_aliases_is_not_an_alias_bomb() -> None:
    count = loader.MAX_ALIAS_NODES + 1  # only nodes built again through aliases count towards the limit
    doc = load_yaml("[" + "1," * count + "]", SRC)
    assert sequence(doc.data) == [1] * count


def test_recursive_alias_is_an_alias_limit() -> None:
    issue = only_issue("a: &a [1, *a]\n")
    assert (issue.code, issue.path, issue.span) == ("alias-limit", "a[1]", at(1, 11))


def test_nesting_at_the_limit_is_accepted() -> None:
    depth = loader.MAX_DEPTH
    assert load_yaml("[" * depth + "]" * depth, SRC).data is not None
    block = "".join("  " * i + "k:\n" for i in range(depth - 1)) + "  " * (depth - 1) + "k: 1\n"
    assert load_yaml(block, SRC).data is not None


def test_nesting_deeper_than_the_limit_is_reported_at_the_first_too_deep_collection() -> None:
    depth = loader.MAX_DEPTH + 1
    issue = only_issue("[" * depth + "]" * depth)
    assert (issue.code, issue.span) == ("nesting-limit", at(1, depth))
    block = "".join("  " * i + "k:\n" for i in range(depth)) + "  " * depth + "k: 1\n"
    assert only_issue(block).code == "nesting-limit"


@pytest.mark.parametrize(
    "text", ["[" * 200_000, "{a: " * 100_000, "- " * 100_000 + "x"], ids=["flow-seq", "flow-map", "block-seq"]
)
def test_extreme_nesting_never_raises_recursion_error(text: str) -> None:
    start = time.perf_counter()
    assert only_issue(text).code == "nesting-limit"
    # Bounded, not a benchmark: the limit is met in well under a second on an idle machine; a scan quadratic in the
    # depth would take minutes. A busy machine (parallel test workers) must not make it fail.
    assert time.perf_counter() - start < 10


def test_nesting_through_aliases_is_bounded() -> None:
    inner = "[" * 60 + "]" * 60
    issue = only_issue(f"a: &a {inner}\nb: {'[' * 50}*a{']' * 50}\n")
    assert issue.code == "nesting-limit"
    assert issue.path.startswith("b[0][0]")


# --- files, paths, robustness -------------------------------------------------------------------------------


def test_load_file_names_spans_after_display(tmp_path: Path) -> None:
    path = tmp_path / "2019-10-18.yaml"
    path.write_bytes(b"\xef\xbb\xbfa:\n  b: 1\n")
    doc = load_file(path, display="frameworks/party/2019-10-18.yaml")
    assert isinstance(doc, Document)
    assert doc.data == {"a": {"b": 1}}
    assert doc.spans[("a", "b")] == Span("frameworks/party/2019-10-18.yaml", 2, 6)
    assert load_file(str(path)).source == str(path)


def test_load_file_problems_name_the_display(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"a: 1\na: 2\n")
    with pytest.raises(FrameworkError) as caught:
        load_file(path, display="bad.yaml")
    assert caught.value.source == "bad.yaml"
    assert caught.value.issues[0].span == Span("bad.yaml", 2, 1)


def test_load_file_too_large(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * (loader.MAX_TEXT_BYTES + 10))
    with pytest.raises(FrameworkError) as caught:
        load_file(path)
    assert [i.code for i in caught.value.issues] == ["too-large"]


@pytest.mark.parametrize("special", ["fifo", "device", "folder"])
def test_a_path_that_is_no_regular_file_is_refused_before_reading(tmp_path: Path, special: str) -> None:
    path = tmp_path / "2019-10-18.yaml"
    if special == "fifo":
        os.mkfifo(path)  # reading it would wait for a writer forever
    elif special == "device":
        path.symlink_to("/dev/zero")  # reading it would never end
    else:
        path.mkdir()
    started = time.monotonic()
    with pytest.raises(FrameworkError) as caught:
        load_file(path, display="fw.yaml")
    assert time.monotonic() - started < 2
    (issue,) = caught.value.issues
    assert issue.code == "not-a-file" and issue.span == Span("fw.yaml", 1, 1)
    assert {"fifo": "FIFO", "device": "device", "folder": "folder"}[special] in issue.message


def test_load_file_takes_a_smaller_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "fw.yaml"
    path.write_bytes(b"a: 1\n" + b"#" * 2000)
    with pytest.raises(FrameworkError) as caught:
        load_file(path, limit=1024)
    assert [i.code for i in caught.value.issues] == ["too-large"]
    assert load_file(path, limit=4096).data == {"a": 1}


def test_issue_paths_use_dots_and_brackets() -> None:
    assert format_path(("subjects", "party_member", "rules", "x")) == "subjects.party_member.rules.x"
    assert format_path(("levels", 2)) == "levels[2]"
    assert format_path(()) == ""
    assert format_path(("a b", "c.d")) == "['a b']['c.d']"
    failures, _ = doctest.testmod(loader)
    assert failures == 0


YAMLISH = st.text(alphabet=st.sampled_from([*"ab01 :-[]{},&*!|>'\"#?%@.<=~\\\n\t", "é", "\ufeff"]))


@settings(max_examples=400, deadline=None)
@given(YAMLISH)
def test_no_exception_but_framework_error_for_any_text(text: str) -> None:
    try:
        load_yaml(text, SRC)
    except FrameworkError as error:
        assert error.issues and all(i.code in loader_codes() for i in error.issues)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_no_exception_but_framework_error_for_any_bytes(data: bytes) -> None:
    try:
        load_yaml(data, SRC)
    except FrameworkError as error:
        assert error.issues and all(i.code in loader_codes() for i in error.issues)


def loader_codes() -> set[str]:
    return {
        "not-utf8",
        "too-large",
        "yaml-syntax",
        "empty-document",
        "multiple-documents",
        "duplicate-key",
        "forbidden-tag",
        "merge-key",
        "non-scalar-key",
        "alias-limit",
        "nesting-limit",
    }
