"""The two-person rule for public warnings, in the platform's own SQL (PostgreSQL).

A supervisor drafts a warning (operator action ``draft_warning``, the alert as JSON in its
payload, aimed at the warning's id); a second supervisor approves it (``approve_warning``,
aimed at the draft's action id). A console is not trusted to keep the rule: a trigger on
``operator_actions`` refuses, with SQLSTATE 42501 and the reason,

- a draft whose alert the model could not hold (message type, CAP's severity, urgency and
  certainty words, districts the platform lacks, a place off the Earth), an Alert for a warning
  that exists, an Update or Cancel of one that does not or was cancelled;
- an approval of no draft, of a draft already approved, by the person who drafted it (even the
  platform's own services: two people, always), or by anyone not in ``cityops_supervisor``.

An approval is then published in the same transaction: the alert sent at the approval's time,
its references the whole chain the platform holds, into ``warnings`` (a new row, or the
chain's row replaced) and the incident of the same id (kind ``warning``: information, no SLA)
with its event, as console/cap/platform.py does for imports and the demo platform.
Both actions are operator actions, so both people are in the audit chain.
"""

from __future__ import annotations

from sqlalchemy import DDL, MetaData, event

from console.cap.model import CERTAINTY, INCIDENT_KIND, INCIDENT_SEVERITY, MSG_TYPES, SEVERITY, URGENCY
from console.model.authority import _array, _refuse

#: How old a draft may be when it is approved: a warning approved days later is a different warning.
DRAFT_LIFE_S = 24 * 3600.0
CAP_TIME = """to_char(to_timestamp(floor({x})) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"')"""
_SEVERITY_RANK = "CASE {x} " + " ".join(f"WHEN '{k}' THEN {v}" for k, v in INCIDENT_SEVERITY.items()) + " ELSE 4 END"

