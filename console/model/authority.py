"""The platform's own authority, as PostgreSQL SQL: who may write what, the audit chain, the incident loop.

A console is not trusted to police itself: a tampered console, or a person with psql and their
own password, can write any row their grants allow. So the platform checks every row consoles
write, in triggers that run as the tables' owner (``SECURITY DEFINER``):

- ``operator_actions``: the actor is the signed-in person (``session_user``), the role is a
  group they belong to (``cityops_operator``, ``cityops_supervisor``, ``cityops_trainer``), one
  of their groups allows the action (``ROLE_ACTIONS``, the console's own table; a console names
  the most privileged, ``cityops_role()``), the target fits the action,
  the time is finite and near now, the payload is a JSON object of at most 16 KB, a shelf lasts
  at most 12 hours and has a reason. Refusals raise SQLSTATE 42501 with the reason.
- Each accepted action is chained: ``chain`` (its position), ``prev_hash`` and ``hash`` (sha256
  over the previous hash, the position and the row's content, see ``console.audit``), under an
  advisory lock and the one-row ``audit_head`` (which also remembers the chain's end, so a
  removed last row shows), so concurrent inserts cannot fork the chain.
- A supervisor's incident action (status, assignment, note) becomes the incident's change and
  its ``incident_events`` row in the same transaction (the loop closes on the platform).
- ``wall_control``: the actor is the person, a supervisor or trainer, the times are near now.
- Neither table can be changed or emptied once written (UPDATE, DELETE, TRUNCATE are refused).

The platform's own services (superusers and members of the tables' owner, who could disable any
trigger anyway) may write on a person's behalf and back-fill history: identity and time checks
do not apply to them; their rows are still checked for shape and chained like every other.
"""

from __future__ import annotations

from sqlalchemy import DDL, MetaData, event

from console.model.action import ACTIONS, ROLE_ACTIONS, SESSION_ACTIONS
from console.model.vocab import UNIT_KINDS

#: The platform's group roles, most privileged first: a person in several acts as the first.
ROLES = ("supervisor", "operator", "trainer")
#: Every action word the platform accepts in operator_actions.
KNOWN_ACTIONS = tuple(dict.fromkeys((*ACTIONS, *SESSION_ACTIONS)))
#: What each action may be aimed at.
TARGETS = {"acknowledge": ("alarm", "early_warning"), "shelve": ("alarm",), "unshelve": ("alarm",),
           "comment": ("alarm", "incident"), "status": ("incident",), "assign": ("incident",),
           "draft_warning": ("warning",), "approve_warning": ("warning_draft",),
           **{a: ("console",) for a in SESSION_ACTIONS}}
MAX_PAYLOAD = 16 * 1024  # bytes
MAX_SHELVE_S = 12 * 3600.0
MAX_TEXT = 200  # ids, names, console ids
ACTION_PAST_S = 7 * 86400.0  # an outbox may hold actions this long while the platform is away
ACTION_FUTURE_S = 300.0  # clocks differ
WALL_PAST_S, WALL_FUTURE_S = 300.0, 3600.0
MAX_COMMAND = 4096
#: How a refusal names an action.
WORDS = {"acknowledge": "acknowledge alarms", "shelve": "shelve alarms", "unshelve": "unshelve alarms",
         "comment": "add notes", "status": "change an incident's status", "assign": "assign units",
         "draft_warning": "draft public warnings", "approve_warning": "approve public warnings"}
#: The first row's prev_hash.
GENESIS = "0" * 64


def role_actions(role: str) -> tuple[str, ...]:
    """The operator_actions words ``role`` may write (the console's ROLE_ACTIONS, and the session's)."""
    return tuple(a for a in KNOWN_ACTIONS if a in ROLE_ACTIONS.get(role, ()) or a in SESSION_ACTIONS)


def _array(words) -> str:
    return "ARRAY[" + ", ".join(f"'{w}'" for w in words) + "]::text[]"


