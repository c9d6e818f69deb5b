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

# (system, pattern on script attributes / inline script text / iframe src, id or class of its container)
_SYSTEMS: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (name, re.compile(src, re.IGNORECASE), box)
    for name, src, box in (
        ("Disqus", r"disqus\.com/|disqus_shortname|disqus_config|\bDISQUS\.", "disqus_thread"),
        ("Facebook comments", r"facebook\.com/plugins/comments", "fb-comments"),
        ("Commento", r"commento\.io|/js/commento\.js", "commento"),
        ("Hyvor Talk", r"talk\.hyvor\.com|hyvor-talk", "hyvor-talk-view"),
        ("utterances", r"utteranc\.es", "utterances"),
        ("giscus", r"giscus\.app", "giscus"),
        ("Isso", r"/isso/|data-isso", "isso-thread"),
        ("Remark42", r"remark42|remark_config", "remark42"),
        ("Cusdis", r"cusdis\.com", "cusdis_thread"),
        ("Graph Comment", r"graphcomment\.com|__semio__", "graphcomment"),
        ("IntenseDebate", r"intensedebate\.com", "idc-container"),
        ("Vuukle", r"vuukle\.com", "vuukle-comments"),
        ("Coral Talk", r"coral\.js|coralproject|Coral\.createStreamEmbed", "coral_thread"),
        ("Discourse", r"DiscourseEmbed|/javascripts/embed\.js", "discourse-comments"),
        ("Cackle", r"cackle\.me", "mc-container"),
        ("HTML Comment Box", r"htmlcommentbox\.com", "HCB_comment_box"),
        ("Waline", r"waline", "waline"),
        ("Twikoo", r"twikoo", "tcomment"),
    )
)
_COMMENT_WORD = re.compile(r"comment|kommentar|discussion|diskussion|respons", re.IGNORECASE)
_SCRIPTS = lxml.etree.XPath("//script")
_IFRAMES = lxml.etree.XPath("//iframe")
_CUSTOM_TAGS = {"hyvor-talk-comments": "Hyvor Talk", "cusdis-thread": "Cusdis"}
_NAMES = [name for name, _, _ in _SYSTEMS]
_ANY_SOURCE = re.compile("|".join(f"(?P<s{i}>{src.pattern})" for i, (_, src, _) in enumerate(_SYSTEMS)), re.I)
_BOX_NAMES = {box: name for name, _, box in _SYSTEMS}
_MARKED = lxml.etree.XPath("//*[@id or @class]")
# plain substrings one of which every source pattern needs: the regex runs only where one occurs
_HINTS = (
    "disqus",
    "facebook.com/plugins",
    "commento",
    "hyvor",
    "utteranc",
    "giscus",
    "isso",
    "remark",
    "cusdis",
    "graphcomment",
    "__semio__",
    "intensedebate",
    "vuukle",
    "coral",
    "discourse",
    "cackle",
    "htmlcommentbox",
    "waline",
    "twikoo",
    "embed.js",
)
_INVISIBLE = frozenset({"script", "style", "noscript", "template"})


def _has_text(element: lxml.html.HtmlElement) -> bool:
    """Any visible text inside (stops at the first: cheap on a full comment section)."""
    for node in element.iter():
        if isinstance(node.tag, str) and node.tag not in _INVISIBLE and (node.text or "").strip():
            return True
        if node is not element and (node.tail or "").strip():
            return True
    return False


def _tokens(element: lxml.html.HtmlElement) -> list[str]:
    return [element.get("id") or "", *(element.get("class") or "").split()]


def _known_system(tree: lxml.html.HtmlElement) -> str | None:
    texts = [
        " ".join(f"{k}={v}" for k, v in s.attrib.items()) + " " + (s.text or "")[:5000]
        for s in _SCRIPTS(tree)
    ]
    texts += [f.get("src") or f.get("data-src") or "" for f in _IFRAMES(tree)]
    for text in texts:
        lower = text.lower()
        if not any(hint in lower for hint in _HINTS):
            continue
        found = _ANY_SOURCE.search(text)
        if found:
            return _NAMES[int(found.lastgroup[1:])]
    for element in _MARKED(tree):
        for token in _tokens(element):
            if token in _BOX_NAMES:
                return _BOX_NAMES[token]
            if token.startswith("idc-container"):
                return "IntenseDebate"
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
        if not _COMMENT_WORD.search(" ".join(_tokens(element))):
            continue
        if _has_text(element) or element.xpath(".//form | .//textarea"):
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
