"""Farm replay: saved .mgraph graphs baked and matched in chunks on Dask or farm managers."""
