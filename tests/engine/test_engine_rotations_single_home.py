"""One rotation convention: moks_graph.rotations defines it, nodes and hosts use it."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np

import moks_graph
from moks_graph import rotations
from moks_graph.hosts import units
from moks_graph.nodes.camera import lookat

ROOT = Path(moks_graph.__file__).resolve().parents[1]
NAMES = {"euler_xyz_to_matrix", "matrix_to_euler_xyz", "euler_angles_to_matrix",
         "continuous_euler_xyz", "matrix_to_quaternion", "quaternion_to_matrix",
         "quaternion_sign_continuity", "matmul3", "finite_array"}


def test_no_module_but_rotations_defines_a_rotation_function():
    twins = [f"{p.relative_to(ROOT)}:{n.lineno} {n.name}"
             for folder in ("moks_graph", "nodes", "hosts", "editor")
             for p in sorted((ROOT / folder).rglob("*.py")) if p.name != "rotations.py"
             for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
             if isinstance(n, ast.FunctionDef) and n.name in NAMES]
    assert twins == []


def test_nodes_and_hosts_use_the_same_functions():
    assert lookat.euler_xyz_to_matrix is rotations.euler_xyz_to_matrix
    assert lookat.matrix_to_euler_xyz is rotations.matrix_to_euler_xyz
    assert units.continuous_euler_xyz is rotations.continuous_euler_xyz


def test_stacked_and_separate_angle_forms_agree():
    e = np.array([[30.0, -20.0, 110.0], [-170.0, 80.0, 5.0]])
    stacked = rotations.euler_xyz_to_matrix(e)
    separate = rotations.euler_angles_to_matrix(e[:, 0], e[:, 1], e[:, 2])
    np.testing.assert_allclose(stacked, separate, atol=0)
    np.testing.assert_allclose(rotations.matrix_to_euler_xyz(stacked), e, atol=1e-12)
    back = rotations.euler_angles_to_matrix(*rotations.continuous_euler_xyz(separate))
    np.testing.assert_allclose(back, stacked, atol=1e-12)  # continuity may pick another branch
