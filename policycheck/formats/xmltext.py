"""Text as ElementTree writes it in XML (JUnit, the workbook's sheets): characters XML 1.0
cannot carry replaced by U+FFFD, markup characters escaped; one text at a time, or a whole
Arrow text array at once.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from policycheck.formats.arrowtext import concatenated, replaced, replaced_array

#: Characters that XML 1.0 cannot carry, even escaped.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: What ElementTree escapes in an element's text, and in an attribute value, in order.
ELEMENT = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
ATTRIBUTE = (*ELEMENT, ('"', "&quot;"), ("\r", "&#13;"), ("\n", "&#10;"), ("\t", "&#09;"))
#: NOT_XML as Arrow's regular expressions (RE2) write it; the control characters it
#: matches as UTF-8 bytes, and the UTF-8 of its two others.
_NOT_XML_RE2 = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{fffe}\x{ffff}]"
_NOT_XML_CONTROLS = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_NOT_XML_OTHERS = ("\ufffe".encode(), "\uffff".encode())


def _holds_not_xml(data: bytes) -> bool:
    """Whether UTF-8 text holds a character NOT_XML matches: the controls in one pass
    (deleting them shortens the text), not one search for each of the 29."""
    return (len(data.translate(None, _NOT_XML_CONTROLS)) != len(data)
            or any(other in data for other in _NOT_XML_OTHERS))


def xml_safe(text: str) -> str:
    """The text with each character XML cannot carry replaced by U+FFFD."""
    return NOT_XML.sub("\ufffd", text)


def element_text(text: str) -> str:
    """Text as ElementTree escapes an element's text."""
    return replaced(text, ELEMENT)


def attribute(text: str) -> str:
    """Text as ElementTree escapes an attribute value."""
    return replaced(text, ATTRIBUTE)


def escaped_array(text: pa.Array, escapes: tuple[tuple[str, str], ...], safe: bool = True
                  ) -> pa.Array:
    """``replaced(xml_safe(t), escapes)`` of each text of an Arrow array (without
    ``xml_safe`` when not ``safe``), a pass over the texts only for what some text holds
    (``arrowtext.replaced_array``)."""
    data = concatenated(text)
    if safe and _holds_not_xml(data):
        text = pc.replace_substring_regex(text, _NOT_XML_RE2, "\ufffd")
        return replaced_array(text, escapes)
    return replaced_array(text, escapes, data)