WARNING_ACTION = f"""
CREATE OR REPLACE FUNCTION cityops_warning_action() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT AS $$
DECLARE
  doc jsonb := NEW.payload::jsonb;
  draft record;
  alert jsonb;
  info jsonb;
  area jsonb;
  held record;
  chain jsonb;
  ref text;
  sent float8;
  en jsonb;
  expires float8;
  onset float8;
  msg text;
  event_seq bigint;
  verb text;
BEGIN
  IF NEW.action = 'draft_warning' THEN
    alert := doc->'alert';
  ELSE
    SELECT * INTO draft FROM operator_actions WHERE id = NEW.target_id AND action = 'draft_warning';
    IF NOT FOUND THEN
      {_refuse("no warning draft %L on the platform", "NEW.target_id")}
    END IF;
    IF draft.actor = NEW.actor THEN
      {_refuse("%s drafted this warning: a second supervisor must approve it", "NEW.actor")}
    END IF;
    IF NOT cityops_trusted() AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles g WHERE g.rolname = 'cityops_supervisor'
                                             AND pg_catalog.pg_has_role(session_user, g.oid, 'MEMBER')) THEN
      {_refuse("%s is not a supervisor: only supervisors approve public warnings", "session_user")}
    END IF;
    IF EXISTS (SELECT 1 FROM operator_actions WHERE action = 'approve_warning' AND target_id = NEW.target_id
               AND id <> NEW.id) THEN
      {_refuse("the warning draft %s is approved already", "NEW.target_id")}
    END IF;
    IF NEW.ts > draft.ts + {DRAFT_LIFE_S} THEN
      {_refuse(f"the warning draft %s is over {DRAFT_LIFE_S / 3600:g} hours old: draft it again", "NEW.target_id")}
    END IF;
    doc := draft.payload::jsonb;
    alert := doc->'alert';
  END IF;
  -- the draft's content, checked whichever of the two is being written
  IF jsonb_typeof(alert) IS DISTINCT FROM 'object' OR jsonb_typeof(alert->'infos') IS DISTINCT FROM 'array'
     OR jsonb_array_length(alert->'infos') = 0 THEN
    {_refuse("a warning draft holds an alert with at least one info block")}
  END IF;
  IF NOT coalesce(alert->>'msg_type', '') = ANY({_array(MSG_TYPES)}) THEN
    {_refuse(f"msgType %L is not one of {', '.join(MSG_TYPES)}", "alert->>'msg_type'")}
  END IF;
  IF coalesce(alert->>'identifier', '') !~ '^[^\\s,<&]{{1,200}}$'
     OR coalesce(alert->>'sender', '') !~ '^[^\\s,<&]{{1,200}}$' THEN
    {_refuse("identifier and sender are 1 to 200 characters without spaces, commas, < or &")}
  END IF;
  FOR info IN SELECT * FROM jsonb_array_elements(alert->'infos') LOOP
    IF NOT coalesce(info->>'severity', '') = ANY({_array(SEVERITY)})
       OR NOT coalesce(info->>'urgency', '') = ANY({_array(URGENCY)})
       OR NOT coalesce(info->>'certainty', '') = ANY({_array(CERTAINTY)})
       OR coalesce(btrim(info->>'event'), '') = '' THEN
      {_refuse("an info block needs an event and CAP's severity, urgency and certainty words")}
    END IF;
    FOR area IN SELECT * FROM jsonb_array_elements(coalesce(info->'areas', '[]'::jsonb)) LOOP
      IF area->>'district' IS NOT NULL AND NOT EXISTS (SELECT 1 FROM districts WHERE id = area->>'district') THEN
        {_refuse("no district %L on the platform", "area->>'district'")}
      END IF;
    END LOOP;
  END LOOP;
  IF jsonb_typeof(doc->'lon') IS DISTINCT FROM 'number' OR jsonb_typeof(doc->'lat') IS DISTINCT FROM 'number'
     OR abs((doc->>'lon')::float8) > 180 OR abs((doc->>'lat')::float8) > 90 THEN
    {_refuse("a warning draft needs its place: lon and lat on the Earth")}
  END IF;
  SELECT * INTO held FROM warnings WHERE id = NEW.target_id FOR UPDATE;
  IF NEW.action = 'approve_warning' THEN
    SELECT * INTO held FROM warnings WHERE id = draft.target_id FOR UPDATE;
  END IF;
  IF alert->>'msg_type' = 'Alert' AND held.id IS NOT NULL THEN
    {_refuse("warning %s exists: draft an Update of it", "held.id")}
  END IF;
  IF alert->>'msg_type' <> 'Alert' AND (held.id IS NULL OR held.msg_type = 'Cancel') THEN
    {_refuse("no warning in force to %s", "lower(alert->>'msg_type')")}
  END IF;
  IF NEW.action = 'draft_warning' THEN
    RETURN NULL;  -- a draft waits for its approval
  END IF;
  -- publish: sent now, the chain's references, the row and its information incident
  sent := floor(NEW.ts);
  chain := coalesce(held.chain::jsonb, '[]'::jsonb);
  ref := format('%s,%s,%s', alert->>'sender', alert->>'identifier', {CAP_TIME.format(x="sent")});
  alert := alert || jsonb_build_object('sent', sent, 'sent_text', '', 'references', chain);
  chain := chain || to_jsonb(ref);
  SELECT i INTO en FROM jsonb_array_elements(alert->'infos') i ORDER BY (i->>'language' ILIKE 'en%') DESC LIMIT 1;
  SELECT CASE WHEN bool_or(jsonb_typeof(i->'expires') IS DISTINCT FROM 'number') THEN NULL
              ELSE max((i->>'expires')::float8) END,
         min(CASE WHEN jsonb_typeof(i->'onset') = 'number' THEN (i->>'onset')::float8 END)
    INTO expires, onset FROM jsonb_array_elements(alert->'infos') i;
  verb := CASE alert->>'msg_type' WHEN 'Alert' THEN 'Issued' WHEN 'Update' THEN 'Updated' ELSE 'Cancelled' END;
  msg := format('%s by %s: %s, %s/%s/%s%s. Drafted by %s, approved by %s.', verb, alert->>'sender', en->>'event',
                en->>'severity', en->>'urgency', en->>'certainty',
                CASE WHEN expires IS NULL THEN '' ELSE ', until ' || {CAP_TIME.format(x="expires")} END,
                draft.actor, NEW.actor);
  INSERT INTO warnings (id, identifier, sender, sent, status, msg_type, event, severity, urgency, certainty, onset,
                        expires, alert, chain)
    VALUES (draft.target_id, alert->>'identifier', alert->>'sender', sent, coalesce(alert->>'status', 'Actual'),
            alert->>'msg_type', left(en->>'event', 200), en->>'severity', en->>'urgency', en->>'certainty', onset,
            expires, alert::text, chain::text)
    ON CONFLICT (id) DO UPDATE SET identifier = EXCLUDED.identifier, sender = EXCLUDED.sender, sent = EXCLUDED.sent,
      status = EXCLUDED.status, msg_type = EXCLUDED.msg_type, event = EXCLUDED.event, severity = EXCLUDED.severity,
      urgency = EXCLUDED.urgency, certainty = EXCLUDED.certainty, onset = EXCLUDED.onset, expires = EXCLUDED.expires,
      alert = EXCLUDED.alert, chain = EXCLUDED.chain;
  INSERT INTO incident_events (incident_id, ts, event, actor, note)
    VALUES (draft.target_id, sent, CASE alert->>'msg_type' WHEN 'Alert' THEN 'opened' WHEN 'Update' THEN 'updated'
            ELSE 'closed' END, NEW.actor, msg)
    RETURNING seq INTO event_seq;
  INSERT INTO incidents (id, kind, severity, status, district_id, lon, lat, title, opened_at, updated_at, rev)
    VALUES (draft.target_id, '{INCIDENT_KIND}',
            (SELECT min({_SEVERITY_RANK.format(x="i->>'severity'")}) FROM jsonb_array_elements(alert->'infos') i),
            CASE WHEN alert->>'msg_type' = 'Cancel' THEN 'closed' ELSE 'reported' END, doc->>'district_id',
            (doc->>'lon')::float8, (doc->>'lat')::float8,
            left(coalesce(nullif(en->>'headline', ''), en->>'event'), 200),
            sent, sent, event_seq)
    ON CONFLICT (id) DO UPDATE SET severity = EXCLUDED.severity, status = EXCLUDED.status,
      district_id = EXCLUDED.district_id, lon = EXCLUDED.lon, lat = EXCLUDED.lat, title = EXCLUDED.title,
      updated_at = EXCLUDED.updated_at, rev = EXCLUDED.rev;
  RETURN NULL;
END $$"""

TRIGGER = ("CREATE TRIGGER cityops_warning AFTER INSERT ON operator_actions FOR EACH ROW "
           "WHEN (NEW.action IN ('draft_warning', 'approve_warning')) EXECUTE FUNCTION cityops_warning_action()")


def install(metadata: MetaData) -> None:
    """Have ``metadata.create_all`` install the rule on PostgreSQL (after the tables it names)."""
    for sql in (WARNING_ACTION, TRIGGER):
        event.listen(metadata, "after_create",
                     DDL(sql.strip().replace("%", "%%")).execute_if(dialect="postgresql"))
