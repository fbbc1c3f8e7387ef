-- Up Migration

-- A request names a project, not an organization. This answers "which organization holds this project,
-- and what is the calling user's role there?" for the calling user only (tributary.user_id): a project
-- in an organization the user is not a member of looks exactly like one that does not exist.
-- SECURITY DEFINER because row-level security hides projects until an organization is chosen.
CREATE FUNCTION app_project_access(p_project_id uuid)
RETURNS TABLE (organization_id uuid, role membership_role)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
$$ SELECT p.organization_id, m.role
     FROM projects p
     JOIN memberships m ON m.organization_id = p.organization_id AND m.user_id = app_current_user()
    WHERE p.id = p_project_id $$;
REVOKE EXECUTE ON FUNCTION app_project_access(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_project_access(uuid) TO tributary_app;

-- Invitations by email to people who may not have signed up yet; accepted on their first sign-in.
CREATE TABLE invitations (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  email           varchar(320) NOT NULL,
  role            membership_role NOT NULL,
  invited_by      uuid REFERENCES users(id) ON DELETE SET NULL,
  accepted_at     timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX invitations_open_per_email_key ON invitations (organization_id, lower(email)) WHERE accepted_at IS NULL;
ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
CREATE POLICY invitations_org_isolation ON invitations TO tributary_app
  USING (organization_id = app_current_org()) WITH CHECK (organization_id = app_current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON invitations TO tributary_app;

-- Turns the open invitations of an email into memberships of the given user; returns how many.
-- SECURITY DEFINER because the invitee belongs to none of those organizations yet. It only ever acts
-- for the user of the current transaction.
CREATE FUNCTION app_accept_invitations(p_email text)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS
$$
DECLARE accepted integer;
BEGIN
  IF app_current_user() IS NULL THEN RETURN 0; END IF;
  WITH open AS (
    UPDATE invitations SET accepted_at = now()
     WHERE lower(email) = lower(p_email) AND accepted_at IS NULL
     RETURNING organization_id, role, invited_by
  )
  INSERT INTO memberships (organization_id, user_id, role, invited_by)
  SELECT organization_id, app_current_user(), role, invited_by FROM open
  ON CONFLICT (organization_id, user_id) DO NOTHING;
  GET DIAGNOSTICS accepted = ROW_COUNT;
  RETURN accepted;
END $$;
REVOKE EXECUTE ON FUNCTION app_accept_invitations(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_accept_invitations(text) TO tributary_app;

-- Down Migration
DROP FUNCTION app_accept_invitations(text);
DROP TABLE invitations;
DROP FUNCTION app_project_access(uuid);
