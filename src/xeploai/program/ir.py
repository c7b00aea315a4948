"""The compiled program (IR): frozen dataclasses, no behaviour.

Input: produced by ``compiler`` from a checked framework document. Output: consumed by runners, the trace and
renderers. This module knows nothing of YAML or pydantic. Source spans are excluded from equality, so
reformatting a framework file does not change its program.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import assert_never


@dataclass(frozen=True, slots=True)
class Span:
    """A position in a source file (1-based line and column)."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


NO_SPAN = Span("<unknown>", 0, 0)


@dataclass(frozen=True, slots=True)
class Text:
    """A user-facing text in Vietnamese (default) and English."""

    vi: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.vi


class Confidence(enum.StrEnum):
    """How well the encoded rule is supported by the legal text."""

    CONFIRMED = "confirmed"  # read in the official text, or a source reproducing the clause verbatim
    SECONDARY = "secondary"  # quoted or paraphrased by a secondary source
    ASSUMED = "assumed"  # inferred; not confirmed by any source


@dataclass(frozen=True, slots=True)
class Citation:
    """Where a rule comes from: a legal document of the framework and a location inside it."""

    doc: str
    at: str
    sources: tuple[str, ...] = ()  # research source ids, e.g. "S16" in REGULATIONS.md
    # The clause's text as published (a short quote) and the public address it was read from; documentation of
    # the rule, so neither takes part in equality.
    quote: str | None = field(default=None, compare=False)
    url: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class LegalDocument:
    """A legal document a framework rests on: its number, title, date, issuer and address."""

    id: str
    number: str
    title: Text
    issued_on: date | None
    issuer: str
    url: str | None


# --- value types -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BoolType:
    """The type of a yes/no value."""

    def __str__(self) -> str:
        return "bool"


@dataclass(frozen=True, slots=True)
class NumberType:
    """The type of a number; ``integer`` for a count."""

    integer: bool = False

    def __str__(self) -> str:
        return "count" if self.integer else "number"


@dataclass(frozen=True, slots=True)
class OrdinalType:
    """A value of an ordered scale: the levels, or a grade scale such as Xuất sắc > Tốt > Trung bình > Kém."""

    scale: str

    def __str__(self) -> str:
        return f"{self.scale}"


@dataclass(frozen=True, slots=True)
class EnumType:
    """A value from a declared list of choices; ``ordered`` lists them from least to most severe."""

    name: str
    values: tuple[str, ...]
    ordered: bool

    def __str__(self) -> str:
        return f"enum {self.name}"


@dataclass(frozen=True, slots=True)
class DateType:
    """The type of a date."""

    def __str__(self) -> str:
        return "date"


@dataclass(frozen=True, slots=True)
class PeriodType:
    """The type of the evaluation period."""

    def __str__(self) -> str:
        return "period"


@dataclass(frozen=True, slots=True)
class RecordsType:
    """The type of a list of records of one record kind (disciplinary decisions, …)."""

    record: str

    def __str__(self) -> str:
        return f"records of {self.record}"


@dataclass(frozen=True, slots=True)
class TextType:
    """The type of a text value."""

    def __str__(self) -> str:
        return "text"


ValueType = BoolType | NumberType | OrdinalType | EnumType | DateType | PeriodType | RecordsType | TextType


# --- runtime values that appear in programs ----------------------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class Ordinal:
    """A point of an ordered scale. ``rank`` grows with quality: the best value has the highest rank."""

    rank: int
    scale: str = field(compare=False)
    id: str = field(compare=False)


@dataclass(frozen=True, slots=True)
class EnumValue:
    """A choice of an enum; ``rank`` is its position when the enum is ordered (least severe first)."""

    id: str
    rank: int
    name: str = field(compare=False)


@dataclass(frozen=True, slots=True)
class Period:
    """The evaluation period, both ends included."""

    start: date
    end: date
    kind: str = "annual"  # annual | quarterly | ad_hoc

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


Value = bool | Fraction | Ordinal | EnumValue | date | Period | str | tuple["Record", ...]


@dataclass(frozen=True, slots=True)
class Record:
    """One record of a records field (for example one disciplinary decision)."""

    values: Mapping[str, Value]
    index: int = 0


