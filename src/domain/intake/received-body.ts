/**
 * A member-list body as the transport hands it to the intake, which takes it over: the intake reads it
 * once (the signature, the digests, the size) and lets it go, so that a 113 MB list's body is not held
 * while its members are prepared and stored. The transport keeps no reference of its own.
 */
export class ReceivedBody {
  constructor(private bytes: Buffer | undefined) {}

  /** The bytes, once; the holder is empty afterwards. */
  take(): Buffer {
    const bytes = this.bytes;
    if (bytes === undefined) throw new Error('the request body was already taken');
    this.bytes = undefined;
    return bytes;
  }
}
