/* Generated from schemas/ by `npm run generate:types`. Do not edit by hand. */

/**
 * The gateway's registry of Mutual Recognition Arrangements (CONFIG_DIR/mras.json). Read at start-up; a bad file stops the gateway.
 */
export interface MraRegistry {
  $schema?: string;
  /**
   * @minItems 1
   */
  arrangements: [Arrangement, ...Arrangement[]];
}
/**
 * This interface was referenced by `MraRegistry`'s JSON-Schema
 * via the `definition` "arrangement".
 */
export interface Arrangement {
  /**
   * Partner registry code used in messages and routing keys.
   */
  code: string;
  administration: string;
  program: string;
  /**
   * Year and month the MRA was signed.
   */
  signedOn: string;
  /**
   * active: signed and in implementation, member lists flow. suspended or terminated: submissions are refused.
   */
  status: 'active' | 'suspended' | 'terminated';
  /**
   * ISO 3166-1 alpha-2 codes where this administration's members may be located.
   *
   * @minItems 1
   */
  countries: [string, ...string[]];
  /**
   * Every certificate type the partner program issues; a member with another type is refused.
   *
   * @minItems 1
   */
  certificateTypes: [string, ...string[]];
  /**
   * The certificate types within the MRA's security scope (a subset of certificateTypes).
   */
  recognizedCertificateTypes: string[];
  notes?: string;
}
