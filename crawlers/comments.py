"""Comments on a blog page, found with generic rules (no per-site code).

A comment node is a block element that is a schema.org `Comment` (microdata), has the class
token `comment`, `response` or `kommentar`, or has an id like `comment-12`. Within it (ignoring
nested replies) the author, date and text are taken from microdata, from class names that say so
(`fn`, `*author*`, `*-content`, `*-body`, `*-text`, `time[datetime]`, `data-ts`), and else from
the layout: the first `<strong>` of a header line that carries a written date
("am 12.10.2026 um 14:03 Uhr"), with the other paragraphs as text. Replies are comment nodes nested
in another one or carrying `data-parent`.

Text policy: a comment's text is its *visible* text. `<script>`, `<style>` and other invisible
elements are dropped with their content, attributes (`onerror=…`) never become text, and markup a
blog escaped correctly stays what the reader saw: the literal characters `<script>` in the text.
Stored text is data, never markup; the app escapes everything it shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import lxml.etree
import lxml.html

from .dates import parse_any, parse_text_date
from .text import clean_whitespace, element_text
from .urls import comment_id_from, fallback_comment_id

COMMENT_CLASSES = frozenset({"comment", "response", "kommentar"})
_SECTION_RE = re.compile(
    r"^(?:comments?|responses?|kommentare?|discussion|diskussion|commentlist)"
    r"(?:[-_](?:area|list|section|wrap|wrapper|container|block|thread|box))?$",
    re.IGNORECASE,
)
BLOCK_TAGS = frozenset({"li", "article", "div", "section", "aside", "blockquote", "dd", "p"})
_ID_RE = re.compile(r"^(?:comment|response|kommentar)[-_]?\d+$", re.IGNORECASE)
_BODY_SUFFIXES = ("content", "text", "body", "message", "inhalt")
_LOWER = "translate(@{0}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
_CANDIDATES = lxml.etree.XPath(
    "//*[@itemtype or @class or @id][contains({t}, 'comment') or contains({c}, 'comment') "
    "or contains({c}, 'response') or contains({c}, 'kommentar') or starts-with({i}, 'comment') "
    "or starts-with({i}, 'response') or starts-with({i}, 'kommentar')]".format(
        t=_LOWER.format("itemtype"), c=_LOWER.format("class"), i=_LOWER.format("id")
    )
)
_PARENT_ATTRS = ("data-parent", "data-parent-id", "data-reply-to", "data-in-reply-to", "data-replyto")
_DATE_ATTRS = ("data-ts", "data-timestamp", "data-time", "data-date", "data-published", "data-created")
_SAYS = re.compile(r"\s*(?:says|sagt|schreibt|wrote|schrieb|meint)?\s*:?\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Comment:
    """One comment as found on a page."""

    id: str
    text: str
    author: str | None = None
    published: datetime | None = None
    reply_to: str | None = None


def _tokens(element: lxml.html.HtmlElement) -> list[str]:
    return (element.get("class") or "").lower().split()


def _is_comment_node(element: lxml.html.HtmlElement) -> bool:
    if not isinstance(element.tag, str) or element.tag not in BLOCK_TAGS:
        return False
    if "schema.org/comment" in (element.get("itemtype") or "").lower():
        return True
    return bool(COMMENT_CLASSES.intersection(_tokens(element))) or bool(_ID_RE.match(element.get("id") or ""))


class _Node:
    """A comment node and helpers to look only at its own descendants (not nested replies)."""

    def __init__(self, element: lxml.html.HtmlElement, nodes: set[lxml.html.HtmlElement]) -> None:
        self.element = element
        self.nodes = nodes

    def owner(self, el: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
        while el is not None:
            if el in self.nodes:
                return el
            el = el.getparent()
        return None

    def own(self, xpath: str) -> list[lxml.html.HtmlElement]:
        return [el for el in self.element.xpath(xpath) if self.owner(el) is self.element]

    def own_classed(self, test) -> list[lxml.html.HtmlElement]:
        return [
            el for el in self.own(".//*[@class]") if el is not self.element and any(map(test, _tokens(el)))
        ]


def _author(node: _Node) -> tuple[str | None, lxml.html.HtmlElement | None]:
    candidates = node.own('.//*[@itemprop="author"]')
    candidates = [(c.xpath('.//*[@itemprop="name"]') or [c])[0] for c in candidates]
    candidates += node.own_classed(lambda t: t == "fn")
    candidates += node.own_classed(
        lambda t: (
            ("author" in t or "autor" in t)
            and not any(w in t for w in ("avatar", "url", "link", "bio", "image", "photo"))
        )
    )
    candidates += node.own(".//cite")
    for element in candidates:
        name = _SAYS.sub("", element_text(element).replace("\n", " ")).strip()
        if name:
            return name[:200], element
    return None, None


def _attribute_date(node: _Node) -> datetime | None:
    for element in [
        node.element,
        *node.own(
            ".//*[@datetime or @content or @data-ts or @data-timestamp "
            "or @data-time or @data-date or @data-published or @data-created]"
        ),
    ]:
        prop = (element.get("itemprop") or "").lower()
        values = [element.get("datetime")] + [element.get(a) for a in _DATE_ATTRS]
        if prop in ("datecreated", "datepublished", "commenttime", "datemodified"):
            values.append(element.get("content"))
        for value in values:
            parsed = parse_any(value)
            if parsed:
                return parsed
    return None


def _text_date(
    node: _Node, skip: lxml.html.HtmlElement | None
) -> tuple[datetime | None, lxml.html.HtmlElement | None]:
    """A date written in a short header line (not inside the body element)."""
    for element in node.own(".//p | .//header | .//div | .//span | .//footer | .//small"):
        if skip is not None and (element is skip or skip in element.iterancestors()):
            continue
        text = element_text(element)
        if 0 < len(text) <= 200:
            parsed = parse_text_date(text)
            if parsed:
                return parsed, element
    return None, None


def _body(node: _Node) -> lxml.html.HtmlElement | None:
    found = node.own('.//*[@itemprop="text" or @itemprop="commentText" or @itemprop="articleBody"]')
    if found:
        return found[0]
    for suffix in _BODY_SUFFIXES:
        found = node.own_classed(lambda t, s=suffix: t.endswith(s) and "meta" not in t)
        if found:
            return found[0]
    return None


def _fallback_text(node: _Node, exclude: list[lxml.html.HtmlElement]) -> str:
    """The node's own paragraphs except header, meta, reply links and nested replies."""
    skip = {node_el for node_el in node.nodes if node_el is not node.element}
    for element in node.own(".//*[@class] | .//footer | .//form | .//nav"):
        if not isinstance(element.tag, str):
            continue
        if element.tag in ("footer", "form", "nav") or any(
            "reply" in t or "meta" in t or "avatar" in t for t in _tokens(element)
        ):
            skip.add(element)
    for element in exclude:
        block = element
        while block is not None and block is not node.element and block.tag not in ("p", "header", "div"):
            block = block.getparent()
        skip.add(block if block is not None and block is not node.element else element)
    return element_text(node.element, frozenset(skip))


