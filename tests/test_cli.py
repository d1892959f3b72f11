"""The `ogi` command's contract with scripts: exit codes, JSON keys, refusals."""

import json
from pathlib import Path

from click.testing import CliRunner

from ogi.cli import main
from parsers import template

SEEDS = Path(__file__).resolve().parent.parent / "sample_portals" / "seeds"


def ogi(*args: str):
    return CliRunner().invoke(main, list(args))


def test_parse_json_prints_the_documented_keys_with_missing_rows_as_null():
    result = ogi("parse", str(SEEDS / "001_f3987e0d89fa98e7.txt"), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) >= {"title", "agency", "level", "year", "published", "format", "status",
                           "problems", "sections", "table2", "table3", "table4", "checks"}
    assert list(report["table3"]) == list(template.TABLE3_ROW_KEYS)
    assert report["agency"] == "盐池县王乐井乡" and report["year"] == 2023
    assert report["table2"]["penalty"] == 75
    assert set(report["table3"]["total_processed"].values()) == {None}
    assert report["status"] == "partial"


def test_parse_of_something_that_is_not_a_report_exits_2_with_one_line(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("会议纪要：今天讨论了绿化工作。", encoding="utf-8")
    result = CliRunner().invoke(main, ["parse", str(notes)])
    assert result.exit_code == 2
    assert "not a report" in result.output and len(result.output.strip().splitlines()) == 1


def test_status_of_a_folder_that_is_no_archive_exits_non_zero(tmp_path):
    result = ogi("status", "--data", str(tmp_path / "typo"))
    assert result.exit_code == 1
    assert "exists: False" in result.output


def test_load_refuses_a_folder_that_is_no_archive(tmp_path):
    result = ogi("load", "--data", str(tmp_path / "typo"))
    assert result.exit_code != 0
    assert "not an archive folder" in result.output
    assert not (tmp_path / "typo" / "ogi.db").exists()


def test_local_switches_politeness_off_only_for_the_sample_portals(tmp_path):
    """The shipped registry lists real county portals: --local must refuse them."""
    result = ogi("crawl", "--data", str(tmp_path), "--local")
    assert result.exit_code != 0
    assert "--local is for the sample portals" in result.output


def test_reindex_refuses_a_folder_without_warcs(tmp_path):
    result = ogi("reindex", "--data", str(tmp_path / "typo"))
    assert result.exit_code != 0
    assert "nothing to reindex" in result.output


def test_demo_on_a_crawled_folder_refuses_other_ports_rather_than_making_new_versions(tmp_path):
    """Other ports are other URLs: re-running the demo there would version every report."""
    import socket

    (tmp_path / "ogi.db").touch()  # a folder an earlier demo crawled
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # bind through an earlier demo's TIME_WAIT
    try:
        holder.bind(("127.0.0.1", 18401))  # if something else listens there, it is busy all the same
        holder.listen()
    except OSError:
        pass
    try:
        result = ogi("demo", "--data", str(tmp_path), "--no-serve")
    finally:
        holder.close()
    assert result.exit_code != 0
    assert "was crawled at those ports" in result.output
    assert not (tmp_path / "warc").exists()
