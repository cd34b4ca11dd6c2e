"""Parsing untrusted XML: no DTD entities, no external entities, no network.

The byte scan refuses entity declarations and external DTDs before lxml sees them; the
parser itself is configured so that nothing is resolved or fetched even if the scan missed
something (e.g. an exotic encoding), and the parsed tree is checked for an internal DTD.
"""

from __future__ import annotations

import re
from html.entities import name2codepoint

from lxml import etree

from schemas.models import InvalidItem
from wirecore.text import decode_text, wide_codec

_DOCTYPE = re.compile(rb"<!DOCTYPE\s+([^\s>\[]+)\s*([^>\[]*)(\[)?", re.I)
_DECL = re.compile(rb"^\s*<\?xml[^>]*?\?>", re.S)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
        huge_tree=False, strip_cdata=False, remove_comments=True, remove_pis=True,
    )


_PARSER = _parser()


def check_xml_bytes(data: bytes) -> None:
    """Refuse entity declarations and DTDs that point elsewhere."""
    if b"<!ENTITY" in data:
        raise InvalidItem("XML entity declarations refused (entity expansion / XXE)")
    m = _DOCTYPE.search(data)
    if m is not None and (m.group(3) or m.group(2).strip()):
        raise InvalidItem("XML DTD with internal subset or external id refused")
    if b"\x00" in data[:4] and wide_codec(data) is None:  # UTF-16/32 start with NUL bytes
        raise InvalidItem("XML with NUL bytes refused")


def parse_xml(data: bytes) -> etree._Element:
    """Root element of ``data``; InvalidItem with a one-line reason when it is not safe XML.

    What feed readers mend is mended and the document read again (``_repair``: HTML
    entities and bare ampersands, control characters, bytes invalid in the declared
    encoding, which are re-read as UTF-8 with a cp1252 fallback)."""
    check_xml_bytes(data)
    fixed = data
    try:
        for attempt in range(len(_REPAIRS) + 1):
            try:
                root = etree.fromstring(fixed, _PARSER)
                break
            except etree.XMLSyntaxError as exc:
                repaired = _repair(fixed, str(exc)) if attempt < len(_REPAIRS) else None
                if repaired is None or repaired == fixed:
                    raise InvalidItem(f"malformed XML: {_first_line(exc)}") from exc
                fixed = repaired  # repairs add up: a feed with a bare "&" may have a ^H too
    except ValueError as exc:  # lxml: unicode strings / unsupported encodings
        raise InvalidItem(f"malformed XML: {_first_line(exc)}") from exc
    if root is None:
        raise InvalidItem("malformed XML: no root element")
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and (list(dtd.iterentities()) or dtd.system_url or dtd.external_id):
        raise InvalidItem("XML DTD with entities refused")
    return root


_HTML_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]{1,31});")
_XML_ENTITIES = {b"amp", b"lt", b"gt", b"quot", b"apos"}
_BARE_AMP = re.compile(rb"&(?!(?:[A-Za-z_:][\w.:-]*|#[0-9]+|#x[0-9A-Fa-f]+);)")


_REPAIRS = ("entities", "controls", "encoding")
# C0 controls other than tab, LF and CR are not allowed in XML 1.0 at all; NUL is left alone
# (a NUL in a document is damage or binary data, and stays a dead letter)
_XML_CONTROL = re.compile(rb"[\x01-\x08\x0b\x0c\x0e-\x1f]")


def _repair(data: bytes, message: str) -> bytes | None:
    """``data`` with the fault lxml reported mended as a browser or feed reader would, or
    None when it is not one of the mendable ones:

    - HTML entities (``&eacute;``) and bare ``&`` (a link's query string, "AT&T"), together:
      a feed often has both;
    - C0 control characters but NUL (a backspace pasted into a title): dropped, as
      ``normalise`` drops them from text anyway; the item was a dead letter for one
      invisible byte;
    - bytes invalid in the declared encoding: re-read as UTF-8 with a cp1252 fallback."""
    lower = message.lower()
    if "Entity '" in message or "EntityRef" in message:
        return _BARE_AMP.sub(b"&amp;", _HTML_ENTITY.sub(_numeric_entity, data))
    if "invalid char" in lower and wide_codec(data) is None:
        return _XML_CONTROL.sub(b"", data)
    if "encoding" in lower or "utf-8" in lower:
        text, _ = decode_text(data)
        return _DECL.sub(b"", text.encode("utf-8", "surrogatepass"), count=1)
    return None


def _numeric_entity(m: re.Match) -> bytes:
    name = m.group(1)
    if name in _XML_ENTITIES:
        return m.group(0)
    code = name2codepoint.get(name.decode("ascii"))
    return b"&#%d;" % code if code is not None else b"&amp;" + name + b";"


def _first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or ["?"])[0][:160]


def local(tag) -> str:
    """Local name of an element tag (``{ns}title`` -> ``title``); '' for comments/PIs."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def inner_xml_text(el: etree._Element) -> str:
    """The element's content: text when it is text (or CDATA), serialised markup otherwise."""
    if len(el) == 0:
        return el.text or ""
    parts = [el.text or ""]
    for child in el:
        parts.append(etree.tostring(child, encoding="unicode", with_tail=True))
    return "".join(parts)
