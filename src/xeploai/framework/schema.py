"""The framework document model: pydantic models of format ``xeploai/1`` (frozen, ``extra="forbid"``).

Input: plain data from the loader. Output: a validated ``FrameworkDoc``, or issues pointing at the YAML.
The JSON Schema of the format (``schema/framework.schema.json``) is generated from these models.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from xeploai.program import ir
from xeploai.program.issues import DECLARABLE_CODES, Issue, suggest

FORMAT_VERSION = "xeploai/1"

Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
DocId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")]
Family = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$")]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)


class Text(_Model):
    """A text in Vietnamese (``vi``, shown by default) and English (``en``)."""

    vi: NonEmpty
    en: NonEmpty


class LegalDocument(_Model):
    number: NonEmpty = Field(description="The document's number, e.g. 21-HD/BTCTW")
    title: Text
    issued_on: datetime.date | None = None
    issuer: NonEmpty
    url: str | None = None


class FormDoc(_Model):
    """An official form of a version: a review report, a self-assessment, a minutes template."""

    title: Text = Field(description="What the form is for, as the guidance names it")
    doc: DocId | None = Field(default=None, description="The document that issues the form (a legal_basis id)")


class FrameworkInfo(_Model):
    family: Family
    version: NonEmpty
    title: Text
    effective_from: datetime.date = Field(description="The day this version takes effect; equals the file name")
    effective_until: datetime.date | None = None
    supersedes: str | None = Field(default=None, description="family/effective-date of the version replaced")
    extends: str | None = Field(
        default=None,
        description="A framework this one extends (a path relative to this file, e.g. ../party/2023-10-04.yaml):"
        " a local regulation on top of a central one",
    )
    legal_basis: dict[DocId, LegalDocument] = Field(description="Documents that rules cite, by id")
    forms: dict[NonEmpty, FormDoc] = Field(
        default_factory=dict,
        description="The official forms of this version, by their code as printed (e.g. 2A): what each is for",
    )


class ScaleValue(_Model):
    id: Id
    code: NonEmpty
    label: Text


class ScaleDoc(_Model):
    label: Text
    values: list[ScaleValue] = Field(min_length=2, description="Best first")


class EnumDoc(_Model):
    ordered: bool = Field(default=False, description="When true, values are listed least severe first")
    values: list[ScaleValue] = Field(min_length=1)


FieldTypeName = Literal["bool", "count", "number", "ratio", "date", "text", "level", "scale", "enum", "records"]


class FieldDoc(_Model):
    type: FieldTypeName
    of: Id | None = Field(default=None, description="The scale, enum or record type, for those field types")
    label: Text | None = None
    required: bool = True
    default: Any = None
    judgement: bool = Field(default=False, description="A human judgement such as a grading or a vote")
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    at_most: Id | None = Field(default=None, description="Another field this value can never exceed")
    form: NonEmpty | None = Field(
        default=None,
        description="Where an official reads the value: the form (a code of framework.forms) and its line, e.g."
        " '2B, mục 2.5'",
    )
    better: Literal["higher", "lower"] | None = Field(
        default=None,
        description="The direction in which a value is better for the subject (for a records field: more or fewer"
        " records); the whole-framework analysis checks that moving it that way never gives a worse level",
    )
    from_result: FromResultDoc | None = Field(
        default=None,
        description="The value is the level of another result of the same person computed in the same run, when"
        " there is one; otherwise the value given as input",
    )


class RecordDoc(_Model):
    label: Text
    fields: dict[Id, FieldDoc]


Confidence = Literal["confirmed", "secondary", "assumed"]


class Citation(_Model):
    doc: DocId = Field(description="A key of framework.legal_basis")
    at: NonEmpty = Field(description="Article, clause, point as the document numbers them")
    sources: list[NonEmpty] = Field(default_factory=list, description="Research source ids")
    quote: NonEmpty | None = Field(
        default=None,
        description="The clause's text in Vietnamese, a short quote as published (a secondary or confirmed entry"
        " needs one)",
    )
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")] | None = Field(
        default=None, description="The public address of the source the quote was read from"
    )


class FromResultDoc(_Model):
    """Where a field's value comes from in the same run: another result of the same person."""

    kinds: list[Id] = Field(
        min_length=1, description="The subject kinds whose result is read (in any framework of the run)"
    )
    value: Literal["level"] = Field(default="level", description="What is read: the result's final level")
    map: dict[NonEmpty, NonEmpty] = Field(
        default_factory=dict,
        description="Source level id or code → this field's level (or value) id or code; unmapped levels are taken"
        " by equal id or code",
    )
    label: Text | None = None
    cite: Citation | None = None
    confidence: Confidence


