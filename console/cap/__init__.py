"""Public warnings in the OASIS Common Alerting Protocol 1.2: the model, its XML, its place on the platform."""
