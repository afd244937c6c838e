"""The commands: one module per command of the CLI. Only `commands.pipeline` runs the stages
(config -> data -> stats | adoption -> value); renderers take their inputs as arguments."""
