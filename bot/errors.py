"""The errors an adapter may meet when it asks the core for a decision.

Adapters talk to :mod:`bot` only, so the inference core's errors are re-exported here under the
names an adapter catches:

- :class:`Overloaded`: the core's queue is full; drop the message (or answer 503) and move on.
- :class:`DecisionFailed`: the model run this message was batched into failed; later runs are
  unaffected.
- :class:`CoreClosed`: the bot is shutting down.
- :class:`CoreError`: the base of all three (and of every error the core raises on purpose).
"""

from __future__ import annotations

from moodmoji.inference.errors import BatcherClosed as CoreClosed
from moodmoji.inference.errors import BatchFailed as DecisionFailed
from moodmoji.inference.errors import InferenceError as CoreError
from moodmoji.inference.errors import QueueFull as Overloaded

__all__ = ["CoreClosed", "CoreError", "DecisionFailed", "Overloaded"]
