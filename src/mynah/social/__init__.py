"""mynah on the platforms (issues 15-16): each platform's length rule (length.py); the
writing tools, the platform adapters and the agents come next."""
