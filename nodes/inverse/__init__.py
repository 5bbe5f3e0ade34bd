"""Inverse cinematography math: the analysis, the preview renderer, the calibration, the
fusers, the offline critique rules and their node wrappers.

The match application that runs them on files (``match_image``, ``match_still``,
``moks match``, the calibration library, the promoter, the remote inspectors) is
:mod:`moks_graph.hosts.inverse`.
"""
