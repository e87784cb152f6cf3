-- The role a CityOps console connects to a PostgreSQL platform as (README: the platform contract).
-- It reads the contract's tables and may only insert operator actions and wall control commands
-- (page rotation across the nodes of a wall): nothing else is written.
-- Run as the tables' owner:  psql -d <platform db> -f packaging/platform-role.sql
-- then give it a password:   ALTER ROLE cityops_console PASSWORD '...';
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cityops_console') THEN
    CREATE ROLE cityops_console LOGIN;
  END IF;
END $$;
GRANT USAGE ON SCHEMA public TO cityops_console;
GRANT SELECT ON districts, indicators, buildings, map_features, sensors, units, plans,
  readings, incidents, incident_events, unit_positions TO cityops_console;
-- Operator actions: a console adds its own (numbered by the sequence) and reads every console's back,
-- so the whole room shares one alarm state; delivery reads a row back to confirm its content.
GRANT SELECT, INSERT ON operator_actions TO cityops_console;
GRANT USAGE ON SEQUENCE operator_actions_seq_seq TO cityops_console;
-- Wall control: nodes read the commands, a supervisor's or trainer's console adds them (numbered by the sequence).
GRANT SELECT, INSERT ON wall_control TO cityops_console;
GRANT USAGE ON SEQUENCE wall_control_seq_seq TO cityops_console;
