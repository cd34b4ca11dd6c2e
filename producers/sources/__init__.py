"""Where documents come from: files and directories, polled URLs, JSON-lines replays."""

from producers.sources.base import Document
from producers.sources.files import iter_file_documents
from producers.sources.http import UrlSource
from producers.sources.replay import iter_replay_items

__all__ = ["Document", "UrlSource", "iter_file_documents", "iter_replay_items"]
