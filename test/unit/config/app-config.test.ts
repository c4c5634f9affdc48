import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactedAmqpUrl } from '../../../src/config/app-config.js';

describe('configuration', () => {
  it('has the defaults of ICD 4', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      amqpUrl: 'amqp://guest:guest@127.0.0.1:5672',
      logLevel: 'info',
      topology: { exchange: 'cbp.mra.members', queue: 'cbp.risk.members' },
      maxMembers: 250_000,
      maxMessageAgeHours: 72,
      jwsAlgorithms: ['ES256', 'ES384', 'PS256', 'EdDSA'],
    });
    expect(config.dataDir.endsWith('/data')).toBe(true);
    expect(config.configDir.endsWith('/config')).toBe(true);
  });

  it('finds the console where npm run build writes it, whatever the working directory; CONSOLE_DIR moves it', () => {
    const root = path.resolve(import.meta.dirname, '../../..');
    expect(loadConfig({}).consoleDir).toBe(path.join(root, 'dist', 'console'));
    expect(loadConfig({ CONSOLE_DIR: 'elsewhere/console' }).consoleDir).toBe(path.resolve('elsewhere/console'));
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['AMQP_URL', 'http://broker'],
    ['AMQP_URL', 'not a url'],
    ['LOG_LEVEL', 'loud'],
    ['JWS_ALGORITHMS', 'ES256,HS256'],
    ['JWS_ALGORITHMS', 'none'],
    ['MAX_MEMBERS', '0'],
    ['AMQP_EXCHANGE', 'bad name with spaces'],
    ['RATE_LIMIT_PER_CLIENT_PER_MINUTE', '-1'],
    ['RATE_LIMIT_PER_ADMINISTRATION_PER_MINUTE', 'lots'],
    ['HEADERS_TIMEOUT_SECONDS', '0'],
    ['REQUEST_TIMEOUT_SECONDS', '10'],
    ['BODY_IDLE_TIMEOUT_SECONDS', '1.5'],
    ['MAX_ENCODED_BODY_BYTES', '12kb'],
    ['MAX_BODY_EXPANSION_RATIO', '0'],
    ['MAX_BUFFERED_BODY_BYTES', '2048'],
    ['MAX_CONCURRENT_LARGE_SUBMISSIONS', '0'],
    ['MAX_CONNECTIONS', '0'],
    ['PUBLIC_BASE_URL', 'mra-gateway.cbp.example'],
    ['PUBLIC_BASE_URL', 'ftp://mra-gateway.cbp.example'],
    ['PUBLIC_BASE_URL', 'https://mra-gateway.cbp.example/?x=1'],
  ])('refuses %s=%s, naming the field', (field, value) => {
    expect(() => loadConfig({ [field]: value })).toThrow(ConfigError);
    try {
      loadConfig({ [field]: value });
    } catch (error) {
      expect((error as ConfigError).field).toBe(field);
    }
  });

  it('has limits for hostile and slow clients, each of which can be set', () => {
    expect(loadConfig({})).toMatchObject({
      rateLimits: { perClientPerMinute: 600, perAdministrationPerMinute: 120 },
      timeouts: { headersMs: 30_000, requestMs: 600_000, bodyIdleMs: 30_000 },
    });
    const set = loadConfig({
      RATE_LIMIT_PER_CLIENT_PER_MINUTE: '0',
      RATE_LIMIT_PER_ADMINISTRATION_PER_MINUTE: '5',
      HEADERS_TIMEOUT_SECONDS: '5',
      REQUEST_TIMEOUT_SECONDS: '5',
      BODY_IDLE_TIMEOUT_SECONDS: '2',
    });
    expect(set).toMatchObject({ rateLimits: { perClientPerMinute: 0, perAdministrationPerMinute: 5 }, timeouts: { headersMs: 5_000, requestMs: 5_000, bodyIdleMs: 2_000 } });
  });

  it('bounds what a request may cost before its sender is known, each bound settable', () => {
    expect(loadConfig({})).toMatchObject({
      bodyLimits: { maxBytes: 200 * 1024 * 1024, maxEncodedBytes: 64 * 1024 * 1024, maxExpansionRatio: 200, maxBufferedBytes: 512 * 1024 * 1024, maxConcurrentLarge: 2 },
      maxConnections: 512,
      publicBaseUrl: undefined,
    });
    const set = loadConfig({
      MAX_BODY_BYTES: '1048576',
      MAX_ENCODED_BODY_BYTES: '4096',
      MAX_BODY_EXPANSION_RATIO: '20',
      MAX_BUFFERED_BODY_BYTES: '2097152',
      MAX_CONCURRENT_LARGE_SUBMISSIONS: '1',
      MAX_CONNECTIONS: '64',
      PUBLIC_BASE_URL: 'https://mra-gateway.cbp.example/',
    });
    expect(set).toMatchObject({
      bodyLimits: { maxBytes: 1_048_576, maxEncodedBytes: 4096, maxExpansionRatio: 20, maxBufferedBytes: 2_097_152, maxConcurrentLarge: 1 },
      maxConnections: 64,
      publicBaseUrl: 'https://mra-gateway.cbp.example',
    });
    // A buffer budget below one body could never hold the largest list.
    expect(() => loadConfig({ MAX_BODY_BYTES: '4194304', MAX_BUFFERED_BODY_BYTES: '2097152' })).toThrow(ConfigError);
  });

  it('never shows the broker password in logs', () => {
    expect(redactedAmqpUrl('amqp://cbp:s3cret@broker:5672/vhost')).not.toContain('s3cret');
  });

  describe('AMQP_URL with several broker nodes', () => {
    it('is one node by default, and amqpUrl is that node', () => {
      expect(loadConfig({})).toMatchObject({ amqpUrls: ['amqp://guest:guest@127.0.0.1:5672'], amqpUrl: 'amqp://guest:guest@127.0.0.1:5672' });
    });

    it('takes a comma-separated list in order, spaces around the commas ignored; amqpUrl is the first', () => {
      const config = loadConfig({ AMQP_URL: 'amqp://cbp:one@10.0.0.1:5672/mra, amqps://cbp:two@10.0.0.2:5671/mra ,amqp://10.0.0.3' });
      expect(config.amqpUrls).toEqual(['amqp://cbp:one@10.0.0.1:5672/mra', 'amqps://cbp:two@10.0.0.2:5671/mra', 'amqp://10.0.0.3']);
      expect(config.amqpUrl).toBe('amqp://cbp:one@10.0.0.1:5672/mra');
    });

    it.each([
      ['amqp://a:5672,,amqp://c:5672', 'node 2 is empty'],
      ['amqp://a:5672,', 'node 2 is empty'],
      [',amqp://b:5672', 'node 1 is empty'],
      ['amqp://a:5672, ', 'node 2 is empty'],
      ['amqp://a:5672,http://b', 'node 2 scheme must be amqp or amqps, not http:'],
      ['amqp://a:5672,amqp://b:5672,not a url', 'node 3 is not a URL'],
      ['   ', 'the URL is empty'],
    ])('refuses %j, naming the position', (value, message) => {
      expect(() => loadConfig({ AMQP_URL: value })).toThrow(new ConfigError('AMQP_URL', message));
    });

    it('never says a password when it refuses the list', () => {
      let refused: unknown;
      try {
        loadConfig({ AMQP_URL: 'amqp://cbp:s3cret@a:5672,ftp://cbp:s3cret@b' });
      } catch (error) {
        refused = error;
      }
      expect(refused).toBeInstanceOf(ConfigError);
      expect((refused as ConfigError).message).not.toContain('s3cret');
    });

    it('redacts every password of a list', () => {
      const redacted = redactedAmqpUrl('amqp://cbp:s3cret@10.0.0.1:5672/mra,amqps://ops:t0psecret@10.0.0.2:5671,amqp://10.0.0.3');
      expect(redacted).toBe('amqp://cbp:***@10.0.0.1:5672/mra,amqps://ops:***@10.0.0.2:5671,amqp://10.0.0.3');
    });
  });
});
