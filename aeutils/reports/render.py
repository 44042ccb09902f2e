"""Rendering an executed notebook as a report page: a summary of its claims on top, clean outputs, a conclusion."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

#: nbconvert templates of the pages (``aeutils``: JupyterLab's, with the figures' alternative text).
TEMPLATES = Path(__file__).parent / "templates"

def fmt(value, digits: int = 4) -> str:
    """A number for a reader: ``digits`` significant figures, thousands separated; other values as text.

    Example:
    >>> fmt(27.1349), fmt(1588966), fmt(0.0001234), fmt(None), fmt(True)
    ('27.13', '1,588,966', '0.0001234', '–', 'yes')
    """
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value:
            return "nan"
        if abs(value) >= 1e5 and value == int(value):
            return f"{int(value):,}"
        return f"{value:.{digits}g}"
    return str(value)


def duration(seconds: float) -> str:
    """A run time for a reader.

    Example:
    >>> duration(42.3), duration(1020.0)
    ('42 s', '17.0 min')
    """
    seconds = float(seconds)
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def claim_rows_html(claims) -> str:
    """The claims as an HTML table: verdict, claim, ours, baseline, 95% interval of the difference, source."""
    if not claims:
        return "<p><em>This run states no claims.</em></p>"
    rows = []
    for c in claims:
        unit = html.escape(str(c.get("unit") or ""))
        ci = c.get("ci95")
        ci_txt = f"[{fmt(ci[0], 3)}, {fmt(ci[1], 3)}] {unit}" if ci else "–"
        mark = "✓" if c.get("holds") else "✗"
        note = f"<div class='note'>{html.escape(c['note'])}</div>" if c.get("note") else ""
        rows.append(
            f"<tr class='{'holds' if c.get('holds') else 'fails'}'><td class='mark'>{mark}</td>"
            f"<td>{html.escape(str(c.get('claim', '')))}{note}</td>"
            f"<td>{html.escape(fmt(c.get('ours')))} {unit}</td><td>{html.escape(fmt(c.get('baseline')))} {unit}</td>"
            f"<td>{ci_txt}</td><td>{html.escape(fmt(c.get('source')))}</td></tr>"
        )
    return (
        "<table class='claims'><tr><th></th><th>claim</th><th>ours</th><th>baseline</th>"
        "<th>95% interval of ours − baseline</th><th>source's figure</th></tr>" + "".join(rows) + "</table>"
    )


#: A markdown heading of level 1 to 3: its hashes and its text.
HEADING = re.compile(r"^(#{1,3})\s+(.*\S)\s*$", flags=re.MULTILINE)


def _headings(nb) -> list[tuple[int, str]]:
    cells = [cell for cell in nb.cells if cell.cell_type == "markdown"]
    return [(len(hashes), text) for cell in cells for hashes, text in HEADING.findall(cell.source)]


def describe_figures(nb) -> int:
    """Give every PNG figure of ``nb`` an alternative text: its section heading and its number there.

    The page template (``templates/aeutils``) writes it as the image's ``alt``, so a screen reader
    names each figure (and nbconvert has no image without one to warn about).

    Returns:
        How many figures were described.

    Example:
    >>> from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
    >>> png = new_output("display_data", data={"image/png": "iVBO"})
    >>> nb = new_notebook(cells=[new_markdown_cell("## Super-resolution"), new_code_cell(outputs=[png, png])])
    >>> describe_figures(nb), nb.cells[1].outputs[1].metadata["image/png"]["alt"]
    (2, 'Super-resolution: figure 2')
    """
    section, count, total = "", 0, 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            heads = HEADING.findall(cell.source)
            if heads:
                section, count = re.sub(r"[*_`]", "", heads[-1][1]), 0
            continue
        for output in cell.get("outputs", []):
            if "image/png" not in output.get("data", {}):
                continue
            count += 1
            total += 1
            output.setdefault("metadata", {}).setdefault("image/png", {})["alt"] = (
                f"{section}: figure {count}" if section else f"figure {count}"
            )
    return total


def anchor(text: str) -> str:
    """The id nbconvert gives a markdown heading.

    Example:
    >>> anchor("Results: the table")
    'Results:-the-table'
    """
    return re.sub(r"\s+", "-", text.strip())


def summary_markdown(record: Mapping, meta: Mapping, nb, *, links: Mapping[str, str]) -> str:
    """The page's opening block: question, data, claims with verdicts, run time, contents and links."""
    status = record.get("status", "not run")
    claims = record.get("claims") or []
    held = sum(bool(c.get("holds")) for c in claims)
    parts = [
        "<div class='aeutils-summary'>",
        f"<p class='status status-{html.escape(status.replace(' ', '-'))}'><b>Status: {html.escape(status)}</b>"
        f" — {held} of {len(claims)} claims hold"
        + (f"; run time {duration(record['seconds'])}" if record.get("seconds") is not None else "")
        + (" (smoke settings)" if record.get("profile") == "smoke" else "")
        + "</p>",
    ]
    if record.get("error"):
        parts.append(f"<p class='error'>{html.escape(str(record['error']))}</p>")
    if meta.get("question"):
        parts.append(f"<p><b>Question.</b> {html.escape(meta['question'])}</p>")
    data = html.escape(str(record.get("data_source", "")))
    if record.get("data_note"):
        data = "<b>" + html.escape(record["data_note"]) + "</b> <span class='prov'>(" + data + ")</span>"
    parts.append(f"<p><b>Data.</b> {data}</p>")
    parts.append(claim_rows_html(claims))
    prov = record.get("provenance") or {}
    if prov:
        commit = (prov.get("git_commit") or "?")[:10] + (" (uncommitted changes)" if prov.get("git_dirty") else "")
        parts.append(
            "<p class='prov'>aeutils "
            + html.escape(
                f"{prov.get('aeutils')} at {commit}; TensorFlow {prov.get('tensorflow')}, Keras "
                f"{prov.get('keras')}, NumPy {prov.get('numpy')}, Python {prov.get('python')}; "
                f"{prov.get('machine')}; {prov.get('started') or ''} → {prov.get('finished') or ''}"
            )
            + "</p>"
        )
    link_html = " · ".join(f"<a href='{html.escape(href)}'>{html.escape(label)}</a>" for label, href in links.items())
    parts.append(f"<p class='links'>{link_html}</p>")
    heads = [(lvl, text) for lvl, text in _headings(nb) if lvl >= 2]
    if heads:
        items = "".join(
            f"<li class='toc{lvl}'><a href='#{html.escape(anchor(text))}'>{html.escape(text)}</a></li>"
            for lvl, text in heads
        )
        parts.append(f"<details open><summary>Contents</summary><ul class='toc'>{items}</ul></details>")
    parts.append("</div>")
    return "\n".join(parts)