def _refuse(message: str, *args: str) -> str:
    """A PL/pgSQL statement raising 42501 with ``message`` (format() placeholders %s filled by args)."""
    fmt = ", ".join(("'refused: " + message.replace("'", "''") + "'", *args))
    return f"RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = format({fmt});"


ROLE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION cityops_role() RETURNS text LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
  -- The signed-in person's console role: their most privileged cityops_* group, or NULL.
  SELECT r.name FROM unnest({_array(ROLES)}) WITH ORDINALITY AS r(name, rank)
  JOIN pg_catalog.pg_roles g ON g.rolname = 'cityops_' || r.name
  WHERE pg_catalog.pg_has_role(session_user, g.oid, 'MEMBER') ORDER BY r.rank LIMIT 1
$$"""

TRUSTED_FUNCTION = """
CREATE OR REPLACE FUNCTION cityops_trusted() RETURNS boolean LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
  -- The platform's own services: a superuser, or a member of the role that owns operator_actions.
  SELECT r.rolsuper OR pg_catalog.pg_has_role(session_user, c.relowner, 'MEMBER')
  FROM pg_catalog.pg_roles r, pg_catalog.pg_class c
  WHERE r.rolname = session_user AND c.oid = 'operator_actions'::regclass
$$"""

MEMBER = ("EXISTS (SELECT 1 FROM pg_catalog.pg_roles g WHERE g.rolname = 'cityops_' || NEW.role "
          "AND pg_catalog.pg_has_role(session_user, g.oid, 'MEMBER'))")
NOW = "extract(epoch FROM clock_timestamp())"
ALLOWED = "CASE NEW.role " + " ".join(f"WHEN '{r}' THEN {_array(role_actions(r))}" for r in ROLES) + \
          " ELSE ARRAY[]::text[] END"
#: Whether any of the signed-in person's groups allows the action (the row's role is one of them).
ANY_GROUP_ALLOWS = (f"EXISTS (SELECT 1 FROM unnest({_array(ROLES)}) AS r(name) "
                    "JOIN pg_catalog.pg_roles g ON g.rolname = 'cityops_' || r.name "
                    "WHERE pg_catalog.pg_has_role(session_user, g.oid, 'MEMBER') AND NEW.action = ANY(CASE r.name "
                    + " ".join(f"WHEN '{r}' THEN {_array(role_actions(r))}" for r in ROLES)
                    + " ELSE ARRAY[]::text[] END))")
TARGET = "CASE NEW.action " + " ".join(f"WHEN '{a}' THEN {_array(t)}" for a, t in TARGETS.items()) + \
         " ELSE ARRAY[]::text[] END"
NOT_FINITE = "{x} IS NULL OR {x} = 'NaN'::float8 OR {x} IN ('Infinity'::float8, '-Infinity'::float8)"


def _field(expr: str) -> str:
    """The bytes of a text field in the chain: its UTF-8 length (4 bytes) and its UTF-8."""
    return f"int4send(octet_length(convert_to({expr}, 'UTF8'))) || convert_to({expr}, 'UTF8')"


#: sha256 over prev_hash, chain position and content; console.audit.row_hash computes the same.
HASH = ("encode(sha256(decode(NEW.prev_hash, 'hex') || int8send(NEW.chain) || " + _field("NEW.id") + " || "
        + _field("NEW.console_id") + " || float8send(NEW.ts) || "
        + " || ".join(_field(f"NEW.{c}") for c in ("actor", "role", "action", "target_kind", "target_id", "payload"))
        + "), 'hex')")

CHECK_ACTION = f"""
CREATE OR REPLACE FUNCTION cityops_check_action() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT AS $$
DECLARE
  trusted boolean := cityops_trusted();
  now_s float8 := {NOW};
  doc jsonb;
  shelf float8;
