"""Comments on a blog page, found with generic rules (no per-site code).

A comment node is a block element that is a schema.org `Comment` (microdata), has the class token
`comment`, `response` or `kommentar`, has an id like `comment-12` / `li-comment-12` / `dsq-comment-12`,
is an item of a comment list (`ol.commentlist > li`, `ul#dsq-comments > li`), or — outside any other
comment node — carries a comment part class (`comment-body`, `commentbody`, `comment-text`: Blogger's
`dl#comments-block`, MovableType and TypePad templates, where the header sits in the sibling `dt` or
a footer line). A node nested in another with the same comment number is the same comment (WordPress'
`li#li-comment-7 > div#comment-7`) and is read as one.

Within a node (ignoring nested replies) the author, date and text are taken from microdata, from class
names that say so (`fn`, `*author*`, `*-content`, `*-body`, `*-text`, `time[datetime]`, `data-ts`), and
else from the header and footer lines (`comment_lines`: "Borchert sagt:", "am 18. Oktober 2019 um 15:05
Uhr", "Posted by: X at October 11, 2012 7:45 AM", "3 days ago"), which are dropped from the text with
reply/permalink chrome ("Antworten", "Reply", "#"). Replies are comment nodes nested in another one or
carrying `data-parent`; their parent goes into `reply_to`, never into the text.

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

from .comment_lines import (
    BYLINE_RE,
    Header,
    clean_author,
    is_chrome,
    is_name_line,
    parse_header,
    split_header,
)
from .comment_sections import byline_comments, definition_list_comments, drop_sections, tokens
from .dates import find_text_date, parse_any
from .text import clean_whitespace, element_text
from .urls import comment_id_from, fallback_comment_id

COMMENT_CLASSES = frozenset({"comment", "response", "kommentar"})
# a list whose items are comments: ol.commentlist, ul.comment-list, ol#comments_list, ul#dsq-comments
_LIST_RE = re.compile(r"^(?:[a-z]{1,5}[-_])?(?:comments?|kommentare?)(?:[-_]?list)?$", re.IGNORECASE)
# a comment's own part, a node only outside any other node: Blogger dd.comment-body, MT div.commentbody
_PART_RE = re.compile(r"^(?:comment|kommentar)[-_]?(?:body|text|entry|post|content)$", re.IGNORECASE)
BLOCK_TAGS = frozenset({"li", "article", "div", "section", "aside", "blockquote", "dd", "p"})
_ID_RE = re.compile(
    r"^(?:[a-z]{1,5}[-_])?(?:comment|response|kommentar)(?:[-_]?(?:item|entry|post))?[-_]?(\d+)$",
    re.IGNORECASE,
)
_BODY_SUFFIXES = ("content", "text", "body", "message", "inhalt", "entry")
_LOWER = "translate(@{0}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
_CANDIDATES = lxml.etree.XPath(
    "//*[@itemtype or @class or @id][contains({t}, 'comment') or contains({c}, 'comment') "
    "or contains({c}, 'response') or contains({c}, 'kommentar') or contains({i}, 'comment') "
    "or starts-with({i}, 'response') or starts-with({i}, 'kommentar')]"
    " | //ol[{lists}]/li | //ul[{lists}]/li".format(
        t=_LOWER.format("itemtype"),
        c=_LOWER.format("class"),
        i=_LOWER.format("id"),
        lists="contains({c}, 'comment') or contains({i}, 'comment') or contains({c}, 'kommentar')".format(
            c=_LOWER.format("class"), i=_LOWER.format("id")
        ),
    )
)
_COUNT_RE = re.compile(
    r"\b(?:\d+|no|one|keine|ein|einen)\s+(?:comments?|kommentare?|responses?|antworten)\b", re.IGNORECASE
)
_PARENT_ATTRS = ("data-parent", "data-parent-id", "data-reply-to", "data-in-reply-to", "data-replyto")
_DATE_ATTRS = ("data-ts", "data-timestamp", "data-time", "data-date", "data-published", "data-created")
_SKIP_WORDS = ("reply", "meta", "avatar", "vote", "rating", "action", "tools", "share", "permalink")
_DATE_TAGS = frozenset({"header", "span", "small", "a", "time", "p", "div", "footer"})
_DATE_HOLDERS = ("datetime", "content", *_DATE_ATTRS)
_CONTEXT_CHARS = 200  # a sibling header/footer line of a part node is short


@dataclass(frozen=True, slots=True)
class Comment:
    """One comment as found on a page; `date_text` is the date as the page wrote it (if written)."""

    id: str
    text: str
    author: str | None = None
    published: datetime | None = None
    reply_to: str | None = None
    date_text: str | None = None


def _is_comment_node(element: lxml.html.HtmlElement) -> bool:
    if not isinstance(element.tag, str) or element.tag not in BLOCK_TAGS:
        return False
    if "schema.org/comment" in (element.get("itemtype") or "").lower():
        return True
    return bool(COMMENT_CLASSES.intersection(tokens(element))) or bool(_ID_RE.match(element.get("id") or ""))


def _is_list_item(element: lxml.html.HtmlElement) -> bool:
    parent = element.getparent()
    if element.tag != "li" or parent is None or parent.tag not in ("ol", "ul"):
        return False
    return any(_LIST_RE.match(t) for t in [parent.get("id") or "", *tokens(parent)])


def _is_part(element: lxml.html.HtmlElement) -> bool:
    return element.tag in BLOCK_TAGS and any(_PART_RE.match(t) for t in tokens(element))


def _number(element: lxml.html.HtmlElement) -> str | None:
    match = _ID_RE.match(element.get("id") or "")
    return match[1] if match else None


def _is_count_box(element: lxml.html.HtmlElement) -> bool:
    """A post's "3 Comments" box (`div.comment` linking to `#comments`), not a comment."""
    links = [a for a in element.iter("a") if (a.get("href") or "").endswith("#comments")]
    return any(_COUNT_RE.search(a.text_content()) for a in links)