# --- expressions -------------------------------------------------------------------------------------------


class CompareOp(enum.StrEnum):
    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="


class ArithOp(enum.StrEnum):
    ADD = "+"
    SUB = "-"
    MUL = "*"
    DIV = "/"


@dataclass(frozen=True, slots=True)
class Const:
    """A constant of a condition, with its type."""

    value: Value
    type: ValueType
    text: str = field(default="", compare=False)
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class FieldRef:
    """An evidence field of the subject being evaluated."""

    name: str
    type: ValueType
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class RecordFieldRef:
    """A field of the record under consideration inside ``count(...)`` or ``exists(...)``."""

    name: str
    type: ValueType
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class RuleRef:
    """A reference to another rule of the same subject kind; its value is the rule's truth."""

    name: str
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class PeriodRef:
    """The evaluation period, as a condition names it."""

    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class Compare:
    """A comparison, possibly chained: ``a < b <= c`` has two ops and three operands."""

    ops: tuple[CompareOp, ...]
    operands: tuple[Expr, ...]
    text: str = field(default="", compare=False)
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class And:
    """All of the operands hold."""

    operands: tuple[Expr, ...]
    text: str = field(default="", compare=False)
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class Or:
    """Any of the operands holds."""

    operands: tuple[Expr, ...]
    text: str = field(default="", compare=False)
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class Not:
    """The operand does not hold."""

    operand: Expr
    text: str = field(default="", compare=False)
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class Arith:
    """An arithmetic operation on two values."""

    op: ArithOp
    left: Expr
    right: Expr
    text: str = field(default="", compare=False)
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class Neg:
    """The negation of a number."""

    operand: Expr
    text: str = field(default="", compare=False)
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class Member:
    """``item in [a, b]`` or, with ``negated``, ``item not in [a, b]``."""

    item: Expr
    options: tuple[Expr, ...]
    negated: bool
    text: str = field(default="", compare=False)
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class InPeriod:
    """``date in period``: the date falls inside the evaluation period."""

    item: Expr
    negated: bool
    text: str = field(default="", compare=False)
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class Count:
    """``count(records)`` or ``count(records, predicate)``: how many records satisfy the predicate."""

    source: FieldRef | RecordFieldRef
    where: Expr | None
    text: str = field(default="", compare=False)
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class Exists:
    """``exists(records, predicate)``: at least one record satisfies the predicate."""

    source: FieldRef | RecordFieldRef
    where: Expr
    text: str = field(default="", compare=False)
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class Extremum:
    """``min(a, b, ...)`` or ``max(a, b, ...)`` over numbers, or over ordinals of one scale."""

    fn: str  # "min" | "max"
    args: tuple[Expr, ...]
    text: str = field(default="", compare=False)
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class Share:
    """``share(records, predicate)``: the fraction of records satisfying the predicate (unknown when none)."""

    source: FieldRef | RecordFieldRef
    where: Expr
    text: str = field(default="", compare=False)
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class Sum:
    """``sum(records, term)`` or ``sum(records, term, where)``: the term added up over the records (that satisfy
    ``where``); allowed only in the formulas of declared values (``ComputedValue``)."""

    source: FieldRef | RecordFieldRef
    term: Expr
    where: Expr | None
    text: str = field(default="", compare=False)
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class LevelOf:
    """``level_of(relation)``: the level of the related subject; the lowest of several; unknown when none."""

    source: FieldRef
    text: str = field(default="", compare=False)
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class Known:
    """``known(field)``: the evidence field was supplied (never unknown itself)."""

    ref: FieldRef
    text: str = field(default="", compare=False)
    span: Span = field(default=NO_SPAN, compare=False)


Expr = (
    Const
    | FieldRef
    | RecordFieldRef
    | RuleRef
    | PeriodRef
    | Compare
    | And
    | Or
    | Not
    | Arith
    | Neg
    | Member
    | InPeriod
    | Count
    | Exists
    | Extremum
    | Known
    | Share
    | LevelOf
    | Sum
)


