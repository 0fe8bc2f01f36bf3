"""The diagram vocabulary: every property, form keyword, data variable and message name that lawflow reads.

These names are lawflow's real interface with policy staff, who write them in diagrams and forms; code refers to
them only through the constants below, validation warns on a property name that is not here (a typo such as
`leaderfield` would otherwise be ignored without a word), and the README's list is generated from `TERMS`
(`python -m engine.core.vocabulary_readme`)."""
from __future__ import annotations

from dataclasses import dataclass

# Where a term may appear.
PROCESS = "process"                  # spiffworkflow:properties of a <bpmn:process>
TASK = "task"                        # spiffworkflow:properties of a user (or manual) task
CATCH_EVENT = "message catch event"  # spiffworkflow:properties of a message catch event
TIMER = "boundary timer"             # spiffworkflow:properties of a boundary timer event
FORM_FIELD = "form field"            # a keyword of a field of a form's JSON Schema
DATA = "case data"                   # a variable of the case's data
MESSAGE = "thrown message"           # the name of a message a diagram throws and nothing in it catches
FILE = "bundle file"                 # a kind of file in forms/

# Process properties.
NUMBER_PATTERN_PROPERTY = "businessNumberPattern"
REPORTABLE_PROPERTY = "reportableFields"
TITLE_PROPERTY = "titleField"
CALLABLE_ONLY_PROPERTY = "callableOnly"
STARTER_ROLES_PROPERTY = "starterRoles"
FIELD_LABELS_PROPERTY = "fieldLabels"
VALUE_LABELS_PROPERTY = "valueLabels"
LEADER_PROPERTY = "leaderField"
RELATED_PROPERTY = "relatedFields"
PORTAL_FORM_PROPERTY = "portalForm"
PORTAL_DEFAULTS_PROPERTY = "portalDefaults"
PORTAL_DATE_PROPERTY = "portalDateField"
PORTAL_ORG_KINDS_PROPERTY = "portalOrgKinds"
PUBLIC_FIELDS_PROPERTY = "publicFields"
PUBLIC_LISTS_PROPERTY = "publicLists"
PUBLIC_LIST_FIELDS_PROPERTY = "publicListFields"
PUBLIC_MESSAGES_PROPERTY = "publicMessages"
PUBLIC_DOCUMENTS_PROPERTY = "publicDocuments"
# Process properties of a parent case's participants table (part "web" of issue 16).
PARTICIPANT_COLUMNS_PROPERTY = "participantColumns"
PARTICIPANT_FIGURES_PROPERTY = "participantFigures"
# Task properties.
FORM_PROPERTY = "formJsonSchemaFilename"
DUE_PROPERTY = "dueExpression"
ASSIGNEE_PROPERTY = "assigneeExpression"
PUBLIC_STAGE_PROPERTY = "publicStage"
# Message catch event properties.
OFFER_WHEN_PROPERTY = "offerWhen"
SENDER_ROLES_PROPERTY = "senderRoles"
SENDER_FIELD_PROPERTY = "senderField"
# Boundary timer properties.
DEADLINE_PROPERTY = "deadline"
# Form keywords.
DIRECTORY_KEYWORD = "x-directory"
ORGANIZATION_KEYWORD = "x-organization"
NOT_AFTER, NOT_BEFORE = "x-notAfter", "x-notBefore"
TODAY = "today"                      # the one value NOT_AFTER and NOT_BEFORE take
PATTERN_MESSAGE = "x-patternMessage"
RULE_MESSAGE_KEYWORD = "x-message"
WORKING_DAYS_AFTER_KEYWORD = "x-workingDaysAfter"
PREFILL = "x-prefill"
FROM_CASE_KEYWORD = "x-fromCase"
WIDGET_KEYWORD = "x-widget"
# Scoring standards (issue 16, part "standards").
STANDARD_KEYWORD = "x-standard"
STANDARD_COMPARE_KEYWORD = "x-standard-compare"
STANDARD_FILE = "standard.json"      # forms/**/standard.json or forms/**/*.standard.json
# Case data the engine writes or reads.
CASE_ORG_VARIABLE = "case_org"
LANE_USERS_VARIABLE = "lane_users"
COMPLETED_BY_VARIABLE = "completed_by"
# Messages the engine handles.
NOTIFY_MESSAGE = "notify"
DOCUMENT_MESSAGE = "document"
# Case-context helpers that record random draws (part "draws", issue 16).
HELPER = "helper"                    # a function diagram code calls
DRAW_SAMPLE_HELPER = "draw_sample"
DRAW_ASSIGNMENT_HELPER = "draw_assignment"
# Campaigns and messages between cases (issue 16, part "campaigns").
START_CASES_MESSAGE = "start_cases"
CASE_MESSAGE = "case_message"
LANE_ORGS_VARIABLE = "lane_orgs"
PARENT_CASE_ID_VARIABLE = "parent_case_id"
PARENT_CASE_NUMBER_VARIABLE = "parent_case_number"
# A case-context helper that reads a whole directory (issue 16, part "scenarios").
DIRECTORY_ENTRIES_HELPER = "directory_entries"
# A case-context helper that reads running cases of another process (issue 16, part "yearly spot check").
FIND_CASES_HELPER = "find_cases"
# Ledgers of imported records (issue 17, part "ledger").
LEDGER_FILE = "ledger.json"          # forms/**/*.ledger.json
LEDGER_ROWS_HELPER = "ledger_rows"
LEDGER_ROW_HELPER = "ledger_row"
# Case-quality checks (issue 17, part "case-quality checks").
EXCLUDED_USERS_PROPERTY = "excludedUsers"
EXCLUDED_REASON_PROPERTY = "excludedReason"
STANDARD_BAND_HELPER = "standard_band"
# Issue 18, part "batch": who may receive a task, what a case search finds.
TRANSFER_ROLES_PROPERTY = "transferRoles"
SEARCH_FIELDS_PROPERTY = "searchFields"
# Plain pages (issue 18, part "plain"): the limit a step runs inside, directory keys and ID numbers as people read them.
WITHIN_LIMIT_PROPERTY = "withinLimit"
DIRECTORY_FIELDS_PROPERTY = "directoryFields"
MASKED_FIELDS_PROPERTY = "maskedFields"
MASKED_KEYWORD = "x-masked"
# Reports for leaders (issue 20).
REPORT_FILE = "report.json"          # forms/**/*.report.json
MONTHLY_SUMMARY_FILE = "monthly_summary.docx"     # forms/monthly_summary.docx: the 月度台账's Word summary
# Approvals (issue 18, "an approval never signs someone else's words").
REVIEW_FIELDS_PROPERTY = "reviewFields"
APPROVAL_HISTORY_PROPERTY = "approvalHistory"
CONFIRM_SUBMIT_PROPERTY = "confirmSubmit"
# Work that stays with its handler (issue 18).
KEEP_WITH_PROPERTY = "keepWith"
# Registries as data (issue 21, part "registries").
REGISTRY_FILE = "registry.json"      # forms/**/*.registry.json
# People across organisations (issue 21): 抄送 from a diagram, and the one recipient syntax (core/recipients.py).
COPY_MESSAGE = "copy"
RECIPIENT = "recipient"               # how notify's and copy's `to` and a task's lane name people
RECIPIENT_SYNTAX = "recipients"
# Issue 21, trying a draft: saved test scenarios, forms/<process>/scenarios/<name>.json.
SCENARIO_FILE = "scenarios/*.json"
# Fields shown only when another field has a value (issue 21, the form editor).
SHOWN_WHEN_KEYWORD = "x-shownWhen"
# Time limits as a table (issue 21).
LIMITS_FILE = "limits.json"          # forms/<folder>/limits.json: the limits of the diagrams in processes/<folder>/
LIMIT_PROPERTY = "timeLimit"
LIMIT_DUE_HELPER = "limit_due"
LIMIT_BEFORE_HELPER = "limit_before"
LIMIT_VALUE_HELPER = "limit_value"
LIMIT_CLOCK_HELPER = "limit_clock"
LIMIT_TEXT_HELPER = "limit_text"
LIMIT_LAST_DAY_HELPER = "limit_last_day"
LIMIT_PERIOD_HELPER = "limit_period"
LIMIT_PLACEHOLDER = "{limit:"         # in a form's text: {limit:name} (the value) or {limit:name.text} (value and unit)
LIMIT_PLACEHOLDER_KEYWORD = "{limit:name}"


