"""``moodmoji bench``: the default pipeline measured against the stacks it replaces."""