class RuleDoc(_Model):
    when: NonEmpty = Field(description="The condition, in the condition language")
    label: Text | None = None
    cite: Citation | None = None
    confidence: Confidence
    fail: Text | None = None
    pass_: Text | None = Field(default=None, alias="pass")
    reading: Id | None = Field(
        default=None,
        description="A rules reading of process.readings: the entry acts only under an option that enables it",
    )


class CapDoc(_Model):
    when: NonEmpty
    at_most: NonEmpty = Field(description="A level (id, code or label) or a level-valued expression")
    label: Text | None = None
    cite: Citation | None = None
    confidence: Confidence
    reading: Id | None = Field(
        default=None,
        description="A rules reading of process.readings: the entry acts only under an option that enables it",
    )


class NoteDoc(_Model):
    when: NonEmpty
    label: Text | None = None
    cite: Citation | None = None
    confidence: Confidence
    reading: Id | None = Field(
        default=None,
        description="A rules reading of process.readings: the entry acts only under an option that enables it",
    )


class ExceptionDoc(_Model):
    """A finding of the whole-framework analysis that the regulation makes intended, with the clause saying so."""

    code: NonEmpty = Field(
        description="The finding's code, e.g. level-gap, unused-field, non-monotone",
        json_schema_extra={"enum": list(DECLARABLE_CODES)},
    )
    id: NonEmpty = Field(
        description="What the finding is about: a rule, cap, note, evidence field or level id of this kind, or a"
        " record field as <records field>[].<field> (discipline[].form)"
    )
    reason: Text = Field(description="Why the finding is what the regulation intends")
    cite: Citation | None = None
    confidence: Confidence


class RelationDoc(_Model):
    kinds: list[Id] = Field(min_length=1, description="The subject kinds related")
    from_: Literal["unit", "child_units"] = Field(alias="from", description="Which subjects: same unit, or child units")
    label: Text | None = None


class GroupingDoc(_Model):
    records: Id = Field(description="The records field grouped (e.g. work)")
    key: Id = Field(description="The record field whose distinct values make the groups (e.g. month)")


class ValueDoc(_Model):
    """How an evidence field is computed from other evidence when the evidence does not give it."""

    formula: NonEmpty | None = Field(
        default=None, description="A numeric expression over evidence, records (sum, count) and earlier values"
    )
    per: GroupingDoc | None = Field(
        default=None, description="For a records field: one record per group of these records, by this key"
    )
    fields: dict[Id, NonEmpty] = Field(
        default_factory=dict,
        description="For a grouped value: the formula of each field of the record (the key excepted), in order;"
        " within them the grouped records are the group's, and earlier fields are numbers",
    )
    label: Text | None = None
    cite: Citation | None = None
    confidence: Confidence


class SubjectDoc(_Model):
    label: Text | None = None
    extends: Id | None = None
    relations: dict[Id, RelationDoc] = Field(default_factory=dict)
    evidence: dict[Id, FieldDoc] = Field(default_factory=dict)
    rules: dict[Id, RuleDoc] = Field(default_factory=dict)
    overrides: dict[Id, RuleDoc] = Field(
        default_factory=dict, description="Rules of the extended framework that this framework replaces"
    )
    not_classified: list[NonEmpty] | None = None
    not_completed: list[NonEmpty] | None = None
    levels: dict[Id, list[NonEmpty]] | None = None
    caps: dict[Id, CapDoc] = Field(default_factory=dict)
    notes: dict[Id, NoteDoc] = Field(default_factory=dict)
    exceptions: list[ExceptionDoc] = Field(
        default_factory=list,
        description="Findings of the whole-framework analysis declared as intended (inherited by extending kinds)",
    )
    values: dict[Id, ValueDoc] = Field(
        default_factory=dict,
        description="Evidence fields computed from other evidence (scores from work tables) when not given",
    )


