"""``reports/index.html``: one row per experiment (claims, numbers, thumbnail, status, links) and the sweeps."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from pathlib import Path

import jinja2
import nbformat
from PIL import Image

from aeutils.reports.notebooks import NOTEBOOK_DIR, REPORT_DIR, list_notebooks, notebook_meta
from aeutils.reports.record import now, read_record
from aeutils.reports.render import duration, fmt

#: The index page's template (autoescaping on: every value is escaped).
TEMPLATE = jinja2.Environment(
    loader=jinja2.PackageLoader("aeutils.reports", "."), autoescape=True, keep_trailing_newline=True
).get_template("index.html.j2")


def thumbnail(ipynb: Path, *, width: int = 220) -> str | None:
    """A small PNG data URI of the notebook's key figure (a cell tagged ``key-figure``, else the first image)."""

    try:
        nb = nbformat.read(str(ipynb), as_version=4)
    except Exception:
        return None
    images = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            png = out.get("data", {}).get("image/png") if isinstance(out, Mapping) else None
            if png:
                images.append(("key-figure" in cell.metadata.get("tags", []), png))
    if not images:
        return None
    png = next((p for key, p in images if key), images[0][1])
    try:
        im = Image.open(io.BytesIO(base64.b64decode(png)))
        im.thumbnail((width, width))
        buf = io.BytesIO()
        im.save(buf, format="PNG")
    except Exception:
        return None
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _status_class(status: str) -> str:
    return str(status).replace(" ", "-")


def _claim_view(c: Mapping) -> dict:
    return {
        "holds": bool(c.get("holds")),
        "claim": str(c.get("claim", "")),
        "ours": fmt(c.get("ours")),
        "baseline": fmt(c.get("baseline")),
        "unit": str(c.get("unit") or ""),
    }


def _row(name: str, stem: str, out_dir: Path, notebook_dir: Path) -> dict:
    meta = notebook_meta(name, notebook_dir)
    rec = read_record(out_dir / f"{stem}.metrics.json") or {"status": "not run"}
    last = read_record(out_dir / f"{stem}.last-run.json")
    claims = rec.get("claims") or []
    prov = rec.get("provenance") or {}
    links = [
        (label, f"{stem}{ext}")
        for label, ext in (("page", ".html"), ("notebook", ".ipynb"), ("metrics", ".metrics.json"))
        if (out_dir / f"{stem}{ext}").exists()
    ]
    source = str(rec.get("data_source", ""))
    short = str(rec.get("data_note") or source)
    row = {
        "name": stem,
        "title": meta.get("title", name),
        "status": rec.get("status", "not run"),
        "status_class": _status_class(rec.get("status", "not run")),
        "profile": rec.get("profile") if rec.get("profile") not in (None, "default") else None,
        "verdicts": f"✓ {sum(bool(c.get('holds')) for c in claims)} of {len(claims)} claims" if claims else "",
        "error": rec.get("error"),
        "claims": [_claim_view(c) for c in claims],
        "data_source": source,
        "data_short": short if len(short) <= 90 else short[:87] + "…",
        "seconds": duration(float(rec["seconds"])) if isinstance(rec.get("seconds"), (int, float)) else "",
        "provenance": (
            f"{(prov.get('git_commit') or '')[:8]}{'+' if prov.get('git_dirty') else ''} · "
            f"{prov.get('machine', '')} · {prov.get('finished', '')}"
        )
        if prov
        else "",
        "html": f"{stem}.html" if (out_dir / f"{stem}.html").exists() else None,
        "thumb": thumbnail(out_dir / f"{stem}.ipynb") if (out_dir / f"{stem}.ipynb").exists() else None,
        "links": links,
        "last_run": None,
        "_seconds": float(rec.get("seconds") or 0) if isinstance(rec.get("seconds"), (int, float)) else 0.0,
        "_claims": claims,
    }
    if last and last.get("status") not in (None, "ok", "claims not met"):
        row["last_run"] = {
            "status": last.get("status"),
            "finished": last.get("finished", ""),
            "error": last.get("error"),
            "partial": f"{stem}.partial.html" if (out_dir / f"{stem}.partial.html").exists() else None,
        }
        if rec.get("status") == "not run":
            row["status"], row["status_class"] = last.get("status"), _status_class(last.get("status"))
    return row


def build_index(out_dir: Path = REPORT_DIR, notebook_dir: Path = NOTEBOOK_DIR) -> Path:
    """Write ``index.html`` from the results in ``out_dir``; an unreadable result shows as such, never stops it."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = list_notebooks(notebook_dir)
    rows = [_row(name, name, out_dir, notebook_dir) for name in names]
    sweeps = []
    for name in names:
        groups: dict[str, list] = {}
        for path in sorted(out_dir.glob(f"{name}@*.metrics.json")):
            rec = read_record(path) or {}
            sweep = rec.get("sweep") or {}
            if "key" in sweep:
                groups.setdefault(sweep["key"], []).append((path.name[: -len(".metrics.json")], rec))
        for key, recs in groups.items():
            claim_names = []
            for _, rec in recs:
                for c in rec.get("claims") or []:
                    if c.get("claim") not in claim_names:
                        claim_names.append(c.get("claim"))
            srows = []
            for stem, rec in recs:
                by = {c.get("claim"): c for c in rec.get("claims") or []}
                cells = [
                    (
                        ("✓ " if by[c].get("holds") else "✗ ")
                        + fmt(by[c].get("ours"))
                        + " "
                        + str(by[c].get("unit") or "")
                    )
                    if c in by
                    else "–"
                    for c in claim_names
                ]
                srows.append(
                    {
                        "value": fmt((rec.get("sweep") or {}).get("value")),
                        "status": rec.get("status", "?"),
                        "status_class": _status_class(rec.get("status", "?")),
                        "cells": cells,
                        "html": f"{stem}.html" if (out_dir / f"{stem}.html").exists() else None,
                    }
                )
            sweeps.append({"name": name, "key": key, "claim_names": claim_names, "rows": srows})
    page = TEMPLATE.render(
        rows=rows, sweeps=sweeps, written=now(), total_time=duration(sum(r["_seconds"] for r in rows))
    )
    index = out_dir / "index.html"
    tmp = out_dir / ".index.html.tmp"
    tmp.write_text(page)
    tmp.replace(index)
    return index
