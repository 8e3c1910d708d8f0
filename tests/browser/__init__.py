"""Tests that drive a real Chromium against a live dozq server (Playwright)."""
