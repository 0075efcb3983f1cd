"""The `accord/1` interchange document: its schema, import and export."""
