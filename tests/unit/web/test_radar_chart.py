"""The radar chart of a health-check round: parsed back as XML, corners sit where values say."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest

from accord.web import charts

NS = {"svg": charts.SVG_NS}
AXES = [
    (k, k.title()) for k in ("purpose", "direction", "ability", "integrity", "value", "overall")
]
EVIL = "<script>alert(1)</script>"


def corners(polygon: ET.Element) -> list[tuple[float, float]]:
    return [
        (float(x), float(y))
        for x, y in (pair.split(",") for pair in polygon.get("points", "").split())
    ]


def test_each_series_is_a_polygon_whose_corners_sit_at_their_values() -> None:
    values = {"purpose": 5, "direction": 1, "ability": 3, "integrity": 4, "value": 2, "overall": 5}
    root = ET.fromstring(charts.radar([("Data", values)], AXES, title="Health"))

    [polygon] = root.findall("svg:g[@class='series']/svg:polygon", NS)
    points = corners(polygon)
    assert len(points) == 6
    rings = [corners(r) for r in root.findall("svg:polygon[@class='ring']", NS)]
    centre_x = sum(x for x, _ in rings[-1]) / 6
    centre_y = sum(y for _, y in rings[-1]) / 6
    rim = math.dist((centre_x, centre_y), rings[-1][0])
    for (key, _), point in zip(AXES, points, strict=True):
        distance = math.dist((centre_x, centre_y), point)
        assert distance == pytest.approx(rim * (values[key] - 1) / 4, abs=0.02)
    # the first axis points straight up from the centre
    assert points[0][0] == pytest.approx(centre_x, abs=0.01)
    assert points[0][1] < centre_y


def test_series_differ_have_a_legend_and_the_words_say_every_value() -> None:
    a = dict.fromkeys((k for k, _ in AXES), 4.0)
    b = dict.fromkeys((k for k, _ in AXES), 2.5)
    root = ET.fromstring(charts.radar([("Data", a), ("Care", b)], AXES, title="Health"))

    polygons = root.findall("svg:g[@class='series']/svg:polygon", NS)
    assert len(polygons) == 2
    assert polygons[0].get("stroke") != polygons[1].get("stroke")
    assert polygons[0].get("stroke-dasharray") != polygons[1].get("stroke-dasharray")
    assert root.find("svg:title", NS).text == "Health"  # type: ignore[union-attr]
    desc = root.find("svg:desc", NS).text or ""  # type: ignore[union-attr]
    assert "Data: Purpose 4" in desc
    assert "Care: Purpose 2.5" in desc
    legend = [t.text for t in root.findall("svg:g[@class='legend']/svg:text", NS)]
    assert legend == ["Data", "Care"]
    labels = [t.text for t in root.findall("svg:text[@class='axis-label']", NS)]
    assert labels == [label for _, label in AXES]


def test_labels_are_escaped() -> None:
    svg = charts.radar(
        [(EVIL, dict.fromkeys((k for k, _ in AXES), 3.0))],
        [(k, EVIL) for k, _ in AXES],
        title=EVIL,
    )
    assert "<script>" not in svg
    root = ET.fromstring(svg)
    assert root.find("svg:title", NS).text == EVIL  # type: ignore[union-attr]


def test_no_values_is_a_chart_that_says_so() -> None:
    svg = charts.radar([("Data", dict.fromkeys((k for k, _ in AXES)))], AXES, title="Health")
    assert "No data yet" in svg
    assert charts.radar([], AXES, title="Health").count("<polygon") == 0