class GroupBy(_Model):
    unit_kind: list[NonEmpty] | None = Field(default=None, description="Nearest unit of these kinds, own unit included")
    field: Id | None = Field(default=None, description="Subjects with the same value of this evidence field")


class QuotaLimit(_Model):
    ratio: float | NonEmpty = Field(description="A fraction (0.2) or a percentage ('20%')")
    of_level: Id
    rounding: Literal["floor", "half_up", "ceil"]


class RankKey(_Model):
    field: Id
    order: Literal["asc", "desc"] = "desc"


class QuotaCeilingDoc(_Model):
    ratio: float | NonEmpty = Field(description="The highest share a decision of the competent level may allow")
    label: Text
    cite: Citation
    confidence: Confidence


class QuotaDoc(_Model):
    kinds: list[Id] = Field(min_length=1)
    level: Id
    group_by: GroupBy
    limit: QuotaLimit
    when_exceeded: Literal["rank", "flag"]
    rank_by: list[RankKey] = Field(default_factory=list)
    demote_to: Id
    label: Text | None = None
    cite: Citation | None = None
    confidence: Confidence
    ceiling: QuotaCeilingDoc | None = Field(
        default=None, description="How far a recorded decision of the competent level may raise the ratio"
    )


# --- the review process (optional) ---------------------------------------------------------------------------


class RungDoc(_Model):
    id: Id
    role: Literal["self", "cell", "collective", "appraisal", "decision", "other"] = Field(
        description="Who proposes: the subject, the cell, the leadership collective, the advisory body, the"
        " competent committee, or another body"
    )
    label: Text | None = None
    required: bool = Field(default=True, description="A proposal at this rung is expected for every subject")
    outside_unit: bool = Field(default=False, description="The proposing body is outside the subject's unit")
    ballot: Id | None = Field(default=None, description="A key of process.ballots: a tally decides this rung")
    from_evidence: bool = Field(
        default=False, description="The rung's criteria values are the subject's evidence (the appraised values)"
    )
    cite: Citation | None = None
    confidence: Confidence


class GapDoc(_Model):
    between: list[Id] = Field(min_length=2, max_length=2, description="Two rung ids, the earlier first")
    points: float | None = Field(default=None, description="A total-score difference of at least this many points")
    levels: int | None = Field(default=None, ge=1, description="A difference of at least this many levels")
    label: Text | None = None
    cite: Citation | None = None
    confidence: Confidence


class LadderDoc(_Model):
    kinds: list[Id] = Field(min_length=1)
    label: Text | None = None
    rungs: list[RungDoc] = Field(min_length=1, description="In the order of the process")
    criteria: list[Id] = Field(
        default_factory=list, description="Evidence fields (scores or grades) each rung may assess"
    )
    gaps: dict[Id, GapDoc] = Field(default_factory=dict, description="Differences that require an explanation")


class QuorumDoc(_Model):
    """A quorum with its own clause: attendance at least, or more than, a share of those entitled."""

    at_least: float | NonEmpty | None = Field(default=None, description="Those present reach this share")
    more_than: float | NonEmpty | None = Field(default=None, description="Those present exceed this share")
    label: Text | None = None
    cite: Citation | None = None
    confidence: Confidence


class BallotDoc(_Model):
    label: Text | None = None
    majority_of: Literal["valid", "present", "entitled"]
    more_than: float | NonEmpty = Field(default="50%", description="A level needs strictly more than this share")
    quorum: float | NonEmpty | QuorumDoc | None = Field(
        default=None,
        description="The share of those entitled who must attend (at least), or a mapping with at_least or"
        " more_than and its own label, cite and confidence",
    )
    no_majority: Literal["cumulative", "below_plurality", "refer"]
    cite: Citation | None = None
    confidence: Confidence


class ReadingOptionDoc(_Model):
    value: float | NonEmpty | None = Field(default=None, description="The option's value (not for rules readings)")
    enables: list[Id] = Field(
        default_factory=list,
        description="Rules readings: the rules, caps and notes (gated by this reading) that act under this option",
    )
    label: Text | None = None
    cite: Citation | None = None
    confidence: Confidence


