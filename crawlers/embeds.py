"""Comment systems the crawler cannot read: threads that only a script or an iframe fills in.

Disqus, Facebook comments, Commento, Hyvor Talk and their kind load the thread from their own
servers in the reader's browser; the page itself holds an empty container and a script. Such a
page has comments the crawler never sees, so "0 comments" would be a silent lie: `detect_embed`
names the system instead, and the pipeline records "comments not reachable: <system>" for the
post and its source (`warehouse.comment_reach`).

Known systems are recognised by their container ids/classes and script or iframe hosts; a
comment container that holds no text but sits next to a script, or an iframe that says it is a
comment thread, is reported as an unknown script or iframe thread when the page gave no comments.
"""

from __future__ import annotations

import re

import lxml.etree
import lxml.html

from .text import element_text

# (system, pattern on script src / iframe src / inline script text, pattern on container id or class)
_SYSTEMS: tuple[tuple[str, re.Pattern[str], re.Pattern[str] | None], ...] = tuple(
    (name, re.compile(src, re.IGNORECASE), re.compile(box, re.IGNORECASE) if box else None)
    for name, src, box in (
        ("Disqus", r"disqus\.com/|disqus_shortname|disqus_config|\bDISQUS\.", r"^disqus_thread$"),
        (
            "Facebook comments",
            r"facebook\.com/plugins/comments",
            r"^fb-comments$",
        ),
        ("Commento", r"commento\.io|/js/commento\.js", r"^commento$"),
        ("Hyvor Talk", r"talk\.hyvor\.com|hyvor-talk", r"^hyvor-talk-view$"),
        ("utterances", r"utteranc\.es", r"^utterances$"),
        ("giscus", r"giscus\.app", r"^giscus$"),
        ("Isso", r"/isso/|data-isso", r"^isso-thread$"),
        ("Remark42", r"remark42|remark_config", r"^remark42$"),
        ("Cusdis", r"cusdis\.com", r"^cusdis_thread$"),
        ("Graph Comment", r"graphcomment\.com|__semio__", r"^graphcomment$"),
        ("IntenseDebate", r"intensedebate\.com", r"^idc-container"),
        ("Vuukle", r"vuukle\.com", r"^vuukle-comments$"),
        ("Coral Talk", r"coral\.js|coralproject|Coral\.createStreamEmbed", r"^coral_thread$"),
        ("Discourse", r"DiscourseEmbed|/javascripts/embed\.js", r"^discourse-comments$"),
        ("Cackle", r"cackle\.me", r"^mc-container$"),
        ("HTML Comment Box", r"htmlcommentbox\.com", r"^HCB_comment_box$"),
        ("Waline", r"waline", r"^waline$"),
        ("Twikoo", r"twikoo", r"^tcomment$"),
    )
)
_COMMENT_WORD = re.compile(r"comment|kommentar|discussion|diskussion|respons", re.IGNORECASE)
_SCRIPTS = lxml.etree.XPath("//script")
_IFRAMES = lxml.etree.XPath("//iframe")
_MARKED = lxml.etree.XPath("//*[@id or @class]")
_CUSTOM_TAGS = {"hyvor-talk-comments": "Hyvor Talk", "cusdis-thread": "Cusdis"}


def _tokens(element: lxml.html.HtmlElement) -> list[str]:
    return [element.get("id") or "", *(element.get("class") or "").split()]


_NAMES = [name for name, _, _ in _SYSTEMS]
_ANY_SOURCE = re.compile("|".join(f"(?P<s{i}>{src.pattern})" for i, (_, src, _) in enumerate(_SYSTEMS)), re.I)
_ANY_BOX = re.compile(
    "|".join(f"(?P<b{i}>{box.pattern})" for i, (_, _, box) in enumerate(_SYSTEMS) if box is not None), re.I
)


def _known_system(tree: lxml.html.HtmlElement) -> str | None:
    texts = [
        " ".join(f"{k}={v}" for k, v in s.attrib.items()) + " " + (s.text or "")[:5000]
        for s in _SCRIPTS(tree)
    ]
    texts += [f.get("src") or f.get("data-src") or "" for f in _IFRAMES(tree)]
    for text in texts:
        found = _ANY_SOURCE.search(text)
        if found:
            return _NAMES[int(found.lastgroup[1:])]
    for element in _MARKED(tree):
        for token in _tokens(element):
            found = _ANY_BOX.match(token) if token else None
            if found:
                return _NAMES[int(found.lastgroup[1:])]
    for element in tree.iter(*_CUSTOM_TAGS):
        return _CUSTOM_TAGS[element.tag]
    return None


def _generic_thread(tree: lxml.html.HtmlElement) -> str | None:
    """An iframe named as a comment thread, or an empty comment container with a script beside it."""
    for frame in _IFRAMES(tree):
        label = " ".join(frame.get(a) or "" for a in ("src", "data-src", "id", "class", "title", "name"))
        if _COMMENT_WORD.search(label):
            return "an iframe comment thread (unknown system)"
    for element in _MARKED(tree):
        if not isinstance(element.tag, str) or element.tag in ("script", "style", "body", "html"):
            continue
        if not any(_COMMENT_WORD.search(t) for t in _tokens(element)):
            continue
        if element_text(element).strip() or element.xpath(".//form | .//textarea"):
            continue
        parent = element.getparent()
        if parent is not None and parent.xpath("./script | .//script"):
            return "a script-only comment thread (unknown system)"
    return None


def detect_embed(tree: lxml.html.HtmlElement, *, comments_found: int = 0) -> str | None:
    """The name of a comment system on this page the crawler cannot read, or None.

    A known third-party system is named even when the page also shows comments (an imported
    archive next to a live thread); the unknown-script and iframe rules apply only when the page
    gave no comments at all.
    """
    known = _known_system(tree)
    if known is not None:
        return known
    return _generic_thread(tree) if comments_found == 0 else None
