import { App as AntApp, ConfigProvider } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { I18nProvider, useI18n } from './i18n';
import { SessionProvider, useSession, type OrganisationKind, type UserRole } from './session';
import { Shell } from './components/Shell';
import { Forbidden, NotFound } from './components/Results';
import { SignIn } from './pages/SignIn';
import { AcceptInvitation } from './pages/AcceptInvitation';
import { lazy, Suspense, useEffect, useState, type ReactNode } from 'react';
import { Spin } from 'antd';

// Pages after sign-in load on demand: the sign-in page (the first usable page) carries none of them, nor ECharts.
const Portfolio = lazy(() => import('./pages/lender/Portfolio').then((module) => ({ default: module.Portfolio })));
const LinePage = lazy(() => import('./pages/LinePage').then((module) => ({ default: module.LinePage })));
const Approvals = lazy(() => import('./pages/lender/Approvals').then((module) => ({ default: module.Approvals })));
const PriceMarks = lazy(() => import('./pages/lender/PriceMarks').then((module) => ({ default: module.PriceMarks })));
const ReferenceRates = lazy(() => import('./pages/lender/ReferenceRates').then((module) => ({ default: module.ReferenceRates })));
const Receive = lazy(() => import('./pages/warehouse/Receive').then((module) => ({ default: module.Receive })));
const Lots = lazy(() => import('./pages/Lots').then((module) => ({ default: module.Lots })));
const LotPage = lazy(() => import('./pages/LotPage').then((module) => ({ default: module.LotPage })));
const ReleaseAuthorisations = lazy(() => import('./pages/lender/ReleaseAuthorisations').then((module) => ({ default: module.ReleaseAuthorisations })));
const ReleaseOrders = lazy(() => import('./pages/warehouse/ReleaseOrders').then((module) => ({ default: module.ReleaseOrders })));
const MyLines = lazy(() => import('./pages/seller/MyLines').then((module) => ({ default: module.MyLines })));
const MyDraws = lazy(() => import('./pages/seller/MyDraws').then((module) => ({ default: module.MyDraws })));
const SalePage = lazy(() => import('./pages/SalePage').then((module) => ({ default: module.SalePage })));
const Users = lazy(() => import('./pages/admin/Users').then((module) => ({ default: module.Users })));
const Audit = lazy(() => import('./pages/admin/Audit').then((module) => ({ default: module.Audit })));

/** Where each kind of organisation lands after signing in. */
export const HOME: Record<OrganisationKind, string> = {
  LENDER: '/app/portfolio',
  WAREHOUSE: '/app/lots',
  SELLER: '/app/lines',
  BUYER: '/app/lines',
};

const REDUCED_MOTION = '(prefers-reduced-motion: reduce)';

/** Whether the reader asked their system for less motion (and follows them if they change it). */
function usePrefersReducedMotion(): boolean {
  const [reduced, setReduced] = useState(() => globalThis.matchMedia?.(REDUCED_MOTION).matches ?? false);
  useEffect(() => {
    const query = globalThis.matchMedia?.(REDUCED_MOTION);
    if (!query) return undefined;
    const follow = () => setReduced(query.matches);
    query.addEventListener('change', follow);
    return () => query.removeEventListener('change', follow);
  }, []);
  return reduced;
}

function Localised({ nonce, children }: { nonce: string; children: ReactNode }) {
  const { locale } = useI18n();
  const reducedMotion = usePrefersReducedMotion();
  return (
    <ConfigProvider locale={locale === 'zh-CN' ? zhCN : enUS} csp={{ nonce }}
      // Dark enough for text on white (WCAG AA); no space forced between two Chinese characters of a button;
      // no zooming dialogs or sliding panels for a reader who asked for reduced motion (WCAG 2.3.3).
      theme={{ token: { colorPrimary: '#1f4e79', colorLink: '#1f4e79', colorTextDescription: '#595959', colorTextTertiary: '#595959', colorError: '#cf1322', colorTextPlaceholder: '#595959', motion: !reducedMotion } }}
      button={{ autoInsertSpace: false }}>
      <AntApp>{children}</AntApp>
    </ConfigProvider>
  );
}

