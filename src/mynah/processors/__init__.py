"""Logits processors that wrap the engine (engine.LogitsProcessor: `(history, logits) ->
logits`), one object per sequence, composed in SamplingParams.logits_processors.

The order they compose in, written down once: constraints first (quotes and citation
numbers, then length budgets), then biases (the watermark), so a bias never revives a
token a constraint removed.
"""

from mynah.processors.quotes import QuoteConstraint, Source, analyze

__all__ = ["QuoteConstraint", "Source", "analyze"]
