"""What a repository and a ref may look like: both become paths and git arguments, so both
match a strict pattern (the API's schema says the same) before anything else sees them."""

import re

# owner/name as GitHub spells them; the name is never "." or "..". No look-arounds: pydantic's
# (Rust) regex engine and JSON Schema must read these patterns as Python does.
_NAME = (
    r"(?:[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}"
    r"|\.[A-Za-z0-9_-][A-Za-z0-9_.-]{0,98}"
    r"|\.\.[A-Za-z0-9_.-]{1,98})"
)
REPOSITORY_PATTERN = rf"^[A-Za-z0-9][A-Za-z0-9-]{{0,38}}/{_NAME}$"
# A branch, `refs/pull/N/head`, `refs/tags/T` or a commit id, as /-separated parts of git's
# refname rules, narrowed: no part starts or ends with `.`, none holds `..`, no leading `-`.
_PART = r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*"
REF_PATTERN = rf"^[A-Za-z0-9_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*(?:/{_PART})*$"
REF_MAX_CHARS = 200
_REPOSITORY = re.compile(REPOSITORY_PATTERN)
_REF = re.compile(REF_PATTERN)
_COMMIT = re.compile(r"[0-9a-f]{40}")


def is_repository(value: str) -> bool:
    return _REPOSITORY.fullmatch(value) is not None


def is_ref(value: str) -> bool:
    return len(value) <= REF_MAX_CHARS and _REF.fullmatch(value) is not None


def is_commit(value: str) -> bool:
    return _COMMIT.fullmatch(value) is not None
