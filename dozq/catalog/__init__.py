"""Catalog of criteria and indicators: platform templates and institutions' own copies."""
