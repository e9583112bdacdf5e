"""Pendo context for Slack: product-usage context for support agents."""
