"""XML read a piece at a time through defusedxml: a scanner report of hundreds of megabytes is never held whole,
and a document that declares a DTD or entities (a "billion laughs") is refused before anything is expanded."""

from __future__ import annotations

from collections.abc import Iterator
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import iterparse

from punchlist.errors import InputError


def elements(path, label: str, what: str, events=("start", "end")) -> Iterator[tuple[str, Element]]:
    """(event, element) as the file is read; InputError naming the file and the line for a document that is
    not well-formed XML, or that declares a DTD, entities or external references."""
    try:
        for event, element in iterparse(path, events=events, forbid_dtd=True):
            yield event, element
    except ParseError as error:
        line, column = getattr(error, "position", (None, None))
        reason = str(error).split(":", 1)[0]
        raise InputError(f"not a readable {what}: the XML is not well-formed at line {line}, column {column} "
                         f"({reason})", file=label) from None
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden) as error:
        kind = {DTDForbidden: "a DTD", EntitiesForbidden: "entities"}.get(type(error), "external references")
        raise InputError(f"not a readable {what}: it declares {kind}, which no {what} has; refused unread "
                         "(entity expansion)", file=label) from None
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror or error}", file=label) from None


def text(element: Element | None, name: str | None = None) -> str:
    """The stripped text of ``element`` (or of its child ``name``); "" where there is none."""
    if element is not None and name is not None:
        element = element.find(name)
    return (element.text or "").strip() if element is not None else ""


def squeeze(value: str) -> str:
    """Text as a report indents it, with each paragraph's lines joined: "a\\n    b\\n\\n  c" -> "a b\\n\\nc"."""
    paragraphs = [" ".join(part.split()) for part in value.replace("\r", "").split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)
