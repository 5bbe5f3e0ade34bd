"""``moks`` subcommands beyond the engine's five, registered in the ``moks_graph.cli``
entry-point group (pyproject.toml): bake, scene, metrics, sh, check, look."""
