-- Up Migration

-- Which value of a credential's secret is current. Every write of the secret (an admin's rotation, an OAuth
-- reconnect, a token refresh) takes the row lock and adds one; a token refresh writes back only if the
-- version is still the one it read, so a refresh that raced a rotation cannot put the old tokens back.
ALTER TABLE credentials ADD COLUMN secret_version integer NOT NULL DEFAULT 1;

-- Down Migration
ALTER TABLE credentials DROP COLUMN secret_version;