def _wraps_only(outer: lxml.html.HtmlElement, inner: lxml.html.HtmlElement) -> bool:
    """`outer` has no text of its own beside `inner` (text_content is C-fast; deep threads stay linear-ish)."""
    return len("".join(outer.text_content().split())) == len("".join(inner.text_content().split()))


def find_comment_nodes(tree: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    """All comment nodes of a page in document order (XPath preselects, Python confirms)."""
    chosen: list[lxml.html.HtmlElement] = []
    chosen_set: set[lxml.html.HtmlElement] = set()
    for element in _CANDIDATES(tree):  # document order
        strong = _is_comment_node(element) or _is_list_item(element)
        if (not strong and not _is_part(element)) or _is_count_box(element):
            continue
        ancestors = [a for a in element.iterancestors() if a in chosen_set]
        if not strong and ancestors:
            continue  # a part inside a comment is that comment's body
        if ancestors and _number(element) and _number(element) == _number(ancestors[0]):
            continue  # li#li-comment-7 > div#comment-7: one comment
        if ancestors and _own_id(element) and _own_id(element) == _own_id(ancestors[0]):
            continue  # div#comment_item_7 > div#comment_inner_7: one comment
        if ancestors and _wraps_only(ancestors[0], element):
            # an empty wrapper (li.commentlist-item > div.comment) is the same comment
            chosen.remove(ancestors[0])
            chosen_set.discard(ancestors[0])
        chosen.append(element)
        chosen_set.add(element)
    return chosen or definition_list_comments(tree) or byline_comments(tree)


class _Node:
    """A comment node and helpers to look only at its own descendants (not nested replies)."""

    def __init__(self, element: lxml.html.HtmlElement, nodes: set[lxml.html.HtmlElement]) -> None:
        self.element = element
        self.nodes = nodes
        self._elements: list[lxml.html.HtmlElement] | None = None

    def owner(self, el: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
        while el is not None:
            if el in self.nodes:
                return el
            el = el.getparent()
        return None

    @property
    def elements(self) -> list[lxml.html.HtmlElement]:
        """The node's descendants in document order, nested comment nodes (and what they hold) left out."""
        if self._elements is None:
            found: list[lxml.html.HtmlElement] = []
            stack = [c for c in reversed(self.element) if isinstance(c.tag, str)]
            while stack:
                el = stack.pop()
                if el in self.nodes:
                    continue
                found.append(el)
                stack.extend(c for c in reversed(el) if isinstance(c.tag, str))
            self._elements = found
        return self._elements

    def own(self, test) -> list[lxml.html.HtmlElement]:
        return [el for el in self.elements if test(el)]

    def own_classed(self, test) -> list[lxml.html.HtmlElement]:
        return [el for el in self.elements if any(map(test, tokens(el)))]


def _is_author_token(token: str) -> bool:
    named = token in ("fn", "name", "username", "nickname") or token.endswith(("-name", "_name"))
    return named or (
        ("author" in token or "autor" in token or "commenter" in token)
        and not any(w in token for w in ("avatar", "url", "link", "bio", "image", "photo", "bypost"))
    )


def _author(node: _Node) -> tuple[str | None, lxml.html.HtmlElement | None]:
    candidates = node.own(lambda el: el.get("itemprop") == "author")
    candidates = [(c.xpath('.//*[@itemprop="name"]') or [c])[0] for c in candidates]
    candidates += node.own_classed(lambda t: t == "fn")
    candidates += node.own_classed(_is_author_token)
    candidates += node.own(lambda el: el.tag == "cite")
    for element in candidates:
        name = clean_author(element_text(element).replace("\n", " "))
        if name and len(name.split()) <= 16:  # pingbacks are named by their post title
            return name, element
    return None, None


def _attribute_date(node: _Node) -> tuple[datetime | None, str | None]:
    """A date from attributes, and the element's text when it shows that date ("18. Oktober 2019")."""
    for element in [
        node.element,
        *node.own(lambda el: any(a in el.attrib for a in _DATE_HOLDERS)),
    ]:
        prop = (element.get("itemprop") or "").lower()
        values = [element.get("datetime")] + [element.get(a) for a in _DATE_ATTRS]
        if prop in ("datecreated", "datepublished", "commenttime", "datemodified"):
            values.append(element.get("content"))
        for value in values:
            parsed = parse_any(value)
            if parsed:
                shown = element_text(element) if element is not node.element else ""
                return parsed, shown if 0 < len(shown) <= 80 and any(c.isdigit() for c in shown) else None
    return None, None


def _text_date(
    node: _Node, skip: lxml.html.HtmlElement | None, now: datetime | None
) -> tuple[datetime | None, str | None]:
    """A date written in a short element of the node (not inside the body element)."""
    for element in node.own(lambda el: el.tag in _DATE_TAGS):
        if skip is not None and (element is skip or skip in element.iterancestors()):
            continue
        if len(element.text_content()) > 2 * _CONTEXT_CHARS or not any(
            c.isdigit() for c in element.text_content()
        ):
            continue  # cheap test first: long or digit-free elements hold no header date
        text = element_text(element)
        if 0 < len(text) <= _CONTEXT_CHARS:
            found = find_text_date(text, now)
            if found:
                return found.value, text[found.start : found.end]
    return None, None


def _byline_author(node: _Node, body: lxml.html.HtmlElement | None, now: datetime | None) -> str | None:
    """The author of a byline outside the body: "by Athletix Man on Aug 8, 2012 5:21 PM PDT reply"."""
    for element in node.own(lambda el: el.tag in _DATE_TAGS):
        if body is not None and (element is body or body in element.iterancestors()):
            continue
        raw = element.text_content()
        if len(raw) <= 2 * _CONTEXT_CHARS and BYLINE_RE.match(raw):
            link = next((a for a in element.iter("a") if a.text_content().strip()), None)
            if link is not None and len(link.text_content().split()) <= 6:  # "by <a>Name</a> on …"
                return clean_author(re.sub(r"\(\d+\)", "", link.text_content()))
            header = parse_header(" ".join(element_text(element).split()), now)
            if header is not None and header.author:
                return header.author
    return None


def _body(node: _Node, author_el: lxml.html.HtmlElement | None) -> lxml.html.HtmlElement | None:
    found = node.own(lambda el: el.get("itemprop") in ("text", "commentText", "articleBody"))
    if found:
        return found[0]
    for suffix in _BODY_SUFFIXES:
        for element in node.own_classed(lambda t, s=suffix: t.endswith(s) and "meta" not in t):
            # a "body" holding the author too is the whole comment (WordPress' div.comment-body)
            if author_el is None or (element is not author_el and element not in author_el.iterancestors()):
                return element
    return None


def _node_text(node: _Node, body: lxml.html.HtmlElement | None) -> list[str]:
    """The lines of the body element, or of the node without nested replies, meta, reply and avatar parts."""
    if body is not None:
        return element_text(body).splitlines()
    skip = {node_el for node_el in node.nodes if node_el is not node.element}
    for element in node.elements:
        skipped = element.tag in ("form", "nav") or any(
            any(w in t for w in _SKIP_WORDS) for t in tokens(element)
        )
        if skipped and element is not node.element:
            skip.add(element)
    return element_text(node.element, frozenset(skip)).splitlines()


def _context(
    element: lxml.html.HtmlElement, nodes: set[lxml.html.HtmlElement]
) -> list[lxml.html.HtmlElement]:
    """Header and footer elements beside a part node: Blogger's `dt` author line and `dd.comment-footer`."""
    if not (element.tag == "dd" or (_is_part(element) and not _is_comment_node(element))):
        return []
    found: list[lxml.html.HtmlElement] = []
    before = next(element.itersiblings(preceding=True), None)
    after = next(element.itersiblings(), None)
    for sibling, banned in ((before, "dd"), (after, "dt")):
        if sibling is None or sibling in nodes or sibling.tag == banned or _is_part(sibling):
            continue
        if len(sibling.text_content()) <= 2 * _CONTEXT_CHARS:
            found.append(sibling)
    return found


def _context_header(siblings: list[lxml.html.HtmlElement], now: datetime | None) -> Header:
    """Author and date of the header/footer siblings: an author class first, else their lines."""
    lines = [line for s in siblings for line in element_text(s).splitlines()]
    _, header = split_header(lines, now)
    marked = [
        el
        for s in siblings
        for el in s.iterdescendants()
        if isinstance(el.tag, str) and any(map(_is_author_token, tokens(el)))
    ]
    author = next(filter(None, (clean_author(element_text(el)) for el in marked)), None)
    return Header(author or header.author, header.date, header.date_text)


def _reply_to(node: _Node, ids: dict[lxml.html.HtmlElement, str]) -> str | None:
    for attr in _PARENT_ATTRS:
        value = (node.element.get(attr) or "").strip()
        if value and value.lower() not in ("0", "none", "null", "false", "-"):
            return comment_id_from(value) or value
    parent = node.owner(node.element.getparent())
    return ids.get(parent) if parent is not None else None


def _own_id(element: lxml.html.HtmlElement) -> str | None:
    header = element.getprevious() if element.tag == "dd" else None  # dt#comment-7 + dd: the dt names it
    for holder in (element, header) if header is not None and header.tag == "dt" else (element,):
        for attr in ("id", "data-id", "data-comment-id"):
            found = comment_id_from(holder.get(attr))
            if found:
                return found
    return _number(element)


def _outside_header(node: _Node, body: lxml.html.HtmlElement | None, now: datetime | None) -> Header:
    """With a body element: what the node's other lines (header and footer around the body) say."""
    if body is None:
        return Header(None, None, None)
    skip = frozenset({body, *(n for n in node.nodes if n is not node.element)})
    lines = element_text(node.element, skip).splitlines()
    if len(lines) > 8:
        return Header(None, None, None)
    rest, header = split_header(lines, now)
    if header.author is None and header.date is not None:  # outside the body a bare name is the author
        name = next((line for line in rest if is_name_line(line) and parse_header(line, now) is None), None)
        return Header(clean_author(name), header.date, header.date_text)
    return header


def _read(node: _Node, now: datetime | None) -> tuple[str, str | None, datetime | None, str | None]:
    """Text, author, date and the date as written, of one comment node."""
    author, author_el = _author(node)
    body = _body(node, author_el)
    published, date_text = _attribute_date(node)
    lines, header = split_header(_node_text(node, body), now, author)
    context = _context_header(_context(node.element, node.nodes), now)
    around = _outside_header(node, body, now) if not (author and published) else Header(None, None, None)
    author = author or header.author or context.author or _byline_author(node, body, now) or around.author
    for found in (header, context, around):
        if published is None:
            published, date_text = found.date, found.date_text
    if published is None:
        published, date_text = _text_date(node, body, now)
    title = _title(node, body, author_el)
    if title and (not lines or title not in lines[0]):
        lines = [title, *lines]
    return clean_whitespace("\n".join(lines)), author, published, date_text


def _title(
    node: _Node, body: lxml.html.HtmlElement | None, author_el: lxml.html.HtmlElement | None
) -> str | None:
    """A comment's own title outside its body (`h5.comment_title`, `.subject`): part of what the reader wrote."""
    if body is None:
        return None
    for element in node.own_classed(lambda t: "title" in t or "subject" in t):
        if element is author_el or body in element.iterancestors() or element in body.iterancestors():
            continue
        text = " ".join(element_text(element).split())
        if 0 < len(text) <= _CONTEXT_CHARS and parse_header(text) is None and not is_chrome(text):
            return text
    return None


def extract_comments(
    tree: lxml.html.HtmlElement,
    elements: list[lxml.html.HtmlElement] | None = None,
    now: datetime | None = None,
) -> list[Comment]:
    """The comments of a page (author, date, text, reply parent); empty when it has none.

    `now` anchors relative dates ("vor 3 Tagen", "3 days ago"); default: the current time.
    """
    elements = find_comment_nodes(tree) if elements is None else elements
    nodes = set(elements)
    ids: dict[lxml.html.HtmlElement, str] = {}
    comments: list[Comment] = []
    for element in elements:
        node = _Node(element, nodes)
        text, author, published, date_text = _read(node, now)
        comment_id = _own_id(element) or fallback_comment_id(author, published, text)
        ids[element] = comment_id
        if not text:
            continue
        comments.append(Comment(comment_id, text, author, published, _reply_to(node, ids), date_text))
    return comments


def remove_comment_section(
    tree: lxml.html.HtmlElement, elements: list[lxml.html.HtmlElement] | None = None
) -> None:
    """Remove the comment section (or the comment nodes) so main-text extraction cannot see it."""
    drop_sections(find_comment_nodes(tree) if elements is None else elements)
