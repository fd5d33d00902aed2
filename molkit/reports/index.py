"""``index.html``: the front page of a run. It opens with the results: the verdict, per claim of
the paper its title, one plain sentence and the small table of its numbers with their intervals
(written by notebooks 02, 03 and 04 into ``work/front/claims/``), the results tables
(``work/tables/results.html``, notebook 05; ``results_5.html``, CASME II in five classes, where the
run adds it; ``results_real.html``, the real MEGC 2019 composite's public onset->apex images, or in
its place the line of ``work/front/real.txt`` saying where to get them; ``results_real_records``,
the kit's benchmark records on those images: :mod:`molkit.run.real_records`), the error table with its
references (``work/tables/errors.html``), and the figures of ``work/figures/`` (the ablation plot of
notebook 03, the pointing game of notebook 04, the easy tier's sensitivity curve on an easy-tier
run). A claim or figure that this run did not make has a ``<name>.source.txt`` beside it: its
title says so and its caption quotes where it comes from. Then each executed notebook with its
status, time and pages, the exported tables, and the run record."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path

import pandas as pd

from molkit.data.cache import atomic_write_text
from molkit.reports.record import RunRecord
from molkit.reports.verdict import CLAIMS

TABLES_FOLDER = Path("work") / "tables"  # where notebook 05 exports the results tables
CLAIMS_FOLDER = Path("work") / "front" / "claims"  # <n>.txt and <n>.csv per claim (molkit.reports.verdict)
FIGURES_FOLDER = Path("work") / "figures"
SOURCE_SUFFIX = ".source.txt"  # beside a claim or figure this run did not make: where it comes from
NOT_THIS_RUN = "benchmark record, not this run"  # what the title of such a claim or figure adds
REAL_NOTE = Path("work") / "front" / "real.txt"  # without the real images: where to get them
REAL_TITLE = "The real MEGC 2019 composite (public onset->apex inputs)"
REAL_RECORDS_TITLE = "The real composite beyond this run: protocols and pre-training (benchmark records)"
FIGURES = {  # name: (title, what it shows); a figure this run did not make adds NOT_THIS_RUN to the title
    "ablations": ("Ablations", "each variant's difference to the full model, paired by seed and fold"),
    "sensitivity": ("Sensitivity (easy tier)", "per-video UF1 against the synthetic movement size"),
    "pointing": ("Attribution", "pointing game of the LOSO fold models on their held-out subjects"),
}
FRONT_TABLES = {
    "results": "Results: every method on its folds, beside the references and the published numbers",
    "results_named_folds": "Results on MOL's folds: every row on the same videos",
    "results_5": "CASME II in five classes, on its own twin: the baselines on every fold",
    "results_real": REAL_TITLE,
    "results_real_records": REAL_RECORDS_TITLE,
    "errors": "Flow and landmark errors, with reference predictors",
}

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; padding: 0 1.5em; max-width: 70em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.35em 0.8em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
.ok { color: #17692b; font-weight: bold; }
.failed { color: #b00020; font-weight: bold; }
.error { font-family: monospace; white-space: pre-wrap; color: #b00020; }
h3 { font-size: 1.05em; margin: 1.2em 0 0.3em; }
.verdict { margin: 0.3em 0; }
.claim-numbers { margin: 0.4em 0 1em; font-size: 0.9em; }
.caption { color: #555; font-size: 0.85em; }
.missing { color: #b00020; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
.front-table { overflow-x: auto; font-size: 0.85em; }
"""


def _link(href: str | None, text: str) -> str:
    return f'<a href="{escape(href)}">{escape(text)}</a>' if href else "-"


def _rows(pairs: list[tuple[str, str]]) -> str:
    return "\n".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in pairs)


def _titled(title: str, source: Path) -> tuple[str, str]:
    """``title``, with :data:`NOT_THIS_RUN` added where ``source`` (where it comes from) exists,
    and that source as a caption (empty when none)."""
    if not source.is_file():
        return title, ""
    caption = source.read_text(encoding="utf-8").strip()
    if title.endswith(")"):  # "Sensitivity (easy tier)" -> "Sensitivity (easy tier; benchmark record, ...)"
        return f"{title[:-1]}; {NOT_THIS_RUN})", caption
    return f"{title} ({NOT_THIS_RUN})", caption


def _small_table(csv: Path) -> str:
    """A claim's numbers (:class:`molkit.reports.verdict.Claim`), as a small plain table; empty
    when the file or its rows are missing."""
    table = pd.read_csv(csv, dtype=str, keep_default_na=False) if csv.is_file() else pd.DataFrame()
    if table.empty:
        return ""
    head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(v)}</td>" for v in row) + "</tr>"
        for row in table.itertuples(index=False)
    )
    return f'<table class="claim-numbers"><tr>{head}</tr>{body}</table>'


def _claim(title: str, stem: Path) -> str:
    """One claim: its title, its sentence and the table of its numbers (when there is one)."""
    title, caption = _titled(title, stem.with_suffix(SOURCE_SUFFIX))
    parts = [
        f"<h3>{escape(title)}</h3>",
        f'<p class="verdict">{escape(stem.with_suffix(".txt").read_text(encoding="utf-8").strip())}</p>',
        _small_table(stem.with_suffix(".csv")),
        f'<p class="caption">{escape(caption)}</p>' if caption else "",
    ]
    return "\n".join(part for part in parts if part)


