"""Discovered buckets as a report: CSV, and HTML with inline SVG bars (volume, impact, frustration), for the
lead deciding which buckets become intents and which are automation candidates."""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Callable, Sequence

from assist.learning.discover import NO_IMPACT, Bucket

COLUMNS = ("bucket", "tickets", "share", "impact", "reopened", "frustrated", "high on", "candidate",
           "distinctive terms", "example")


def to_csv(buckets: Sequence[Bucket], impact_unit: str = "min") -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow([c if c != "impact" else f"impact ({impact_unit or NO_IMPACT})" for c in COLUMNS])
    for b in buckets:
        w.writerow([b.name, b.volume, f"{b.share:.3f}", b.impact if impact_unit else "", f"{b.reopened:.3f}",
                    f"{b.emotion:.3f}",
                    " ".join(b.high), "yes" if b.candidate else "", " ".join(b.terms),
                    b.examples[0] if b.examples else ""])
    return out.getvalue()


def _bars(buckets: Sequence[Bucket], value: Callable[[Bucket], float], title: str, fmt: str) -> str:
    width, row, label_w = 640, 18, 190
    top = max((value(b) for b in buckets), default=0) or 1
    h = row * len(buckets) + 24
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h}" role="img" '
             f'aria-label="{html.escape(title)}"><text x="0" y="12" font-size="12" font-weight="bold">'
             f'{html.escape(title)}</text>']
    for n, b in enumerate(buckets):
        y = 20 + n * row
        w = (width - label_w - 60) * value(b) / top
        colour = "#2b7a4b" if b.candidate else "#8a94a6"
        parts.append(f'<text x="{label_w - 6}" y="{y + 12}" font-size="11" text-anchor="end">'
                     f'{html.escape(b.name[:30])}</text><rect x="{label_w}" y="{y + 2}" width="{w:.1f}" '
                     f'height="{row - 5}" fill="{colour}"/><text x="{label_w + w + 4:.1f}" y="{y + 12}" '
                     f'font-size="11">{fmt.format(value(b))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def to_html(buckets: Sequence[Bucket], title: str, impact_unit: str = "min") -> str:
    """A self-contained page (inline SVG, no script, nothing remote) a lead can forward."""
    cands = [b for b in buckets if b.candidate]
    rows = "".join(
        "<tr{}><td>{}</td><td>{}</td><td>{:.0%}</td><td>{}</td><td>{:.0%}</td><td>{:.0%}</td><td>{}</td>"
        "<td>{}</td><td>{}</td></tr>".format(
            ' class="cand"' if b.candidate else "", html.escape(b.name), b.volume, b.share,
            b.impact if impact_unit else NO_IMPACT,
            b.reopened, b.emotion, html.escape(", ".join(b.high)), html.escape(", ".join(b.terms)),
            html.escape(b.examples[0][:160] if b.examples else ""))
        for b in buckets)
    bars: list[tuple[Callable[[Bucket], float], str, str]] = [(lambda b: b.volume, "Volume (tickets)", "{:.0f}")]
    if impact_unit:  # no chart of zeros for a history without handle times or replies
        bars.append((lambda b: b.impact, f"Impact (mean handle, {impact_unit})", "{:.1f}"))
    bars.append((lambda b: b.emotion * 100, "Emotion (% frustrated)", "{:.0f}%"))
    charts = "".join(f"<figure>{_bars(buckets, f, t, fmt)}</figure>" for f, t, fmt in bars)
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>body{{font:14px system-ui,sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse}}
td,th{{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}}
tr.cand td:first-child{{font-weight:bold;color:#2b7a4b}}figure{{margin:1em 0}}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{len(buckets)} buckets from {sum(b.volume for b in buckets):,} tickets. Each is scored on volume, impact and
emotion; a bucket in the top third on two of the three is an <b>automation candidate</b>
({len(cands)}: {html.escape(", ".join(b.name for b in cands) or "none")}).</p>
{charts}
<table><tr><th>Bucket</th><th>Tickets</th><th>Share</th><th>Impact ({impact_unit or NO_IMPACT})</th><th>Reopened</th>
<th>Frustrated</th><th>High on</th><th>Distinctive terms</th><th>Example</th></tr>{rows}</table>
</body></html>"""