const EVERY_KIND: OrganisationKind[] = ['LENDER', 'WAREHOUSE', 'SELLER', 'BUYER'];

/**
 * Pages only some kinds of organisation (and, where `roles` is given, only some roles) may open:
 * anyone else gets a refusal, not the page. The API refuses them too; this only says so first.
 */
function Only({ kinds, roles, children }: { kinds: OrganisationKind[]; roles?: UserRole[]; children: ReactNode }) {
  const { user } = useSession();
  if (!user) return null;
  if (!kinds.includes(user.organisation.kind)) return <Forbidden />;
  if (roles && !roles.includes(user.role)) return <Forbidden detail="forbidden.adminOnly" />;
  return <>{children}</>;
}

function SignedIn() {
  const { user } = useSession();
  const location = useLocation();
  if (user === undefined) return null;
  if (user === null) return <Navigate to="/app/sign-in" replace state={{ from: location.pathname }} />;
  return (
    <Shell>
      <Suspense fallback={<Spin />}>
      <Routes>
        <Route path="/" element={<Navigate to={HOME[user.organisation.kind]} replace />} />
        <Route path="/portfolio" element={<Only kinds={['LENDER']}><Portfolio /></Only>} />
        <Route path="/approvals" element={<Only kinds={['LENDER']}><Approvals /></Only>} />
        <Route path="/price-marks" element={<Only kinds={['LENDER']}><PriceMarks /></Only>} />
        <Route path="/release-authorisations" element={<Only kinds={['LENDER']}><ReleaseAuthorisations /></Only>} />
        <Route path="/reference-rates" element={<Only kinds={['LENDER']}><ReferenceRates /></Only>} />
        <Route path="/lines" element={<Only kinds={['SELLER']}><MyLines /></Only>} />
        <Route path="/lines/:lineId" element={<Only kinds={['LENDER', 'SELLER']}><LinePage /></Only>} />
        <Route path="/sales/:saleId" element={<Only kinds={['LENDER', 'SELLER', 'WAREHOUSE']}><SalePage /></Only>} />
        <Route path="/draws" element={<Only kinds={['SELLER']}><MyDraws /></Only>} />
        <Route path="/receive" element={<Only kinds={['WAREHOUSE']}><Receive /></Only>} />
        <Route path="/lots" element={<Only kinds={['WAREHOUSE', 'SELLER']}><Lots /></Only>} />
        <Route path="/lots/:lotId" element={<Only kinds={['WAREHOUSE', 'SELLER', 'LENDER']}><LotPage /></Only>} />
        <Route path="/release-orders" element={<Only kinds={['WAREHOUSE']}><ReleaseOrders /></Only>} />
        <Route path="/users" element={<Only kinds={EVERY_KIND} roles={['ADMIN']}><Users /></Only>} />
        <Route path="/audit" element={<Only kinds={EVERY_KIND} roles={['ADMIN']}><Audit /></Only>} />
        <Route path="*" element={<NotFound />} />
      </Routes>
      </Suspense>
    </Shell>
  );
}

export function App({ nonce }: { nonce: string }) {
  return (
    <I18nProvider>
      <Localised nonce={nonce}>
        <SessionProvider>
          <BrowserRouter>
            <Routes>
              <Route path="/" element={<Navigate to="/app" replace />} />
              <Route path="/app/sign-in" element={<SignIn />} />
              <Route path="/app/invitation" element={<AcceptInvitation />} />
              {/* The link the server hands out (api/config.ts invitationLink). */}
              <Route path="/accept-invitation" element={<AcceptInvitation />} />
              <Route path="/app/*" element={<SignedIn />} />
              <Route path="*" element={<Navigate to="/app" replace />} />
            </Routes>
          </BrowserRouter>
        </SessionProvider>
      </Localised>
    </I18nProvider>
  );
}
