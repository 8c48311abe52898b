"""GitHub credentials for git, by a credential helper: the token reaches git in the environment
of the one git process that needs it (a fetch or a push the system makes), never on a command
line, in a remote URL, in a file or in a log. The helper answers only for GITHUB_GIT_URL, so a
redirect elsewhere gets nothing, and the helpers of the system's or a user's git config are
cleared first. Runs never get it: the CLI's environment is an allow-list without it.
"""

from app.config import Settings

TOKEN_VARIABLE = "CCAGENT_GIT_TOKEN"
USERNAME = "x-access-token"  # what GitHub expects beside an installation or personal token
# A shell helper that prints the token from its environment, for `get` only (not store/erase).
HELPER = (
    '!f() { test "$1" = get || exit 0;'
    f' printf "username={USERNAME}\\npassword=%s\\n" "${TOKEN_VARIABLE}"; }}; f'
)


def config_args(settings: Settings) -> list[str]:
    """`-c` options for a git command that talks to the server."""
    args = ["-c", "credential.helper="]  # an empty value clears every helper configured before
    if settings.GITHUB_TOKEN and settings.GITHUB_TOKEN.get_secret_value():
        base = settings.GITHUB_GIT_URL.rstrip("/")
        args += ["-c", f"credential.{base}.helper={HELPER}"]
    return args


def env(settings: Settings) -> dict[str, str]:
    """Variables for that git command: the token, when there is one."""
    if settings.GITHUB_TOKEN and settings.GITHUB_TOKEN.get_secret_value():
        return {TOKEN_VARIABLE: settings.GITHUB_TOKEN.get_secret_value()}
    return {}
