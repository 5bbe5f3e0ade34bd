"""Lighting math: spherical-harmonic environment lighting, HDRI I/O and procedural skies."""
