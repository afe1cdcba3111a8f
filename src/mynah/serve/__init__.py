"""`mynah serve`: an OpenAI-compatible HTTP API and a web chat page over the engine."""
