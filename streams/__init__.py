"""wirestream: streaming enrichment for news-wire feeds."""

__version__ = "0.1.0"
