"""Geometry math: triangle meshes, curvature, parallel transport and TargetLink frames."""
