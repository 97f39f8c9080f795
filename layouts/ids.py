"""Every component id the callbacks use, in one place."""

URL = "url"
PAGE = "page-content"
DATA_UPDATED = "data-updated"

# Overview
OV_URL = "overview-url"  # the page's own Location: its callback runs only while the page is shown
OV_YEAR = "overview-reporting-year"
OV_SECTIONS = "overview-sections"
OV_SHOWN = "overview-shown"  # {version, year} of the sections on the page: a year change then patches only what it changes

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
EX_STATE = "explore-state"  # the normalised view state the results are drawn from
EX_STATUS = "explore-status"  # polite live region announcing what the results show

# Pattern-matching ids for the per-indicator cards
CARD_DOWNLOAD_BUTTON = "card-download-button"
CARD_DOWNLOAD = "card-download"

# Spotlight (callbacks/spotlight.py, layouts/spotlight.py). Editor-only ids start with "notes-":
# the server refuses their callbacks to anyone but a signed-in editor (callbacks/auth.py).
SP_URL = "spotlight-url"  # the deck's own Location: ?slide=N
SP_META = "spotlight-deck-meta"
SP_STAGE = "spotlight-stage"  # the full-screen element
SP_SLIDE = "spotlight-slide"  # pattern-matching: {"type": SP_SLIDE, "index": n}
SP_GRAPH = "spotlight-graph"
SP_COUNTER = "spotlight-counter"
SP_COUNTER_VALUE = "spotlight-counter-value"
SP_PREV = "spotlight-prev"
SP_NEXT = "spotlight-next"
SP_FULLSCREEN = "spotlight-fullscreen"
SP_FULLSCREEN_STATE = "spotlight-fullscreen-state"
SP_PRINT = "spotlight-print"
SP_PRINT_STATE = "spotlight-print-state"
SP_PNG = "spotlight-png"
NOTES_TEXT = "notes-text"
NOTES_SAVE = "notes-save"
NOTES_STATUS = "notes-status"
NOTES_TOPIC_TITLE = "notes-topic-title"
NOTES_TOPIC_INTRO = "notes-topic-introduction"
NOTES_TOPIC_HEADLINES = "notes-topic-headlines"
NOTES_TOPIC_INDICATORS = "notes-topic-indicators"
NOTES_TOPIC_ORDER = "notes-topic-order"
NOTES_TOPIC_SAVE = "notes-topic-save"
NOTES_TOPIC_STATUS = "notes-topic-status"

# Upload page and version history (prefixes "upload-"/"versions-" are guarded: editors only)
UP_POLL = "upload-poll"
UP_JOB = "upload-job-id"
UP_PROGRESS = "upload-progress"
UP_PREVIEW = "upload-preview"
UP_PUBLISH = "upload-publish-button"
UP_PUBLISH_RESULT = "upload-publish-result"
UP_CHOICE = "upload-choice"  # pattern: {"type": UP_CHOICE, "source": source id, "field": field}
UP_CHOOSE = "upload-choose-button"
UP_CHOOSE_RESULT = "upload-choose-result"
VERSIONS_TABLE = "versions-table"
VERSIONS_RESULT = "versions-result"
VERSIONS_RESTORE = "versions-restore"
