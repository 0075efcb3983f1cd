"""The `accord/1` interchange document: import, export, the demo organization."""
