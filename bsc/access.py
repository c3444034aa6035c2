"""Who may do what in a workspace when sign-in is on: roles, their audited changes, the allow-list.

Every member of a workspace has one role:

- **owner**: everything an editor can, and also changes roles, marks the workspace read-only or
  editable again, and deletes it;
- **editor**: uploads tables, edits mappings, saves segmentations, objectives and targets;
- **viewer**: sees everything, changes nothing.

Whoever creates a workspace while signed in becomes its owner. A signed-in person who is not a
member of a workspace that has members is a viewer of it. A workspace without any member (made
before sign-in was turned on, or the demo) has no owner yet: every signed-in person is its editor
until one of them claims it (:func:`set_role` of oneself to owner), which makes them its owner.
The last owner cannot be removed or demoted, so a claimed workspace always has an owner.

Without sign-in nobody is known, and everyone is an editor: the plain :class:`bsc.store.Store`
checks no role. With sign-in, pages work through :func:`acting_as`, the store as one signed-in
person sees it: every write path that checks that a workspace is writable also checks their role,
and an engine listener checks it for every row written through that store's engine (targets,
objectives, the audit log...), as the read-only check does.

Role changes are version-checked (a change made on a stale version raises
:class:`bsc.store.ConflictError` and changes nothing) and audited in ``role_changes`` (who, when,
old role and new), in the same transaction as the change.

Who may sign in at all is an :class:`AllowList` of e-mail addresses and whole domains.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import event, func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.dml import Delete, Update

from bsc.database import ACCESS_TABLES, role_changes, workspace_roles, workspaces
from bsc.errors import InputError
from bsc.store import ConflictError, Store, Workspace, clause_table, touched_workspaces

__all__ = [
    "EDITOR",
    "OWNER",
    "ROLES",
    "VIEWER",
    "AccessError",
    "AllowList",
    "Member",
    "SignedInStore",
    "acting_as",
    "may_edit",
    "may_manage",
    "members",
    "normalise_email",
    "owners",
    "role_changes_of",
    "role_of",
    "set_role",
]

OWNER = "owner"
EDITOR = "editor"
VIEWER = "viewer"
ROLES = (OWNER, EDITOR, VIEWER)

# The execution option carrying the signed-in person's e-mail on the engine of a SignedInStore.
_ACTING_USER = "bsc_acting_user"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$")


class AccessError(InputError):
    """The signed-in person's role does not allow this change; nothing was changed."""


@dataclass(frozen=True)
class Member:
    """One person's role in one workspace, at ``version`` (raised by every change)."""

    email: str
    role: str
    version: int
    updated_at: datetime
    updated_by: str


def normalise_email(address: str) -> str:
    """An e-mail address as roles and the allow-list compare it: trimmed and lower-case.

    Raises InputError when it is not an address (no ``@``, no domain, spaces inside).
    """
    cleaned = str(address or "").strip().lower()
    if not _EMAIL.match(cleaned) or len(cleaned) > 320:
        raise InputError(f"“{str(address).strip()}” is not an e-mail address (name@example.com).")
    return cleaned


# -- roles -----------------------------------------------------------------------------------


def members(store: Store, workspace_id: str) -> list[Member]:
    """The members of a workspace, owners first, then by e-mail."""
    with store.engine.connect() as conn:
        return _members(conn, workspace_id)


def owners(store: Store, workspace_id: str) -> list[str]:
    """E-mail addresses of the owners of a workspace (none for a workspace nobody claimed yet)."""
    return [m.email for m in members(store, workspace_id) if m.role == OWNER]


def role_of(store: Store, workspace_id: str, user: str | None) -> str:
    """The role of ``user`` (an e-mail address) in a workspace.

    None (nobody signed in: sign-in is off) is an editor, as everyone is then. In a workspace
    without members everyone is an editor; in one with members a non-member is a viewer.
    """
    if user is None:
        return EDITOR
    with store.engine.connect() as conn:
        return _role(conn, workspace_id, normalise_email(user))


