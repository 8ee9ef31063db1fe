import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, onUnauthenticated, sessionGeneration, setCsrfToken, unwrap } from './api';

export type OrganisationKind = 'LENDER' | 'WAREHOUSE' | 'SELLER' | 'BUYER';
export type UserRole = 'ADMIN' | 'OPERATOR' | 'APPROVER' | 'VIEWER';

export interface SessionUser {
  id: string;
  email: string;
  displayName?: string | null;
  role: UserRole;
  organisation: { id: string; name: string; kind: OrganisationKind };
}

interface SessionBody {
  user: SessionUser;
  csrfToken: string;
}

async function readSession(): Promise<SessionBody | null> {
  const { data, response } = await api.GET('/auth/session');
  return response.ok && data ? data : null;
}

export interface Session {
  /** undefined while the session is being read, null when signed out. */
  user: SessionUser | null | undefined;
  signIn(email: string, password: string): Promise<void>;
  acceptInvitation(token: string, password: string): Promise<void>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<SessionUser | null | undefined>(undefined);

  const adopt = useCallback((body: SessionBody | null) => {
    setCsrfToken(body?.csrfToken ?? null);
    setUser(body?.user ?? null);
  }, []);

  useEffect(() => {
    let cancelled = false;
    const startedIn = sessionGeneration();
    readSession()
      .catch(() => null)
      .then((body) => {
        // A sign-in that finished while this read was on its way is newer than what it read.
        if (!cancelled && sessionGeneration() === startedIn) adopt(body);
      });
    return () => {
      cancelled = true;
    };
  }, [adopt]);

  // The session expired or was ended elsewhere: back to the sign-in page.
  useEffect(() => onUnauthenticated(() => adopt(null)), [adopt]);

  const value = useMemo<Session>(
    () => ({
      user,
      signIn: async (email, password) => {
        adopt(await unwrap(api.POST('/auth/login', { body: { email, password } })));
      },
      acceptInvitation: async (token, password) => {
        adopt(await unwrap(api.POST('/invitations/accept', { body: { token, password } })));
      },
      signOut: async () => {
        // The CSRF token goes with it (console/src/api.ts): a logout is a write like any other.
        await api.POST('/auth/logout').catch(() => undefined);
        adopt(null);
      },
    }),
    [user, adopt],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession needs a SessionProvider above it');
  return value;
}
