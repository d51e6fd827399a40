"""Stories: one record per story for alerting consumers (docs/architecture.md, "Stories").

The dedupe stage gives every item a story id; this package keeps what is known of each story
and says how each item changed it:

- :func:`advance` (:mod:`.state`): pure, ``(state | None, item) -> (new state, record,
  last_change)``, over frozen dataclasses; :func:`story_record` is the record consumers read
  (``wirestream.story.v1``, schemas/story.v1.json);
- :class:`StoryBook` (:mod:`.book`): the states of the window in a store (a faust table in the
  worker), bounded by time and count, with the stories it closes;
- :mod:`.codec`: a state's bytes in the store.
"""

from streams.core.stories.book import Closed, ClosedStory, StoryBook, StoryUpdate
from streams.core.stories.codec import pack, unpack
from streams.core.stories.state import (
    CHANGE_HEADER,
    CLOSED_HEADER,
    STORY_SCHEMA,
    Advance,
    Change,
    StoryEntity,
    StoryItem,
    StoryState,
    advance,
    story_record,
)

__all__ = [
    "CHANGE_HEADER",
    "CLOSED_HEADER",
    "STORY_SCHEMA",
    "Advance",
    "Change",
    "Closed",
    "ClosedStory",
    "StoryBook",
    "StoryEntity",
    "StoryItem",
    "StoryState",
    "StoryUpdate",
    "advance",
    "pack",
    "story_record",
    "unpack",
]
