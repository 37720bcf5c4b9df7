"""Marts read a seed through the intermediate model that wraps it, never the raw seed beside it.

Read from the model files (no dbt run): every `ref(...)` / `source(...)` of each model and macro. An
intermediate model that reads one seed and nothing else wraps it; no mart may read a wrapped seed, and the
entity seed is read by its wrapper alone.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from regtrail import settings

# A ref (`ref('x')`, `ref("pkg", "x")`, `dbt.ref("x")`) or a source (`source('s', 't')`): the last quoted argument.
READ = re.compile(r"""\b(ref|source)\(\s*(['"])([^'"]+)\2\s*(?:,\s*(['"])([^'"]+)\4\s*)?[,)]""")
# Jinja comments and SQL line comments, which may name a model without reading it.
COMMENT = re.compile(r"\{#.*?#\}|--[^\n]*", re.DOTALL)
# A seed with one model reading it: everything else reads that model (issue 21).
SOLE_READERS = {"entity_aliases": "int_entity_aliases"}


def reads(path: Path) -> set[str]:
    """What one model or macro file reads: model and seed names, sources as `source:<source>.<table>`."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".sql":
        text = COMMENT.sub("", text)
    found = set()
    for kind, _, first, _, second in READ.findall(text):
        if kind == "source":
            found.add(f"source:{first}.{second}")
        else:
            found.add(second or first)
    return found


def readers(project: Path) -> dict[str, set[str]]:
    """What every model (`models/<layer>/.../<name>`) and macro file (`macros/<file>`) of the project reads."""
    files = [*(project / "models").rglob("*.sql"), *(project / "models").rglob("*.py"),
             *(project / "macros").rglob("*.sql")]
    return {str(path.relative_to(project).with_suffix("")): reads(path) for path in sorted(files)}


def seeds(project: Path) -> set[str]:
    return {path.stem for path in (project / "seeds").glob("*.csv")}


def wrapped_seeds(project: Path) -> dict[str, str]:
    """Seed -> the intermediate model that reads it and nothing else."""
    known = seeds(project)
    return {next(iter(read)): Path(node).name for node, read in readers(project).items()
            if node.startswith("models/intermediate/") and len(read) == 1 and read <= known}


def violations(project: Path) -> list[str]:
    """Marts reading a wrapped seed, and readers of a sole-reader seed other than its model."""
    wrapped = wrapped_seeds(project)
    found = {}
    for node, read in readers(project).items():
        for seed in sorted(read & seeds(project)):
            model = SOLE_READERS.get(seed) or wrapped.get(seed)
            if model and Path(node).name != model and (seed in SOLE_READERS or node.startswith("models/marts/")):
                found[node, seed] = f"{node} reads the seed {seed}: read {model} instead"
    return list(found.values())


def test_the_parser_finds_every_form_of_read(tmp_path: Path) -> None:
    model = tmp_path / "m.sql"
    model.write_text("-- ref('in_a_comment')\n{# ref('in_jinja_comment') #}\nselect * from {{ ref('a') }}\n"
                     "join {{ ref( \"pkg\" , \"b\" ) }} join {{ ref('c', v=2) }} join {{ source('log', 'events') }}\n",
                     encoding="utf-8")
    python = tmp_path / "p.py"
    python.write_text('def model(dbt, session):\n    return dbt.ref("d").join(dbt.source("log", "segments"))\n',
                      encoding="utf-8")
    assert reads(model) == {"a", "b", "c", "source:log.events"}
    assert reads(python) == {"d", "source:log.segments"}


def test_the_entity_seed_has_a_wrapper_and_every_sole_reader_exists() -> None:
    project = settings.dbt_project_dir()
    assert wrapped_seeds(project).get("entity_aliases") == "int_entity_aliases"
    models = {Path(node).name for node in readers(project) if node.startswith("models/")}
    assert set(SOLE_READERS) <= seeds(project) and set(SOLE_READERS.values()) <= models


def test_marts_read_no_seed_an_intermediate_model_wraps() -> None:
    assert violations(settings.dbt_project_dir()) == []


def test_the_check_fails_on_a_mart_or_a_model_reading_the_raw_seed(tmp_path: Path) -> None:
    project = tmp_path / "dbt_project"
    for folder in ("models", "macros", "seeds"):
        shutil.copytree(settings.dbt_project_dir() / folder, project / folder)
    mart = project / "models" / "marts" / "fct_filings.sql"
    mart.write_text(mart.read_text(encoding="utf-8").replace("ref('int_entity_aliases')", "ref('entity_aliases')"),
                    encoding="utf-8")
    names = project / "models" / "intermediate" / "int_entity_english_names.py"
    names.write_text(names.read_text(encoding="utf-8").replace('ref("int_entity_aliases")', 'ref("entity_aliases")'),
                     encoding="utf-8")
    assert violations(project) == [
        "models/intermediate/int_entity_english_names reads the seed entity_aliases: read int_entity_aliases instead",
        "models/marts/fct_filings reads the seed entity_aliases: read int_entity_aliases instead",
    ]


def test_a_mart_reading_a_newly_wrapped_seed_fails_and_other_layers_may_read_it(tmp_path: Path) -> None:
    project = tmp_path / "dbt_project"
    for folder in ("models", "macros", "seeds"):
        shutil.copytree(settings.dbt_project_dir() / folder, project / folder)
    (project / "seeds" / "toy_codes.csv").write_text("code,name\n1,one\n", encoding="utf-8")
    (project / "models" / "marts" / "fct_toy.sql").write_text(
        "select * from {{ ref('fct_filings') }} join {{ ref('toy_codes') }} using (code)\n", encoding="utf-8")
    (project / "models" / "intermediate" / "int_toy.sql").write_text(
        "select * from {{ ref('int_filing_versions') }} join {{ ref('toy_codes') }} using (code)\n", encoding="utf-8")
    assert violations(project) == []  # no model wraps toy_codes yet
    (project / "models" / "intermediate" / "int_toy_codes.sql").write_text(
        "-- {{ ref('ignored') }}\nselect * from {{ ref('toy_codes') }}\n", encoding="utf-8")
    assert violations(project) == ["models/marts/fct_toy reads the seed toy_codes: read int_toy_codes instead"]