def may_edit(store: Store, workspace_id: str) -> bool:
    """Whether the store's user may change the workspace's content: an owner or editor when
    sign-in is on; everyone when it is off (a plain Store). Read-only is a separate matter."""
    if not isinstance(store, SignedInStore):
        return True
    return role_of(store, workspace_id, store.user) in (OWNER, EDITOR)


def may_manage(store: Store, workspace_id: str) -> bool:
    """Whether the store's user may change roles and the read-only flag and delete the workspace:
    an owner when sign-in is on; everyone when it is off (a plain Store)."""
    if not isinstance(store, SignedInStore):
        return True
    return role_of(store, workspace_id, store.user) == OWNER


def set_role(
    store: Store,
    workspace_id: str,
    member: str,
    role: str | None,
    *,
    expected_version: int | None,
    by: str,
) -> Member | None:
    """Give ``member`` a role in the workspace (``None`` removes them), as ``by``, and log it.

    Parameters
    ----------
    expected_version
        The member's version the change was made on; None to add someone who is not a member.
    by
        Who makes the change: an owner of the workspace, or anyone (not a viewer) making
        themselves the owner of a workspace that has no owner yet.

    Returns the member as stored, or None when removed.

    Raises
    ------
    ConflictError
        The member's role was changed, or they were added or removed, since ``expected_version``.
    AccessError
        ``by`` is not an owner.
    InputError
        An unknown role, an address that is not one, removing a non-member, or a change that would
        leave the workspace without an owner.
    """
    member, by = normalise_email(member), normalise_email(by)
    if role is not None and role not in ROLES:
        raise InputError(f"“{role}” is not a role; choose one of {', '.join(ROLES)}.")
    workspace = store.get_workspace(workspace_id)
    with store.engine.begin() as conn:
        everyone = {m.email: m for m in _members(conn, workspace_id)}
        current = everyone.get(member)
        claiming = member == by and role == OWNER and not any(m.role == OWNER for m in everyone.values())
        if not claiming and _role(conn, workspace_id, by) != OWNER:
            raise _not_owner(workspace, list(everyone.values()), "change who may do what")
        _check_version(workspace, member, current, expected_version)
        if current is None and role is None:
            raise InputError(f"{member} is not a member of “{workspace.name}”; nothing to remove.")
        if current is not None and current.role == role:
            return current
        now = _now()
        if current is None:
            conn.execute(
                workspace_roles.insert().values(
                    workspace_id=workspace_id,
                    email=member,
                    role=role,
                    version=1,
                    updated_at=now,
                    updated_by=by,
                )
            )
        else:
            mine = (workspace_roles.c.workspace_id == workspace_id) & (workspace_roles.c.email == member)
            written = workspace_roles.c.version == expected_version
            statement = (
                workspace_roles.delete().where(mine, written)
                if role is None
                else workspace_roles.update()
                .where(mine, written)
                .values(role=role, version=current.version + 1, updated_at=now, updated_by=by)
            )
            if conn.execute(statement).rowcount != 1:
                raise _conflict(workspace, member, None)
        # Counted after the write, which holds the database's write lock: two owners demoting each
        # other at the same moment cannot both see "one other owner left".
        remaining = conn.execute(
            select(func.count())
            .select_from(workspace_roles)
            .where(workspace_roles.c.workspace_id == workspace_id, workspace_roles.c.role == OWNER)
        ).scalar_one()
        if remaining == 0:
            raise InputError(
                f"{member} is the last owner of “{workspace.name}”, so the change was not saved: "
                "make someone else an owner first."
            )
        conn.execute(
            role_changes.insert().values(
                workspace_id=workspace_id,
                at=now,
                who=by,
                member=member,
                old_role=current.role if current else "",
                new_role=role or "",
            )
        )
        stored = {m.email: m for m in _members(conn, workspace_id)}
    return stored.get(member)


