/* Generated from schemas/ by `npm run generate:types`. Do not edit by hand. */

/**
 * One change to one partner-program member, as published on the cbp.mra.members exchange (contract.md section 2).
 */
export interface MemberRecord {
  /**
   * 1.0, or 1.1 (gateway 0.3.0 on): 1.1 adds member.version, an additive change.
   */
  specVersion: '1.0' | '1.1';
  /**
   * Stable across redeliveries; equals the AMQP messageId. De-duplicate on it.
   */
  eventId: string;
  change: 'added' | 'updated' | 'status-changed' | 'removed';
  /**
   * When the gateway accepted the message that carried the change.
   */
  occurredAt: string;
  administration: {
    code: string;
    name: string;
    program: string;
    /**
     * Year and month the MRA was signed.
     */
    mraSignedOn: string;
  };
  member: Member;
  /**
   * For updated and status-changed: the member fields that changed, with their old values (null where the field was absent).
   */
  previous?: {
    /**
     * Free text: a name (address lines, city and region follow the same rule). Refused, never cleaned or passed on: unpaired surrogates (such as the JSON escape \ud800 alone: not well-formed Unicode, and strict consumers such as PostgreSQL jsonb reject the record), control characters U+0000-U+001F and U+007F-U+009F and the separators U+2028 and U+2029 (they break lines and fields in logs and exports), and the bidirectional formatting characters U+202A-U+202E and U+2066-U+2069 (they can make a name display in another order than it is stored in). The pattern needs Unicode regular expressions (the u flag, which JSON Schema 2020-12 recommends), under which [\ud800-\udfff] matches only unpaired surrogates.
     */
    legalName?: string;
    /**
     * Items: Free text: a name (address lines, city and region follow the same rule). Refused, never cleaned or passed on: unpaired surrogates (such as the JSON escape \ud800 alone: not well-formed Unicode, and strict consumers such as PostgreSQL jsonb reject the record), control characters U+0000-U+001F and U+007F-U+009F and the separators U+2028 and U+2029 (they break lines and fields in logs and exports), and the bidirectional formatting characters U+202A-U+202E and U+2066-U+2069 (they can make a name display in another order than it is stored in). The pattern needs Unicode regular expressions (the u flag, which JSON Schema 2020-12 recommends), under which [\ud800-\udfff] matches only unpaired surrogates.
     */
    tradeNames?: string[];
    idScheme?: string;
    idCheck?: string;
    address?: Address;
    roles?: string[];
    status?: string;
    statusSince?: string;
    certifiedOn?: string;
    lastValidatedOn?: string | null;
    certificateType?: string;
    recognized?: boolean;
    mids?: Mid[];
  };
  source: {
    messageId: string;
    receivedAt: string;
    /**
     * Key that signed the submission.
     */
    kid: string;
    /**
     * SHA-256 (base64url) of the submission's exact body bytes.
     */
    digest: string;
    sequence: number | null;
  };
}
/**
 * This interface was referenced by `MemberRecord`'s JSON-Schema
 * via the `definition` "member".
 */
export interface Member {
  /**
   * <ADMINISTRATION>:<memberId>, unique across administrations.
   */
  key: string;
  memberId: string;
  idScheme: string;
  /**
   * Result of the scheme's identifier check.
   */
  idCheck: 'valid' | 'invalid' | 'unchecked';
  /**
   * Free text: a name (address lines, city and region follow the same rule). Refused, never cleaned or passed on: unpaired surrogates (such as the JSON escape \ud800 alone: not well-formed Unicode, and strict consumers such as PostgreSQL jsonb reject the record), control characters U+0000-U+001F and U+007F-U+009F and the separators U+2028 and U+2029 (they break lines and fields in logs and exports), and the bidirectional formatting characters U+202A-U+202E and U+2066-U+2069 (they can make a name display in another order than it is stored in). The pattern needs Unicode regular expressions (the u flag, which JSON Schema 2020-12 recommends), under which [\ud800-\udfff] matches only unpaired surrogates.
   */
  legalName: string;
  /**
   * Items: Free text: a name (address lines, city and region follow the same rule). Refused, never cleaned or passed on: unpaired surrogates (such as the JSON escape \ud800 alone: not well-formed Unicode, and strict consumers such as PostgreSQL jsonb reject the record), control characters U+0000-U+001F and U+007F-U+009F and the separators U+2028 and U+2029 (they break lines and fields in logs and exports), and the bidirectional formatting characters U+202A-U+202E and U+2066-U+2069 (they can make a name display in another order than it is stored in). The pattern needs Unicode regular expressions (the u flag, which JSON Schema 2020-12 recommends), under which [\ud800-\udfff] matches only unpaired surrogates.
   */
  tradeNames: string[];
  address: Address;
  roles: string[];
  status: 'certified' | 'suspended' | 'revoked' | 'withdrawn';
  statusSince: string;
  certifiedOn: string;
  lastValidatedOn: string | null;
  certificateType: string;
  /**
   * True when CBP may extend MRA benefits to this member now: its certificate type is within the arrangement's security scope and its status is certified.
   */
  recognized: boolean;
  mids: Mid[];
  /**
   * Present from specVersion 1.1: 1 for the member's first record, one more for each change (its removal included). Keep the highest version applied per member key and ignore a record at or below it; a jump of more than one is a gap.
   */
  version?: number;
}
export interface Address {
  /**
   * @minItems 1
   * @maxItems 4
   */
  lines: [string, ...string[]];
  city: string;
  region?: string;
  postalCode?: string;
  /**
   * ISO 3166-1 alpha-2.
   */
  country: string;
}
/**
 * This interface was referenced by `MemberRecord`'s JSON-Schema
 * via the `definition` "mid".
 */
export interface Mid {
  value: string;
  /**
   * partner: sent by the administration; derived: computed by the gateway from name and address (a candidate only).
   */
  source: 'partner' | 'derived';
}