BEGIN
  IF NOT NEW.action = ANY({_array(KNOWN_ACTIONS)}) THEN
    {_refuse("unknown action %L", "NEW.action")}
  END IF;
  IF NOT NEW.role = ANY({_array(ROLES)}) THEN
    {_refuse(f"unknown role %L (a role is one of {', '.join(ROLES)})", "NEW.role")}
  END IF;
  IF NOT trusted AND NEW.actor IS DISTINCT FROM session_user THEN
    {_refuse("%s may not act as %L (the actor is the signed-in person)", "session_user", "NEW.actor")}
  END IF;
  IF NOT trusted AND NOT {MEMBER} THEN
    {_refuse("%s is not a member of cityops_%s", "session_user", "NEW.role")}
  END IF;
  -- A person may take an action any of their groups allows; the platform's own services, their row's role.
  IF (CASE WHEN trusted THEN NOT NEW.action = ANY({ALLOWED}) ELSE NOT {ANY_GROUP_ALLOWS} END) THEN
    {_refuse("%s %s may not %s", "CASE WHEN NEW.role = 'operator' THEN 'an' ELSE 'a' END", "NEW.role",
             "CASE NEW.action " + " ".join(f"WHEN '{a}' THEN '{w}'" for a, w in WORDS.items()).replace("'s ", "''s ")
             + " ELSE NEW.action END")}
  END IF;
  IF NOT NEW.target_kind = ANY({TARGET}) THEN
    {_refuse("%s is not done to a %L", "NEW.action", "NEW.target_kind")}
  END IF;
  IF greatest(length(NEW.id), length(NEW.console_id), length(NEW.actor), length(NEW.target_id)) > {MAX_TEXT}
     OR least(length(NEW.id), length(NEW.console_id), length(NEW.target_id)) = 0 THEN
    {_refuse(f"id, console, actor and target must be 1 to {MAX_TEXT} characters")}
  END IF;
  IF {NOT_FINITE.format(x="NEW.ts")} THEN
    {_refuse("time %s is not a finite number of seconds", "NEW.ts")}
  END IF;
  IF NOT trusted AND (NEW.ts < now_s - {ACTION_PAST_S} OR NEW.ts > now_s + {ACTION_FUTURE_S}) THEN
    {_refuse(f"time %s is %s s from the platform's clock (limits: {ACTION_PAST_S:g} s back, {ACTION_FUTURE_S:g} s ahead)",
             "to_timestamp(NEW.ts)", "round((NEW.ts - now_s)::numeric, 1)")}
  END IF;
  IF octet_length(NEW.payload) > {MAX_PAYLOAD} THEN
    {_refuse(f"payload of %s bytes (limit {MAX_PAYLOAD})", "octet_length(NEW.payload)")}
  END IF;
  BEGIN
    doc := NEW.payload::jsonb;
  EXCEPTION WHEN others THEN
    {_refuse("payload is not JSON")}
  END;
  IF jsonb_typeof(doc) IS DISTINCT FROM 'object' THEN
    {_refuse("payload is not a JSON object")}
  END IF;
  IF NEW.action = 'shelve' THEN
    shelf := CASE WHEN jsonb_typeof(doc->'duration_s') = 'number' THEN (doc->>'duration_s')::float8 END;
    IF shelf IS NULL OR NOT (shelf > 0 AND shelf <= {MAX_SHELVE_S})
       OR (jsonb_typeof(doc->'until') = 'number' AND (doc->>'until')::float8 > NEW.ts + {MAX_SHELVE_S} + 1) THEN
      {_refuse(f"a shelf lasts more than 0 s and at most {MAX_SHELVE_S:g} s, not %s", "coalesce(doc->>'duration_s', 'unsaid')")}
    END IF;
    IF coalesce(btrim(doc->>'reason'), '') = '' THEN
      {_refuse("shelving needs a reason")}
    END IF;
  END IF;
  -- Chain it: one writer at a time; an id the platform holds already is a repeated delivery.
  PERFORM pg_advisory_xact_lock(hashtext('cityops_audit'));
  IF EXISTS (SELECT 1 FROM operator_actions WHERE id = NEW.id) THEN
    RETURN NEW;  -- INSERT ... ON CONFLICT (id) DO NOTHING keeps the first
  END IF;
  UPDATE audit_head SET chain = chain + 1 WHERE id = 1 RETURNING chain, hash
    INTO NEW.chain, NEW.prev_hash;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'audit_head has no row: the platform schema is incomplete';
  END IF;
  NEW.hash := {HASH};
  UPDATE audit_head SET hash = NEW.hash WHERE id = 1;
  RETURN NEW;
