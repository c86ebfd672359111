"""Tools around the core: the command line, the benchmark, the report and the training command.

Nothing in the decision core (``moodmoji.bot``) or the adapters imports this package.
"""
