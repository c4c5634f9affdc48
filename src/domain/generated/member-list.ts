/* Generated from schemas/ by `npm run generate:types`. Do not edit by hand. */

/**
 * This interface was referenced by `MemberList`'s JSON-Schema
 * via the `definition` "idScheme".
 */
export type IdScheme = 'EORI' | 'BN' | 'RFC' | 'UEN' | 'CNPJ' | 'PAN' | 'JCN' | 'OTHER';
/**
 * This interface was referenced by `MemberList`'s JSON-Schema
 * via the `definition` "status".
 */
export type Status = 'certified' | 'suspended' | 'revoked' | 'withdrawn';
/**
 * This interface was referenced by `MemberList`'s JSON-Schema
 * via the `definition` "role".
 */
export type Role =
  | 'manufacturer'
  | 'exporter'
  | 'importer'
  | 'carrier'
  | 'forwarder'
  | 'warehouse'
  | 'customs-broker'
  | 'port-operator'
  | 'other';
/**
 * Free text: a name (address lines, city and region follow the same rule). Refused, never cleaned or passed on: unpaired surrogates (such as the JSON escape \ud800 alone: not well-formed Unicode, and strict consumers such as PostgreSQL jsonb reject the record), control characters U+0000-U+001F and U+007F-U+009F and the separators U+2028 and U+2029 (they break lines and fields in logs and exports), and the bidirectional formatting characters U+202A-U+202E and U+2066-U+2069 (they can make a name display in another order than it is stored in). The pattern needs Unicode regular expressions (the u flag, which JSON Schema 2020-12 recommends), under which [\ud800-\udfff] matches only unpaired surrogates.
 *
 * This interface was referenced by `MemberList`'s JSON-Schema
 * via the `definition` "boundedText".
 */
export type BoundedText = string;
/**
 * This interface was referenced by `MemberList`'s JSON-Schema
 * via the `definition` "calendarDate".
 */
export type CalendarDate = string;
/**
 * The member's identifier under idScheme, as the partner issues it.
 *
 * This interface was referenced by `MemberList`'s JSON-Schema
 * via the `definition` "memberId".
 */
export type MemberId = string;

/**
 * A partner administration's list of trusted-trader (AEO) members, the payload of a signed submission (contract.md section 1). A snapshot is the complete current list; a delta carries only changed members and removals.
 */
export interface MemberList {
  specVersion: '1.0';
  /**
   * Unique per administration; resending the same messageId with the same signed payload (however it is signed or serialized) is an idempotent replay.
   */
  messageId: string;
  /**
   * Registry code of the sending administration, e.g. JP or EU.
   */
  administration: string;
  issuedAt: string;
  kind: 'snapshot' | 'delta';
  /**
   * Increasing per administration; a message whose sequence is not above the last accepted one is refused.
   */
  sequence?: number;
  /**
   * @maxItems 250000
   */
  members: unknown[];
}
/**
 * This interface was referenced by `MemberList`'s JSON-Schema
 * via the `definition` "address".
 */
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
 * This interface was referenced by `MemberList`'s JSON-Schema
 * via the `definition` "member".
 */
export interface Member {
  memberId: MemberId;
  idScheme: IdScheme;
  legalName: BoundedText;
  /**
   * @maxItems 20
   */
  tradeNames?: BoundedText[];
  address: Address;
  /**
   * @minItems 1
   */
  roles: [Role, ...Role[]];
  status: Status;
  statusSince: CalendarDate;
  certifiedOn: CalendarDate;
  lastValidatedOn?: CalendarDate;
  /**
   * Program-specific certificate type, e.g. AEOS, AEOF, AEOC.
   */
  certificateType: string;
  /**
   * Manufacturer Identification Codes the partner knows for this member.
   *
   * @maxItems 20
   */
  mids?: string[];
}
/**
 * In a delta only: the member is no longer in the program's list.
 *
 * This interface was referenced by `MemberList`'s JSON-Schema
 * via the `definition` "removal".
 */
export interface Removal {
  memberId: MemberId;
  removed: true;
}