class ReadingDoc(_Model):
    label: Text | None = None
    parameter: Literal["quota_denominator", "quota_rounding", "quota_ratio", "score_rounding", "level_gap", "rules"]
    kinds: list[Id] | None = Field(
        default=None, description="Level-gap readings: the subject kinds concerned (default every kind)"
    )
    quotas: list[Id] | None = Field(default=None, description="Quota readings: the quotas concerned (default all)")
    fields: list[Id] = Field(default_factory=list, description="Score readings: the score fields that are summed")
    decimals: int = Field(default=0, ge=0, le=4, description="Score readings: decimals kept (rounded half up)")
    default: Id = Field(description="The option the framework applies")
    options: dict[Id, ReadingOptionDoc] = Field(min_length=2)


class PeriodRuleDoc(_Model):
    when: NonEmpty
    label: Text | None = None
    cite: Citation | None = None
    confidence: Confidence


class PeriodCapDoc(_Model):
    when: NonEmpty
    at_most: NonEmpty
    label: Text | None = None
    cite: Citation | None = None
    confidence: Confidence


class PeriodsDoc(_Model):
    kinds: list[Id] = Field(min_length=1, description="The subject kinds that take quarterly results and dates")
    not_classified: dict[Id, PeriodRuleDoc] = Field(default_factory=dict)
    caps: dict[Id, PeriodCapDoc] = Field(default_factory=dict)
    flags: dict[Id, PeriodRuleDoc] = Field(default_factory=dict, description="Raised for the competent committee")


class ProcessDoc(_Model):
    """The review process: proposal ladders, ballots, named readings, level spellings, quarterly periods."""

    level_aliases: dict[Id, list[NonEmpty]] = Field(
        default_factory=dict, description="Level id → further spellings accepted in imports"
    )
    ladders: dict[Id, LadderDoc] = Field(default_factory=dict)
    ballots: dict[Id, BallotDoc] = Field(default_factory=dict)
    readings: dict[Id, ReadingDoc] = Field(default_factory=dict)
    periods: PeriodsDoc | None = None


