"""molkit: reproduce and analyse MOL (micro-expression recognition trained jointly with optical
flow and facial landmarks) on licensed datasets or the kit's own synthetic benchmark."""
from molkit.config import Config
from molkit.profiles import PROFILES, Profile, get_profile

__version__ = "0.1.0"

__all__ = ["Config", "PROFILES", "Profile", "get_profile", "__version__"]
