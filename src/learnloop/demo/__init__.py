"""The demo organisation: its roster (people.csv) and its content pack (pack/)."""

from pathlib import Path

DEMO_DIR = Path(__file__).parent
DEMO_PACK = DEMO_DIR / "pack"
DEMO_CAMPAIGNS = DEMO_DIR / "campaigns"
DEMO_PEOPLE = DEMO_DIR / "people.csv"
DEMO_PASSWORD = "learnloop-demo"  # noqa: S105 - the documented demo password
DEMO_ORG_SLUG = "northwind"
DEMO_ORG_NAME = "Northwind Outfitters"
