"""The one door adapters use into MRI: `RecommendService` (see facade.py)."""

from core.errors import NoOpenPlaylist
from core.service.accounts import LANGUAGES, ServiceStatus
from core.service.facade import RecommendService

__all__ = ["LANGUAGES", "NoOpenPlaylist", "RecommendService", "ServiceStatus"]
