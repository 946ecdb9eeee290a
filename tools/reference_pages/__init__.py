"""The pages ``tools/gen_reference.py`` writes, one module per page (plus the Markdown helpers)."""
