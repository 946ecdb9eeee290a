"""Slugs: turn titles into URL slugs and back."""

from demo_pkg.slugs import MAX_SLUG_LENGTH, slugify, title_from_slug

__all__ = ["MAX_SLUG_LENGTH", "slugify", "title_from_slug"]
