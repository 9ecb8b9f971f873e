import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manifestsByKind } from '../../connectors/index.ts';
import { capturingLogger } from '../../test/support/log-capture.ts';
import { loadConfigFile, parseConfig } from './load.ts';

const dir = mkdtempSync(join(tmpdir(), 'ph-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const parse = (raw: unknown, env: NodeJS.ProcessEnv = {}) => parseConfig(raw, { env, manifests: manifestsByKind });
const failure = (raw: unknown, env: NodeJS.ProcessEnv = {}): string => {
  try {
    parse(raw, env);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the configuration to be refused');
};

describe('configuration', () => {
  it('accepts the contract example, with the secret from the environment', () => {
    const loaded = parse(
      {
        server: { port: 8080, host: '127.0.0.1' },
        people: [{ id: 'alice', name: 'Alice Example', identities: ['sip:alice@corp.example'], teams: ['support'], personal: ['bob'], blocked: ['mallory'] }, { id: 'carol' }],
        auth: { keys: [{ name: 'helpdesk', secret: '${HELPDESK_KEY}', roles: ['watcher'], person: 'carol' }] },
        connectors: [{ id: 'demo', kind: 'demo', interval: '5s' }],
      },
      { HELPDESK_KEY: 'hk-1234567890abcdef' },
    );
    expect(loaded.config.auth.keys[0]!.secret).toBe('hk-1234567890abcdef');
    expect(loaded.secrets).toEqual(['hk-1234567890abcdef']);
    expect(loaded.connectorConfigs.get('demo')).toMatchObject({ interval: 5000 });
    expect(Object.isFrozen(loaded.config)).toBe(true);
    // Durations default in seconds (30 s request timeout, 5 and 15 minute idle steps).
    expect(loaded.config.server.requestTimeout).toBe(30_000);
  });

  it.each([
    [{ server: { port: 'eighty' } }, /server\.port: /],
    [{ people: [{ id: 'a b' }] }, /people\[0\]\.id: a person id/],
    [{ people: [{ id: 'a' }, { id: 'a' }] }, /people\[1\]\.id: duplicate person a/],
    [{ connectors: [{ id: 'x', kind: 'nope' }] }, /connectors\[0\]\.kind: unknown connector kind nope \(known: .*demo/],
    [{ connectors: [{ id: 'd', kind: 'demo', interval: 'often' }] }, /connectors\[0\]\.interval: a duration like 30s/],
    [{ connectors: [{ id: 'd', kind: 'demo' }, { id: 'd', kind: 'demo' }] }, /connectors\[1\]\.id: duplicate id d/],
    [{ auth: { keys: [{ name: 'k', secret: 'literal-secret', roles: ['admin'] }] } }, /auth\.keys\[0\]\.secret: a secret must come from the environment/],
    [{ auth: { keys: [{ name: 'k', secret: '${UNSET_VAR}', roles: ['admin'] }] } }, /auth\.keys\[0\]\.secret: environment variable UNSET_VAR is not set/],
    [{ auth: { keys: [{ name: 'k', secret: '${K}', roles: ['admin'], person: 'ghost' }] } }, /auth\.keys\[0\]\.person: unknown person ghost/],
    [{ rules: { machine: { inactiveAfter: '20m', awayAfter: '10m' } } }, /rules\.machine\.awayAfter: must be longer than inactiveAfter/],
    [{ colour: 'blue' }, /colour/],
  ])('refuses %j naming the bad field', (raw, message) => {
    const msg = failure(raw, { K: 'some-key-value' });
    expect(msg).toMatch(message);
    expect(msg).not.toContain('literal-secret');
  });

  it('refuses a secret too short to be told apart from ordinary text, naming the field and the variable, never the value', () => {
    const ldap = (pw: string) => ({ connectors: [{ id: 'corp', kind: 'ldap-directory', url: 'ldap://ldap.corp.example', bindDn: 'cn=hub,dc=corp', bindPassword: `\${${pw}}`, baseDn: 'dc=corp' }] });
    const msg = failure(ldap('LDAP_PW'), { LDAP_PW: 'q7z' });
    expect(msg).toContain('connectors[0].bindPassword: the secret in LDAP_PW has 3 characters; a secret needs at least 4');
    expect(msg).not.toContain('q7z');
    expect(failure({ auth: { keys: [{ name: 'k', secret: '${K}', roles: ['admin'] }] } }, { K: 'x' })).toContain('auth.keys[0].secret: the secret in K has 1 character;');
    // The shortest accepted secret is redacted wherever text leaves the hub (here a log line).
    const loaded = parse(ldap('LDAP_PW'), { LDAP_PW: 'q7zk' });
    expect(loaded.secrets).toEqual(['q7zk']);
    const { log, lines } = capturingLogger('info', loaded.secrets);
    log.warn({ err: 'bind as cn=hub with q7zk refused' }, 'upstream said: q7zk is wrong');
    expect(lines.map((l) => l.raw).join('\n')).not.toContain('q7zk');
    expect(lines[0]!.raw).toContain('upstream said: [redacted] is wrong');
  });

  it('refuses a connector configuration with the path of the bad field', () => {
    expect(failure({ connectors: [{ id: 'd', kind: 'demo' }, { id: 'teams', kind: 'msgraph-presence' }] })).toMatch(/connectors\[1\]\.\w+/);
  });

  it('lists the environment overrides that run, and refuses a PORT that is no port', () => {
    const loaded = parseConfig({ server: { port: 8080 } }, { env: { PORT: '9090', NODE_ID: 'n2', LOG_LEVEL: ' Warn ', REDIS_URL: '' }, manifests: manifestsByKind });
    expect(loaded.config.server.port).toBe(8080); // the file as written; what runs is listed beside it
    expect(loaded.overrides).toEqual([
      { path: 'server.port', variable: 'PORT', value: 9090 },
      { path: 'node.id', variable: 'NODE_ID', value: 'n2' },
      { path: 'log.level', variable: 'LOG_LEVEL', value: 'warn' },
    ]);
    expect(parseConfig({}, { env: {}, manifests: manifestsByKind }).overrides).toEqual([]);
    for (const bad of ['http', '70000', '-1', '80.5']) {
      expect(() => parseConfig({}, { env: { PORT: bad }, manifests: manifestsByKind }), bad).toThrow(`PORT: must be a port number from 0 to 65535 (got ${JSON.stringify(bad)})`);
    }
  });

  it('reads YAML files and people from a CSV file next to it', () => {
    writeFileSync(join(dir, 'people.csv'), 'id,name,identities,teams\nalice,Alice,sip:alice@corp.example;tel:+15550101,support\nbob,"Bob, Jr.",sip:bob@corp.example,support\n');
    writeFileSync(join(dir, 'hub.yaml'), 'peopleFile: people.csv\nauth:\n  keys:\n    - {name: admin, secret: "${ADMIN}", roles: [admin]}\n');
    const loaded = loadConfigFile(join(dir, 'hub.yaml'), { env: { ADMIN: 'admin-key-1-abcdefgh' }, manifests: manifestsByKind });
    expect(loaded.people.map((p) => [p.id, p.name])).toEqual([['alice', 'Alice'], ['bob', 'Bob, Jr.']]);
    expect(loaded.people[0]!.identities).toEqual(['sip:alice@corp.example', 'tel:+15550101']);
  });

  it('names a YAML syntax error and a missing file', () => {
    writeFileSync(join(dir, 'bad.yaml'), 'server: [port\n');
    expect(() => loadConfigFile(join(dir, 'bad.yaml'), { manifests: manifestsByKind })).toThrow(/bad\.yaml is not valid YAML/);
    expect(() => loadConfigFile(join(dir, 'none.yaml'), { manifests: manifestsByKind })).toThrow(/cannot read configuration .*none\.yaml: ENOENT/);
  });
});

describe('triggers configuration', () => {
  const people = [{ id: 'p1' }, { id: 'p2' }, { id: 'p3' }];
  const hook = { type: 'webhook', url: 'https://conf.example/start', secret: '${CONF_SECRET}' };
  const env = { CONF_SECRET: 'conference-secret-0001' };

  it('reads a quorum trigger, its durations, and its secret from the environment', () => {
    const loaded = parse({ people, triggers: { rules: [{ id: 'standup', people: ['p1', 'p2', 'p3'], atLeast: 2, hysteresis: '1m', action: hook }] } }, env);
    expect(loaded.config.triggers.rules[0]).toMatchObject({ atLeast: 2, hysteresis: 60_000, classes: ['available'], action: { secret: 'conference-secret-0001' } });
    expect(loaded.secrets).toContain('conference-secret-0001');
    expect(loaded.config.triggers.watchers).toEqual({ expiry: 3_600_000, maxExpiry: 86_400_000, maxPerKey: 20, maxPeople: 50 });
  });

  it('refuses bad triggers with the path of the field', () => {
    const msg = failure(
      {
        people,
        triggers: {
          watchers: { expiry: '2d', maxExpiry: '1d' },
          rules: [
            { id: 'a', people: ['p1'], atLeast: 2, action: { type: 'sse' } },
            { id: 'b', people: ['p1'], team: 'x', action: { type: 'sse' } },
            { id: 'd', people: ['p1'], action: { type: 'mail' } },
            { id: 'e', people: ['p1'], classes: ['free'], action: { type: 'sse' } },
          ],
        },
      },
      env,
    );
    expect(msg).toContain('triggers.rules[0].atLeast: atLeast is more than the people listed');
    expect(msg).toContain('triggers.rules[1].people: give either people or team');
    expect(msg).toMatch(/triggers\.rules\[2\]\.action\.type: Invalid discriminator/);
    expect(msg).toMatch(/triggers\.rules\[3\]\.classes\[0\]/);
    const twice = { id: 'a', team: 'x', action: { type: 'sse' } };
    expect(failure({ people, triggers: { rules: [twice, twice] } })).toContain('triggers.rules[1].id: duplicate trigger id a');
    expect(failure({ people, triggers: { watchers: { expiry: '2d', maxExpiry: '1d' } } })).toContain('triggers.watchers.expiry: expiry is longer than maxExpiry');
  });

  it("refuses a trigger whose webhook the destination policy forbids, naming the trigger and the rule (the same policy as at delivery)", () => {
    const to = (url: string) => ({ id: 'standup', people: ['p1'], action: { ...hook, url } });
    expect(failure({ people, triggers: { rules: [to('http://169.254.169.254/latest/meta-data')] } }, env)).toContain(
      'triggers.rules[0].action.url: trigger standup: destination refused: 169.254.169.254 is a cloud metadata address',
    );
    expect(failure({ people, triggers: { rules: [{ ...to('https://conf.example/x'), id: 'ok' }, to('http://metadata.google.internal/')] } }, env)).toContain(
      'triggers.rules[1].action.url: trigger standup: destination refused: metadata.google.internal is a cloud metadata service',
    );
    const loopback = to('http://127.0.0.1:9000/start');
    expect(failure({ people, triggers: { rules: [loopback] } }, env)).toContain(
      'triggers.rules[0].action.url: trigger standup: destination refused: 127.0.0.1 is a loopback address; list it in webhooks.allowPrivateTargets to allow it',
    );
    // Allowed by the policy: loads. A host name is resolved and checked at creation and delivery, not at load.
    expect(parse({ people, webhooks: { allowPrivateTargets: ['127.0.0.1'] }, triggers: { rules: [loopback] } }, env).config.triggers.rules).toHaveLength(1);
    expect(parse({ people, triggers: { rules: [to('https://intranet.invalid/x')] } }, env).config.triggers.rules).toHaveLength(1);
  });

  it('refuses a literal webhook secret and a person nobody knows', () => {
    expect(failure({ people, triggers: { rules: [{ id: 'a', people: ['p1'], action: { ...hook, secret: 'literal-secret-0000001' } }] } })).toContain(
      'triggers.rules[0].action.secret: a secret must come from the environment',
    );
    expect(failure({ people, triggers: { rules: [{ id: 'a', people: ['p1', 'zed'], action: { type: 'sse' } }] } }, env)).toContain('triggers.rules[0].people[1]: unknown person zed');
  });
});
