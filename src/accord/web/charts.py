"""Charts drawn on the server as SVG: no script, so they pass the page's CSP and print well.

Every chart is an `<svg role="img">` with a `<title>` and a `<desc>` that says in words what
the lines or points show; every label is escaped. Series differ in colour and in dash pattern,
so colour is never the only signal.

Longer than most modules on purpose: one small drawing kit (scales, axes, legends, titles) that
every chart shares, so that every chart is accessible the same way.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from markupsafe import Markup, escape

SVG_NS = "http://www.w3.org/2000/svg"
INK = "#1c2430"
MUTED = "#535e6e"
GRID = "#d9dee5"
TRACK = "#e5e8ec"
# Colour-blind-safe hues dark enough for 4.5:1 on white, each paired with its own dash.
COLOURS = ("#1f5fbf", "#b5470b", "#17663a", "#7b2d8e", "#a1161b", "#3d4a5c")
DASHES = ("", "7 4", "2 3", "9 3 2 3", "4 4", "1 2")
FONT = 'font-family="system-ui, sans-serif"'

Point = tuple[datetime, float | None]
Series = tuple[str, Sequence[Point]]
Band = tuple[datetime, float, float]


class CalibrationBin(Protocol):
    """One bin of a reliability diagram (accord.trust.model.Bin)."""

    @property
    def lo(self) -> float: ...
    @property
    def hi(self) -> float: ...
    @property
    def n(self) -> int: ...
    @property
    def mean_forecast(self) -> float | None: ...
    @property
    def observed(self) -> float | None: ...


def style_of(index: int) -> tuple[str, str]:
    """The colour and dash pattern of the index-th series."""
    return COLOURS[index % len(COLOURS)], DASHES[index % len(DASHES)]


def value_text(value: float | None, percent: bool = True, unit: str = "") -> str:
    """A value for a label: 0.734 -> '73%' when percent, else '0.73' plus the unit."""
    if value is None:
        return "—"
    if percent:
        return f"{value * 100:.0f}%"
    text = f"{value:.2f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return f"{text}{unit}"


def _c(value: float) -> str:
    """A coordinate, short but precise enough to read back."""
    return f"{value:.2f}"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _svg(width: int, height: int, title: str, desc: str, body: Iterable[str]) -> Markup:
    label = escape(title)
    parts = [
        f'<svg xmlns="{SVG_NS}" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{label}" class="chart-svg">',
        f"<title>{label}</title>",
        f"<desc>{escape(desc)}</desc>",
        *body,
        "</svg>",
    ]
    return Markup("".join(parts))


def _no_data(width: int, height: int, title: str, message: str = "No data yet") -> Markup:
    body = [
        f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" fill="#fff" '
        f'stroke="{GRID}" class="no-data"/>',
        f'<text x="{width / 2:.1f}" y="{height / 2:.1f}" text-anchor="middle" '
        f'dominant-baseline="middle" fill="{MUTED}" font-size="14" {FONT}>'
        f"{escape(message)}</text>",
    ]
    return _svg(width, height, title, f"{message}.", body)


def _ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Evenly spaced ticks from lo to hi, both ends included."""
    if hi <= lo:
        return [lo]
    return [lo + (hi - lo) * i / (count - 1) for i in range(count)]


def _date_format(span: timedelta) -> str:
    if span < timedelta(days=2):
        return "%m-%d %H:%M"
    return "%Y-%m-%d"


