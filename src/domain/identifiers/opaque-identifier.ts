import { malformed, unchecked } from './id-check-result.js';
import type { IdCheckResult } from './id-check-result.js';

/**
 * Identifiers of schemes the gateway does not model (Korea, Jordan, Israel, ...: scheme `OTHER`), taken as
 * opaque strings: 1 to 64 characters of `A-Z a-z 0-9 & Ñ . _ : / -`, starting with a letter or digit. Case
 * is kept as sent, since the gateway cannot know whether the partner's scheme is case-sensitive. Nothing can
 * be checked, so a well-formed value is `unchecked`.
 *
 * Decisions:
 * - `Ñ` counts as a letter and may start the value; `&` may not, although the member-list schema lets it
 *   (it needs it for RFCs like `&&&030828PX7`): no opaque identifier is known to start with a symbol.
 * - Length is counted in characters; `Ñ` must be the precomposed U+00D1 (Unicode NFC).
 */

const OPAQUE_SHAPE = /^[A-Za-z0-9Ñ][A-Za-z0-9&Ñ._:/-]{0,63}$/;

/**
 * Checks an identifier of scheme `OTHER`.
 *
 * @returns `unchecked` when the value fits the opaque shape, `malformed` otherwise.
 */
export function checkOpaqueIdentifier(value: string): IdCheckResult {
  return OPAQUE_SHAPE.test(value)
    ? unchecked()
    : malformed('an identifier is 1 to 64 characters of A-Z, a-z, 0-9, &, Ñ, ".", "_", ":", "/", "-", starting with a letter or digit');
}
