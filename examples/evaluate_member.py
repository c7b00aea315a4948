"""Classify one party member with the Python API and print why (run: python examples/evaluate_member.py)."""

from pathlib import Path

from xeploai import api
from xeploai.explanation import explain

ROOT = Path(__file__).resolve().parent.parent

program = api.load_framework(ROOT / "frameworks" / "party" / "2019-10-18.yaml")
evidence = api.load_evidence_file(ROOT / "examples" / "members" / "nguyen-van-an.yaml")
result = api.evaluate(
    program,
    evidence.kind,
    evidence.evidence,
    period=evidence.period or api.parse_period(2020),
    subject_id=evidence.subject_id,
    subject_name=evidence.name,
)
outcome = result.outcome  # the root of the trace
print(outcome.status.value, program.level_code(outcome.level) if outcome.level else "-")
print("why not higher:", ", ".join(outcome.reasons))
print(explain.to_text(result, program, "en"))