END $$"""

_KIND_LABEL = "CASE u.kind " + " ".join(f"WHEN '{k}' THEN '{v.lower()}'" for k, v in UNIT_KINDS.items()) + \
              " ELSE u.kind END"

INCIDENT_ACTION = f"""
CREATE OR REPLACE FUNCTION cityops_incident_action() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT AS $$
DECLARE
  doc jsonb := NEW.payload::jsonb;
  statuses text[] := ARRAY['reported', 'dispatched', 'on_scene', 'resolved', 'closed'];
  inc record;
  unit record;
  ev text;
  note text;
  new_status text;
  event_seq bigint;
BEGIN
  SELECT * INTO inc FROM incidents WHERE id = NEW.target_id FOR UPDATE;
  IF NOT FOUND THEN
    {_refuse("no incident %L on the platform", "NEW.target_id")}
  END IF;
  IF inc.status = 'closed' AND NEW.action <> 'comment' THEN  -- a note may still follow
    {_refuse("%s is closed: it cannot change any more", "inc.id")}
  END IF;
  IF NEW.action = 'status' THEN
    new_status := doc->>'status';
    IF array_position(statuses, new_status) IS NULL THEN
      {_refuse("%L is not an incident status", "new_status")}
    END IF;
    IF array_position(statuses, new_status) <= array_position(statuses, inc.status) THEN
      {_refuse("%s cannot go from %s to %s (statuses only move forward)", "inc.id", "inc.status", "new_status")}
    END IF;
    ev := new_status;
    note := coalesce(nullif(btrim(doc->>'note'), ''), format('Status set to %s.', replace(new_status, '_', ' ')));
  ELSIF NEW.action = 'assign' THEN
    SELECT u.callsign, {_KIND_LABEL} AS label INTO unit FROM units u WHERE u.id = doc->>'unit_id';
    IF NOT FOUND THEN
      {_refuse("no unit %L in the fleet", "doc->>'unit_id'")}
    END IF;
    IF inc.status = 'reported' THEN  -- the first unit sent is the dispatch
      ev := 'dispatched';
      new_status := 'dispatched';
    ELSE
      ev := 'assigned';
    END IF;
    note := format('%s %s %s.', unit.callsign, unit.label, ev);
  ELSE
    note := btrim(doc->>'text');
    IF coalesce(note, '') = '' THEN
      {_refuse("a note needs some text")}
    END IF;
    ev := 'comment';
  END IF;
  INSERT INTO incident_events (incident_id, ts, event, actor, note) VALUES (inc.id, NEW.ts, ev, NEW.actor, note)
    RETURNING seq INTO event_seq;
  UPDATE incidents SET status = coalesce(new_status, incidents.status), updated_at = greatest(updated_at, NEW.ts),
    rev = event_seq WHERE id = inc.id;
  RETURN NULL;
END $$"""

WALL_TIMES = (f"wall command times %s / %s are not near the platform's clock "
              f"(limits: {WALL_PAST_S:g} s back, {WALL_FUTURE_S:g} s ahead)")
CHECK_WALL = f"""
CREATE OR REPLACE FUNCTION cityops_check_wall_command() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT AS $$
DECLARE
  now_s float8 := {NOW};
