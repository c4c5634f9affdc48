import { describe, expect, it } from 'vitest';
import { checkIdentifier } from '../../../src/domain/identifiers/identifier-check.js';
import type { IdScheme } from '../../../src/domain/identifiers/identifier-check.js';

describe('checkIdentifier', () => {
  it.each<{ scheme: IdScheme; administration: string; value: string; outcome: string }>([
    { scheme: 'EORI', administration: 'EU', value: 'DE123456789012345', outcome: 'unchecked' },
    { scheme: 'EORI', administration: 'GB', value: 'XI123456789000', outcome: 'unchecked' },
    { scheme: 'EORI', administration: 'EU', value: 'XI123456789000', outcome: 'malformed' },
    { scheme: 'BN', administration: 'CA', value: '123026635RC0001', outcome: 'valid' },
    { scheme: 'BN', administration: 'CA', value: '123456783', outcome: 'invalid' },
    { scheme: 'RFC', administration: 'MX', value: 'GODE561231GR8', outcome: 'valid' },
    { scheme: 'UEN', administration: 'SG', value: 'S16FC0121D', outcome: 'valid' },
    { scheme: 'CNPJ', administration: 'BR', value: '12ABC34501DE35', outcome: 'valid' },
    { scheme: 'CNPJ', administration: 'BR', value: '16.727.230/0001-97', outcome: 'malformed' },
    { scheme: 'PAN', administration: 'IN', value: 'ABCCD1234E', outcome: 'unchecked' },
    { scheme: 'JCN', administration: 'JP', value: '7000012050002', outcome: 'valid' },
    { scheme: 'OTHER', administration: 'KR', value: 'KR-AEO-2010-0001', outcome: 'unchecked' },
  ])('$scheme $value from $administration is $outcome', ({ scheme, administration, value, outcome }) => {
    expect(checkIdentifier(scheme, value, { administration }).outcome).toBe(outcome);
  });

  it('rejects a scheme outside IdScheme as malformed, for callers that skipped the schema', () => {
    expect(checkIdentifier('VAT' as IdScheme, 'DE123', { administration: 'EU' }).outcome).toBe('malformed');
  });

  it.each([
    { outcome: 'invalid', scheme: 'BN' as const, value: '123456783' },
    { outcome: 'malformed', scheme: 'PAN' as const, value: 'ABCDE1234F' },
  ])('gives a reason when $outcome', ({ scheme, value }) => {
    expect(checkIdentifier(scheme, value, { administration: 'XX' })).toHaveProperty('reason', expect.any(String));
  });
});
