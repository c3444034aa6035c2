"""About: what the product is, its version, where the data is kept, whether sign-in is on, and what it promises."""

import streamlit as st

from bsc import __version__
from bsc.errors import InputError
from bsc.ingest import (
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_EXPANDED_BYTES,
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    MAX_WORKBOOK_CELLS,
    MB,
)
from ui.access import allow_list
from ui.context import page_setup, sign_in_providers, signed_in_user
from ui.text import literal

ctx = page_setup("About")

st.write(
    "**Customer Scorecard** takes a company's own customer data (customer lists, orders, surveys, "
    "support tickets, marketing figures) to the customer perspective of the Balanced Scorecard: "
    "satisfaction, retention, acquisition, loyalty and service, measured from raw data and steered "
    "with objectives and targets. It is open source."
)

version, sign_in, workspace = st.columns(3)
version.metric("Version", __version__)
providers = sign_in_providers()
sign_in.metric("Sign-in", "On" if providers else "Off")
workspace.metric(
    "This workspace",
    "Read-only" if ctx.workspace.read_only else "View only" if ctx.read_only else "Editable",
    help="View only: you are a viewer of this workspace. Read-only: nobody can change it until an owner "
    "turns that off on the Workspaces page.",
)

st.subheader("Who can open it, and who may change what", anchor=False)
if providers:
    names = ", ".join(p.capitalize() for p in providers if p) or "the configured provider"
    user = signed_in_user()
    st.success(
        f"Sign-in is on: every page asks for a sign-in with {literal(names)} first, and changes to "
        f"objectives and targets are logged under the signed-in name"
        + (f" (you: {literal(user)})." if user else "."),
        icon=":material/lock:",
    )
    try:
        allowed = allow_list()
    except InputError:
        allowed = None
    st.write(
        (
            "Only the accounts and domains on this server's allow-list may sign in."
            if allowed is not None
            else "Every account the provider accepts may sign in: no allow-list is set (see the README)."
        )
        + f" In this workspace you are **{ctx.role}**. "
        "Each workspace has owners (they change roles, make it read-only and delete it), editors "
        "(they change its content) and viewers (they only look); the Workspaces page lists them."
    )
else:
    st.warning(
        "Sign-in is off: anyone who can reach this server can open the app, and there are no roles: "
        "**everyone who can open the app is an editor** of every workspace and can change or delete "
        "anything in it. To require sign-in and give each "
        "workspace owners, editors and viewers, configure an OpenID Connect provider in "
        "`.streamlit/secrets.toml` (an `[auth]` section) and list who may sign in (`[access] allow`, "
        "or the `BSC_ALLOWED_USERS` variable); the README shows how. Until then, a workspace can be "
        "made read-only on the Workspaces page, but anyone can turn that off again.",
        icon=":material/lock_open:",
    )

st.subheader("Where the data is kept", anchor=False)
st.write(
    "Uploaded tables (as Parquet files) and everything set in a workspace live in this folder on the server:"
)
st.code(str(ctx.store.data_dir), language=None)
st.write("Their metadata (workspaces, mappings, objectives, targets and the audit log) is in this database:")
st.code(ctx.store.engine.url.render_as_string(hide_password=True), language=None)
st.caption("Nothing is sent anywhere else: the app computes everything on this server.")

st.subheader("What it promises", anchor=False)
st.markdown(
    f"""
- **Hostile files are refused before they are read whole.** Uploads are limited to
  {MAX_UPLOAD_BYTES // MB} MB; a workbook or Parquet file that would unpack past
  {MAX_EXPANDED_BYTES // MB} MB, a table wider than {MAX_COLUMNS:,} columns, longer than
  {MAX_ROWS // 1_000_000} million rows or larger than {MAX_CELLS // 1_000_000} million cells (a workbook {MAX_WORKBOOK_CELLS // 1_000_000} million, as it is
  read cell by cell) is refused with a message, and so is a file that is not what its name says.
  So reading any file stays under 1 GB of memory.
- **Nothing in a file is run.** Formulas are not evaluated (the values Excel saved are used), no
  file is ever unpickled, and text from data (names, segments, column names) is shown as typed,
  never as markup. Exports neutralise cells that a spreadsheet would read as formulas.
- **Nothing is lost.** Every save is atomic and version-checked: a crash in the middle of a save
  leaves the previous version whole, and two people saving the same thing never overwrite each
  other silently; the second is told what changed.
- **Nothing leaks between people.** An upload is private to its browser tab until it is saved,
  each workspace's tables stay in that workspace, and file names never become paths on the server.
"""
)
st.caption("Each promise is checked by the project's automated tests; the README says which.")
