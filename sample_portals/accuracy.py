"""How exactly the parser reads the sample world, per delivery form, layout and rendering.

The measurement behind benchmarks/parse_accuracy.py (which prints it) and
tests/test_parse_accuracy.py (which holds it to its thresholds): one owner, imported by
both. See the benchmark's docstring for what is measured.
"""

from __future__ import annotations

import collections
import json
import time
from pathlib import Path

import parsers
from parsers import template
from parsers.html_document import BODY_STEPS, document_from_html
from parsers.report import report_from_document
from sample_portals.forms import FORMS as FORM_FILES
from sample_portals.generate import generate_world, world_specs
from sample_portals.render import render

METADATA_KEYS = ("agency", "year", "published")
DATED_FORMS = ("html", "text_signed")  # the renderings that print a publication date
_CN = dict(zip("0123456789", "〇一二三四五六七八九"))


def signature(agency: str, published, style: int) -> str:
    """The closing lines of a signed report: the agency, then the date in one of three prints."""
    if style % 3 == 0:
        printed = f"{published.year}年{published.month}月{published.day}日"
    elif style % 3 == 1:
        def small(n: int) -> str:
            return ("" if n < 20 else _CN[str(n // 10)]) + ("十" if n >= 10 else "") + (_CN[str(n % 10)] if n % 10 else "")
        printed = "".join(_CN[d] for d in str(published.year)) + f"年{small(published.month)}月{small(published.day)}日"
    else:
        printed = published.isoformat()
    return f"\n\n{agency}\n{printed}\n"


def flat_cells(report_json: dict) -> dict[str, object]:
    """Every number of tables 2-4 (and the 2019 layout's table 2, the legacy figures)
    keyed table.row.col, in the to_json() shape."""
    cells = {}
    for table in ("table2", "table3", "table4", "table2_2019", "legacy"):
        for row, value in (report_json.get(table) or {}).items():
            if isinstance(value, dict):
                for col, number in value.items():
                    cells[f"{table}.{row}.{col}"] = number
            else:
                cells[f"{table}.{row}"] = value
    return cells


def form_of(path: str, form: str | None) -> str:
    if form:
        return form
    return {"pdf": "pdf", "docx": "docx", "html": "html", "shtml": "html", "htm": "html"}.get(
        path.rsplit(".", 1)[-1].lower(), "other")


ONE_LINE_FORMS = ("text_oneline", "text_glued", "text_spaced")
# Planted header mismatches: two column headers swapped in the text rendering, and the cells
# printed under them, which must stay NULL.
HEADER_PLANTS = (("本年制发件数", "本年废止件数", ("table2.regulations.", "table2.normative_documents.")),
                 ("商业企业", "科研机构", ("table3.",)), ("结果维持", "尚未审结", ("table4.",)))


def measure(root: Path, seed: int, generated: int, body_steps: bool = False, derive=None, forms: int = 1) -> dict:
    """`derive(name, data)` makes what a form needs before parsing (archive.derive.derive_once:
    LibreOffice, OCR), passed in by the caller: this room does not reach up into archive/."""

    generate_world(root, seed=seed, generated=generated, forms=forms)
    manifest = json.loads((root / "manifest.json").read_text("utf-8"))
    specs = {spec.id: spec for spec in world_specs(seed, generated, forms)}
    results = {"cells": collections.Counter(), "cell_misses": collections.Counter(),
               "meta": collections.Counter(), "meta_misses": collections.Counter(),
               "check_misses": collections.Counter(), "reports": collections.Counter(),
               "published": collections.defaultdict(collections.Counter),
               "steps": collections.defaultdict(collections.Counter), "misses": [],
               "layouts": collections.defaultdict(collections.Counter),
               "header_plants": collections.Counter(), "glued_seconds": [],
               "doubtful": collections.Counter(), "nonzero": collections.Counter(),
               "nonzero_misses": collections.Counter()}
    for entry in manifest["reports"]:
        truth = entry.get("truth")
        if isinstance(truth, str):
            truth = json.loads((root / truth).read_text("utf-8"))
        elif truth is None:
            truth = json.loads((root / "truth" / f"{entry['id']}.json").read_text("utf-8"))
        items = []
        for file in entry.get("files", []):
            path = root / "sites" / entry["portal_id"] / file["path"].lstrip("/")
            if not path.exists():
                path = root / file["path"]
            items.append((form_of(file["path"], file.get("form")), file["path"], path.read_bytes()))
        if entry.get("delivery") == "jpg":  # the pages of one report: read as one
            items = [("jpg", items[0][1], [data for *_, data in items])]
        spec = specs.get(entry["id"])
        if spec is not None and spec.kind == "generated":
            text = render(spec, "text")
            items.append(("text", f"{entry['id']}.txt", text))
            if truth.get("published") and truth.get("format") != "pre-2020":
                import datetime as dt

                signed = text + signature(truth["agency"], dt.date.fromisoformat(truth["published"]),
                                          len(items)).encode("utf-8")
                items.append(("text_signed", f"{entry['id']}.signed.txt", signed))
            # one line of page text: the 2021 and 2019 layouts; a blank cell leaves no trace there,
            # so reports printing blanks for zero are measured for wrong values only (blank_lost)
            if truth.get("format") != "pre-2020":
                for form in ONE_LINE_FORMS:
                    items.append((form, f"{entry['id']}.{form}.txt", render(spec, form)))
                plant_headers(spec, text, results)
        for form, name, data in items:
            compare(form, name, data, truth, results, derive)
            if body_steps and form == "html":
                compare_steps(name, data, truth, results)
    return results


def plant_headers(spec, text: bytes, results: dict) -> None:
    """Swap two column headers of one table in the text rendering: the numbers under them
    must be NULL (and a problem said), never read into the keys the headers no longer name."""
    decoded = text.decode("utf-8")
    for first, second, under in HEADER_PLANTS:
        if first not in decoded or second not in decoded:
            continue
        swapped = decoded.replace(first, "\0").replace(second, first).replace("\0", second)
        report = parsers.parse(swapped.encode("utf-8"), name="planted.txt").to_json()
        read = [value for key, value in flat_cells(report).items() if key.startswith(under) and value is not None]
        results["header_plants"]["planted"] += 1
        results["header_plants"]["read_as_numbers"] += bool(read)
        results["header_plants"]["problem_said"] += any("header mismatch" in problem for problem in report["problems"])


def compare_steps(name: str, data: bytes, truth: dict, results: dict) -> None:
    """Cell accuracy of one detail page with each HTML body step forced alone."""

    if truth.get("format") == "pre-2020":
        return
    expected = flat_cells(truth)
    for step in BODY_STEPS:
        got = flat_cells(report_from_document(document_from_html(data, url=name, steps=(step,))).to_json())
        counter = results["steps"][step]
        counter["pages"] += 1
        misses = sum(got.get(key) != value for key, value in expected.items())
        counter["cells"] += len(expected)
        counter["misses"] += misses
        counter["pages_exact"] += misses == 0


def compare(form: str, name: str, data: bytes, truth: dict, results: dict, derive=None) -> None:
    started = time.perf_counter()
    inputs = derive(name, data) if form in FORM_FILES and derive else None
    first = data[0] if isinstance(data, list) else data
    parsed = parsers.parse(first, name=name, **(inputs.kwargs if inputs else {}))
    report = parsed.to_json()
    if inputs and inputs.problems:
        results["misses"].append(f"{form} {name}: {'; '.join(inputs.problems)}")
    if form == "text_glued":
        results["glued_seconds"].append(time.perf_counter() - started)
    results["reports"][form] += 1
    if form in FORM_FILES:  # every OCR'd number read wrong must be flagged doubtful
        expected = flat_cells(truth)
        for cell in parsed.cells:
            single = cell.col_key in ("", "value")  # table 2's one-number rows
            key = f"{cell.table}.{cell.row_key}" + ("" if single else f".{cell.col_key}")
            doubtful = cell.flag == "ocr_doubtful"
            results["doubtful"][form, "flagged"] += doubtful
            if cell.value is not None and key in expected and cell.value != expected[key] and not doubtful:
                results["doubtful"][form, "wrong_unflagged"] += 1
    if form not in ("html", "pdf", "docx", "text", "text_signed") + ONE_LINE_FORMS + tuple(FORM_FILES):
        if report["status"] != "failed":
            results["misses"].append(f"{form} {name}: unsupported format not reported as failed")
        return
    expected, got = flat_cells(truth), flat_cells(report)
    layout = truth.get("format")
    blanks = any(printed == "" for printed in truth.get("printed", {}).values())
    counter = results["layouts"][(layout, form + ("/blank_lost" if form in ONE_LINE_FORMS and blanks else ""))]
    for key, value in expected.items():
        outcome = "right" if got.get(key) == value else "null" if got.get(key) is None else "wrong"
        counter[outcome] += 1
        if outcome == "wrong":
            results["misses"].append(f"{form} {name} {key}: WRONG got {got.get(key)!r}, truth {value!r}")
    if form in ONE_LINE_FORMS:
        return  # measured per layout above; one-line copies carry no metadata or dates to score
    if layout == "pre-2020":
        return  # old layout: its legacy figures are measured above; its text is kept
    for key, value in expected.items():
        results["cells"][form] += 1
        if value:
            results["nonzero"][form] += 1
            results["nonzero_misses"][form] += got.get(key) != value
        if got.get(key) != value:
            results["cell_misses"][form] += 1
            results["misses"].append(f"{form} {name} {key}: got {got.get(key)!r}, truth {value!r}")
    if truth.get("published"):
        got_date = report.get("published")
        outcome = "found" if got_date == truth["published"] else "null" if got_date is None else "wrong"
        results["published"][form][outcome] += 1
        if outcome == "wrong":
            results["misses"].append(f"{form} {name} published: got {got_date!r}, truth {truth['published']!r}")
    for key in METADATA_KEYS:
        if key == "published" and form not in DATED_FORMS:
            continue  # the generator prints no date in these renderings: counted above only
        results["meta"][form] += 1
        if report.get(key) != truth.get(key):
            results["meta_misses"][form] += 1
            results["misses"].append(f"{form} {name} {key}: got {report.get(key)!r}, truth {truth.get(key)!r}")
    planted = set(truth.get("expected_failed_checks", []))
    failed = {check["rule"] for check in report["checks"] if check["passed"] is False}
    if report["published"] is None:
        planted.discard("timeliness")  # no date read: passed is None
    if planted != failed:
        results["check_misses"][form] += 1
        results["misses"].append(f"{form} {name} checks: planted {sorted(planted)}, failed {sorted(failed)}")


def summary(results: dict) -> list[str]:
    lines = []
    forms = sorted(set(results["reports"]))
    total_cells = sum(results["cells"].values())
    total_miss = sum(results["cell_misses"].values())
    for form in forms:
        cells, miss = results["cells"][form], results["cell_misses"][form]
        if form in FORM_FILES:
            nonzero, nonzero_miss = results["nonzero"][form], results["nonzero_misses"][form]
            lines.append(f"{form:11} non-zero cells {nonzero - nonzero_miss}/{nonzero} "
                         f"({100 * (nonzero - nonzero_miss) / max(nonzero, 1):.3f}%)")
        meta, meta_miss = results["meta"][form], results["meta_misses"][form]
        lines.append(f"{form:11} reports {results['reports'][form]:4}  cells {cells - miss}/{cells} "
                     f"({100 * (cells - miss) / max(cells, 1):.3f}%)  metadata {meta - meta_miss}/{meta} "
                     f"({100 * (meta - meta_miss) / max(meta, 1):.2f}%)  check mismatches {results['check_misses'][form]}")
    lines.append(f"overall cells {total_cells - total_miss}/{total_cells} "
                 f"({100 * (total_cells - total_miss) / max(total_cells, 1):.3f}%)")
    for form in sorted(results["published"]):
        counts = results["published"][form]
        lines.append(f"published {form:11} found {counts['found']:3}  null {counts['null']:3}  wrong {counts['wrong']:3}")
    lines.append("per layout and rendering (cells right / NULL / WRONG):")
    for (layout, form), counts in sorted(results["layouts"].items()):
        total = sum(counts.values())
        lines.append(f"  {layout:8} {form:24} {counts['right']:6}/{total:<6} ({100 * counts['right'] / max(total, 1):7.3f}%)"
                     f"  null {counts['null']:5}  WRONG {counts['wrong']}")
    for form in sorted({form for form, _ in results["doubtful"]}):
        counts = results["doubtful"]
        lines.append(f"OCR doubt {form:13} flagged {counts[form, 'flagged']:4}  "
                     f"wrong and not flagged {counts[form, 'wrong_unflagged']}")
    plants = results["header_plants"]
    lines.append(f"planted header mismatches {plants['planted']}: read as numbers {plants['read_as_numbers']}, "
                 f"problem said {plants['problem_said']}")
    if results["glued_seconds"]:
        times = sorted(results["glued_seconds"])
        lines.append(f"glued text parse: median {1000 * times[len(times) // 2]:.1f} ms, worst {1000 * times[-1]:.1f} ms "
                     f"per report ({len(times)} reports)")
    for step, counts in results["steps"].items():
        cells, misses = counts["cells"], counts["misses"]
        lines.append(f"body step {step:11} pages exact {counts['pages_exact']}/{counts['pages']}  cells "
                     f"{cells - misses}/{cells} ({100 * (cells - misses) / max(cells, 1):.3f}%)")
    return lines


def glued_worst_case(digits: int = 40) -> tuple[float, int]:
    """Seconds to parse a one-line report whose every table 3 row (and table 4) is a run of
    `digits` ones: the most splits a run can have, each search stopped by glued.BUDGET."""

    rows = "".join(f"{row.label}{'1' * digits}" for row in template.TABLE3_ROWS)
    text = ("某县2023年政府信息公开工作年度报告 一、总体情况 无 二、主动公开政府信息情况 "
            "三、收到和处理政府信息公开申请情况 自然人法人或其他组织商业企业科研机构社会公益组织法律服务机构其他总计"
            f"{rows} 四、政府信息公开行政复议、行政诉讼情况 行政复议行政诉讼结果维持结果纠正其他结果尚未审结总计"
            f"未经复议直接起诉复议后起诉{'1' * digits} 五、存在的主要问题及改进情况 无")
    started = time.perf_counter()
    report = parsers.parse(text.encode("utf-8"), name="worst.txt")
    placed = sum(cell.value is not None for cell in report.cells)
    return time.perf_counter() - started, placed
