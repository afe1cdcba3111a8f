"""The policy layer (issue 14): hard limits refused, everything else political answered the
same way for every side, and both measured.

- policy.py: the hard limits (ids, rule texts, what to offer instead), the policy file
- cues.py: the named patterns (en/de/es) the classifier and the rules read
- classifier.py: logistic regression on a request's MiniLM embedding and its cues
- guard.py: the request check, the sentence-at-a-time output check, verified quotes as claims
- refusals.py: what a refusal says, in the request's language (English, German, Spanish)
- audit.py: the audit log; evaluate.py: `mynah eval safety`
- data/: the labelled requests (main.jsonl and written.jsonl to train, heldout.jsonl to report)
"""
