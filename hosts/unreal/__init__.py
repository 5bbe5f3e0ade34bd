"""Unreal host: the in-editor Sequencer adapter (unreal imported lazily)."""
