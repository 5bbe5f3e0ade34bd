"""Camera physics: noise, springs, jitter, jerk limits, look-at and the seven camera rigs."""