def front_page(run_dir: str | Path) -> str:
    """The results part of the index, read from the run's work folder: the verdict, the front
    tables and the figures that exist (each missing piece says which notebook makes it)."""
    run_dir = Path(run_dir)
    claims = [(title, run_dir / CLAIMS_FOLDER / str(number)) for number, title in CLAIMS.items()]
    said = [_claim(title, stem) for title, stem in claims if stem.with_suffix(".txt").is_file()]
    parts = [
        "<h2>Verdict</h2>\n" + "\n".join(said)
        if said
        else '<p class="missing">No verdict yet: notebook 02 has not finished.</p>'
    ]
    for stem, title in FRONT_TABLES.items():
        table = run_dir / TABLES_FOLDER / f"{stem}.html"
        if table.is_file():
            parts.append(
                f'<h2>{escape(title)}</h2>\n<div class="front-table">'
                f"{table.read_text(encoding='utf-8')}</div>"
            )
        elif stem == "results":
            parts.append('<p class="missing">No results table yet: notebook 05 has not finished.</p>')
        elif stem == "results_real" and (run_dir / REAL_NOTE).is_file():
            line = (run_dir / REAL_NOTE).read_text(encoding="utf-8").strip()
            parts.append(f"<h2>{escape(title)}</h2>\n<p>{escape(line)}</p>")
    for stem, (title, shows) in FIGURES.items():
        figure = FIGURES_FOLDER / f"{stem}.png"
        if (run_dir / figure).is_file():
            title, caption = _titled(title, run_dir / figure.with_suffix(SOURCE_SUFFIX))
            parts.append(
                f"<h2>{escape(title)}: {escape(shows)}</h2>\n"
                f'<figure><img src="{escape(figure.as_posix())}" alt="{stem}">'
                + (f"<figcaption>{escape(caption)}</figcaption>" if caption else "")
                + "</figure>"
            )
    return "\n".join(parts)


def render_index(
    record: RunRecord,
    titles: dict[str, str] | None = None,
    tables: Sequence[str] = (),
    front: str = "",
) -> str:
    """The index page as HTML text. ``titles`` maps notebook file names to their headings;
    ``tables`` are exported table files, relative to the run folder; ``front`` is the results
    part that opens the page (:func:`front_page`)."""
    titles = titles or {}
    status = "all notebooks ran" if record.ok else "some notebooks failed"
    if record.finished is None:
        status = "running (or interrupted)"
    summary = [
        ("status", status),
        ("started / finished (UTC)", f"{record.started} / {record.finished or '-'}"),
        ("notebook time", f"{record.seconds:.1f} s"),
        (
            "git commit",
            f"{record.git_commit or 'unknown'}" + (" (with local changes)" if record.git_dirty else ""),
        ),
        ("device", record.device),
        ("python", f"{record.python} on {record.platform}"),
        *[(f"parameter {k}", str(v)) for k, v in sorted(record.parameters.items())],
    ]
    notebook_rows = "\n".join(
        "<tr>"
        f"<td>{escape(nb.name)}</td><td>{escape(titles.get(nb.name, ''))}</td>"
        f'<td class="{escape(nb.status)}">{escape(nb.status)}</td><td>{nb.seconds:.1f} s</td>'
        f"<td>{_link(nb.html, 'HTML')} · {_link(nb.executed, 'notebook')}</td>"
        f'<td class="error">{escape(nb.error or "")}</td>'
        "</tr>"
        for nb in record.notebooks
    )
    table_items = "\n".join(f"<li>{_link(t, t)}</li>" for t in tables) or "<li>none yet</li>"
    packages = _rows(sorted(record.packages.items()))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>molkit report: {escape(record.run_name)}</title><style>{STYLE}</style></head>
<body>
<h1>molkit report: {escape(record.run_name)}</h1>
{front}
<h2>Run</h2>
<table>{_rows(summary)}</table>
<h2>Notebooks</h2>
<table>
<tr><th>notebook</th><th>title</th><th>status</th><th>time</th><th>pages</th><th>error</th></tr>
{notebook_rows}
</table>
<h2>Exported tables</h2>
<ul>{table_items}</ul>
<h2>Run record</h2>
<p>{_link("run.json", "run.json")}: parameters, commit, package versions, device, per-notebook time.</p>
<details><summary>package versions</summary><table>{packages}</table></details>
</body></html>
"""


def write_index(record: RunRecord, path: str | Path, titles: dict[str, str] | None = None) -> Path:
    """Write ``index.html`` for ``record`` into ``path`` (its folder is the run folder)."""
    path = Path(path)
    tables = sorted(
        p.relative_to(path.parent).as_posix() for p in (path.parent / TABLES_FOLDER).glob("*") if p.is_file()
    )
    return atomic_write_text(path, render_index(record, titles, tables, front_page(path.parent)))
