"""moodmoji: emoji reactions, mood tags and reply suggestions for chat bots.

The import names live under this package, while the repository keeps its folders at the top
(``pyproject.toml`` maps them):

- ``moodmoji.inference`` (``inference/``): the ONNX Runtime core, no platform library.
- ``moodmoji.bot`` (``bot/``): the decision core that every platform shares.
- ``moodmoji.adapters`` (``adapters/``): Discord, Telegram and the HTTP API; they only translate.
- ``moodmoji.tools`` (``tools/``): the command line, benchmark, report and training command.
"""

__version__ = "0.2.0"