PAGE_CSS = """<style>
.aeutils-summary{border:1px solid #ccc;border-radius:6px;padding:0.5em 1em;margin:1em 0;background:#fafafa}
.aeutils-summary .status-ok{color:#060}.aeutils-summary .status-claims-not-met,.aeutils-summary .status-failed,
.aeutils-summary .status-interrupted{color:#a00}
table.claims{border-collapse:collapse;font-size:13px}
table.claims td,table.claims th{border:1px solid #ddd;padding:3px 6px;text-align:left}
table.claims tr.holds .mark{color:#060;font-weight:bold}table.claims tr.fails .mark{color:#a00;font-weight:bold}
table.claims .note{color:#555;font-size:12px}.aeutils-summary .prov{color:#666;font-size:12px}
.aeutils-summary .error{color:#a00}ul.toc{margin:0.3em 0}li.toc3{margin-left:1.5em}
.jp-RenderedHTMLCommon table,.jp-OutputArea-output table{display:block;max-width:100%;overflow-x:auto}
</style>"""


def render_html(
    ipynb: Path,
    html_path: Path,
    *,
    record: Mapping | None = None,
    meta: Mapping | None = None,
    links: Mapping[str, str] | None = None,
) -> None:
    """Render an executed notebook to HTML: summary on top, inputs hidden, figures inline, TF logs dropped.

    Args:
        ipynb: the executed notebook.
        html_path: where the page goes.
        record: the run's record (claims, status, data, provenance); without it no summary is added.
        meta: the notebook's ``metadata["aeutils"]`` (title, question).
        links: label → href for the links line (index, notebook, metrics JSON).
    """

    nb = nbformat.read(str(ipynb), as_version=4)  # no C++ log lines: the kernel keeps them out (kernel.py)
    meta = dict(meta or {})
    if meta.get("title"):
        nb.metadata["title"] = meta["title"]
    if record is not None:
        summary = summary_markdown(record, meta, nb, links=links or {})
        # The summary opens the page, under the notebook's own title heading.
        first = nb.cells[0] if nb.cells and nb.cells[0].cell_type == "markdown" else None
        title_line = ""
        if first is not None and first.source.lstrip().startswith("# "):
            title_line, _, rest = first.source.lstrip().partition("\n")
            first.source = rest.lstrip("\n")
        title_line = title_line or f"# {html.escape(meta.get('title', ''))}"
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(title_line + "\n\n" + PAGE_CSS + "\n" + summary))
        if record.get("conclusion"):
            nb.cells.append(nbformat.v4.new_markdown_cell("## Conclusion\n\n" + html.escape(record["conclusion"])))
    describe_figures(nb)
    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
        extra_template_basedirs=[str(TEMPLATES)], template_name="aeutils",
    )  # fmt: skip
    body, _ = exporter.from_notebook_node(nb)
    Path(html_path).write_text(body)
