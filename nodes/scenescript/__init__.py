"""SceneScript: the 7-slot scene description, its vocabulary, and its compiler to a bake graph."""
