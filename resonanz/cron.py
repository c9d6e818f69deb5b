"""Validation of cron strings for `[schedule]`, with messages that name the bad field."""

from __future__ import annotations

CRON_MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
CRON_FIELDS = (  # name, lowest, highest, names
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")),
    ("day of week", 0, 7, ("sun", "mon", "tue", "wed", "thu", "fri", "sat")),
)


def _cron_value(token: str, field: tuple[str, int, int, tuple[str, ...]]) -> int:
    name, low, high, names = field
    if token.lower() in names:
        return names.index(token.lower()) + low
    if not token.isdigit() or not low <= int(token) <= high:
        raise ValueError(
            f"{name}: {token!r} is not a number in {low}-{high}" + (" or a name" if names else "")
        )
    return int(token)


def _check_cron_item(item: str, field: tuple[str, int, int, tuple[str, ...]]) -> None:
    span, slash, step = item.partition("/")
    if slash and (not step.isdigit() or int(step) == 0):
        raise ValueError(f"{field[0]}: step {step!r} must be a positive number")
    if span == "*":
        return
    first, dash, last = span.partition("-")
    if dash and _cron_value(first, field) > _cron_value(last, field):
        raise ValueError(f"{field[0]}: range {span!r} runs backwards")
    _cron_value(first, field)


def check_cron(expr: str) -> str:
    """Validate a standard 5-field cron string (or @hourly, @daily, ...); '' disables the schedule."""
    text = " ".join(expr.split())
    if not text or text.lower() in CRON_MACROS:
        return text
    fields = text.split(" ")
    if len(fields) != 5:
        raise ValueError(
            f"cron {expr!r} needs 5 fields (minute hour day-of-month month day-of-week), "
            f'got {len(fields)}; e.g. "0 */2 * * *" = every 2 hours'
        )
    for part, field in zip(fields, CRON_FIELDS, strict=True):
        for item in part.split(","):
            try:
                _check_cron_item(item, field)
            except ValueError as exc:
                raise ValueError(f"cron {expr!r}, {exc}") from None
    return text