class FrameworkDoc(_Model):
    """A framework file: one version of one family of rules."""

    format: Literal["xeploai/1"]
    framework: FrameworkInfo
    levels: list[ScaleValue] | None = Field(
        default=None,
        min_length=2,
        description="The level scale, best first (inherited when the framework extends another)",
    )
    scales: dict[Id, ScaleDoc] = Field(default_factory=dict)
    enums: dict[Id, EnumDoc] = Field(default_factory=dict)
    records: dict[Id, RecordDoc] = Field(default_factory=dict)
    subjects: dict[Id, SubjectDoc]
    quotas: dict[Id, QuotaDoc] = Field(default_factory=dict)
    process: ProcessDoc | None = Field(default=None, description="The review process (optional)")


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the framework format, as checked in at ``schema/framework.schema.json``."""
    schema = FrameworkDoc.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://xeploai.invalid/schema/framework.schema.json"
    schema["title"] = "xeploai framework (format xeploai/1)"
    return schema


def _path_text(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def _issue_code(error_type: str, loc: tuple[int | str, ...]) -> str:
    if loc and loc[0] == "format":
        return "format-version"
    if error_type == "extra_forbidden":
        return "unknown-key"
    if error_type == "missing":
        return "missing-key"
    return "invalid-value"


def validate(data: object) -> tuple[FrameworkDoc | None, list[tuple[Issue, tuple[int | str, ...]]]]:
    """Validate plain data; returns the model, or the issues with the document path each concerns."""
    try:
        return FrameworkDoc.model_validate(data), []
    except ValidationError as error:
        found: list[tuple[Issue, tuple[int | str, ...]]] = []
        seen: set[tuple[str, tuple[int | str, ...]]] = set()
        for err in error.errors(include_url=False):
            loc = tuple(
                p for p in err["loc"] if not (isinstance(p, str) and (p.startswith("function-") or p == "[key]"))
            )
            code = _issue_code(err["type"], loc)
            if (code, loc) in seen:
                continue
            seen.add((code, loc))
            found.append((_issue(code, err, loc), loc))
        return None, found


def _known_keys() -> set[str]:
    keys: set[str] = set()
    for model in (
        FrameworkDoc,
        FrameworkInfo,
        FormDoc,
        LegalDocument,
        ScaleValue,
        ScaleDoc,
        EnumDoc,
        FieldDoc,
        FromResultDoc,
        RecordDoc,
        Citation,
        RuleDoc,
        CapDoc,
        NoteDoc,
        ExceptionDoc,
        SubjectDoc,
        Text,
        RelationDoc,
        GroupBy,
        QuotaLimit,
        RankKey,
        QuotaCeilingDoc,
        QuotaDoc,
        RungDoc,
        GapDoc,
        LadderDoc,
        BallotDoc,
        QuorumDoc,
        ReadingOptionDoc,
        ReadingDoc,
        PeriodRuleDoc,
        PeriodCapDoc,
        PeriodsDoc,
        ProcessDoc,
    ):
        keys |= {info.alias or name for name, info in model.model_fields.items()}
    return keys


def _issue(code: str, err: Any, loc: tuple[int | str, ...]) -> Issue:
    path = _path_text(loc)
    name = str(loc[-1]) if loc else ""
    if code == "unknown-key":
        message = ir.Text(f"khóa '{name}' không có trong định dạng", f"unknown key '{name}'")
        # A key the format has elsewhere (a subject kind's `evidence` at the top) is no misspelling of itself.
        return Issue.from_text(code, message, path, hint=suggest(name, _known_keys() - {name}))
    if code == "missing-key":
        message = ir.Text(f"thiếu khóa '{name}'", f"missing key '{name}'")
    elif code == "format-version":
        message = ir.Text(
            f"khóa đầu tiên phải là `format: {FORMAT_VERSION}`", f"the first key must be `format: {FORMAT_VERSION}`"
        )
    else:
        value = err.get("input")
        shown = repr(value) if not isinstance(value, dict | list) else type(value).__name__
        shown_vi = repr(value) if not isinstance(value, dict | list) else _CONTAINERS_VI[type(value)]
        message = ir.Text(f"{_reason_vi(err)}; giá trị đã ghi: {shown_vi}", f"{err['msg'].lower()}: {shown}")
    return Issue.from_text(code, message, path)


_CONTAINERS_VI: dict[type, str] = {dict: "một ánh xạ", list: "một danh sách"}


def _reason_vi(err: Any) -> str:
    """What pydantic's error ``err`` asks for, in Vietnamese (its own message is English only)."""
    ctx: dict[str, Any] = err.get("ctx") or {}
    kind: str = err["type"]
    if kind == "literal_error":
        head, _, last = str(ctx.get("expected", "")).rpartition(" or ")
        return f"giá trị phải là {head} hoặc {last}" if head else f"giá trị phải là {last}"
    if kind in ("too_short", "too_long"):
        what = "ánh xạ" if ctx.get("field_type") == "Dictionary" else "danh sách"
        bound = f"ít nhất {ctx.get('min_length')}" if kind == "too_short" else f"nhiều nhất {ctx.get('max_length')}"
        return f"{what} phải có {bound} phần tử, hiện có {ctx.get('actual_length')}"
    if kind == "string_too_short":
        return f"chuỗi phải có ít nhất {ctx.get('min_length')} ký tự"
    if kind == "string_too_long":
        return f"chuỗi chỉ được có nhiều nhất {ctx.get('max_length')} ký tự"
    if kind == "string_pattern_mismatch":
        return f"chuỗi phải khớp mẫu '{ctx.get('pattern')}'"
    for bound, words in (
        ("ge", "lớn hơn hoặc bằng"),
        ("gt", "lớn hơn"),
        ("le", "nhỏ hơn hoặc bằng"),
        ("lt", "nhỏ hơn"),
    ):
        if bound in ctx:
            return f"giá trị phải {words} {ctx[bound]}"
    for prefix, reason in _REASONS_VI:
        if kind.startswith(prefix):
            return reason
    return "giá trị không hợp lệ"


# By the prefix of pydantic's error type: what a value of the wrong type should have been.
_REASONS_VI: tuple[tuple[str, str], ...] = (
    ("model_", "cần một ánh xạ (các cặp khóa: giá trị)"),
    ("dict_", "cần một ánh xạ (các cặp khóa: giá trị)"),
    ("list_", "cần một danh sách"),
    ("string_", "cần một chuỗi văn bản"),
    ("bool_", "cần giá trị đúng/sai (true hoặc false)"),
    ("int_", "cần một số nguyên"),
    ("float_", "cần một số"),
    ("finite_number", "cần một số hữu hạn"),
    ("date", "cần một ngày hợp lệ dạng YYYY-MM-DD"),
)
