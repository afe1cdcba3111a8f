"""Logits processors that wrap the engine (engine.LogitsProcessor: `(history, logits) ->
logits`), one object per sequence, composed in SamplingParams.logits_processors.

The order they compose in, written down once: constraints first (quotes and citation
numbers, then length budgets), then biases (the watermark), so a bias never revives a
token a constraint removed. A constraint that would ban a class of tokens only rarely
drawn may instead check the drawn token (`reject`, see engine.draw_checked); a ban there
applies to the logits after every processor, which is the same, as a ban commutes with
biases.
"""

from mynah.processors.quotes import QuoteConstraint, Source, analyze

__all__ = ["QuoteConstraint", "Source", "analyze"]
