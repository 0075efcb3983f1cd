"""Characters no text in Accord holds: a refusal for user input, a miss for a key lookup."""

from __future__ import annotations

import re

# C0 controls but tab, newline and carriage return; lone surrogates; the two non-characters
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
