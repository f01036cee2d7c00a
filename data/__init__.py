"""Sample data: a deterministic synthetic generator, Avro schemas, a MovieLens converter."""
