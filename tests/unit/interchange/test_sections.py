"""The table the importer and the exporter loop over follows the document."""

from __future__ import annotations

from accord.interchange.report import SECTIONS
from accord.interchange.schemas import Document
from accord.interchange.sections import TABLE


def test_the_table_has_every_section_in_the_order_of_the_document() -> None:
    assert tuple(section.name for section in TABLE) == SECTIONS
    assert [name for name in Document.model_fields if name != "format"] == list(SECTIONS)
