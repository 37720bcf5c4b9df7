"""A toy source added the way docs/add-a-source.md says, and crawled through the CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from regtrail import settings

GUIDE = settings.REPO_ROOT / "docs" / "add-a-source.md"
ARTICLE = """<!doctype html><html lang="en"><head><title>Bulletin</title>
<link rel="canonical" href="https://bulletin.example/latest.html">
<meta property="article:published_time" content="2026-03-02T10:00:00+08:00"></head>
<body><h1>Regulator publishes a new batch of algorithm filings</h1>
<p>The regulator published its latest list of filed algorithms on Monday.</p>
<p>Forty services were named, among them several chat assistants.</p></body></html>"""


def guide_crawl_module() -> str:
    """The `crawl.py` the guide shows (its first python block)."""
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.S)
    assert blocks, "the guide shows a crawl.py"
    return blocks[0]


def add_source(plugins: Path, name: str, crawl_py: str, extra_yaml: str = "") -> Path:
    """The files the guide lists for a new source, in a `scrapers` package of its own under `plugins`."""
    folder = plugins / "scrapers" / name
    folder.mkdir(parents=True)
    (plugins / "scrapers" / "__init__.py").touch()
    (folder / "__init__.py").touch()
    (folder / "source.yml").write_text(
        f"name: {name}\ntitle: {name} (test source)\nmodule: scrapers.{name}.crawl\nlist_type: null\n"
        f"allowed_hosts:\n- bulletin.example\nrate_limit_per_second: 50\n{extra_yaml}", encoding="utf-8")
    (folder / "crawl.py").write_text(crawl_py, encoding="utf-8")
    return folder


def crawl(plugins: Path, origin: str, *names: str) -> subprocess.CompletedProcess:
    """`regtrail crawl NAMES` with `plugins` first on the path: its `scrapers` is the sources folder."""
    env = {**os.environ, "REGTRAIL_MIRROR": origin, "PYTHONPATH": f"{plugins}{os.pathsep}{settings.REPO_ROOT}"}
    return subprocess.run([sys.executable, "-m", "regtrail", "crawl", *names], env=env, cwd=plugins,
                          capture_output=True, text=True, timeout=180)
