import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ApiProblem, onUnauthenticated, setCsrfToken, type Problem } from './api';

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

export interface Session {
  /** undefined while the session is being read, null when signed out. */
  user: SessionUser | null | undefined;
  signIn(email: string, password: string): Promise<void>;
  acceptInvitation(token: string, password: string): Promise<void>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

async function authCall(path: string, method: 'GET' | 'POST', body?: unknown, csrfToken?: string | null): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method === 'POST') headers['Idempotency-Key'] = crypto.randomUUID();
  if (csrfToken) headers['X-CSRF-Token'] = csrfToken;
  return fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
}

async function problemOf(response: Response): Promise<ApiProblem> {
  const body = (await response.json().catch(() => ({}))) as Partial<Problem>;
  return new ApiProblem({ ...body, status: response.status });
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<SessionUser | null | undefined>(undefined);
  const [csrf, setCsrf] = useState<string | null>(null);

  const adopt = useCallback((body: SessionBody | null) => {
    setCsrfToken(body?.csrfToken ?? null);
    setCsrf(body?.csrfToken ?? null);
    setUser(body?.user ?? null);
  }, []);

  useEffect(() => {
    let cancelled = false;
    authCall('/auth/session', 'GET')
      .then(async (response) => (response.ok ? ((await response.json()) as SessionBody) : null))
      .catch(() => null)
      .then((body) => {
        if (!cancelled) adopt(body);
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
        const response = await authCall('/auth/login', 'POST', { email, password });
        if (!response.ok) throw await problemOf(response);
        adopt((await response.json()) as SessionBody);
      },
      acceptInvitation: async (token, password) => {
        const response = await authCall('/invitations/accept', 'POST', { token, password });
        if (!response.ok) throw await problemOf(response);
        adopt((await response.json()) as SessionBody);
      },
      signOut: async () => {
        await authCall('/auth/logout', 'POST', undefined, csrf).catch(() => undefined);
        adopt(null);
      },
    }),
    [user, csrf, adopt],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession needs a SessionProvider above it');
  return value;
}
