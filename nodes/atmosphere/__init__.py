"""Atmosphere: one phase slider driving wind, fog, flicker, haze, turbulence and buffeting."""