@dataclass(frozen=True)
class Term:
    """One name of the vocabulary: where it may appear, what it means and how its value is read."""

    name: str
    where: str
    parsed: str
    meaning: str


TERMS: tuple[Term, ...] = (
    Term(NUMBER_PATTERN_PROPERTY, PROCESS, "number pattern",
         "the business number of a new case, e.g. `〔{year}〕样例第{seq:04d}号` (fields year, month, day, seq)"),
    Term(REPORTABLE_PROPERTY, PROCESS, "comma-separated names",
         "data copied to the case row for queries, statistics and `related_cases`"),
    Term(TITLE_PROPERTY, PROCESS, "a data name", "the data that titles the case in lists"),
    Term(CALLABLE_ONLY_PROPERTY, PROCESS, "`true`", "the process runs only as another process's call activity"),
    Term(STARTER_ROLES_PROPERTY, PROCESS, "comma-separated roles",
         "roles that may start its cases from the pages or the API (absent: any staff)"),
    Term(FIELD_LABELS_PROPERTY, PROCESS, "`field:名称, …`", "titles of case data no form names"),
    Term(VALUE_LABELS_PROPERTY, PROCESS, "`field=value:名称, …`", "labels of values the diagram computes"),
    Term(LEADER_PROPERTY, PROCESS, "a data name", "the data holding the username of the case's lead leader"),
    Term(RELATED_PROPERTY, PROCESS, "comma-separated names", "data whose equal values make cases related"),
    Term(PORTAL_FORM_PROPERTY, PROCESS, "a form path", "the form the public portal offers for this process"),
    Term(PORTAL_DEFAULTS_PROPERTY, PROCESS, "JSON object", "data a portal submission starts with"),
    Term(PORTAL_DATE_PROPERTY, PROCESS, "a data name", "the data that gets the day of a portal submission"),
    Term(PORTAL_ORG_KINDS_PROPERTY, PROCESS, "comma-separated kinds",
         "kinds of organisation a portal submission may be addressed to"),
    Term(PUBLIC_FIELDS_PROPERTY, PROCESS, "comma-separated names", "data the portal's status page shows"),
    Term(PUBLIC_LISTS_PROPERTY, PROCESS, "`name=field=value:标题, …`",
         "public lists on the portal: the running and finished cases whose reportable field equals the value, "
         "with their title and `publicFields` (which must be reportable)"),
    Term(PUBLIC_LIST_FIELDS_PROPERTY, PROCESS, "`list=field:标签|field:标签, …`",
         "the reportable fields a public list shows instead of the case's title and `publicFields` (e.g. published "
         "sanctions: the respondent and the sanction, never the complainant who is in the title)"),
    Term(PUBLIC_MESSAGES_PROPERTY, PROCESS, "`message=list:标题, …`",
         "the public may send that message (`{name, contact, text, submitted_at, reference}`) to a case shown in "
         "that list while it waits for it"),
    Term(PUBLIC_DOCUMENTS_PROPERTY, PROCESS, "comma-separated document names or template paths",
         "documents of a case the portal's status page offers for download, given the case's number and access code, "
         "once the case has them"),
    # the participants table of a parent case (part "web" of issue 16)
    Term(PARTICIPANT_COLUMNS_PROPERTY, PROCESS, "`field:名称, …`",
         "the participants' reportable fields shown as columns of the parent case's participants table"),
    Term(PARTICIPANT_FIGURES_PROPERTY, PROCESS, "`name=rule:名称, …`",
         "figures over the participants; a rule is `*`, `field=v1;v2`, `field!=v1;v2`, `@overdue`, `+field` (a sum) "
         "or `a/b` (a percentage of two figures declared before it); conditions join with `&`; a ratio may be held "
         "against a target, `a/b>=90` or `a/b>=@setting` (the parent's reportable field); `…?setting=value` shows "
         "a figure only when the parent's field holds the value"),
    Term(FORM_PROPERTY, TASK, "a form path", "the task's form, relative to `forms/`"),
    Term(DUE_PROPERTY, TASK, "expression", "the task's due moment"),
    Term(ASSIGNEE_PROPERTY, TASK, "expression",
         "the task's one candidate (a username); empty means the lane's role"),
    Term(PUBLIC_STAGE_PROPERTY, TASK, "text", "the stage the public sees on the portal while the task is open"),
    Term(OFFER_WHEN_PROPERTY, CATCH_EVENT, "expression",
         "when staff are offered to send the message from the case page (`sender` is who would send it)"),
    Term(SENDER_ROLES_PROPERTY, CATCH_EVENT, "comma-separated roles", "roles that may send the message from the web"),
    Term(SENDER_FIELD_PROPERTY, CATCH_EVENT, "a data name", "the payload field that gets the sender's username"),
    Term(DEADLINE_PROPERTY, TIMER, "`true`", "this timer is the due time of the task it is attached to"),
    Term(DIRECTORY_KEYWORD, FORM_FIELD, "a directory kind", "the value must be an active entry of that directory"),
    Term(ORGANIZATION_KEYWORD, FORM_FIELD, "`true`", "the value must be an organisation's code"),
    Term(NOT_AFTER, FORM_FIELD, "`today`", "a date not after the day the form is submitted, on the engine's clock"),
    Term(NOT_BEFORE, FORM_FIELD, "`today`", "a date not before the day the form is submitted"),
    Term(PATTERN_MESSAGE, FORM_FIELD, "text", "the format the field's `pattern` asks for, in words: shown under "
         "the field before it is filled, and as its error when a value does not match"),
    Term(RULE_MESSAGE_KEYWORD, FORM_FIELD, "text",
         "what to say when a value breaks a rule of the (sub)schema holding it (e.g. a `maximum` or `not` inside an "
         "`if`/`then`: 《…》第…条：罚款不超过…), instead of the generic message"),
    Term(WORKING_DAYS_AFTER_KEYWORD, FORM_FIELD, "`[{field, after, limit}, …]`",
         "on an object (e.g. the form): the date in `field` may not be earlier than the last day of the limit "
         "`limit` (a row of the form's limits table, by its unit and roll-over rule) counted from the date in "
         "`after` (e.g. a hearing at least 7 working days after its notice is served); older forms give "
         "`workingDays`: a number of working days"),
    Term(PREFILL, FORM_FIELD, "a data name or `true`",
         "on a top-level field: the form opens with what the case knows under that name"),
    Term(FROM_CASE_KEYWORD, FORM_FIELD, "a data name or `true`",
         "on a top-level field: the field holds what the case knows under that name — shown as the form opens, and "
         "on completion replaced by the case's value whatever was sent (absent when the case has none), so the "
         "form's rules (`if`/`then`) can read case data"),
    Term(WIDGET_KEYWORD, FORM_FIELD, "`textarea`, `radio` or `files`", "how the web draws the field"),
    # Scoring standards (issue 16, part "standards").
    Term(STANDARD_KEYWORD, FORM_FIELD, "a standard path",
         "on a top-level object field: a score sheet of that standard (relative to `forms/`); the server computes "
         "its totals, veto and band"),
    Term(STANDARD_COMPARE_KEYWORD, FORM_FIELD, "a data name", "an earlier sheet of the same standard shown beside it"),
    Term(STANDARD_FILE, FILE, "JSON (`forms/**/standard.json`, `*.standard.json`)",
         "a scoring standard: dimensions, items, deduction rules, bonus, vetoes, pass rule, bands"),
    Term(CASE_ORG_VARIABLE, DATA, "an organisation code",
         "the organisation the case belongs to; a step that sets it moves the case (转办)"),
    Term(LANE_USERS_VARIABLE, DATA, "`{lane: [username, …]}`", "people the case names for a lane"),
    Term(COMPLETED_BY_VARIABLE, DATA, "a username", "set by the engine on completing a user task: who completed it"),
    Term(NOTIFY_MESSAGE, MESSAGE, "`{to, title, body?, kind?}`",
         "an in-app notification (and e-mail) to the recipients `to` names (one or a list; see `recipients`)"),
    Term(DOCUMENT_MESSAGE, MESSAGE, "`{template, name, data?}`",
         "fill a Word template with the case's data and attach it to the case"),
    # Random draws (part "draws", issue 16).
    Term(DRAW_SAMPLE_HELPER, HELPER, "`(purpose, pool, count, criteria=None)`",
         "draws `count` keys of the pool at random and records the draw: `{ok, draw_id, chosen}`, or `{ok: False, "
         "message, needed, available}` (nothing recorded)"),
    Term(DRAW_ASSIGNMENT_HELPER, HELPER, "`(purpose, targets, people, per_target, max_per_person, excluded=None)`",
         "assigns people to targets at random, never an excluded pair (`{person: [targets]}`), and records it: "
         "`{ok, draw_id, assignment}`, or `{ok: False, message, shortage}` (nothing recorded)"),
    # Campaigns and messages between cases (issue 16, part "campaigns").
    Term(START_CASES_MESSAGE, MESSAGE, "`{process, items: [{…}, …]}`",
         "start one case of the process per item (its initial data; an item's `case_org` is its organisation) as "
         "participants of this case, in the same step, all or none"),
    Term(CASE_MESSAGE, MESSAGE, "`{name, to, payload?, key?, each?}`",
         "deliver the message `name` to the running cases `to` names (`children`, `parent` or `{process, where}` "
         "on reportable fields) after the step commits, each in its own step; `each[target's key]` adds to the "
         "payload"),
    Term(LANE_ORGS_VARIABLE, DATA, "`{lane: organisation code}`",
         "the organisation whose holders of the lane's role do that lane's tasks (else the case's own)"),
    Term(PARENT_CASE_ID_VARIABLE, DATA, "a case id",
         "set on a case `start_cases` started: the id of the case that started it"),
    Term(PARENT_CASE_NUMBER_VARIABLE, DATA, "a business number",
         "set on a case `start_cases` started: the business number of the case that started it"),
    # Issue 16, part "scenarios".
    Term(DIRECTORY_ENTRIES_HELPER, HELPER, "`(kind, **where)`",
         "the active entries of a directory in key order, each `{kind, key, name, …its data}`, kept to those whose "
         "fields equal the given values (a list value: any of them); reads only"),
    # Issue 16, part "yearly spot check".
    Term(FIND_CASES_HELPER, HELPER, "`(process, **where)`",
         "the running cases of a process whose reportable fields equal the given values (a list value: any of "
         "them), oldest first, each `{id, number, org, meta}`; reads only"),
    # Issue 17, part "ledger".
    Term(LEDGER_FILE, FILE, "JSON (`forms/**/*.ledger.json`)",
         "a ledger of imported records: its key, columns (string, date, integer, enum, boolean), the key, "
         "organisation and period columns, checks between dates and measures computed at import"),
    Term(LEDGER_ROWS_HELPER, HELPER, "`(ledger, match=None, where=None, period=None)`",
         "the imported rows of a ledger, each `{key, org, …its data}`, whose fields equal `match` (`@org`: the "
         "organisation's code), satisfy one of `where` and whose period day lies in `period` (two ISO days); reads "
         "only"),
    Term(LEDGER_ROW_HELPER, HELPER, "`(ledger, key)`", "one imported row of a ledger by its key, or None; reads only"),
    # Issue 17, part "case-quality checks".
    Term(EXCLUDED_USERS_PROPERTY, TASK, "expression",
         "the usernames who may not complete the task (e.g. a conflict of interest): their completion is refused"),
    Term(EXCLUDED_REASON_PROPERTY, TASK, "text", "why `excludedUsers` may not complete the task, said in the refusal"),
    Term(STANDARD_BAND_HELPER, HELPER, "`(standard, total, veto=False)`",
         "the band of a total under a standard of the case's bundle version (its path under `forms/`): "
         "`{code, label, passed}`, or None when no band holds it"),
    # Issue 18, part "batch".
    Term(TRANSFER_ROLES_PROPERTY, TASK, "comma-separated roles",
         "roles whose holders in the organisation handling the task may also receive it by 转办 or 委派, besides "
         "its lane's role (no one else may)"),
    Term(SEARCH_FIELDS_PROPERTY, PROCESS, "comma-separated names",
         "data whose text the case search finds (e.g. facts, phone numbers, names), kept on the case row at each "
         "step"),
    # Issue 18, part "plain".
    Term(WITHIN_LIMIT_PROPERTY, TASK, "a data name",
         "a step with no due time of its own runs inside the limit that data holds (a moment, e.g. the handling "
         "limit): the pages show that limit with the legal basis of the step it is the due time of"),
    Term(DIRECTORY_FIELDS_PROPERTY, PROCESS, "`field=kind, …`",
         "case data the diagram computes that holds a key of that directory (`@org`: an organisation's code): pages "
         "show the entry's (organisation's) name"),
    Term(MASKED_FIELDS_PROPERTY, PROCESS, "comma-separated names",
         "case data the diagram computes that holds an ID number: masked as `x-masked` fields are"),
    Term(MASKED_KEYWORD, FORM_FIELD, "`true`",
         "an ID number: shown in full only to people who hold or did a task of the case, masked (1101**********1234) "
         "on lists, exports, the portal and for everyone else"),
    # Issue 20, part "reports as data".
    Term(REPORT_FILE, FILE, "JSON (`forms/**/*.report.json`)",
         "a report for the 统计 page and `/api/v1/stats`: a process, a grouping (a reportable field, `@org`, "
         "`@month`), filters and measures (`count`, `rate` of a condition over a base, `on_time`, `duration` and "
         "`overdue` of tasks, `sum`, `mean` and `ratio` of numeric fields (`field.key`: one key of an object field) "
         "or of the days spent in tasks; a condition asks a list field with `has`), an optional `ranking` formula "
         "over them (考核排名) and an optional `orgTree` (a rate colouring the organisation chart), each figure "
         "counting only the cases the reader may see; `\"public\": true` also shows its aggregate figures for each "
         "year on the portal's 公开数据 page (grouped only by `@org`, `@month`, `@status` or a field with enumerated values)"),
    Term(MONTHLY_SUMMARY_FILE, FILE, "Word template (`forms/monthly_summary.docx`)",
         "the Word summary of the 月度台账 (统计 → 月度台账 and the first-working-day scheduler job), filled with "
         "docxtpl like a case document: `organization`, `org_code`, `period`, `since`, `until`, `today` and `reports`, "
         "each `{title, description, group_label, columns, total, rows}` with `total` and each row's `figures` a list "
         "of `{label, text, value}`"),
    # Issue 18, approvals.
    Term(REVIEW_FIELDS_PROPERTY, TASK, "comma-separated names",
         "case data (or the names of documents the diagram writes) shown read-only with their labels at the top of "
         "the task page, under 审批事项: what the approver approves"),
    Term(APPROVAL_HISTORY_PROPERTY, TASK, "comma-separated user task ids",
         "earlier completions of those tasks in this case, listed under 审批记录: step, who, when, decision, opinion"),
    Term(CONFIRM_SUBMIT_PROPERTY, TASK, "text",
         "the question the task page asks before the form is submitted (e.g. 确认签批该处理决定？)"),
    Term(KEEP_WITH_PROPERTY, TASK, "comma-separated ids of user tasks",
         "the task is assigned to whoever completed the most recent of these tasks in the case (its 承办人) if that "
         "person is active and may do it (named by `assigneeExpression` or `lane_users`, else holding the lane's "
         "role in the task's organisation); otherwise it waits for the lane's group to claim"),
    # Issue 21, part "registries".
    Term(REGISTRY_FILE, FILE, "JSON (`forms/**/*.registry.json`)",
         "a directory's fields as data (`x-directory` kinds): its key, title, the headers of an entry's key, name and "
         "organisation, the roles that may edit it and its fields (string, enum with labels, integer, boolean, list; "
         "required, pattern, a `directory` or `organization` reference); edited entry by entry under 流程定义 and "
         "imported from Excel, every change audited"),
    # Issue 21: people across organisations.
    Term(COPY_MESSAGE, MESSAGE, "`{to, note?}`",
         "抄送: each recipient `to` names (one or a list; see `recipients`) gets a copy of the case under 抄送我的, a "
         "notice and leave to read the case (never to do its tasks), in the step's transaction and audited; someone "
         "already holding an unread copy of the case with the same note gets no second one"),
    Term(RECIPIENT_SYNTAX, RECIPIENT, "`角色`, `角色@机构代码`, `角色@parent`, `角色@field:数据名`, `user:用户名`, "
         "`task:任务编号`",
         "how `notify` and `copy` (`to`) and a task's lane name people, alike: a role's holders (by name or code) in "
         "the case's organisation (`lane:角色` says the same), in the organisation with that code (e.g. "
         "`受理人员@org-x`), in the organisation whose code the case's data holds under that name, or in the parent "
         "of the case's organisation; one person; a task's holders (its assignee, else its candidates; once done, who "
         "completed it). A lane's tasks go to that role in that organisation (`lane_orgs` still overrides), whose "
         "holders may then see the case. Validation reports an address it cannot read, a task that is no user task "
         "of the process, and an organisation, role or person that does not exist (the plain `角色` form is checked "
         "when the organisation is named too, as people may be loaded after the diagrams; otherwise a role the "
         "catalogue lacks is a warning, once the catalogue holds any role)"),
    # Issue 21, trying a draft.
    Term(SCENARIO_FILE, FILE, "JSON (`forms/<process>/scenarios/<name>.json`)",
         "a saved try-run of the process: `process`, `org`, `start`, the `steps` in order (`{task, values, at?, by?}`, "
         "`{message, payload?, at?, by?}` sending the case a message it waits for, or `{advance: next_timer}`) and the outcome recorded when it was saved (`expected`: route, open tasks, "
         "deadlines, documents, messages); run again on a draft's try-run page, it names what changed"),
    # Issue 21, the form editor.
    Term(SHOWN_WHEN_KEYWORD, FORM_FIELD, "`{field: value or [values], …}`",
         "on a top-level field: the field is shown only while each named field of the form has that value (one "
         "of those values; for a multiple choice, holds one); a hidden field is neither required nor stored"),
    # Issue 21, time limits as a table.
    Term(LIMITS_FILE, FILE, "JSON (`forms/<folder>/limits.json`)",
         "the time limits of the diagrams in `processes/<folder>/`: rows of `name`, `label`, `value`, `unit` "
         "(`working_days`, `days`, `hours`, `months`, `years`: months and years end on the corresponding day of the "
         "last month, or its last day when it has none), `starts`, `rolls_over` (a last day on a rest day rolls to "
         "the next working day) and `basis` (a source of `forms/legal_sources.json` in 《》 with its article, or 本地设定), "
         "and `units`, the words `{limit:name.text}` puts after a value; "
         "a Word template reads them as `limits.<name>.value`, `.text`, `.basis`"),
    Term(LIMIT_DUE_HELPER, HELPER, "`(name, start)`, `(name, start, value)`",
         "the due moment of the limit `name` of the process's table counted from `start`, by the row's unit and "
         "roll-over rule; `value`: a number of the row's unit set for this case (e.g. by a deployment form whose "
         "default is the row's)"),
    Term(LIMIT_BEFORE_HELPER, HELPER, "`(name, deadline)`",
         "the moment the limit `name` before `deadline` (e.g. a reminder 2 working days before it)"),
    Term(LIMIT_VALUE_HELPER, HELPER, "`(name)`", "the value of the limit `name` (a number of its unit)"),
    Term(LIMIT_CLOCK_HELPER, HELPER, "`(name)`",
         "the unit `clock_remaining` and `clock_resume` take for the limit `name` (`working`, `days` or `calendar`)"),
    Term(LIMIT_PROPERTY, TASK, "a limit's name",
         "the row of the process's limits table the step's due time follows: the task page shows its label, value "
         "and legal basis beside the deadline"),
    Term(LIMIT_PLACEHOLDER_KEYWORD, FORM_FIELD, "`{limit:name}`, `{limit:name.text}`, `{limit:name.unit}`",
         "in a form's title or description, or a step's documentation: the limit's value (`.text`: value and the "
         "table's word for its unit, e.g. 10个工作日; `.unit`: the word alone), so a label follows the table; a "
         "form's `default` written `\"{limit:name}\"` is the row's value as a number; `{limit:a+b.text}` adds rows "
         "of one unit (a derived period, e.g. the handling limit with its extension)"),
    Term(LIMIT_TEXT_HELPER, HELPER, "`(name)`, `(name, value)`",
         "the limit `name` as labels write it, value and the table's word for its unit (e.g. 1个月); `value`: "
         "another number of its unit"),
    Term(LIMIT_LAST_DAY_HELPER, HELPER, "`(name, start)`, `(name, start, value)`",
         "the last day (ISO date) of the limit `name` counted from `start`, e.g. a naming's 有效期至"),
    Term(LIMIT_PERIOD_HELPER, HELPER, "`(name)`",
         "the limit `name` as an ISO 8601 duration in its own unit (P7D, P1M, PT72H), for a timer's cycle or "
         "duration, e.g. `\"R/\" + limit_period(\"lead_weekly\")`; a limit in working days has none (a case error "
         "says so)"),
)

# The element kinds whose properties lawflow reads, by the SpiffWorkflow spec class names that stand for them.
PROPERTIES_OF: dict[str, frozenset[str]] = {
    where: frozenset(t.name for t in TERMS if t.where == where) for where in (PROCESS, TASK, CATCH_EVENT, TIMER)
}
PROPERTY_NAMES = frozenset().union(*PROPERTIES_OF.values())

