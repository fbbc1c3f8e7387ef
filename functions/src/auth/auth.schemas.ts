import * as z from 'zod';

const Email = z.string().trim().toLowerCase().email().max(320);
// Cognito enforces the pool's policy; this only stops obviously unusable input before the round trip.
const Password = z.string().min(8).max(256);

export const RegisterBodySchema = z.object({
  email: Email,
  password: Password,
  first_name: z.string().trim().min(1).max(100).optional(),
  last_name: z.string().trim().min(1).max(100).optional(),
});
/** The same for a new address and one that already has an account. */
export const RegisterResultSchema = z.object({ accepted: z.literal(true), confirmation_required: z.boolean() });

export const ConfirmBodySchema = z.object({ email: Email, code: z.string().trim().min(1).max(20) });
export const EmailBodySchema = z.object({ email: Email });
export const LoginBodySchema = z.object({ email: Email, password: z.string().min(1).max(256) });
export const RefreshBodySchema = z.object({ refresh_token: z.string().min(20).max(8192) });
export const LogoutBodySchema = z.object({ refresh_token: z.string().min(20).max(8192).optional() });

export const TokensSchema = z.object({
  access_token: z.string(),
  id_token: z.string().optional(),
  refresh_token: z.string().optional(),
  expires_in: z.number().int(),
  token_type: z.string(),
});

export const MembershipSummarySchema = z.object({
  organization_id: z.string().uuid(),
  organization_name: z.string(),
  is_personal: z.boolean(),
  role: z.enum(['owner', 'admin', 'analyst', 'viewer']),
});

export const ProfileSchema = z.object({
  id: z.string().uuid(),
  email: z.string(),
  /** only a verified address counts (invitations); an unverified change in Cognito leaves the original here */
  email_verified: z.boolean(),
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  timezone: z.string(),
  organizations: z.array(MembershipSummarySchema),
  created_at: z.string().nullable(),
});

export const UpdateProfileBodySchema = z
  .object({
    first_name: z.string().trim().min(1).max(100).optional(),
    last_name: z.string().trim().min(1).max(100).optional(),
    timezone: z.string().min(1).max(64).refine(isTimeZone, 'must be an IANA time zone').optional(),
  })
  .strict();

export const ChangePasswordBodySchema = z.object({
  previous_password: z.string().min(1).max(256),
  proposed_password: Password,
});
export const ResetPasswordBodySchema = z.object({
  email: Email,
  code: z.string().trim().min(1).max(20),
  password: Password,
});
export const AcceptedSchema = z.object({ accepted: z.literal(true) });

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}
