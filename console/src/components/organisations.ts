import { api, unwrap } from '../api';
import { useSession } from '../session';
import { useLoad } from './useLoad';

export const ORGANISATIONS_PAGE_MAX = 100;

/** The organisations related to mine (counterparts, parties to my lines) and mine, by id: to show names, not ids. */
export function useOrganisations(kind?: 'LENDER' | 'WAREHOUSE' | 'SELLER' | 'BUYER') {
  const loaded = useLoad(() => unwrap(api.GET('/organisations', { params: { query: { limit: ORGANISATIONS_PAGE_MAX, ...(kind ? { kind } : {}) } } })), [kind]);
  const items = loaded.data?.items ?? [];
  const own = useSession().user?.organisation;
  const nameOf = (id: string | null | undefined) => (own && id === own.id ? own.name : (items.find((organisation) => organisation.id === id)?.name ?? id ?? ''));
  return { items, nameOf, loading: loaded.loading, error: loaded.error };
}
