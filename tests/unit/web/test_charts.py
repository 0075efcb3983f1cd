"""Server-side SVG charts: parsed back as XML, points sit where their values say."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from accord.trust.model import Bin, calibration
from accord.web import charts

NS = {"svg": charts.SVG_NS}
START = datetime(2026, 1, 1, tzinfo=UTC)
EVIL = "<script>alert(1)</script>"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def plot_box(root: ET.Element) -> tuple[float, float, float, float]:
    rect = root.find("svg:rect[@class='plot']", NS)
    assert rect is not None
    x, y, w, h = (float(rect.get(k, "")) for k in ("x", "y", "width", "height"))
    return x, y, w, h


def points_of(polyline: ET.Element) -> list[tuple[float, float]]:
    return [
        (float(x), float(y))
        for x, y in (pair.split(",") for pair in polyline.get("points", "").split())
    ]


def test_line_points_land_where_the_values_say() -> None:
    values = [(START + timedelta(days=7 * i), v) for i, v in enumerate([0.0, 0.25, 0.5, 1.0])]
    root = parse(charts.line([("Overall", values)], title="Trust"))

    x, y, w, h = plot_box(root)
    polyline = root.find("svg:g[@class='series']/svg:polyline", NS)
    assert polyline is not None
    drawn = points_of(polyline)
    span = (values[-1][0] - values[0][0]).total_seconds()
    for (moment, value), (px, py) in zip(values, drawn, strict=True):
        assert px == pytest.approx(x + w * (moment - START).total_seconds() / span, abs=0.01)
        assert py == pytest.approx(y + h * (1 - value), abs=0.01)


def test_line_series_differ_in_colour_and_dash_and_have_a_legend() -> None:
    series = [
        ("Overall", [(START, 0.5), (START + timedelta(days=1), 0.6)]),
        ("Ability", [(START, 0.4), (START + timedelta(days=1), 0.7)]),
    ]
    root = parse(charts.line(series, title="Trust"))

    lines = root.findall("svg:g[@class='series']/svg:polyline", NS)
    assert len(lines) == 2
    assert lines[0].get("stroke") != lines[1].get("stroke")
    assert lines[0].get("stroke-dasharray") != lines[1].get("stroke-dasharray")
    legend = [t.text for t in root.findall("svg:g[@class='legend']/svg:text", NS)]
    assert legend == ["Overall", "Ability"]
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Trust"
    title = root.find("svg:title", NS)
    assert title is not None
    assert title.text == "Trust"


def test_line_has_dated_ticks_and_a_band() -> None:
    values = [(START + timedelta(days=30 * i), 0.5) for i in range(4)]
    bands = {"Overall": [(t, 0.25, 0.75) for t, _ in values]}
    root = parse(charts.line([("Overall", values)], title="T", bands=bands))

    ticks = [t.text for t in root.findall("svg:text[@class='x-tick']", NS)]
    assert ticks[0] == "2026-01-01"
    assert ticks[-1] == (START + timedelta(days=90)).strftime("%Y-%m-%d")
    band = root.find("svg:polygon[@class='band']", NS)
    assert band is not None
    _, y, _, h = plot_box(root)
    ys = {round(py, 2) for _, py in points_of(band)}
    assert ys == {round(y + h * 0.25, 2), round(y + h * 0.75, 2)}


def test_a_missing_value_breaks_the_line() -> None:
    values = [(START + timedelta(days=i), v) for i, v in enumerate([0.2, None, 0.4, 0.5])]
    root = parse(charts.line([("Overall", values)], title="T"))

    lines = root.findall("svg:g[@class='series']/svg:polyline", NS)
    assert [len(points_of(line)) for line in lines] == [1, 2]
    assert len(root.findall("svg:g[@class='series']/svg:circle", NS)) == 3


def test_labels_are_escaped() -> None:
    svg = charts.line([(EVIL, [(START, 0.5)])], title=EVIL, y_label=EVIL)

    assert EVIL not in svg
    root = parse(svg)
    assert root.get("aria-label") == EVIL
    assert EVIL in [t.text for t in root.iter(f"{{{charts.SVG_NS}}}text")]
    assert EVIL not in charts.progress(0, 1, 0.5, unit=EVIL, title=EVIL)
    assert EVIL not in charts.bar([(EVIL, 0.5)], title=EVIL)


@pytest.mark.parametrize("series", [[], [("Overall", [])], [("Overall", [(START, None)])]])
def test_no_data_is_a_chart_that_says_so(series) -> None:
    root = parse(charts.line(series, title="Trust"))

    assert "No data yet" in [t.text for t in root.iter(f"{{{charts.SVG_NS}}}text")]
    assert root.find("svg:title", NS) is not None


def test_progress_fills_the_way_from_baseline_to_target() -> None:
    root = parse(charts.progress(10.0, 20.0, 15.0, unit="h", title="Hours"))
    track = root.find("svg:rect[@class='track']", NS)
    fill = root.find("svg:rect[@class='fill']", NS)
    assert track is not None
    assert fill is not None

    assert float(fill.get("width", "")) == pytest.approx(float(track.get("width", "")) / 2)
    summary = root.find("svg:text[@class='summary']", NS)
    assert summary is not None
    assert summary.text == "15h: 50% of the way from 10h to 20h"


def test_progress_works_when_the_target_is_below_the_baseline() -> None:
    root = parse(charts.progress(40.0, 10.0, 31.0, title="Churn"))
    track = root.find("svg:rect[@class='track']", NS)
    fill = root.find("svg:rect[@class='fill']", NS)
    assert track is not None
    assert fill is not None

    assert float(fill.get("width", "")) == pytest.approx(float(track.get("width", "")) * 0.3)
    assert charts.progress_fraction(40.0, 10.0, 45.0) < 0
    away = parse(charts.progress(40.0, 10.0, 45.0, title="Churn"))
    summary = away.find("svg:text[@class='summary']", NS)
    assert summary is not None
    assert summary.text is not None
    assert "moved away" in summary.text
    gone = parse(charts.progress(40.0, 10.0, None, title="Churn"))
    assert "No reading yet" in [t.text for t in gone.iter(f"{{{charts.SVG_NS}}}text")]


def test_reliability_puts_each_bin_at_its_forecast_and_outcome_sized_by_n() -> None:
    result = calibration([0.15, 0.15, 0.15, 0.85], [0.5] * 4, [0, 0, 1, 1])
    root = parse(charts.reliability(result.bins, title="Backtest"))

    x, y, w, h = plot_box(root)
    circles = root.findall("svg:circle[@class='bin']", NS)
    assert len(circles) == 2
    low, high = sorted(circles, key=lambda c: float(c.get("cx", "")))
    assert float(low.get("cx", "")) == pytest.approx(x + w * 0.15, abs=0.01)
    assert float(low.get("cy", "")) == pytest.approx(y + h * (1 - 1 / 3), abs=0.01)
    assert float(high.get("cy", "")) == pytest.approx(y, abs=0.01)
    assert float(low.get("r", "")) > float(high.get("r", ""))
    texts = [t.text for t in root.iter(f"{{{charts.SVG_NS}}}text")]
    assert "forecast" in texts
    assert "observed" in texts
    assert root.find("svg:line[@class='diagonal']", NS) is not None


def test_reliability_without_finished_commitments_says_no_data() -> None:
    empty = [Bin(i / 10, (i + 1) / 10, 0, None, None) for i in range(10)]
    root = parse(charts.reliability(empty, title="Backtest"))

    assert "No data yet" in [t.text for t in root.iter(f"{{{charts.SVG_NS}}}text")]


def test_bar_draws_each_value_and_its_span() -> None:
    root = parse(
        charts.bar([("ability", 0.5), ("value", None)], title="T", spans={"ability": (0.25, 0.75)})
    )

    bars = root.findall("svg:rect[@class='bar']", NS)
    assert len(bars) == 1
    span = root.find("svg:line[@class='span']", NS)
    assert span is not None
    start = float(bars[0].get("x", ""))
    assert float(span.get("x2", "")) - float(span.get("x1", "")) == pytest.approx(
        float(bars[0].get("width", "")), abs=0.01
    )
    assert start < float(span.get("x1", ""))
