import { describe, expect, it } from 'vitest';
import type { ArrangementStatus } from '../../../src/domain/arrangement.js';
import { ArrangementRegistry } from '../../../src/domain/arrangement.js';
import { checkStatusChange } from '../../../src/domain/arrangement-status.js';
import type { GatewayError } from '../../../src/domain/gateway-error.js';

const transitions: [ArrangementStatus, ArrangementStatus, 'allowed' | 'refused'][] = [
  ['active', 'suspended', 'allowed'],
  ['active', 'terminated', 'allowed'],
  ['suspended', 'active', 'allowed'],
  ['suspended', 'terminated', 'allowed'],
  ['active', 'active', 'refused'],
  ['suspended', 'suspended', 'refused'],
  ['terminated', 'active', 'refused'],
  ['terminated', 'suspended', 'refused'],
  ['terminated', 'terminated', 'refused'],
];

describe('arrangement status changes', () => {
  for (const [from, to, expected] of transitions) {
    it(`${from} -> ${to} is ${expected}`, () => {
      let thrown: unknown;
      try {
        checkStatusChange('EU', from, to);
      } catch (error) {
        thrown = error;
      }
      if (expected === 'allowed') expect(thrown).toBeUndefined();
      else expect(thrown).toMatchObject({ code: 'invalid-state-transition', status: 409 } satisfies Partial<GatewayError>);
    });
  }

  it('the registry applies a change at once and remembers the configured status', () => {
    const registry = new ArrangementRegistry([
      { code: 'EU', administration: 'European Union', program: 'AEO', signedOn: '2012-05', status: 'active', countries: ['DE'], certificateTypes: ['AEOS'], recognizedCertificateTypes: ['AEOS'] },
    ]);
    const now = new Date('2026-01-01T00:00:00Z');
    expect(registry.isActive('EU', now)).toBe(true);
    registry.applyStatus('EU', 'suspended');
    expect(registry.isActive('EU', now)).toBe(false);
    expect(registry.find('EU')?.status).toBe('suspended');
    expect(registry.configuredStatus('EU')).toBe('active');
    registry.applyStatus('EU', 'active');
    expect(registry.isActive('EU', now)).toBe(true);
    expect(() => registry.applyStatus('XX', 'active')).toThrow();
  });
});
