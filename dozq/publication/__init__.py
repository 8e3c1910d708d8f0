"""Publication: internal monitoring programmes and the institution's public pages."""
