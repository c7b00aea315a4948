"""Outputs are byte-identical across runs, input row orders and locales."""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
from pathlib import Path

from paths import FIXTURES, ROOT

FRAMEWORK = FIXTURES / "population" / "2019-10-18.yaml"


def _population(folder: Path, seed: int | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "units.csv").write_text(
        "id,parent,kind,name,head\nD,,district,Huyện ủy Thử,\nC1,D,grassroots_cell,Chi bộ Thôn Đông,H-C1\n"
        "C2,D,grassroots_cell,Chi bộ Thôn Tây,\n",
        encoding="utf-8",
    )
    rows = []
    grades = ["Xuất sắc", "Tốt", "Tốt", "Tốt", "Trung bình"]
    for i in range(40):
        unit = "C1" if i % 2 else "C2"
        rows.append([f"M{i:03}", unit, "member", f"Đảng viên {i}", "10", str(5 + i % 6), grades[i % 5], str(i % 4)])
    rows.append(["CB-C1", "C1", "cell", "Chi bộ Thôn Đông", "", "", "", ""])
    rows.append(["H-C1", "C1", "head", "Bí thư", "", "", "", ""])
    if seed is not None:
        random.Random(seed).shuffle(rows)
    with (folder / "subjects.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["id", "unit", "kind", "name", "targets_assigned", "targets_met", "task_results", "targets_exceeded"]
        )
        writer.writerows(rows)
    return folder


def _batch(data: Path, out: Path, env_extra: dict[str, str] | None = None) -> dict[str, bytes]:
    env = {**os.environ, **(env_extra or {})}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "xeploai",
            "batch",
            str(FRAMEWORK),
            str(data),
            "--period",
            "2020",
            "--out",
            str(out),
            "--quiet",
            "--traces",
        ],
        check=True,
        capture_output=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    # bi-loai.csv names the input files, manifest.json the command (both name folders that differ between runs);
    # the manifest's list of files, but for the rejections, is compared.
    skipped = ("bi-loai.csv", "manifest.json")
    tables = {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.name not in skipped}
    listed = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]
    tables["manifest.json files"] = json.dumps([f for f in listed if f["name"] != "bi-loai.csv"]).encode()
    return tables


def test_batch_outputs_are_identical_across_runs_row_orders_and_locales(tmp_path: Path) -> None:
    first = _batch(_population(tmp_path / "in-a", None), tmp_path / "out-a")
    again = _batch(_population(tmp_path / "in-a", None), tmp_path / "out-b")
    shuffled = _batch(_population(tmp_path / "in-c", 7), tmp_path / "out-c")
    c_locale = _batch(_population(tmp_path / "in-a", None), tmp_path / "out-d", {"LC_ALL": "C", "LANG": "C"})
    assert set(first) == {"ket-qua.csv", "tong-hop.csv", "giai-thich.jsonl", "manifest.json files"}
    assert first == again
    assert first == shuffled
    assert first == c_locale
    assert "Hoàn thành".encode() in first["ket-qua.csv"]
