"""dedup: near-duplicate detection for Arabic news.

Library first: :func:`dedup.scan.scan` does what ``dedup scan`` does; the CLI
(:mod:`dedup.cli`) only parses options and prints.
"""

__version__ = "0.1.0"
