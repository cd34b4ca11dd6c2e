"""Story engine: groups wire items into stories, one final decision per item.

Pure Python, no I/O. The stream processor feeds ``StoryEngine.assign`` and persists the
returned ``state_changes`` in a changelog-backed table; ``StoryEngine.restore`` rebuilds an
engine that decides exactly as the one that never stopped.
"""

from processors.stories.engine import StoryEngine
from processors.stories.model import Assignment, EngineConfig, StoryDoc

__all__ = ["Assignment", "EngineConfig", "StoryDoc", "StoryEngine"]
