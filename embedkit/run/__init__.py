"""``embedkit run``: execute the stages of a pipeline TOML file in order, into one output folder."""
