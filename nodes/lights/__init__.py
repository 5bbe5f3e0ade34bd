"""Light rigs: placed fixtures (key, fill, rim, practical), photometry, colour and channels.

The ambient environment (skies, HDRIs, SH presets) is :mod:`moks_graph.nodes.environment`.
"""
