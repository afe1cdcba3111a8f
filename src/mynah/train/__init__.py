"""Pretraining and chat tuning: `pretrain` and `sft` share `loop.train_loop`."""
