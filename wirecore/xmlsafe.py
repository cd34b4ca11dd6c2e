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

    Bytes that are not valid in their declared encoding are re-read as UTF-8 with a cp1252
    fallback (mixed-encoding feeds are common)."""
    check_xml_bytes(data)
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        message = str(exc)
        if "Entity '" in message or "EntityRef" in message:
            # HTML entities (&eacute;) in a feed, or a bare "&" (a link's query string,
            # "?a=1&b=2"): read them as HTML does; a feed often has both
            fixed = _BARE_AMP.sub(b"&amp;", _HTML_ENTITY.sub(_numeric_entity, data))
        elif "encoding" in message.lower() or "utf-8" in message.lower():
            text, _ = decode_text(data)
            fixed = _DECL.sub(b"", text.encode("utf-8", "surrogatepass"), count=1)
        else:
            raise InvalidItem(f"malformed XML: {_first_line(exc)}") from exc
        try:
            root = etree.fromstring(fixed, _PARSER)
        except etree.XMLSyntaxError as exc2:
            raise InvalidItem(f"malformed XML: {_first_line(exc2)}") from exc2
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