def children(expr: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of an expression: operands, a records call's source and predicate, the field of
    ``known(...)``. Every walk over conditions (analysis, runners, the interpreter's plan) goes through it."""
    match expr:
        case Const() | FieldRef() | RecordFieldRef() | RuleRef() | PeriodRef():
            return ()
        case Compare(operands=operands) | And(operands=operands) | Or(operands=operands):
            return operands
        case Not(operand=operand) | Neg(operand=operand):
            return (operand,)
        case Arith(left=left, right=right):
            return (left, right)
        case Member(item=item, options=options):
            return (item, *options)
        case InPeriod(item=item):
            return (item,)
        case Count(source=source, where=where):
            return (source,) if where is None else (source, where)
        case Exists(source=source, where=where) | Share(source=source, where=where):
            return (source, where)
        case Sum(source=source, term=term, where=where):
            return (source, term) if where is None else (source, term, where)
        case Extremum(args=args):
            return args
        case LevelOf(source=source):
            return (source,)
        case Known(ref=ref):
            return (ref,)
        case _:
            assert_never(expr)


# --- declarations ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScaleValue:
    """One value of a scale or enum: its id, its short code and its label."""

    id: str
    code: str
    label: Text


@dataclass(frozen=True, slots=True)
class Scale:
    """An ordered scale, best value first (as written in the framework)."""

    id: str
    label: Text
    values: tuple[ScaleValue, ...]

    def rank(self, value_id: str) -> int:
        ids = [v.id for v in self.values]
        return len(ids) - 1 - ids.index(value_id)

    def ordinal(self, value_id: str) -> Ordinal:
        return Ordinal(self.rank(value_id), self.id, value_id)


LEVEL_SCALE = "level"

# Numbers are exact fractions; a literal or an evidence value has at most this many digits before the decimal
# point and after it (``number-too-long``), so that no computation on it can take unbounded time or memory.
NUMBER_WHOLE_DIGITS = 30
NUMBER_DECIMALS = 30


@dataclass(frozen=True, slots=True)
class EnumDef:
    """An enum of the framework: its values, and whether they are ordered."""

    id: str
    values: tuple[ScaleValue, ...]  # least severe first when ordered
    ordered: bool


@dataclass(frozen=True, slots=True)
class FieldLink:
    """Where a field's value comes from in the same run: the final level of another result of the same person,
    of one of ``kinds`` (in this framework or another of the run), mapped by ``mapping`` (source level id or code
    → this field's value id or code) or taken by equal id or code."""

    kinds: tuple[str, ...]
    label: Text
    cite: Citation
    confidence: Confidence
    value: str = "level"
    mapping: tuple[tuple[str, str], ...] = ()
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class FieldDef:
    """A declared evidence field (or a field of a record type)."""

    id: str
    type: ValueType
    label: Text
    required: bool = True
    judgement: bool = False  # a human judgement (a grading, a vote): an input, flagged as such in traces
    unit: str | None = None
    minimum: Fraction | None = None
    maximum: Fraction | None = None
    at_most_field: str | None = None  # e.g. targets_met is at most targets_assigned
    default: Value | None = None
    better: str | None = None  # "higher" | "lower": the declared better direction, for the analysis
    link: FieldLink | None = None  # the value is another result of the same person, computed in the same run
    span: Span = field(default=NO_SPAN, compare=False)
    form: str | None = field(default=None, compare=False)  # the official form and line it is read from (docs)


@dataclass(frozen=True, slots=True)
class RecordDef:
    """A kind of record evidence holds lists of (a disciplinary decision, …): its fields."""

    id: str
    label: Text
    fields: tuple[FieldDef, ...]


@dataclass(frozen=True, slots=True)
class Rule:
    """A named condition with its citation. Its truth is met / not met / unknown."""

    id: str
    expr: Expr
    text: str
    label: Text
    cite: Citation
    confidence: Confidence
    fail: Text | None = None
    pass_: Text | None = None
    span: Span = field(default=NO_SPAN, compare=False)
    reading: str | None = None  # a ``rules`` reading that switches this rule on (see ``gating``)
    chosen: ReadingChoice | None = None  # in a selected program: the option in force that switched it on


@dataclass(frozen=True, slots=True)
class Cap:
    """When ``when`` holds, the level can be at most ``at_most`` (a level-typed expression)."""

    id: str
    when: Expr
    at_most: Expr
    text: str
    label: Text
    cite: Citation
    confidence: Confidence
    span: Span = field(default=NO_SPAN, compare=False)
    reading: str | None = None  # a ``rules`` reading that switches this entry on (see ``gating``)
    chosen: ReadingChoice | None = None  # in a selected program: the option in force that switched it on


@dataclass(frozen=True, slots=True)
class Note:
    """A cited remark attached to the trace whenever ``when`` holds; it never changes the level."""

    id: str
    when: Expr
    text: str
    label: Text
    cite: Citation
    confidence: Confidence
    span: Span = field(default=NO_SPAN, compare=False)
    reading: str | None = None  # a ``rules`` reading that switches this entry on (see ``gating``)
    chosen: ReadingChoice | None = None  # in a selected program: the option in force that switched it on


@dataclass(frozen=True, slots=True)
class FindingException:
    """A finding of the whole-framework analysis declared as intended: its code, what it is about, why, and where."""

    code: str
    id: str  # a rule, cap, note, field or level id, or a record field as ``discipline[].form``
    reason: Text
    cite: Citation
    confidence: Confidence
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class LevelRequirement:
    """The rules that must all hold for a level (every level but the lowest)."""

    level: str
    rules: tuple[str, ...]
    span: Span = field(default=NO_SPAN, compare=False)


class RelationSource(enum.StrEnum):
    UNIT = "unit"  # subjects of the listed kinds in the same unit
    CHILD_UNITS = "child_units"  # subjects of the listed kinds whose unit's parent is this unit


@dataclass(frozen=True, slots=True)
class Relation:
    """Other subjects whose results a collective's rules read (for example a cell's members)."""

    id: str
    kinds: tuple[str, ...]
    source: RelationSource
    label: Text
    record: str  # the id of its record type in ``Program.records``: level, id, name, kind and shared fields
    span: Span = field(default=NO_SPAN, compare=False)


RELATION_FIELDS = ("level", "id", "name", "kind")


class Rounding(enum.StrEnum):
    FLOOR = "floor"
    HALF_UP = "half_up"
    CEIL = "ceil"


class QuotaPolicy(enum.StrEnum):
    RANK = "rank"  # keep the best by the ranking, demote the rest (a local regulation's own rule, cited)
    FLAG = "flag"  # every candidate awaits the competent level's decision; the ranking is only a suggestion


@dataclass(frozen=True, slots=True)
class QuotaCeiling:
    """How far the competent level may raise a quota's ratio by a recorded decision (e.g. 25 % of HTT for an
    organisation with outstanding results); a decision above it is rejected."""

    ratio: Fraction
    label: Text
    cite: Citation
    confidence: Confidence


@dataclass(frozen=True, slots=True)
class RankKey:
    """A field a quota's suggested order sorts by, and in which direction."""

    field: str
    descending: bool


@dataclass(frozen=True, slots=True)
class Quota:
    """At most ``ratio`` × (number at ``of_level``) subjects of a group may have ``level``."""

    id: str
    kinds: tuple[str, ...]
    level: str
    group_unit_kinds: tuple[str, ...]  # group by the nearest unit of these kinds (own unit included) …
    group_field: str | None  # … or by the value of an evidence field
    ratio: Fraction
    of_level: str
    rounding: Rounding
    policy: QuotaPolicy
    rank_by: tuple[RankKey, ...]
    demote_to: str
    label: Text
    cite: Citation
    confidence: Confidence
    span: Span = field(default=NO_SPAN, compare=False)
    ceiling: QuotaCeiling | None = None


@dataclass(frozen=True, slots=True)
class Formula:
    """One computed figure: a numeric expression, its text and where it is written."""

    id: str
    expr: Expr
    text: str
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class ComputedValue:
    """A value the framework computes from other evidence (a score from work tables), unless the evidence gives it.

    ``target`` names the evidence field it fills. A plain value has one formula (``id`` = the target). A grouped value
    (``per`` set) fills a records field: one record per distinct ``key`` of the ``per`` records, whose other fields
    are the formulas, evaluated with ``per`` standing for that group's records only and with earlier formulas of
    the same group in scope as numbers.
    """

    target: str
    formulas: tuple[Formula, ...]
    label: Text
    cite: Citation
    confidence: Confidence
    per: str | None = None  # the records field grouped
    key: str | None = None  # the record field grouping them
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class SubjectProgram:
    """One subject kind compiled: its evidence fields, rules, caps, notes, levels and relations."""

    kind: str
    label: Text
    fields: tuple[FieldDef, ...]
    rules: Mapping[str, Rule]
    not_classified: tuple[str, ...]
    not_completed: tuple[str, ...]
    levels: tuple[LevelRequirement, ...]  # best first, the lowest level excluded
    caps: tuple[Cap, ...]
    notes: tuple[Note, ...]
    relations: tuple[Relation, ...] = ()
    extends: str | None = None
    exceptions: tuple[FindingException, ...] = ()  # own and inherited, for the analysis only
    values: tuple[ComputedValue, ...] = ()  # computed in this order, each from evidence and earlier values
    span: Span = field(default=NO_SPAN, compare=False)
    # Evidence that meets no level and no trigger is left to the competent level (a distinct status) instead of
    # falling to the lowest level: set by a ``level_gap`` reading whose applied option says ``competent_level``.
    gap_to_competent_level: bool = False

    def field_def(self, name: str) -> FieldDef | None:
        for f in self.fields:
            if f.id == name:
                return f
        return None

    def expressions(self) -> Iterator[Expr]:
        """Every expression the kind evaluates at its top: each rule's condition, each cap's condition and bound,
        each note's condition (walk below them with ``children``)."""
        for rule in self.rules.values():
            yield rule.expr
        for cap in self.caps:
            yield cap.when
            yield cap.at_most
        for note in self.notes:
            yield note.when

    def value_expressions(self) -> Iterator[Expr]:
        """The formulas of the kind's computed values (``values``), which rules read through their fields."""
        for value in self.values:
            for formula in value.formulas:
                yield formula.expr


@dataclass(frozen=True, slots=True)
class FrameworkInfo:
    """A framework's identity: family, version, title, dates, legal basis and the files it came from."""

    family: str
    version: str
    title: Text
    effective_from: date
    effective_until: date | None
    supersedes: str | None
    legal_basis: tuple[LegalDocument, ...]
    source: str  # the framework file it was compiled from
    source_sha256: str = field(default="", compare=False)
    # Every file of the extension chain, the central framework first: (file, sha256).
    chain: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    forms: tuple[Form, ...] = field(default=(), compare=False)  # the version's official forms (documentation)


@dataclass(frozen=True, slots=True)
class Form:
    """An official form of a version, by its code as printed (``2A``); documentation only."""

    code: str
    title: Text
    doc: str | None = None


@dataclass(frozen=True, slots=True)
class Program:
    """A compiled framework: its levels and scales, enums, records, subject kinds, quotas and review process."""

    info: FrameworkInfo
    levels: Scale  # best first; the last one is "not completed"
    scales: Mapping[str, Scale]  # grade scales and the level scale, by id
    enums: Mapping[str, EnumDef]
    records: Mapping[str, RecordDef]
    subjects: Mapping[str, SubjectProgram]
    quotas: tuple[Quota, ...] = ()
    process: Process | None = None  # the review process, when the framework declares one
    # The options in force of the ``rules`` readings (reading id → option id), and the program before any was
    # chosen (every gated entry present), from which ``gating.select`` builds the program of another choice.
    choice: Mapping[str, str] = field(default_factory=dict)
    ungated: Program | None = field(default=None, compare=False, repr=False)

    def computed_kinds(self) -> tuple[str, ...]:
        """The kinds that compute values from other evidence (``SubjectProgram.values``)."""
        return tuple(kind for kind, subject in self.subjects.items() if subject.values)

    @property
    def lowest_level(self) -> str:
        return self.levels.values[-1].id

    def level_label(self, level_id: str) -> Text:
        for v in self.levels.values:
            if v.id == level_id:
                return v.label
        raise KeyError(level_id)

    def level_code(self, level_id: str) -> str:
        for v in self.levels.values:
            if v.id == level_id:
                return v.code
        raise KeyError(level_id)


# --- the review process (optional ``process:`` section) ----------------------------------------------------


class RungRole(enum.StrEnum):
    """Who proposes at a rung of the ladder."""

    SELF = "self"  # the subject's own assessment
    CELL = "cell"  # the party cell (or the collective where the subject reviews)
    COLLECTIVE = "collective"  # the leadership collective
    APPRAISAL = "appraisal"  # the advisory body's appraisal (organisation or personnel body)
    DECISION = "decision"  # the competent committee's decision
    OTHER = "other"  # anything else, for example the residence-place cell


@dataclass(frozen=True, slots=True)
class Rung:
    """One rung of a proposal ladder: who proposes a level (and scores) for the subject."""

    id: str
    role: RungRole
    label: Text
    cite: Citation
    confidence: Confidence
    required: bool = True
    outside_unit: bool = False  # the proposing body is outside the subject's unit
    ballot: str | None = None  # the ballot rule turning a tally into this rung's level
    from_evidence: bool = False  # the rung's criteria values are the subject's evidence (the appraised values)
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class Gap:
    """A difference between two rungs that requires a written explanation."""

    id: str
    between: tuple[str, str]  # rung ids; the later rung's row carries the explanation
    points: Fraction | None  # a total-score difference of at least this many points
    levels: int | None  # a level difference of at least this many levels
    label: Text
    cite: Citation
    confidence: Confidence
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class Ladder:
    """The rungs of the review process for some subject kinds, in order."""

    id: str
    kinds: tuple[str, ...]
    label: Text
    rungs: tuple[Rung, ...]  # in the order of the process
    criteria: tuple[str, ...]  # evidence fields each rung may assess (scores or grades), compared rung by rung
    gaps: tuple[Gap, ...]
    span: Span = field(default=NO_SPAN, compare=False)


class MajorityOf(enum.StrEnum):
    VALID = "valid"  # of the valid ballots
    PRESENT = "present"  # of those present
    ENTITLED = "entitled"  # of everyone entitled to vote


class NoMajority(enum.StrEnum):
    CUMULATIVE = "cumulative"  # votes for a level count for every lower level: the best level a majority supports
    BELOW_PLURALITY = "below_plurality"  # the level just below the one with the most votes
    REFER = "refer"  # no level: the competent committee decides


@dataclass(frozen=True, slots=True)
class BallotRule:
    """How a tally of a secret ballot becomes a level."""

    id: str
    label: Text
    majority_of: MajorityOf
    more_than: Fraction  # a level needs strictly more than this share of the denominator
    quorum: Fraction | None  # the share of those entitled who must be present (None: the framework declares none)
    no_majority: NoMajority
    cite: Citation
    confidence: Confidence
    span: Span = field(default=NO_SPAN, compare=False)
    quorum_strict: bool = False  # attendance must exceed the share ("quá một nửa"), not merely reach it
    quorum_cite: Citation | None = None  # where the quorum comes from, when not from the ballot rule's clause
    quorum_confidence: Confidence | None = None
    quorum_label: Text | None = None


class ReadingParameter(enum.StrEnum):
    QUOTA_DENOMINATOR = "quota_denominator"  # of_level | of_level_and_above
    QUOTA_ROUNDING = "quota_rounding"  # floor | half_up | ceil
    QUOTA_RATIO = "quota_ratio"  # a share such as 25%
    SCORE_ROUNDING = "score_rounding"  # none | each | total
    LEVEL_GAP = "level_gap"  # competent_level | lowest_level: who decides a subject that fits no level and no trigger
    RULES = "rules"  # each option switches on the rules, caps and notes it lists (``enables``)


@dataclass(frozen=True, slots=True)
class ReadingOption:
    """One way of reading an ambiguous clause, with its citation."""

    id: str
    value: str
    label: Text
    cite: Citation
    confidence: Confidence
    enables: tuple[str, ...] = ()  # rules readings: the rule, cap and note ids this option switches on


@dataclass(frozen=True, slots=True)
class Reading:
    """An ambiguous clause with its named readings; ``default`` is the one the framework applies."""

    id: str
    label: Text
    parameter: ReadingParameter
    options: tuple[ReadingOption, ...]
    default: str
    quotas: tuple[str, ...] = ()  # quota readings: the quotas concerned
    fields: tuple[str, ...] = ()  # score readings: the score fields that are summed
    decimals: int = 0  # score readings: rounded to this many decimals (half up)
    span: Span = field(default=NO_SPAN, compare=False)
    kinds: tuple[str, ...] = ()  # level-gap readings: the subject kinds concerned

    def option(self, option_id: str) -> ReadingOption:
        for option in self.options:
            if option.id == option_id:
                return option
        raise KeyError(option_id)


@dataclass(frozen=True, slots=True)
class ReadingChoice:
    """The option of a ``rules`` reading under which a gated entry acts: outcomes it decides cite it."""

    reading: str
    option: str
    reading_label: Text
    option_label: Text
    cite: Citation
    confidence: Confidence
    default: bool


@dataclass(frozen=True, slots=True)
class PeriodRules:
    """Quarterly results and dates feeding a period's outcome: the kinds concerned and the rules compiled into them.

    The rules themselves are ordinary rules, caps and notes of those kinds (so traces cite them); this records
    their ids so that process reports can name them.
    """

    kinds: tuple[str, ...]
    not_classified: tuple[str, ...]
    caps: tuple[str, ...]
    flags: tuple[str, ...]  # compiled as notes: a flag never changes the level


@dataclass(frozen=True, slots=True)
class Process:
    """The review process a framework declares: ladders, ballots, readings, level aliases and period rules."""

    ladders: tuple[Ladder, ...] = ()
    ballots: Mapping[str, BallotRule] = field(default_factory=dict)
    readings: tuple[Reading, ...] = ()
    level_aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # level id → extra spellings
    periods: PeriodRules | None = None

    def ladder_for(self, kind: str) -> Ladder | None:
        for ladder in self.ladders:
            if kind in ladder.kinds:
                return ladder
        return None


# The evidence that quarterly results and dates yield (``periods``); the compiler adds these fields to the kinds
# of ``process.periods``. None is required: without quarterly results or dates the rules reading them do not hold.
QUARTER_RECORD = "process.quarter"
QUARTERS_FIELD = "quarters"
PERIOD_FIELDS: tuple[FieldDef, ...] = (
    FieldDef(
        QUARTERS_FIELD,
        RecordsType(QUARTER_RECORD),
        Text("Kết quả đánh giá, xếp loại các quý trong kỳ", "Quarterly results within the period"),
        required=False,
    ),
    FieldDef(
        "quarterly_period",
        BoolType(),
        Text("Kỳ đánh giá là một quý", "The period evaluated is a quarter"),
        required=False,
    ),
    FieldDef(
        "longest_leave_in_a_quarter",
        NumberType(),
        Text(
            "Thời gian đi học, nghỉ ốm, nghỉ thai sản dài nhất trong một quý của kỳ (tháng)",
            "The most training, sick or maternity leave within one quarter of the period (months)",
        ),
        required=False,
        unit="tháng",
        minimum=Fraction(0),
    ),
    FieldDef(
        "transferred_in_period",
        BoolType(),
        Text("Được điều động, chuyển công tác trong kỳ", "Transferred to the current unit during the period"),
        required=False,
    ),
    FieldDef(
        "months_at_unit",
        NumberType(),
        Text("Số tháng công tác tại đơn vị hiện tại trong kỳ", "Months at the current unit within the period"),
        required=False,
        unit="tháng",
        minimum=Fraction(0),
    ),
)
QUARTER_FIELDS: tuple[FieldDef, ...] = (
    FieldDef("id", TextType(), Text("Quý", "Quarter"), required=False),
    FieldDef("quarter", NumberType(integer=True), Text("Quý số", "Quarter number"), required=False),
    FieldDef("level", OrdinalType(LEVEL_SCALE), Text("Mức xếp loại của quý", "Level of the quarter"), required=False),
    FieldDef(
        "previous_level",
        OrdinalType(LEVEL_SCALE),
        Text("Mức xếp loại của quý liền trước", "Level of the previous quarter"),
        required=False,
    ),
    FieldDef("classified", BoolType(), Text("Được xếp loại trong quý", "Classified in the quarter"), required=False),
    FieldDef(
        "streak",
        NumberType(integer=True),
        Text(
            "Số quý liên tiếp đến quý này có cùng mức xếp loại (0 nếu không xếp loại)",
            "Consecutive quarters up to this one at the same level (0 when not classified)",
        ),
        required=False,
    ),
)
