"""Slug generation and parsing."""

import re
import unicodedata

MAX_SLUG_LENGTH = 80
_NON_WORD = re.compile(r"[^a-z0-9]+")


def slugify(title: str) -> str:
    """Lowercase ASCII words of ``title`` joined by hyphens.

    Raises ValueError when nothing sluggable remains or the slug is too long.
    """
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = _NON_WORD.sub("-", ascii_text.lower()).strip("-")
    if not slug:
        raise ValueError(f"nothing to slugify in {title!r}")
    if len(slug) > MAX_SLUG_LENGTH:
        raise ValueError(f"slug longer than {MAX_SLUG_LENGTH} characters")
    return slug


def title_from_slug(slug: str) -> str:
    """A readable title for ``slug`` (words capitalised)."""
    if len(slug) > MAX_SLUG_LENGTH:
        raise ValueError(f"slug longer than {MAX_SLUG_LENGTH} characters")
    words = [word for word in slug.split("-") if word]
    return " ".join(word.capitalize() for word in words)
