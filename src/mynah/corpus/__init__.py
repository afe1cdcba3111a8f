"""Platform exports -> clean, deduplicated, tokenized training corpus (`mynah corpus build`)."""
