"""Live posts: a store of the post stream, hybrid search over it, and grounding for chat."""
