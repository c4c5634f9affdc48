import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/app-config.js';

describe('READY_MAX_BACKLOG_AGE_SECONDS', () => {
  it('defaults to 300 seconds', () => {
    expect(loadConfig({}).readyMaxBacklogAgeSeconds).toBe(300);
  });

  it('takes a whole number of seconds', () => {
    expect(loadConfig({ READY_MAX_BACKLOG_AGE_SECONDS: '60' }).readyMaxBacklogAgeSeconds).toBe(60);
  });

  it.each(['0', '-5', 'ten', '1.5', String(7 * 86_400 + 1)])('refuses %s, naming the field', (value) => {
    expect(() => loadConfig({ READY_MAX_BACKLOG_AGE_SECONDS: value })).toThrow(ConfigError);
    try {
      loadConfig({ READY_MAX_BACKLOG_AGE_SECONDS: value });
    } catch (error) {
      expect((error as ConfigError).field).toBe('READY_MAX_BACKLOG_AGE_SECONDS');
    }
  });
});
