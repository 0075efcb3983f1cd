"""Common, compelling purposes and their measures (key results)."""
