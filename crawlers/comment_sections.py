"""Comment sections without comment markup: found by their layout, when no comment node is marked.

- A definition list in the comment section (`div#comments > dl`): each `dd` after a `dt` is a comment,
  the `dt` its header.
- Flat templates (old TypePad and MovableType): after a "Comments" heading, the comments are runs of
  paragraphs, each closed by a byline that names an author and a date ("Posted by: Don | Mar 26, 2007
  2:22:41 PM"). Each run is wrapped in place in a `div.comment` so the usual rules read it (the page's tree
  is changed, as the comment section is removed from it afterwards anyway).
"""

from __future__ import annotations

import re

import lxml.html

from .comment_lines import parse_header
from .text import element_text

SECTION_RE = re.compile(
    r"^(?:comments?|responses?|kommentare?|discussion|diskussion|commentlist)"
    r"(?:[-_]?(?:area|list|section|wrap|wrapper|container|block|thread|box))?$",
    re.IGNORECASE,
)
_HEADING_RE = re.compile(
    r"^\s*(?:\d+\s+)?(?:comments?|responses?|kommentare?|reactions?|replies|leserkommentare)\s*(?:\(\d+\))?\s*:?\s*$",
    re.IGNORECASE,
)
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_MIN_BYLINES = 2


def tokens(element: lxml.html.HtmlElement) -> list[str]:
    return (element.get("class") or "").lower().split()


def in_section(element: lxml.html.HtmlElement, levels: int = 4) -> bool:
    """The element or one of its nearest ancestors is a comment section (`#comments`, `.comment-list`…)."""
    for ancestor in [element, *element.iterancestors()][:levels]:
        if any(SECTION_RE.match(t) for t in [ancestor.get("id") or "", *tokens(ancestor)]):
            return True
    return False


def definition_list_comments(tree: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    """The `dd` comments of a definition list in the comment section."""
    for dl in tree.iter("dl"):
        if in_section(dl):
            found = [dd for dd in dl.iterchildren("dd") if _after_dt(dd)]
            if found:
                return found
    return []


def _after_dt(dd: lxml.html.HtmlElement) -> bool:
    previous = dd.getprevious()
    return previous is not None and previous.tag == "dt"


def _is_byline(element: lxml.html.HtmlElement) -> bool:
    text = element_text(element)
    if not text or len(text) > 160 or "\n" in text:
        return False
    header = parse_header(text)
    return header is not None and header.author is not None and header.date is not None


def byline_comments(tree: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    """Runs of paragraphs closed by bylines after a "Comments" heading, each wrapped in a new `div.comment`."""
    for heading in tree.iter(*_HEADINGS):
        if not _HEADING_RE.match(element_text(heading)):
            continue
        following = [s for s in heading.itersiblings() if isinstance(s.tag, str)]
        runs: list[list[lxml.html.HtmlElement]] = []
        current: list[lxml.html.HtmlElement] = []
        for sibling in following:
            if sibling.tag in _HEADINGS or sibling.tag == "form":
                break
            current.append(sibling)
            if sibling.tag == "p" and _is_byline(sibling):
                runs.append(current)
                current = []
        if len(runs) >= _MIN_BYLINES:
            return [_wrap(run) for run in runs]
    return []


def _wrap(run: list[lxml.html.HtmlElement]) -> lxml.html.HtmlElement:
    wrapper = lxml.html.Element("div", {"class": "comment"})
    run[0].addprevious(wrapper)
    for element in run:
        wrapper.append(element)  # moves the element (and its tail) into the wrapper
    return wrapper


def drop_sections(elements: list[lxml.html.HtmlElement]) -> None:
    """Remove the comment section around the outermost comment nodes (or the nodes themselves)."""
    nodes = set(elements)
    sections: list[lxml.html.HtmlElement] = []
    for element in elements:
        if any(a in nodes for a in element.iterancestors()):
            continue
        section = element
        for ancestor in element.iterancestors():
            if ancestor.tag in ("body", "html", "main"):
                break
            if any(SECTION_RE.match(t) for t in [ancestor.get("id") or "", *tokens(ancestor)]):
                section = ancestor
        if not any(section is s for s in sections):
            sections.append(section)
    for section in sections:
        if section.getparent() is not None:
            section.drop_tree()
