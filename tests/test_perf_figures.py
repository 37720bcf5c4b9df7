"""docs/performance.md's tables are rendered from docs/figures/*.json (bench/figures.py, cog): the page matches the
files, a figure edited by hand or a file not rendered again fails `cog --check`, each file holds exactly the keys
its template reads, and a bench run writes a file of the expected shape."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cogapp.cogapp import Cog, CogCheckFailed

from bench import figures
from regtrail import settings

ROOT = settings.REPO_ROOT
PAGE = ROOT / "docs" / "performance.md"
COG = Path(sys.executable).with_name("cog")


def cog_check(page: Path) -> subprocess.CompletedProcess:
    """`cog --check` as `make docs` runs it, on `page`."""
    return subprocess.run([str(COG), "-I", ".", "--check", str(page)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def render_in_process(page: Path) -> None:
    """Run the page's templates here (figures.READ then holds the keys they read); raises CogCheckFailed when the
    page differs from what they render."""
    Cog().callable_main(["cog", "-I", str(ROOT), "--check", "--verbosity=0", str(page)])


def recorded() -> dict[str, dict]:
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in figures.FIGURES.glob("*.json")}


def test_page_matches_the_recorded_figures() -> None:
    done = cog_check(PAGE)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_figure_edited_by_hand_fails_the_check(tmp_path: Path) -> None:
    """The parse ratio as rendered from the JSON, changed in a copy of the page: the check fails on the copy."""
    ratio = recorded()["parse_bench"]["values"]["ratio"]
    shown = f"**{ratio:.1f}×**"
    text = PAGE.read_text(encoding="utf-8")
    assert text.count(shown) == 1, f"{shown} should appear once in the generated table"
    untouched, edited = tmp_path / "untouched.md", tmp_path / "edited.md"
    untouched.write_text(text, encoding="utf-8")
    edited.write_text(text.replace(shown, f"**{ratio + 1.3:.1f}×**"), encoding="utf-8")
    assert cog_check(untouched).returncode == 0
    done = cog_check(edited)
    assert done.returncode != 0
    assert "edited.md" in done.stdout + done.stderr


def test_a_new_figure_not_rendered_fails_the_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bench writes a new value but the page is not rendered again: the check fails until `cog -r`."""
    folder = tmp_path / "figures"
    folder.mkdir()
    new = recorded()["dag_parse_bench"]["values"]["parse_median_s"] + 0.5
    for bench, data in recorded().items():
        if bench == "dag_parse_bench":
            data["values"]["parse_median_s"] = new
        (folder / f"{bench}.json").write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(figures, "FIGURES", folder)
    page = tmp_path / "performance.md"
    page.write_text(PAGE.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(CogCheckFailed):
        render_in_process(page)
    Cog().callable_main(["cog", "-I", str(ROOT), "-r", "--verbosity=0", str(page)])
    render_in_process(page)
    assert f"**{new * 1000:.0f} ms**" in page.read_text(encoding="utf-8")


def test_each_figures_file_holds_what_the_templates_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(figures, "READ", type(figures.READ)(set))
    monkeypatch.setattr(figures, "LISTED", set())
    render_in_process(PAGE)
    files = recorded()
    assert files, "docs/figures holds no figures"
    assert figures.LISTED == set(files), "every figures file is listed under Runs, and every bench listed has a file"
    assert set(figures.READ) <= figures.LISTED, "every bench a table quotes is listed under Runs"
    for bench, data in files.items():
        assert list(data) == list(figures.META_KEYS), bench
        assert data["bench"] == bench
        assert set(data["values"]) == figures.READ[bench], f"{bench}: recorded keys differ from what the page reads"


def test_a_template_reading_an_unrecorded_value_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(figures, "FIGURES", tmp_path)
    figures.start("toy_bench").record({"seconds": 1.5})
    assert figures.fill("toy_bench", "{seconds:.1f} s") == "1.5 s"
    assert figures.judge("toy_bench", "'met' if max(seconds, 1) <= 2 else 'missed'") == "met"
    with pytest.raises(figures.MissingValue, match="toy_bench.json has no value 'rows'"):
        figures.fill("toy_bench", "{rows} rows")
    (tmp_path / "broken_bench.json").write_text('{"bench": "broken_bench"', encoding="utf-8")
    with pytest.raises(figures.FiguresError, match="is not JSON"):
        figures.load("broken_bench")
    with pytest.raises(figures.FiguresError, match="missing: run `python bench/absent_bench.py`"):
        figures.load("absent_bench")


def test_a_bench_run_records_its_figures_or_not(tmp_path: Path) -> None:
    """cli_bench with --runs 1 into a copy of the figures folder: the file's metadata describe the run;
    --no-record leaves it alone."""
    script = ("import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); from bench import figures; "
              "figures.FIGURES = Path(sys.argv[2]); sys.argv = sys.argv[3:]; import runpy; "
              "runpy.run_path(sys.argv[0], run_name='__main__')")
    bench = str(ROOT / "bench" / "cli_bench.py")
    run = [sys.executable, "-c", script, str(ROOT), str(tmp_path), bench, "--runs", "1"]
    subprocess.run(run, cwd=ROOT, check=True, capture_output=True, timeout=300)
    data = json.loads((tmp_path / "cli_bench.json").read_text(encoding="utf-8"))
    assert list(data) == list(figures.META_KEYS)
    assert data["command"].endswith("bench/cli_bench.py --runs 1")
    assert data["cores"] >= 1 and len(data["load_average"]) == 3 and data["wall_s"] > 0
    assert re.fullmatch(r"[0-9a-f]{12}(\+dirty)?", data["commit"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", data["started_at"])
    assert data["values"]["runs"] == 1
    (tmp_path / "cli_bench.json").unlink()
    subprocess.run([*run, "--no-record"], cwd=ROOT, check=True, capture_output=True, timeout=300)
    assert not (tmp_path / "cli_bench.json").exists()
