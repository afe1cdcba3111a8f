"""Mastodon: what an instance says about itself (more comes with the agents)."""

from __future__ import annotations

import httpx


def instance_max_characters(url: str, timeout: float = 10.0) -> int:
    """The instance's post length, `configuration.statuses.max_characters` of its
    /api/v2/instance (Mastodon 4.0 and later; glitch-soc and forks may allow more than 500)."""
    endpoint = url.rstrip("/") + "/api/v2/instance"
    try:
        r = httpx.get(endpoint, timeout=timeout, follow_redirects=True)
        r.raise_for_status()
        value = r.json()["configuration"]["statuses"]["max_characters"]
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as e:
        raise ValueError(
            f"--mastodon-instance: could not read configuration.statuses.max_characters from {endpoint}: {e}"
        ) from None
    if not isinstance(value, int) or value < 1:
        raise ValueError(
            f"--mastodon-instance: {endpoint} gives max_characters {value!r}, not a positive number"
        )
    return value
