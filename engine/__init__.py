"""lawflow's generic workflow runtime: it knows BPMN, diagrams and forms, and nothing of any one procedure.

The engine is split into packages by concept; each package's `__init__` is its public surface (what `web/` may
use), and a package imports only the packages below it (tests/test_layers.py holds the rule):

    core         errors, models, database, the diagram vocabulary, organisations and people
    sandbox      contained evaluation of diagram code, and its budgets
    time         working days, holiday schedules
    definitions  bundles, validation, forms, drafts, diffs, number patterns
    records      numbering, directories, history, documents, attachments, notifications
    runtime      the hot path: the engine, the instance runner, cases, state codec, SQL fast path, timers, migration
    work         what people do with cases: tasks, worklists, casework, case status, the portal, statistics
"""
