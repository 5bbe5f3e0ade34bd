"""Utility nodes: constants, arithmetic, frames, channel plumbing and the shareable-file check."""
