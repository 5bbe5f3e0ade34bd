"""Film looks: characteristic-curve film stocks, grain and OpenColorIO looks."""
