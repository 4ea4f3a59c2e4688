"""Paging by `limit` and `page`, announced in a Link header (rel next/prev/first/last)."""
from __future__ import annotations

from urllib.parse import urlencode

MAX_LIMIT = 1000


def _int(value, default: int) -> int:
    """A positive int from a query value, else the default."""
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return default


def page(items: list, args, page_size: int, base_url: str, extra_links: list[str] | None = None):
    """The items of the requested page and the Link header value ('' when there is one page).

    Link URLs are kept lowercase-safe (pylti1p3 lowercases the header before reading rel="next").
    """
    limit = min(_int(args.get("limit"), page_size), MAX_LIMIT)
    number = _int(args.get("page"), 1)
    keep = {k: v for k, v in args.items() if k not in ("limit", "page")}
    last = max(1, -(-len(items) // limit))

    def url(n: int) -> str:
        """The URL of page n with the same filters."""
        return f"{base_url}?{urlencode(dict(keep, limit=limit, page=n))}"

    links = list(extra_links or [])
    if number < last:
        links.append(f'<{url(number + 1)}>; rel="next"')
    if number > 1:
        links.append(f'<{url(number - 1)}>; rel="prev"')
    if last > 1:
        links += [f'<{url(1)}>; rel="first"', f'<{url(last)}>; rel="last"']
    start = (number - 1) * limit
    return items[start:start + limit], ", ".join(links)