def line(
    series: Sequence[Series],
    *,
    y_min: float = 0.0,
    y_max: float = 1.0,
    title: str,
    y_label: str = "",
    percent: bool = True,
    bands: Mapping[str, Sequence[Band]] | None = None,
    width: int = 640,
    height: int = 220,
) -> Markup:
    """Lines over time, one per series, each with its colour, dash, markers and legend entry."""
    bands = bands or {}
    points = [(name, [(_utc(t), v) for t, v in values]) for name, values in series]
    known = [(t, v) for _, values in points for t, v in values if v is not None]
    if not known:
        return _no_data(width, height, title)
    band_points = [(_utc(t), lo, hi) for name, _ in points for t, lo, hi in bands.get(name, ())]
    instants = [t for t, _ in known] + [t for t, _, _ in band_points]
    start, end = min(instants), max(instants)
    if start == end:
        start, end = start - timedelta(days=1), end + timedelta(days=1)
    if y_max <= y_min:
        y_max = y_min + 1.0

    legend_rows = _legend_rows([name for name, _ in points], width - 56)
    left, right = 48.0, 12.0
    top = 8.0 + 18.0 * len(legend_rows) + 6.0
    bottom = 26.0 + (14.0 if y_label else 0.0)
    plot_w = width - left - right
    plot_h = max(height - top - bottom, 20.0)
    span = (end - start).total_seconds()

    def x_of(moment: datetime) -> float:
        return left + plot_w * (moment - start).total_seconds() / span

    def y_of(value: float) -> float:
        clamped = min(max(value, y_min), y_max)
        return top + plot_h * (1.0 - (clamped - y_min) / (y_max - y_min))

    body: list[str] = [
        f'<rect class="plot" x="{_c(left)}" y="{_c(top)}" width="{_c(plot_w)}" '
        f'height="{_c(plot_h)}" fill="#fff" stroke="{GRID}"/>'
    ]
    for tick in _ticks(y_min, y_max):
        y = y_of(tick)
        body.append(
            f'<line x1="{_c(left)}" x2="{_c(left + plot_w)}" y1="{_c(y)}" y2="{_c(y)}" '
            f'stroke="{GRID}"/>'
            f'<text x="{_c(left - 6)}" y="{_c(y)}" text-anchor="end" dominant-baseline="middle" '
            f'fill="{MUTED}" font-size="11" {FONT}>{escape(value_text(tick, percent))}</text>'
        )
    fmt = _date_format(end - start)
    tick_count = max(2, min(6, int(plot_w // 110) + 1))
    for i in range(tick_count):
        moment = start + (end - start) * i / (tick_count - 1)
        x = x_of(moment)
        anchor = "start" if i == 0 else "end" if i == tick_count - 1 else "middle"
        body.append(
            f'<line x1="{_c(x)}" x2="{_c(x)}" y1="{_c(top + plot_h)}" y2="{_c(top + plot_h + 4)}" '
            f'stroke="{MUTED}"/>'
            f'<text class="x-tick" x="{_c(x)}" y="{_c(top + plot_h + 16)}" text-anchor="{anchor}" '
            f'fill="{MUTED}" font-size="11" {FONT}>{escape(moment.strftime(fmt))}</text>'
        )
    if y_label:
        body.append(
            f'<text x="{_c(left)}" y="{_c(height - 4)}" fill="{MUTED}" font-size="11" {FONT}>'
            f"{escape(y_label)}</text>"
        )

    for index, (name, _values) in enumerate(points):
        colour, _ = style_of(index)
        band = sorted((_utc(t), lo, hi) for t, lo, hi in bands.get(name, ()))
        if band:
            upper = " ".join(f"{_c(x_of(t))},{_c(y_of(hi))}" for t, _, hi in band)
            lower = " ".join(f"{_c(x_of(t))},{_c(y_of(lo))}" for t, lo, _ in reversed(band))
            body.append(
                f'<polygon class="band" data-series="{escape(name)}" points="{upper} {lower}" '
                f'fill="{colour}" fill-opacity="0.14" stroke="none"/>'
            )

    summary: list[str] = []
    for index, (name, values) in enumerate(points):
        colour, dash = style_of(index)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        ordered = sorted(values, key=lambda p: p[0])
        body.append(f'<g class="series" data-series="{escape(name)}">')
        for segment in _segments(ordered):
            coords = " ".join(f"{_c(x_of(t))},{_c(y_of(v))}" for t, v in segment)
            body.append(
                f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2.2" '
                f'stroke-linejoin="round"{dash_attr}/>'
            )
        for t, v in ordered:
            if v is None:
                continue
            body.append(
                f'<circle cx="{_c(x_of(t))}" cy="{_c(y_of(v))}" r="2.8" fill="{colour}">'
                f"<title>{escape(name)}, {escape(t.strftime(fmt))}: "
                f"{escape(value_text(v, percent))}</title></circle>"
            )
        body.append("</g>")
        last = next(((t, v) for t, v in reversed(ordered) if v is not None), None)
        if last is not None:
            summary.append(f"{name}: {value_text(last[1], percent)} on {last[0].strftime(fmt)}")
        else:
            summary.append(f"{name}: no data")

    body.extend(_legend(legend_rows, left))
    desc = "Latest values. " + "; ".join(summary) + "."
    return _svg(width, height, title, desc, body)


def _segments(values: Sequence[Point]) -> list[list[tuple[datetime, float]]]:
    """Runs of known values; a missing value breaks the line rather than bridging the gap."""
    runs: list[list[tuple[datetime, float]]] = [[]]
    for moment, value in values:
        if value is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((moment, value))
    return [run for run in runs if run]


def _legend_rows(names: Sequence[str], room: float) -> list[list[tuple[int, str]]]:
    """Legend entries packed into rows that fit the chart's width (text width estimated)."""
    rows: list[list[tuple[int, str]]] = [[]]
    used = 0.0
    for index, name in enumerate(names):
        need = 34.0 + 6.6 * len(name) + 14.0
        if rows[-1] and used + need > room:
            rows.append([])
            used = 0.0
        rows[-1].append((index, name))
        used += need
    return rows if rows[0] else []


def _legend(rows: Sequence[Sequence[tuple[int, str]]], left: float) -> list[str]:
    parts = ['<g class="legend">']
    for row_index, row in enumerate(rows):
        y = 8.0 + 18.0 * row_index + 9.0
        x = left
        for index, name in row:
            colour, dash = style_of(index)
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(
                f'<line x1="{_c(x)}" x2="{_c(x + 28)}" y1="{_c(y)}" y2="{_c(y)}" '
                f'stroke="{colour}" stroke-width="2.5"{dash_attr}/>'
                f'<text x="{_c(x + 34)}" y="{_c(y)}" dominant-baseline="middle" fill="{INK}" '
                f'font-size="12" {FONT}>{escape(name)}</text>'
            )
            x += 34.0 + 6.6 * len(name) + 14.0
    parts.append("</g>")
    return parts


def progress_fraction(baseline: float, target: float, current: float) -> float:
    """How far current has come from baseline to target: 0 at the baseline, 1 at the target
    (below 0 when it moved away, above 1 past the target); works when the target is lower."""
    if target == baseline:
        return 1.0 if current == target else 0.0
    return (current - baseline) / (target - baseline)


def progress(
    baseline: float,
    target: float,
    current: float | None,
    *,
    unit: str = "",
    title: str,
    width: int = 480,
    height: int = 66,
) -> Markup:
    """A bar of the way from baseline to target, filled as far as current has come."""
    if current is None:
        return _no_data(width, height, title, "No reading yet")
    fraction = progress_fraction(baseline, target, current)
    shown = min(max(fraction, 0.0), 1.0)
    left, right, top, bar_h = 8.0, 8.0, 8.0, 16.0
    track_w = width - left - right
    fill_w = track_w * shown
    baseline_text = value_text(baseline, False, unit)
    target_text = value_text(target, False, unit)
    current_text = value_text(current, False, unit)
    if fraction < 0:
        words = f"{current_text}: moved away from the target ({baseline_text} → {target_text})"
    elif fraction > 1:
        words = f"{current_text}: past the target {target_text} (from {baseline_text})"
    else:
        words = (
            f"{current_text}: {fraction * 100:.0f}% of the way from {baseline_text} "
            f"to {target_text}"
        )
    colour = "#17663a" if fraction >= 1 else "#1f5fbf" if fraction >= 0 else "#a1161b"
    marker_x = left + fill_w
    body = [
        f'<rect class="track" x="{_c(left)}" y="{_c(top)}" width="{_c(track_w)}" '
        f'height="{_c(bar_h)}" rx="8" fill="{TRACK}"/>',
        f'<rect class="fill" x="{_c(left)}" y="{_c(top)}" width="{_c(fill_w)}" '
        f'height="{_c(bar_h)}" rx="8" fill="{colour}"/>',
        f'<line class="marker" x1="{_c(marker_x)}" x2="{_c(marker_x)}" y1="{_c(top - 4)}" '
        f'y2="{_c(top + bar_h + 4)}" stroke="{INK}" stroke-width="2"/>',
        f'<text x="{_c(left)}" y="{_c(top + bar_h + 16)}" fill="{MUTED}" font-size="11" {FONT}>'
        f"{escape(baseline_text)}</text>",
        f'<text x="{_c(width - right)}" y="{_c(top + bar_h + 16)}" text-anchor="end" '
        f'fill="{MUTED}" font-size="11" {FONT}>{escape(target_text)}</text>',
        f'<text class="summary" x="{_c(left)}" y="{_c(top + bar_h + 34)}" '
        f'fill="{INK}" font-size="12" {FONT}>{escape(words)}</text>',
    ]
    return _svg(width, height, title, words + ".", body)


def reliability(
    bins: Sequence[CalibrationBin], *, title: str, width: int = 360, height: int = 360
) -> Markup:
    """A reliability diagram: each bin's mean forecast against how often it came true."""
    used = [b for b in bins if b.n > 0 and b.mean_forecast is not None and b.observed is not None]
    if not used:
        return _no_data(width, height, title)
    left, right, top, bottom = 52.0, 14.0, 12.0, 44.0
    plot_w = width - left - right
    plot_h = height - top - bottom
    largest = max(b.n for b in used)

    def x_of(value: float) -> float:
        return left + plot_w * min(max(value, 0.0), 1.0)

    def y_of(value: float) -> float:
        return top + plot_h * (1.0 - min(max(value, 0.0), 1.0))

    body = [
        f'<rect class="plot" x="{_c(left)}" y="{_c(top)}" width="{_c(plot_w)}" '
        f'height="{_c(plot_h)}" fill="#fff" stroke="{GRID}"/>'
    ]
    for tick in _ticks(0.0, 1.0):
        body.append(
            f'<line x1="{_c(left)}" x2="{_c(left + plot_w)}" y1="{_c(y_of(tick))}" '
            f'y2="{_c(y_of(tick))}" stroke="{GRID}"/>'
            f'<line x1="{_c(x_of(tick))}" x2="{_c(x_of(tick))}" y1="{_c(top)}" '
            f'y2="{_c(top + plot_h)}" stroke="{GRID}"/>'
            f'<text x="{_c(left - 6)}" y="{_c(y_of(tick))}" text-anchor="end" '
            f'dominant-baseline="middle" fill="{MUTED}" font-size="11" {FONT}>'
            f"{value_text(tick)}</text>"
            f'<text x="{_c(x_of(tick))}" y="{_c(top + plot_h + 15)}" text-anchor="middle" '
            f'fill="{MUTED}" font-size="11" {FONT}>{value_text(tick)}</text>'
        )
    body.append(
        f'<line class="diagonal" x1="{_c(x_of(0))}" y1="{_c(y_of(0))}" x2="{_c(x_of(1))}" '
        f'y2="{_c(y_of(1))}" stroke="{MUTED}" stroke-width="1.5" stroke-dasharray="5 4"/>'
        f'<line x1="{_c(x_of(0.52))}" x2="{_c(x_of(0.6))}" y1="{_c(y_of(0.05))}" '
        f'y2="{_c(y_of(0.05))}" stroke="{MUTED}" stroke-width="1.5" stroke-dasharray="5 4"/>'
        f'<text x="{_c(x_of(0.62))}" y="{_c(y_of(0.05))}" dominant-baseline="middle" '
        f'fill="{MUTED}" font-size="11" {FONT}>perfect calibration</text>'
        f'<text x="{_c(left + plot_w / 2)}" y="{_c(height - 6)}" text-anchor="middle" '
        f'fill="{INK}" font-size="12" {FONT}>forecast</text>'
        f'<text x="12" y="{_c(top + plot_h / 2)}" text-anchor="middle" fill="{INK}" '
        f'font-size="12" transform="rotate(-90 12 {_c(top + plot_h / 2)})" {FONT}>observed</text>'
    )
    parts: list[str] = []
    for b in used:
        forecast, observed = b.mean_forecast or 0.0, b.observed or 0.0
        radius = 3.0 + 9.0 * math.sqrt(b.n / largest)
        words = (
            f"forecast {value_text(forecast)}, observed {value_text(observed)}, {b.n} commitments"
        )
        parts.append(words)
        body.append(
            f'<circle class="bin" cx="{_c(x_of(forecast))}" cy="{_c(y_of(observed))}" '
            f'r="{_c(radius)}" fill="#1f5fbf" fill-opacity="0.55" stroke="#174a94" '
            f'data-n="{b.n}"><title>{escape(words)}</title></circle>'
        )
    desc = "Forecast against observed by bin: " + "; ".join(parts) + "."
    return _svg(width, height, title, desc, body)


def bar(
    rows: Sequence[tuple[str, float | None]],
    *,
    title: str,
    spans: Mapping[str, tuple[float, float]] | None = None,
    percent: bool = True,
    x_max: float = 1.0,
    width: int = 480,
) -> Markup:
    """Horizontal bars, one per labelled value, with an optional range drawn as a whisker."""
    spans = spans or {}
    if not rows:
        return _no_data(width, 80, title)
    label_w = min(160.0, 16.0 + 7.0 * max(len(label) for label, _ in rows))
    left, right, row_h = label_w, 52.0, 26.0
    height = int(row_h * len(rows) + 12)
    track_w = width - left - right
    scale = x_max if x_max > 0 else 1.0

    def x_of(value: float) -> float:
        return left + track_w * min(max(value / scale, 0.0), 1.0)

    body: list[str] = []
    words: list[str] = []
    for index, (label, value) in enumerate(rows):
        y = 6.0 + row_h * index
        body.append(
            f'<text x="{_c(left - 8)}" y="{_c(y + 9)}" text-anchor="end" '
            f'dominant-baseline="middle" fill="{INK}" font-size="12" {FONT}>'
            f"{escape(label)}</text>"
            f'<rect x="{_c(left)}" y="{_c(y + 2)}" width="{_c(track_w)}" height="14" rx="3" '
            f'fill="{TRACK}"/>'
        )
        if value is not None:
            body.append(
                f'<rect class="bar" x="{_c(left)}" y="{_c(y + 2)}" '
                f'width="{_c(x_of(value) - left)}" height="14" rx="3" fill="#1f5fbf"/>'
            )
        span = spans.get(label)
        if span is not None:
            lo, hi = span
            body.append(
                f'<line class="span" x1="{_c(x_of(lo))}" x2="{_c(x_of(hi))}" y1="{_c(y + 9)}" '
                f'y2="{_c(y + 9)}" stroke="{INK}" stroke-width="1.5"/>'
                f'<line x1="{_c(x_of(lo))}" x2="{_c(x_of(lo))}" y1="{_c(y + 4)}" '
                f'y2="{_c(y + 14)}" stroke="{INK}"/>'
                f'<line x1="{_c(x_of(hi))}" x2="{_c(x_of(hi))}" y1="{_c(y + 4)}" '
                f'y2="{_c(y + 14)}" stroke="{INK}"/>'
            )
        text = value_text(value, percent)
        words.append(f"{label}: {text}")
        body.append(
            f'<text x="{_c(width - right + 6)}" y="{_c(y + 9)}" dominant-baseline="middle" '
            f'fill="{INK}" font-size="12" {FONT}>{escape(text)}</text>'
        )
    return _svg(width, height, title, "; ".join(words) + ".", body)


def radar(
    series: Sequence[tuple[str, Mapping[str, float | None]]],
    axes: Sequence[tuple[str, str]],
    *,
    title: str,
    lo: float = 1.0,
    hi: float = 5.0,
    width: int = 420,
    height: int = 400,
) -> Markup:
    """A radar (spider) chart: one axis per (key, label) from `lo` at the centre to `hi` at the
    rim, one closed polygon per series through its values; a missing value sits at the centre."""
    drawn = [
        (name, values) for name, values in series if any(v is not None for v in values.values())
    ]
    if not drawn or len(axes) < 3:
        return _no_data(width, height, title)
    legend_rows = _legend_rows([name for name, _ in drawn], width - 24)
    top = 8.0 + 18.0 * len(legend_rows) + 26.0
    cx = width / 2
    radius = min(width / 2 - 86.0, (height - top - 26.0) / 2)
    cy = top + radius
    span = hi - lo if hi > lo else 1.0

    def at(index: int, value: float, scale: float = 1.0) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * index / len(axes)
        r = scale * radius * (min(max(value, lo), hi) - lo) / span
        return cx + r * math.cos(angle), cy + r * math.sin(angle)

    body: list[str] = []
    for level in _ticks(lo, hi):
        ring = " ".join(f"{_c(x)},{_c(y)}" for x, y in (at(i, level) for i in range(len(axes))))
        body.append(f'<polygon class="ring" points="{ring}" fill="none" stroke="{GRID}"/>')
        x, y = at(0, level)
        body.append(
            f'<text x="{_c(x + 4)}" y="{_c(y)}" dominant-baseline="middle" fill="{MUTED}" '
            f'font-size="10" {FONT}>{escape(value_text(level, False))}</text>'
        )
    for index, (_, label) in enumerate(axes):
        x, y = at(index, hi)
        lx, ly = at(index, hi, 1.14)
        anchor = "middle" if abs(lx - cx) < 1 else "start" if lx > cx else "end"
        body.append(
            f'<line class="axis" x1="{_c(cx)}" y1="{_c(cy)}" x2="{_c(x)}" y2="{_c(y)}" '
            f'stroke="{GRID}"/>'
            f'<text class="axis-label" x="{_c(lx)}" y="{_c(ly)}" text-anchor="{anchor}" '
            f'dominant-baseline="middle" fill="{INK}" font-size="12" {FONT}>{escape(label)}</text>'
        )
    summary: list[str] = []
    for index, (name, values) in enumerate(drawn):
        colour, dash = style_of(index)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        corners = [at(i, values.get(key) or lo) for i, (key, _) in enumerate(axes)]
        points = " ".join(f"{_c(x)},{_c(y)}" for x, y in corners)
        body.append(
            f'<g class="series" data-series="{escape(name)}">'
            f'<polygon points="{points}" fill="{colour}" fill-opacity="0.12" stroke="{colour}" '
            f'stroke-width="2.2" stroke-linejoin="round"{dash_attr}/>'
        )
        for (x, y), (key, label) in zip(corners, axes, strict=True):
            value = values.get(key)
            body.append(
                f'<circle cx="{_c(x)}" cy="{_c(y)}" r="2.8" fill="{colour}"><title>'
                f"{escape(name)}, {escape(label)}: {escape(value_text(value, False))}"
                "</title></circle>"
            )
        body.append("</g>")
        words = ", ".join(f"{label} {value_text(values.get(key), False)}" for key, label in axes)
        summary.append(f"{name}: {words}")
    body.extend(_legend(legend_rows, 12.0))
    return _svg(width, height, title, "; ".join(summary) + ".", body)
