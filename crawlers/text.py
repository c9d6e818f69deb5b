"""Decoding and parsing HTML safely, and turning HTML into plain text."""

from __future__ import annotations

import codecs
import html as html_lib
import logging
import re

import lxml.etree
import lxml.html
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

log = logging.getLogger(__name__)

# Elements whose content is never visible text: dropped before any text is taken.
INVISIBLE = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas", "head")
BLOCKS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
_PARSER = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=False)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode a page: BOM, then the HTTP charset, then `<meta charset>`, then UTF-8, then cp1252.

    Each declared encoding must decode the bytes strictly, so a wrong charset header does not win
    over a correct declaration in the page; bytes that are valid non-ASCII UTF-8 are read as UTF-8
    even under a single-byte label. Returns (text, encoding used).
    """
    bom, bom_bytes = read_bom(body)
    if bom and bom_bytes:
        return body[len(bom_bytes) :].decode(bom, errors="replace"), bom
    declared = [http_content_type_encoding(content_type or ""), html_body_declared_encoding(body[:4096])]
    if not body.isascii() and _is_utf8(body):  # valid UTF-8 beyond ASCII is UTF-8, whatever the label says
        declared.insert(0, "utf-8")
    for name in [*declared, "utf-8"]:
        codec = _codec(name)
        if codec is None:
            continue
        if codec in ("latin-1", "iso8859-1", "ascii"):  # browsers read these labels as windows-1252
            codec = "cp1252"
        try:
            return body.decode(codec), codec
        except (UnicodeDecodeError, LookupError):
            continue
    return body.decode("cp1252", errors="replace"), "cp1252"


def parse_html(text: str) -> lxml.html.HtmlElement | None:
    """An lxml document for any text (hostile markup is recovered); None when there is nothing to parse."""
    if not text or not text.strip():
        return None
    try:
        return lxml.html.document_fromstring(text.encode("utf-8", errors="replace"), parser=_PARSER)
    except (lxml.etree.ParserError, ValueError, lxml.etree.XMLSyntaxError) as exc:
        log.debug("unparseable HTML: %s", exc)
        return None


def clean_whitespace(text: str) -> str:
    """Collapse runs of spaces in each line and drop empty lines."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def element_text(element: lxml.html.HtmlElement, skip: frozenset[lxml.html.HtmlElement] = frozenset()) -> str:
    """Visible text of an element, one line per block, without scripts, styles or `skip` subtrees."""
    parts: list[str] = []

    def walk(node: lxml.html.HtmlElement) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in INVISIBLE or node in skip:
            return
        block = tag in BLOCKS
        if block:
            parts.append("\n")
        if tag and node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if block:
            parts.append("\n")

    try:
        walk(element)
    except RecursionError:  # absurdly deep markup: fall back to the flat text
        return clean_whitespace(element.text_content())
    return clean_whitespace("".join(parts))


def html_to_text(fragment: str | None) -> str:
    """Plain text of an HTML fragment (feed content, summaries); entities decoded, scripts dropped."""
    if not fragment:
        return ""
    if "<" not in fragment:
        return clean_whitespace(html_lib.unescape(fragment))
    try:
        root = lxml.html.fragment_fromstring(
            fragment.encode("utf-8", errors="replace"), create_parent="div", parser=_PARSER
        )
    except (lxml.etree.ParserError, ValueError, lxml.etree.XMLSyntaxError):
        return clean_whitespace(html_lib.unescape(re.sub(r"<[^>]*>", " ", fragment)))
    return element_text(root)
