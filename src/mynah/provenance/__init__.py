"""Provenance: the watermark on what mynah writes (its keyed green lists, the deployment's
key in its state folder, the detector anyone can ask) and the provenance fields that
responses and checkpoints carry."""

from mynah.provenance.watermark import CONTEXT, DELTA, GAMMA, MIN_SCORED, P_THRESHOLD, Scheme, key_id

__all__ = ["GAMMA", "DELTA", "CONTEXT", "MIN_SCORED", "P_THRESHOLD", "Scheme", "key_id"]
