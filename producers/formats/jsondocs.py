"""Split ninjs documents (one object or an array) and JSON-lines files into items.

A truncated ninjs array keeps its complete leading elements; a bad JSON line is an error
for that line only.
"""

from __future__ import annotations

import json

import orjson

from producers.formats.base import DocumentContext, SplitResult
from wirecore.text import decode_text, normalise, short_hash


def _key(obj, ctx: DocumentContext, raw: bytes, *fields: str) -> str:
    if isinstance(obj, dict):
        for name in fields:
            value = obj.get(name)
            if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
                return str(value).strip()[:500]
    return short_hash(ctx.source, normalise(raw.decode("utf-8", "replace")))


def _loads(data: bytes, result: SplitResult):
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        text, fell_back = decode_text(data)
        if not fell_back:
            raise
        result.notes.append("document is not valid UTF-8; undecodable bytes read as cp1252")
        return orjson.loads(text.encode("utf-8", "surrogatepass"))


def _salvage_array(data: bytes) -> tuple[list, str]:
    """Complete leading elements of a broken JSON array, and the reason it broke."""
    text, _ = decode_text(data)
    decoder = json.JSONDecoder()
    pos = text.index("[") + 1
    out = []
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text):
            return out, "truncated JSON array"
        if text[pos] == "]":
            return out, "malformed JSON after the array"
        try:
            obj, pos = decoder.raw_decode(text, pos)
        except (json.JSONDecodeError, RecursionError) as exc:
            return out, f"malformed JSON array element: {str(exc)[:100]}"
        out.append(obj)


def split_ninjs(data: bytes, ctx: DocumentContext) -> SplitResult:
    result = SplitResult()
    try:
        doc = _loads(data, result)
        broken = None
    except orjson.JSONDecodeError as exc:
        if not data.lstrip().startswith(b"["):
            result.errors.append((f"malformed JSON: {str(exc)[:120]}", data))
            return result
        doc, broken = _salvage_array(data)
    elements = doc if isinstance(doc, list) else [doc]
    for el in elements:
        if not isinstance(el, dict):
            result.errors.append((f"ninjs element is a JSON {type(el).__name__}",
                                  orjson.dumps(el, option=orjson.OPT_NON_STR_KEYS)))
            continue
        payload = orjson.dumps(el)
        result.items.append(ctx.item(_key(el, ctx, payload, "uri", "guid"), payload))
    if broken is not None:
        result.errors.append((f"{broken} after {len(elements)} elements", data))
    return result


def split_jsonl(data: bytes, ctx: DocumentContext) -> SplitResult:
    result = SplitResult()
    for number, line in enumerate(data.splitlines(), ctx.first_line):
        if not line.strip():
            continue
        try:
            obj = _loads(line, result)
        except orjson.JSONDecodeError as exc:
            result.errors.append((f"line {number}: malformed JSON: {str(exc)[:100]}", line))
            continue
        if not isinstance(obj, dict):
            reason = f"line {number}: a JSON {type(obj).__name__}, not an object"
            result.errors.append((reason, line))
            continue
        result.items.append(ctx.item(_key(obj, ctx, line, "guid", "id", "uri"), line.strip()))
    return result
