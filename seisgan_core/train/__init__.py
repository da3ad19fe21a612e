"""WGAN-GP losses (pure functions), the trainer, checkpoints and the run store."""
