"""Core nodes: constants, time, and channel plumbing."""
