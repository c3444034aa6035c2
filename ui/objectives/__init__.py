"""The Objectives & targets page's parts, one component per tab, each owning its session-state keys.

- :mod:`ui.objectives.context`: what every tab works from (the workspace's KPIs, its target book,
  who is editing);
- :mod:`ui.objectives.messages`: what the last save did, shown at the top of the next run;
- :mod:`ui.objectives.status_summary`: the status chips per component above the tabs;
- :mod:`ui.objectives.target_assistant`: "Set a target", the assistant with its per-period targets;
- :mod:`ui.objectives.targets_table`: "Targets", the table of targets edited together;
- :mod:`ui.objectives.objectives_table`: "Objectives & initiatives", their two tables;
- :mod:`ui.objectives.whatif`: "What-if", the levers and their twelve-month projection;
- :mod:`ui.objectives.audit_log`: "Audit log", who changed what;
- :mod:`ui.objectives.target_files`: "Import / export", targets files and the scorecard workbook.
"""
