"""``index.html``: the front page of a run, linking each executed notebook and its HTML page
with its status and time, the exported results tables and the run record."""
from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path

from molkit.data.cache import atomic_write_text
from molkit.reports.record import RunRecord

TABLES_FOLDER = Path("work") / "tables"  # where notebook 05 exports the results tables

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.35em 0.8em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
.ok { color: #17692b; font-weight: bold; }
.failed { color: #b00020; font-weight: bold; }
.error { font-family: monospace; white-space: pre-wrap; color: #b00020; }
"""


def _link(href: str | None, text: str) -> str:
    return f'<a href="{escape(href)}">{escape(text)}</a>' if href else "-"


def _rows(pairs: list[tuple[str, str]]) -> str:
    return "\n".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in pairs)


def render_index(
    record: RunRecord, titles: dict[str, str] | None = None, tables: Sequence[str] = ()
) -> str:
    """The index page as HTML text. ``titles`` maps notebook file names to their headings;
    ``tables`` are exported table files, relative to the run folder."""
    titles = titles or {}
    status = "all notebooks ran" if record.ok else "some notebooks failed"
    if record.finished is None:
        status = "running (or interrupted)"
    summary = [
        ("status", status),
        ("started / finished (UTC)", f"{record.started} / {record.finished or '-'}"),
        ("notebook time", f"{record.seconds:.1f} s"),
        ("git commit", f"{record.git_commit or 'unknown'}" + (" (with local changes)" if record.git_dirty else "")),
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
<table>{_rows(summary)}</table>
<h2>Notebooks</h2>
<table>
<tr><th>notebook</th><th>title</th><th>status</th><th>time</th><th>pages</th><th>error</th></tr>
{notebook_rows}
</table>
<h2>Results tables</h2>
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
        p.relative_to(path.parent).as_posix()
        for p in (path.parent / TABLES_FOLDER).glob("*") if p.is_file()
    )
    return atomic_write_text(path, render_index(record, titles, tables))
