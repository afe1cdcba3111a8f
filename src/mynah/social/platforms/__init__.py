"""The platforms mynah works on: one module each (x, bluesky, mastodon)."""
