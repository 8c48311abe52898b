"""What can go wrong preparing or publishing a workspace, said so a person understands it."""


class WorkspaceError(RuntimeError):
    """A repository could not be fetched, checked out or published."""


class WorkspaceRefused(WorkspaceError):
    """The task cannot have a workspace within WORKSPACE_MAX_GB."""
