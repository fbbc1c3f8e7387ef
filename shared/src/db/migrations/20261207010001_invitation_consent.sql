-- Up Migration

-- Only a verified email address counts. users.email is the last address the identity provider vouched for
-- (email_verified); an unverified change never reaches this row (Cognito keeps the original until the new
-- one is verified). Uniqueness holds among verified addresses only, so an address someone typed but never
-- verified cannot block its real owner.
ALTER TABLE users ADD COLUMN email_verified boolean NOT NULL DEFAULT false;
DROP INDEX users_email_lower_key;
CREATE UNIQUE INDEX users_verified_email_lower_key ON users (lower(email)) WHERE email_verified;

-- An invitation is accepted explicitly, by whoever holds the emailed single-use token AND is signed in with
-- that verified address. Only a hash of the token is stored.
ALTER TABLE invitations
  ADD COLUMN token_hash varchar(64),
  ADD COLUMN expires_at timestamptz NOT NULL DEFAULT now() + interval '7 days',
  ADD COLUMN accepted_by uuid REFERENCES users(id) ON DELETE SET NULL;
-- invitations made before tokens existed cannot be accepted any more: the inviter invites again
UPDATE invitations SET expires_at = now() WHERE accepted_at IS NULL AND token_hash IS NULL;
CREATE UNIQUE INDEX invitations_token_hash_key ON invitations (token_hash) WHERE token_hash IS NOT NULL;

DROP FUNCTION app_accept_invitations(text);

-- Accepts one invitation for the user of the current transaction. The address compared is that user's own
-- verified email, read here: no caller-supplied address is trusted. Outcomes: 'accepted' (a membership was
-- made, or already existed), 'unknown' (no such open, unexpired invitation), 'email_mismatch' (the
-- invitation stays open for its real addressee). SECURITY DEFINER because the invitee is not a member yet.
CREATE FUNCTION app_accept_invitation(p_token_hash text)
RETURNS TABLE (outcome text, organization_id uuid, role membership_role)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS
$$
DECLARE
  v_email text;
  v_inv invitations%ROWTYPE;
  v_role membership_role;
BEGIN
  IF app_current_user() IS NULL THEN RETURN QUERY SELECT 'unknown'::text, NULL::uuid, NULL::membership_role; RETURN; END IF;
  SELECT u.email INTO v_email FROM users u WHERE u.id = app_current_user() AND u.email_verified AND u.is_active;
  SELECT * INTO v_inv FROM invitations i
   WHERE i.token_hash = p_token_hash AND i.accepted_at IS NULL AND i.expires_at > now()
   FOR UPDATE;
  IF NOT FOUND THEN RETURN QUERY SELECT 'unknown'::text, NULL::uuid, NULL::membership_role; RETURN; END IF;
  IF v_email IS NULL OR lower(v_email) <> lower(v_inv.email) THEN
    RETURN QUERY SELECT 'email_mismatch'::text, NULL::uuid, NULL::membership_role; RETURN;
  END IF;
  UPDATE invitations SET accepted_at = now(), accepted_by = app_current_user() WHERE id = v_inv.id;
  INSERT INTO memberships (organization_id, user_id, role, invited_by)
  VALUES (v_inv.organization_id, app_current_user(), v_inv.role, v_inv.invited_by)
  ON CONFLICT ON CONSTRAINT memberships_pkey DO NOTHING;
  SELECT m.role INTO v_role FROM memberships m WHERE m.organization_id = v_inv.organization_id AND m.user_id = app_current_user();
  INSERT INTO audit_log (organization_id, actor_user_id, action, target_type, target_id, details)
  VALUES (v_inv.organization_id, app_current_user(), 'member.joined', 'invitation', v_inv.id::text, jsonb_build_object('role', v_role));
  RETURN QUERY SELECT 'accepted'::text, v_inv.organization_id, v_role;
END $$;
REVOKE EXECUTE ON FUNCTION app_accept_invitation(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_accept_invitation(text) TO tributary_app;

-- Down Migration
DROP FUNCTION app_accept_invitation(text);
DROP INDEX invitations_token_hash_key;
ALTER TABLE invitations DROP COLUMN accepted_by, DROP COLUMN expires_at, DROP COLUMN token_hash;
DROP INDEX users_verified_email_lower_key;
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));
ALTER TABLE users DROP COLUMN email_verified;
CREATE FUNCTION app_accept_invitations(p_email text) RETURNS integer LANGUAGE sql AS $$ SELECT 0 $$;
