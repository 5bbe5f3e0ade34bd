"""Light rigs: SceneScript placement, photometry, colour temperature and light channels."""
