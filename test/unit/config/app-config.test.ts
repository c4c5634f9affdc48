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
  ])('refuses %s=%s, naming the field', (field, value) => {
    expect(() => loadConfig({ [field]: value })).toThrow(ConfigError);
    try {
      loadConfig({ [field]: value });
    } catch (error) {
      expect((error as ConfigError).field).toBe(field);
    }
  });

  it('never shows the broker password in logs', () => {
    expect(redactedAmqpUrl('amqp://cbp:s3cret@broker:5672/vhost')).not.toContain('s3cret');
  });
});