def role_changes_of(store: Store, workspace_id: str) -> pd.DataFrame:
    """The audit log of a workspace's roles, newest first: at, who, member, old and new role
    ("" for none: added or removed)."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(
                role_changes.c.at,
                role_changes.c.who,
                role_changes.c.member,
                role_changes.c.old_role.label("old"),
                role_changes.c.new_role.label("new"),
            )
            .where(role_changes.c.workspace_id == workspace_id)
            .order_by(role_changes.c.at.desc(), role_changes.c.id.desc())
        ).all()
    return pd.DataFrame(rows, columns=["at", "who", "member", "old", "new"])


# -- the store as a signed-in person sees it --------------------------------------------------


class SignedInStore(Store):
    """The store as one signed-in person sees it: their role decides what they may change.

    It shares the database and files of the store it was made from; its engine carries the
    person's e-mail so that every write through it is checked (see :func:`acting_as`).
    """

    user: str

    def __init__(self, store: Store, user: str) -> None:
        # Not Store.__init__: this shares the store's folder and engine rather than opening them.
        self.__dict__.update(vars(store))
        self._base_engine: Engine = getattr(store, "_base_engine", store.engine)
        self.user = normalise_email(user)
        self.engine = self._base_engine.execution_options(**{_ACTING_USER: self.user})
        _listen_once(self._base_engine)

    def writable_workspace(self, workspace_id: str) -> Workspace:
        """The workspace, or ReadOnlyError (read-only) or AccessError (this person is a viewer)."""
        workspace = super().writable_workspace(workspace_id)
        _require(self, workspace, EDITOR, "change it")
        return workspace

    def create_workspace(self, name: str) -> Workspace:
        """A new workspace, owned by this person."""
        created = super().create_workspace(name)
        set_role(self, created.id, self.user, OWNER, expected_version=None, by=self.user)
        return created

    def set_read_only(self, workspace_id: str, read_only: bool) -> Workspace:
        _require(self, self.get_workspace(workspace_id), OWNER, "make it read-only or editable")
        return super().set_read_only(workspace_id, read_only)

    def delete_workspace(self, workspace_id: str) -> None:
        _require(self, self.get_workspace(workspace_id), OWNER, "delete it")
        super().delete_workspace(workspace_id)


def acting_as(store: Store, user: str) -> SignedInStore:
    """The store as ``user`` (the signed-in person's e-mail address) sees it."""
    return SignedInStore(store, user)


_listening = threading.Lock()


def _listen_once(engine: Engine) -> None:
    # One listener per engine, shared by every SignedInStore made from it; it does nothing for
    # statements run without a signed-in person (the plain Store, the CLI).
    with _listening:
        if not event.contains(engine, "before_execute", _refuse_writes_without_role):
            event.listen(engine, "before_execute", _refuse_writes_without_role)


def _refuse_writes_without_role(conn: Connection, clause, multiparams, params, options) -> None:
    """Refuse, before it runs, a write by a signed-in person whose role does not allow it.

    Rows of a workspace's content need an editor or owner; changing the workspace's own row needs
    an editor, its read-only flag or deleting it an owner. Roles themselves are checked by
    :func:`set_role`.
    """
    user = options.get(_ACTING_USER)
    if user is None:
        return
    if isinstance(clause, Update | Delete) and clause.table is workspaces:
        where = clause.whereclause if clause.whereclause is not None else True
        needed = OWNER if isinstance(clause, Delete) or "read_only" in clause.compile().params else EDITOR
        for workspace_id in conn.execute(select(workspaces.c.id).where(where)).scalars():
            _require_on(conn, workspace_id, user, needed)
        return
    if clause_table(clause) is None or clause.table.name in ACCESS_TABLES:
        return
    for workspace_id in touched_workspaces(conn, clause, multiparams, params):
        _require_on(conn, workspace_id, user, EDITOR)


def _require(store: SignedInStore, workspace: Workspace, needed: str, what: str) -> None:
    with store.engine.connect() as conn:
        role = _role(conn, workspace.id, store.user)
        if not _allows(role, needed):
            raise _refusal(workspace, _members(conn, workspace.id), needed, what)


def _require_on(conn: Connection, workspace_id: str, user: str, needed: str) -> None:
    if _allows(_role(conn, workspace_id, user), needed):
        return
    row = conn.execute(select(workspaces).where(workspaces.c.id == workspace_id)).mappings().first()
    if row is not None:
        raise _refusal(Workspace(**row), _members(conn, workspace_id), needed, "change it")


def _allows(role: str, needed: str) -> bool:
    return role == OWNER if needed == OWNER else role in (OWNER, EDITOR)


def _refusal(workspace: Workspace, everyone: list[Member], needed: str, what: str) -> AccessError:
    if needed == OWNER:
        return _not_owner(workspace, everyone, what)
    return AccessError(
        f"You can view “{workspace.name}” but not change it, so nothing was changed; "
        f"ask an owner ({_owner_names(everyone)}) to edit it."
    )


def _not_owner(workspace: Workspace, everyone: list[Member], what: str) -> AccessError:
    if not any(m.role == OWNER for m in everyone):
        return AccessError(
            f"“{workspace.name}” has no owner yet, so nothing was changed. Only an owner can {what}: "
            "claim it on the Workspaces page first."
        )
    return AccessError(
        f"Only an owner of “{workspace.name}” can {what}, so nothing was changed; "
        f"ask {_owner_names(everyone)}."
    )


def _owner_names(everyone: list[Member]) -> str:
    return ", ".join(m.email for m in everyone if m.role == OWNER) or "nobody yet"


def _check_version(
    workspace: Workspace, member: str, current: Member | None, expected_version: int | None
) -> None:
    if current is None and expected_version is None:
        return
    if current is not None and current.version == expected_version:
        return
    raise _conflict(workspace, member, current)


def _conflict(workspace: Workspace, member: str, current: Member | None) -> ConflictError:
    if current is None:
        return ConflictError(
            f"{member} was removed from “{workspace.name}” in another session; your change was not saved."
        )
    return ConflictError(
        f"{member}'s role in “{workspace.name}” was changed in another session by {current.updated_by} "
        f"(now {current.role}); your change was not saved."
    )


def _members(conn: Connection, workspace_id: str) -> list[Member]:
    rows = (
        conn.execute(select(workspace_roles).where(workspace_roles.c.workspace_id == workspace_id))
        .mappings()
        .all()
    )
    found = [
        Member(
            email=row["email"],
            role=row["role"],
            version=row["version"],
            updated_at=row["updated_at"],
            updated_by=row["updated_by"],
        )
        for row in rows
    ]
    return sorted(found, key=lambda m: (ROLES.index(m.role), m.email))


def _role(conn: Connection, workspace_id: str, user: str) -> str:
    everyone = {m.email: m.role for m in _members(conn, workspace_id)}
    if not everyone:
        return EDITOR
    return everyone.get(user, VIEWER)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# -- who may sign in ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AllowList:
    """Who may sign in: exact e-mail addresses and whole domains (``example.com`` or
    ``@example.com`` lets in every address ending in ``@example.com``, not its subdomains)."""

    emails: frozenset[str]
    domains: frozenset[str]

    @classmethod
    def from_entries(cls, entries: Iterable[str]) -> AllowList:
        """Parse entries as written in the secrets or ``BSC_ALLOWED_USERS`` (blank ones skipped).

        Raises InputError naming the first entry that is neither an address nor a domain.
        """
        emails: set[str] = set()
        domains: set[str] = set()
        for entry in entries:
            text = str(entry).strip().lower()
            if not text:
                continue
            domain = text.removeprefix("@")
            if "@" not in domain and _DOMAIN.match(domain):
                domains.add(domain)
            elif _EMAIL.match(text):
                emails.add(text)
            else:
                raise InputError(
                    f"“{str(entry).strip()}” in the list of who may sign in is neither an e-mail address "
                    "(name@example.com) nor a domain (example.com)."
                )
        return cls(frozenset(emails), frozenset(domains))

    def allows(self, email: str | None) -> bool:
        """Whether the address is on the list, itself or by its domain."""
        try:
            address = normalise_email(email or "")
        except InputError:
            return False
        return address in self.emails or address.rsplit("@", 1)[1] in self.domains
