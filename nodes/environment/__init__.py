"""Environment light: L=2 spherical-harmonic ambient, HDRI loading and procedural skies.

The placed fixtures (key, fill, rim, practical) are :mod:`moks_graph.nodes.lights`.
"""
