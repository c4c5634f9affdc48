import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/app-config.js';

describe('INSTANCE_HEARTBEAT_SECONDS', () => {
  it('defaults to 10 seconds', () => {
    expect(loadConfig({}).instanceHeartbeatMs).toBe(10_000);
  });

  it('takes a whole number of seconds', () => {
    expect(loadConfig({ INSTANCE_HEARTBEAT_SECONDS: '1' }).instanceHeartbeatMs).toBe(1_000);
  });

  it.each(['0', '301', 'often', '2.5'])('refuses %s, naming the field', (value) => {
    try {
      loadConfig({ INSTANCE_HEARTBEAT_SECONDS: value });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).field).toBe('INSTANCE_HEARTBEAT_SECONDS');
    }
  });
});
