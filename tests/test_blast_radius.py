"""One source, one blast radius (issue 24, case 13): a typo in one `source.yml` (`rate_limit_per_second: fast` in
the news source) stops that source only. The DAG file still imports (every crawl DAG and the warehouse DAG, with a
task for the broken source), `regtrail crawl OTHER` crawls the mirror, `regtrail crawl news` fails naming the file
and the field, and `regtrail crawl` (all) crawls the valid sources and exits 1 naming the broken one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from regtrail import settings
from regtrail.crawl.sources import SOURCES_DIR, load_registry
from regtrail.log import events
from regtrail.mirror.server import start_mirror
from regtrail.mirror.site import build_site
from regtrail.ops import airflow_env

TYPO = ("rate_limit_per_second: 1.0", "rate_limit_per_second: fast")
PROBE = """
import json
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=DAGS)
print(json.dumps({"errors": {k: str(v) for k, v in bag.import_errors.items()},
                  "dags": {dag_id: sorted(dag.task_ids) for dag_id, dag in bag.dags.items()}}))
"""


@pytest.fixture(scope="module")
def plugins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the sources (`scrapers/`) with the typo in news/source.yml; first on the path, it is the sources."""
    root = tmp_path_factory.mktemp("plugins")
    shutil.copytree(SOURCES_DIR, root / "scrapers", ignore=shutil.ignore_patterns("__pycache__"))
    path = root / "scrapers" / "news" / "source.yml"
    text = path.read_text(encoding="utf-8")
    assert TYPO[0] in text
    path.write_text(text.replace(TYPO[0], TYPO[1]), encoding="utf-8")
    return root


def env(plugins: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": f"{plugins}{os.pathsep}{settings.REPO_ROOT}", **extra}


def test_the_registry_keeps_the_valid_sources_and_names_the_broken_one(plugins: Path) -> None:
    registry = load_registry(plugins / "scrapers")
    assert set(registry.broken) == {"news"}
    assert "news/source.yml: rate_limit_per_second: Input should be a valid number" in registry.broken["news"]
    assert set(registry.sources) == set(load_registry().sources) - {"news"}


@pytest.mark.slow
def test_the_dags_import_with_a_failing_task_for_the_broken_source(plugins: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    code = f"DAGS = {str(settings.REPO_ROOT / 'dags')!r}\n" + PROBE
    out = subprocess.run([sys.executable, "-c", code], env=env(plugins, **airflow_env.airflow_environ(home)),
                         capture_output=True, text=True, timeout=300, cwd=home)
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["errors"] == {}
    assert set(report["dags"]) == {"regtrail_crawl_daily", "regtrail_warehouse"}
    crawled = sorted(f"crawl_{s.name}" for s in load_registry().sources.values() if s.config.crawl_all)
    assert "crawl_news" in crawled, "every source, the broken one too, has its task"
    assert report["dags"]["regtrail_crawl_daily"] == sorted([*crawled, "crawls_failed", "event_log_updated"])
    assert "dbt_build" in report["dags"]["regtrail_warehouse"]


def test_another_source_crawls_and_the_broken_one_fails_by_name(plugins: Path, home: Path, shared: Path) -> None:
    with start_mirror(build_site(shared.parent)) as mirror:
        other = subprocess.run([sys.executable, "-m", "regtrail", "crawl", "cac_cancellations"], capture_output=True,
                               text=True, timeout=300, cwd=plugins, env=env(plugins, REGTRAIL_MIRROR=mirror.origin))
        broken = subprocess.run([sys.executable, "-m", "regtrail", "crawl", "news"], capture_output=True, text=True,
                                timeout=120, cwd=plugins, env=env(plugins, REGTRAIL_MIRROR=mirror.origin))
    assert other.returncode == 0, other.stderr[-3000:]
    cancellations = json.loads(other.stdout)["cac_cancellations"]
    assert cancellations["records:filing_cancellation"] > 0
    assert {r["source"] for r in events.read_events(home, "records").to_pylist()} == {"cac_cancellations"}
    assert broken.returncode == 1
    assert "news/source.yml: rate_limit_per_second: Input should be a valid number" in broken.stderr


def test_a_crawl_of_all_sources_crawls_the_valid_ones_and_exits_1_naming_the_broken(tmp_path: Path, home: Path,
                                                                                   http_server) -> None:
    """Two small sources, one with the typo: the valid one's records are appended, the run says which broke."""
    from tests.support.sources import ARTICLE, add_source, crawl, guide_crawl_module

    page = ARTICLE.encode()
    origin = http_server({"/bulletin.example/latest.html": lambda _: (200, {"Content-Type": "text/html"}, page)})
    add_source(tmp_path / "plugins", "bulletin", guide_crawl_module())
    folder = add_source(tmp_path / "plugins", "typo", guide_crawl_module())
    config = folder / "source.yml"
    config.write_text(config.read_text().replace("rate_limit_per_second: 50", TYPO[1]))
    done = crawl(tmp_path / "plugins", origin)
    assert done.returncode == 1, done.stderr[-3000:]
    summary = done.stderr.strip().splitlines()[-1]
    assert "typo: invalid source.yml" in summary and "1 source(s) broken" in summary, summary
    assert "typo/source.yml: rate_limit_per_second" in done.stderr
    stats = json.loads(done.stdout)
    assert stats["bulletin"]["records:news_article"] == 1 and stats["typo"] == {"config_errors": 1}
    assert {r["source"] for r in events.read_events(home, "records").to_pylist()} == {"bulletin"}
