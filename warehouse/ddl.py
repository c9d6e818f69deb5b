"""Migration DDL for DuckLake: the same migrations, without what DuckLake has no notion of.

DuckLake tables have no PRIMARY KEY, UNIQUE, FOREIGN KEY or CHECK constraints, no indexes and no
sequences. The migrations are written once, for DuckDB; `for_ducklake(sql)` drops those parts
(a key column keeps NOT NULL) and leaves everything else as written. Uniqueness is then kept by the
writers (MERGE / DELETE+INSERT inside claimed transactions, see `warehouse.db.transact`), on both
backends alike.
"""

from __future__ import annotations

import re

_DROPPED_STATEMENTS = re.compile(
    r"^\s*(CREATE\s+(UNIQUE\s+)?INDEX|CREATE\s+SEQUENCE|DROP\s+INDEX|DROP\s+SEQUENCE"
    r"|ALTER\s+SEQUENCE|ALTER\s+TABLE\s+\S+\s+ADD\s+(CONSTRAINT|PRIMARY|UNIQUE|FOREIGN|CHECK))\b",
    re.IGNORECASE,
)
_TABLE_CONSTRAINT = re.compile(
    r"^\s*(CONSTRAINT\s+\S+\s+)?(PRIMARY\s+KEY|UNIQUE|FOREIGN\s+KEY|CHECK)\b", re.I
)
_CREATE_TABLE = re.compile(r"^\s*CREATE\s+(OR\s+REPLACE\s+)?TABLE\b", re.IGNORECASE)
_TABLE_HEAD = re.compile(
    r"^\s*CREATE\s+(OR\s+REPLACE\s+)?TABLE\s+(IF\s+NOT\s+EXISTS\s+)?(\"[^\"]+\"|[\w.]+)\s*\(", re.IGNORECASE
)
_ADD_COLUMN = re.compile(r"^(\s*ALTER\s+TABLE\s+\S+\s+ADD\s+(COLUMN\s+)?)(.*)$", re.IGNORECASE | re.DOTALL)
_PRIMARY = re.compile(r"\s+PRIMARY\s+KEY\b", re.IGNORECASE)
_UNIQUE = re.compile(r"\s+UNIQUE\b", re.IGNORECASE)
_NEXTVAL = re.compile(r"\s+DEFAULT\s+nextval\s*\(\s*'[^']*'\s*\)", re.IGNORECASE)
_REFERENCES = re.compile(
    r"\s+REFERENCES\s+\S+?\s*(\([^)]*\))?(\s+ON\s+(DELETE|UPDATE)\s+\w+(\s+\w+)?)*", re.I
)
_NOT_NULL = re.compile(r"\bNOT\s+NULL\b", re.IGNORECASE)


def strip_comments(sql: str) -> str:
    """SQL without `--` and `/* */` comments (string literals kept intact)."""
    out, i, n = [], 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch == "'":
            end = i + 1
            while end < n:
                if sql[end] == "'" and not (end + 1 < n and sql[end + 1] == "'"):
                    break
                end += 2 if sql[end] == "'" else 1
            out.append(sql[i : end + 1])
            i = end + 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def split_top_level(text: str, sep: str) -> list[str]:
    """Split on `sep` outside parentheses and string literals."""
    parts, depth, quoted, current = [], 0, False, []
    for ch in text:
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        if ch == sep and depth == 0 and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _column(definition: str) -> str:
    """A column definition without key, uniqueness, reference, check and sequence parts."""
    keyed = bool(_PRIMARY.search(definition))
    text = _NEXTVAL.sub("", _REFERENCES.sub("", _UNIQUE.sub("", _PRIMARY.sub("", definition))))
    text = _drop_checks(text)
    if keyed and not _NOT_NULL.search(text):
        text = text.rstrip() + " NOT NULL"
    return text


def _drop_checks(text: str) -> str:
    while (match := re.search(r"\s+CHECK\s*\(", text, re.IGNORECASE)) is not None:
        depth, end = 0, match.end() - 1
        for end in range(match.end() - 1, len(text)):
            depth += {"(": 1, ")": -1}.get(text[end], 0)
            if depth == 0:
                break
        text = text[: match.start()] + text[end + 1 :]
    return text


def _create_table(statement: str) -> str:
    head = _TABLE_HEAD.match(statement)
    if head is None:
        return statement  # CREATE TABLE ... AS SELECT: nothing to strip
    open_at = head.end() - 1
    close_at = statement.rfind(")")
    items = split_top_level(statement[open_at + 1 : close_at], ",")
    kept = [_column(item) for item in items if item.strip() and not _TABLE_CONSTRAINT.match(item)]
    return statement[: open_at + 1] + ",".join(kept) + statement[close_at:]


def split_statements(sql: str) -> list[str]:
    """The statements of a script (comments removed), without their semicolons."""
    return [s for s in split_top_level(strip_comments(sql), ";") if s.strip()]


def for_ducklake(sql: str) -> str:
    """A migration script as DuckLake accepts it (see the module docstring)."""
    out = []
    for statement in split_statements(sql):
        if _DROPPED_STATEMENTS.match(statement):
            continue
        if _CREATE_TABLE.match(statement):
            statement = _create_table(statement)
        elif match := _ADD_COLUMN.match(statement):
            statement = match.group(1) + _column(match.group(3))
        out.append(statement.strip())
    return ";\n".join(out) + (";\n" if out else "")
