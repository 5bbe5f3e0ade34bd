"""Maya host: Maya ASCII writer/parser and the in-Maya adapter (maya imported lazily)."""
