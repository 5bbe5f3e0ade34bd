"""Packages for moks-graph: the fixed top-level folders mapped into one namespace.

``nodes/``, ``editor/`` and ``hosts/`` install as ``moks_graph.nodes``,
``moks_graph.editor`` and ``moks_graph.hosts`` (see DESIGN.md), so no generic
top-level ``nodes`` or ``editor`` module lands in site-packages.
"""

from setuptools import find_packages, setup

PACKAGE_DIRS = {
    "moks_graph": "moks_graph",
    "moks_graph.nodes": "nodes",
    "moks_graph.editor": "editor",
    "moks_graph.hosts": "hosts",
}


def mapped_packages() -> list[str]:
    names: list[str] = []
    for package, folder in PACKAGE_DIRS.items():
        names.append(package)
        names += [f"{package}.{sub}" for sub in find_packages(folder)]
    return names


setup(packages=mapped_packages(), package_dir=PACKAGE_DIRS)
