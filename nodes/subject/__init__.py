"""Moving subjects: an animated target (keyframed positions or a walk line) as Channels."""