def _reply_to(node: _Node, ids: dict[lxml.html.HtmlElement, str]) -> str | None:
    for attr in _PARENT_ATTRS:
        value = (node.element.get(attr) or "").strip()
        if value and value.lower() not in ("0", "none", "null", "false", "-"):
            return comment_id_from(value) or value
    parent = node.owner(node.element.getparent())
    return ids.get(parent) if parent is not None else None


def find_comment_nodes(tree: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    """All comment nodes of a page in document order (XPath preselects, Python confirms)."""
    return [el for el in _CANDIDATES(tree) if _is_comment_node(el)]


def _own_id(element: lxml.html.HtmlElement) -> str | None:
    for attr in ("id", "data-id", "data-comment-id"):
        found = comment_id_from(element.get(attr))
        if found:
            return found
    return None


def extract_comments(
    tree: lxml.html.HtmlElement, elements: list[lxml.html.HtmlElement] | None = None
) -> list[Comment]:
    """The comments of a page (author, date, text, reply parent); empty when it has none."""
    elements = find_comment_nodes(tree) if elements is None else elements
    nodes = set(elements)
    ids: dict[lxml.html.HtmlElement, str] = {}
    comments: list[Comment] = []
    for element in elements:
        node = _Node(element, nodes)
        author, author_el = _author(node)
        body = _body(node)
        published = _attribute_date(node)
        date_el = None
        if published is None:
            published, date_el = _text_date(node, body)
        if author is None and date_el is not None:  # "<strong>Name</strong> am 12.10.2026 um 14:03 Uhr"
            author_el = next(iter(date_el.xpath(".//strong | .//b")), None)
            author = _SAYS.sub("", element_text(author_el)).strip() or None if author_el is not None else None
        if body is not None:
            text = element_text(body)
        else:
            text = _fallback_text(node, [e for e in (author_el, date_el) if e is not None])
        text = clean_whitespace(text)
        comment_id = _own_id(element) or fallback_comment_id(author, published, text)
        ids[element] = comment_id
        if not text:
            continue
        comments.append(Comment(comment_id, text, author, published, _reply_to(node, ids)))
    return comments


def remove_comment_section(
    tree: lxml.html.HtmlElement, elements: list[lxml.html.HtmlElement] | None = None
) -> None:
    """Remove the comment section (or the comment nodes) so main-text extraction cannot see it."""
    elements = find_comment_nodes(tree) if elements is None else elements
    nodes = set(elements)
    sections: list[lxml.html.HtmlElement] = []
    for element in elements:
        if any(a in nodes for a in element.iterancestors()):
            continue
        section = element
        for ancestor in element.iterancestors():
            if ancestor.tag in ("body", "html", "main"):
                break
            if any(_SECTION_RE.match(t) for t in [ancestor.get("id") or "", *_tokens(ancestor)]):
                section = ancestor
        if not any(section is s for s in sections):
            sections.append(section)
    for section in sections:
        if section.getparent() is not None:
            section.drop_tree()
