"""Text from records made safe to print on a terminal.

Record fields are attacker-controlled (a ticket id, a user agent, a city), and a terminal obeys
the escape sequences inside them: ``\\x1b[1A\\x1b[2K`` rewrites the line above, and bidi
overrides reorder what the analyst reads. Every such character is shown as its ``\\x..`` or
``\\u....`` escape instead, so the text stays visible and nothing is executed.
"""

from __future__ import annotations

# C0 and C1 controls (tab and newline included: a value must not start a fake line), DEL, and
# the Unicode format characters that reorder or hide text.
_CONTROLS = [*range(0x00, 0x20), *range(0x7F, 0xA0)]
_FORMAT = [0x061C, 0x200B, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_FORMAT += [0x2028, 0x2029, 0xFEFF]
_ESCAPES = {c: f"\\x{c:02x}" for c in _CONTROLS} | {c: f"\\u{c:04x}" for c in _FORMAT}


def safe(text: object) -> str:
    """``text`` as a string in which no character can move the cursor, recolour or reorder."""
    return str(text).translate(_ESCAPES)


def safe_lines(text: str) -> str:
    """Like ``safe``, keeping the line breaks of text that is multi-line by design."""
    return "\n".join(safe(line) for line in text.split("\n"))
