"""Every component id the callbacks use, in one place."""

URL = "url"
PAGE = "page-content"
DATA_UPDATED = "data-updated"

# Overview
OV_URL = "overview-url"  # the page's own Location: its callback runs only while the page is shown
OV_YEAR = "overview-reporting-year"
OV_SECTIONS = "overview-sections"

# Explore
EX_URL = "explore-url"
EX_SET = "explore-set"
EX_AGE = "explore-age-band"
EX_INDICATORS = "explore-indicators"
EX_AREAS = "explore-areas"
EX_FROM = "explore-from-year"
EX_TO = "explore-to-year"
EX_MODE = "explore-mode"
EX_PERIOD_A = "explore-period-a"
EX_PERIOD_B = "explore-period-b"
EX_COMPARE_FIELDS = "explore-compare-fields"
EX_RESULTS = "explore-results"
EX_STATUS = "explore-status"  # polite live region announcing what the results show

# Pattern-matching ids for the per-indicator cards
CARD_DOWNLOAD_BUTTON = "card-download-button"
CARD_DOWNLOAD = "card-download"
