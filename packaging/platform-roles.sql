-- The group roles a CityOps platform grants its people (README: the platform contract).
-- Each person connects as themselves: a LOGIN role that is a member of one (or more) of
--   cityops_operator    reads everything; acknowledges, shelves, unshelves and comments on alarms and incidents
--   cityops_supervisor  as an operator, and changes incidents' status and assigns units; controls the walls;
--                       drafts public warnings, and approves another supervisor's (never their own)
--   cityops_trainer     reads everything; controls the walls (drills, replays); takes no live alarm or incident action
-- Grants say which tables a group may touch; the platform's triggers (cityops platform schema)
-- check every row: the actor is the signed-in person, the role is one of their groups and may
-- take the action. A person in several groups acts as the most privileged (cityops_role()).
--
-- Run as the tables' owner, after the schema:  psql -d <platform db> -f packaging/platform-roles.sql
-- Then one login per person, authenticated however the server is set up (password, Kerberos, certificate):
--   CREATE ROLE ann LOGIN;  GRANT cityops_operator TO ann;
--   CREATE ROLE sam LOGIN;  GRANT cityops_supervisor TO sam;
-- Earlier versions had one shared role, cityops_console, through which the platform could not tell
-- who did what: once everyone has their own login, REVOKE ALL ON ALL TABLES IN SCHEMA public FROM
-- cityops_console; REVOKE USAGE ON SCHEMA public FROM cityops_console; DROP ROLE cityops_console.
DO $$
DECLARE
  name text;
BEGIN
  FOREACH name IN ARRAY ARRAY['cityops_operator', 'cityops_supervisor', 'cityops_trainer'] LOOP
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = name) THEN
      EXECUTE format('CREATE ROLE %I NOLOGIN', name);
    END IF;
  END LOOP;
END $$;
GRANT USAGE ON SCHEMA public TO cityops_operator, cityops_supervisor, cityops_trainer;
-- Everyone reads the city, the room's actions (one alarm state for every console) and the wall's commands.
GRANT SELECT ON city, districts, indicators, buildings, map_features, sensors, units, plans,
  readings, incidents, incident_events, unit_positions, operator_actions, wall_control, audit_head
  TO cityops_operator, cityops_supervisor, cityops_trainer;
-- The public warnings (a later table: a platform made before it gets it from its first warnings import).
DO $$
BEGIN
  IF to_regclass('warnings') IS NOT NULL THEN
    GRANT SELECT ON warnings TO cityops_operator, cityops_supervisor, cityops_trainer;
  END IF;
END $$;
-- Everyone records actions (trainers only signing in and out); the chain columns are the platform's.
-- Delivery reads its row back (SELECT above) to confirm the platform holds what was sent.
GRANT INSERT (id, console_id, ts, actor, role, action, target_kind, target_id, payload) ON operator_actions
  TO cityops_operator, cityops_supervisor, cityops_trainer;
GRANT USAGE ON SEQUENCE operator_actions_seq_seq TO cityops_operator, cityops_supervisor, cityops_trainer;
-- Supervisors and trainers turn the walls' pages (numbered by the sequence).
GRANT INSERT ON wall_control TO cityops_supervisor, cityops_trainer;
GRANT USAGE ON SEQUENCE wall_control_seq_seq TO cityops_supervisor, cityops_trainer;
