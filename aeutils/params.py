"""Reading list-valued parameters: the one parser for ``"16,32"``-style notebook and command values."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence


def parse_list(
    text: str | Iterable,
    kind: Callable = int,
    *,
    name: str = "value",
    min_len: int = 1,
    choices: Sequence | None = None,
    positive: bool = False,
) -> tuple:
    """Parse a comma-separated parameter such as ``"16, 32"`` (or pass a sequence through) into a tuple.

    Args:
        text: the string, or an iterable of items (each converted with ``kind``).
        kind: item type (``int``, ``float``, ``str`` ...).
        name: the parameter's name, used in error messages.
        min_len: the fewest items accepted (0 allows an empty list).
        choices: when given, every item must be one of these.
        positive: every item must be > 0.

    Returns:
        A tuple of ``kind`` items, empty items dropped, strings stripped.

    Raises:
        ValueError: an item that is not a ``kind``, too few items, an unknown choice or a
            non-positive item; the message names ``name``.

    Example:
    >>> parse_list("16, 32"), parse_list("0.5,1", float), parse_list("", str, min_len=0)
    ((16, 32), (0.5, 1.0), ())
    """
    items = str(text).split(",") if isinstance(text, str) else list(text)
    items = [v.strip() if isinstance(v, str) else v for v in items]
    try:
        out = tuple(kind(v) for v in items if not (isinstance(v, str) and not v))
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"{name} must be a comma-separated list of {getattr(kind, '__name__', kind)}, got {text!r}"
        ) from err
    if len(out) < min_len:
        raise ValueError(f"{name} needs at least {min_len} item(s), got {text!r}")
    if choices is not None:
        unknown = [v for v in out if v not in choices]
        if unknown:
            raise ValueError(f"unknown {name} {unknown}; choose from {sorted(choices)}")
    if positive and any(v <= 0 for v in out):
        raise ValueError(f"{name} must be positive, got {out}")
    return out