BEGIN
  IF octet_length(NEW.command) > {MAX_COMMAND} OR length(NEW.layout) > {MAX_TEXT} OR length(NEW.actor) > {MAX_TEXT} THEN
    {_refuse(f"wall command of %s bytes (limit {MAX_COMMAND})", "octet_length(NEW.command)")}
  END IF;
  IF cityops_trusted() THEN
    RETURN NEW;
  END IF;
  IF NEW.actor IS DISTINCT FROM session_user THEN
    {_refuse("%s may not act as %L (the actor is the signed-in person)", "session_user", "NEW.actor")}
  END IF;
  IF NOT NEW.role = ANY(ARRAY['supervisor', 'trainer']) THEN
    {_refuse("a %s may not control the wall (supervisors and trainers may)", "NEW.role")}
  END IF;
  IF NOT {MEMBER} THEN
    {_refuse("%s is not a member of cityops_%s", "session_user", "NEW.role")}
  END IF;
  IF {NOT_FINITE.format(x="NEW.issued_at")} OR {NOT_FINITE.format(x="NEW.effective_at")}
     OR NEW.issued_at NOT BETWEEN now_s - {WALL_PAST_S} AND now_s + {WALL_PAST_S}
     OR NEW.effective_at NOT BETWEEN now_s - {WALL_PAST_S} AND now_s + {WALL_FUTURE_S} THEN
    {_refuse(WALL_TIMES, "NEW.issued_at", "NEW.effective_at")}
  END IF;
  RETURN NEW;
END $$"""

APPEND_ONLY = f"""
CREATE OR REPLACE FUNCTION cityops_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  {_refuse("%s is append-only: rows cannot be changed or removed", "TG_TABLE_NAME")}
END $$"""

#: (table, statement) run after each table is created, in order.
TRIGGERS = (
    ("audit_head", f"INSERT INTO audit_head (id, chain, hash) VALUES (1, 0, '{GENESIS}')"),
    ("operator_actions", "CREATE TRIGGER cityops_check BEFORE INSERT ON operator_actions "
                         "FOR EACH ROW EXECUTE FUNCTION cityops_check_action()"),
    ("operator_actions", "CREATE TRIGGER cityops_incident AFTER INSERT ON operator_actions FOR EACH ROW "
                         "WHEN (NEW.target_kind = 'incident' AND NEW.action IN ('status', 'assign', 'comment')) "
                         "EXECUTE FUNCTION cityops_incident_action()"),
    ("wall_control", "CREATE TRIGGER cityops_check BEFORE INSERT ON wall_control "
                     "FOR EACH ROW EXECUTE FUNCTION cityops_check_wall_command()"),
    *((t, f"CREATE TRIGGER cityops_append_only BEFORE UPDATE OR DELETE ON {t} "
          "FOR EACH ROW EXECUTE FUNCTION cityops_append_only()") for t in ("operator_actions", "wall_control")),
    *((t, f"CREATE TRIGGER cityops_no_truncate BEFORE TRUNCATE ON {t} "
          "FOR EACH STATEMENT EXECUTE FUNCTION cityops_append_only()") for t in ("operator_actions", "wall_control")),
)


def install(metadata: MetaData) -> None:
    """Have ``metadata.create_all`` install the authority on PostgreSQL (and start the chain everywhere)."""
    def ddl(sql: str, everywhere: bool = False) -> DDL:
        made = DDL(sql.strip().replace("%", "%%"))  # DDL statements are %-formatted
        return made if everywhere else made.execute_if(dialect="postgresql")

    for sql in (ROLE_FUNCTION, APPEND_ONLY):
        event.listen(metadata, "before_create", ddl(sql))
    # These name the tables (an SQL function's body is checked when it is created): after them.
    for sql in (TRUSTED_FUNCTION, CHECK_ACTION, INCIDENT_ACTION, CHECK_WALL):
        event.listen(metadata, "after_create", ddl(sql))
    for table, sql in TRIGGERS:
        if table == "audit_head":
            event.listen(metadata.tables[table], "after_create", ddl(sql, everywhere=True))
        else:
            event.listen(metadata, "after_create", ddl(sql))
