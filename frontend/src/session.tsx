// Who is signed in, their organizations, and the organization they are working in (kept across reloads).
import { useQuery } from '@tanstack/react-query';
import { createContext, useContext, useMemo, useState, type ReactNode } from 'react';
import { profileQuery, type Profile } from './queries';

export type { Profile };
export type Role = 'owner' | 'admin' | 'analyst' | 'viewer';

interface Session {
  profile: Profile;
  organizationId: string | null;
  setOrganizationId(id: string): void;
  signOut(): void;
}

const SessionContext = createContext<Session | null>(null);
const ORG_KEY = 'tributary.organization';

export function useProfileQuery() {
  return useQuery(profileQuery());
}

export function SessionProvider(props: { profile: Session['profile']; signOut(): void; children: ReactNode }) {
  const [chosen, setChosen] = useState<string | null>(() => localStorage.getItem(ORG_KEY));
  const orgs = props.profile.organizations;
  const organizationId = orgs.some((o) => o.organization_id === chosen) ? chosen : (orgs[0]?.organization_id ?? null);
  const value = useMemo<Session>(
    () => ({
      profile: props.profile,
      organizationId,
      setOrganizationId: (id) => {
        localStorage.setItem(ORG_KEY, id);
        setChosen(id);
      },
      signOut: props.signOut,
    }),
    [props.profile, organizationId, props.signOut],
  );
  return <SessionContext.Provider value={value}>{props.children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

/** The caller's role in an organization; a viewer sees no edit controls (the API refuses anyway). */
export function useRole(organizationId: string | undefined | null): Role | null {
  const { profile } = useSession();
  return (profile.organizations.find((o) => o.organization_id === organizationId)?.role as Role | undefined) ?? null;
}

export const canEdit = (role: Role | null) => role === 'owner' || role === 'admin' || role === 'analyst';
export const canAdmin = (role: Role | null) => role === 'owner' || role === 'admin';
