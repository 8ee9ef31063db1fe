// The deployment files, checked without a Docker engine (none runs on our
// machines): the compose file against Compose's own validator when the
// `docker-compose` CLI is installed (Debian's package; `config` needs no
// engine), and its wiring — services, dependencies, health checks, restart
// policies, environment, commands — against this repository, always.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../api/config';

const ROOT = path.resolve(__dirname, '../..');

interface Healthcheck {
  test: string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
}
interface Service {
  image: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: Healthcheck;
  restart?: string;
  ports?: string[];
  stop_grace_period?: string;
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as ComposeFile;
const services = compose.services;
const GODOWN_SERVICES = ['migrate', 'api', 'worker'];

/** Compose's `${NAME:-default}` and `${NAME}`, resolved as on a machine with none of them set. */
function withDefaults(value: string | number): string {
  return String(value).replace(/\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g, (_match, _name: string, fallback?: string) => fallback ?? '');
}

function environmentOf(name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(services[name].environment ?? {}).map(([key, value]) => [key, withDefaults(value)]));
}

function seconds(duration: string): number {
  const match = /^(\d+)(ms|s|m)$/.exec(duration);
  if (!match) throw new Error(`not a compose duration: ${duration}`);
  return Number(match[1]) * { ms: 0.001, s: 1, m: 60 }[match[2] as 'ms' | 's' | 'm'];
}

const composeCli = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
const haveComposeCli = composeCli.status === 0;

(haveComposeCli ? test : test.skip)('docker-compose config accepts the file (Compose schema, interpolation, references)', () => {
  const result = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '--quiet'], { cwd: ROOT, encoding: 'utf8' });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
});

describe('the stack', () => {
  test('has the databases, Temporal, its UI, the migration step, the API and the worker', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'migrate', 'postgres', 'temporal', 'temporal-postgres', 'temporal-ui', 'worker']);
    for (const name of Object.keys(services)) expect(services[name].image).toMatch(/^[a-z0-9./-]+:[A-Za-z0-9._-]+$/);
  });

  test('every long-running service restarts unless stopped; the migration runs once', () => {
    for (const [name, service] of Object.entries(services)) {
      expect([name, service.restart]).toEqual([name, name === 'migrate' ? 'no' : 'unless-stopped']);
    }
  });

  test('every service but the one-shot migration and the port-less worker has a health check', () => {
    const withoutHealthcheck = Object.keys(services).filter((name) => !services[name].healthcheck).sort();
    expect(withoutHealthcheck).toEqual(['migrate', 'worker']);
  });

  test('dependencies name real services, and waiting for "healthy" only targets services with a health check', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(Object.keys(services)).toContain(dependency);
        if (condition === 'service_healthy') expect([name, dependency, services[dependency].healthcheck !== undefined]).toEqual([name, dependency, true]);
      }
    }
  });

  test('the API and the worker start only after the migration succeeded and the database and Temporal are healthy', () => {
    for (const name of ['api', 'worker']) {
      expect(services[name].depends_on).toEqual({
        migrate: { condition: 'service_completed_successfully' },
        postgres: { condition: 'service_healthy' },
        temporal: { condition: 'service_healthy' },
      });
    }
    expect(services.migrate.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
  });

  test("the API's health check is liveness (/health) on the port it listens on", () => {
    const check = services.api.healthcheck!.test.join(' ');
    expect(check).toContain(`http://127.0.0.1:${environmentOf('api').PORT}/health`);
    expect(services.api.ports).toEqual([`\${GODOWN_PORT:-3000}:${environmentOf('api').PORT}`]);
  });

  test('docker stop waits longer than the service lets in-flight work finish', () => {
    for (const name of ['api', 'worker']) {
      const graceMs = Number(environmentOf(name).SHUTDOWN_GRACE_MS);
      expect(seconds(services[name].stop_grace_period!) * 1000).toBeGreaterThan(graceMs);
    }
  });
});

describe('the Godown services', () => {
  test.each(GODOWN_SERVICES)('%s: its environment passes the service\'s own configuration check', (name) => {
    const config = loadConfig(environmentOf(name));
    expect(new URL(config.DATABASE_URL!).host).toBe('postgres:5432');
    expect(config.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(config.TEMPORAL_DEV_SERVER).toBe('off');
  });

  test('the database URL matches the credentials the postgres service is created with', () => {
    const url = new URL(environmentOf('api').DATABASE_URL);
    const postgres = environmentOf('postgres');
    expect([url.username, url.password, url.pathname]).toEqual([postgres.POSTGRES_USER, postgres.POSTGRES_PASSWORD, `/${postgres.POSTGRES_DB}`]);
  });

  test('the API listens on all interfaces inside its container', () => {
    expect(loadConfig(environmentOf('api')).HOST).toBe('0.0.0.0');
  });

  test.each(GODOWN_SERVICES)('%s: runs compiled JavaScript whose TypeScript source the build compiles', (name) => {
    const [program, entry] = services[name].command!;
    expect(program).toBe('node');
    const source = entry.replace(/^dist\//, '').replace(/\.js$/, '.ts');
    expect(existsSync(path.join(ROOT, source))).toBe(true);
    const build = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
    expect(build.include).toContain(source.split('/')[0]);
    expect(services[name].build).toBe('.');
    expect(services[name].image).toBe('godown:local');
  });
});

describe('the Dockerfile', () => {
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const runtime = stages[stages.length - 1];

  test('builds in one stage and runs from node:20-bookworm-slim in another', () => {
    expect(stages.map((stage) => stage.split('\n')[0])).toEqual(['node:20-bookworm-slim AS build', 'node:20-bookworm-slim AS runtime']);
    expect(stages[0]).toMatch(/^RUN npm ci\b/m);
    expect(stages[0]).toMatch(/^RUN npm run build\b/m);
  });

  test('the runtime installs production dependencies only and runs as a non-root user', () => {
    expect(runtime).toMatch(/^RUN npm ci --omit=dev\b/m);
    expect(runtime).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    expect(runtime).toMatch(/^COPY prisma\/migrations \.\/prisma\/migrations$/m);
    const user = /^USER (\S+)$/m.exec(runtime);
    expect(user?.[1]).toBe('node');
    expect(runtime.indexOf('USER node')).toBeLessThan(runtime.indexOf('CMD '));
  });

  test('the image declares no health check, since the worker and the migration step run it too', () => {
    expect(dockerfile).not.toMatch(/^HEALTHCHECK/m);
  });

  test('.dockerignore keeps local state, dependencies and build output out of the context', () => {
    const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((line) => line.trim());
    for (const entry of ['.git', 'node_modules', 'dist', '.data', '.tools', 'prisma/generated', '.env']) expect(ignored).toContain(entry);
  });
});
