"""Discrete topology: Banchoff critical points, the Lotus point and Betti signatures."""
