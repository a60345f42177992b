/**
 * der: the few pieces of ASN.1 DER that client TLS needs — a writer for the self-signed
 * certificate of `--auto-tls` and a reader for the revoked serials of a `--client-crl-file`.
 *
 * Not a general ASN.1 library: definite lengths only, the universal types X.509 uses, no
 * schema. Values are Buffers of whole TLV encodings, so encoders compose by concatenation.
 */

/** DerTag is the identifier octet of the types used here. */
export const DerTag = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** tlv encodes one value: tag, DER length, contents. */
export function tlv(tag: number, contents: Buffer): Buffer {
  const length = contents.length;
  let header: Buffer;
  if (length < 0x80) header = Buffer.from([tag, length]);
  else {
    const bytes: number[] = [];
    for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
    header = Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([header, contents]);
}

/** sequence encodes a SEQUENCE of already encoded values. */
export function sequence(...items: Buffer[]): Buffer {
  return tlv(DerTag.SEQUENCE, Buffer.concat(items));
}

/** set encodes a SET of already encoded values (callers pass them in DER order). */
export function set(...items: Buffer[]): Buffer {
  return tlv(DerTag.SET, Buffer.concat(items));
}

/** integer encodes a non-negative INTEGER given as big-endian magnitude bytes or a small number. */
export function integer(value: Buffer | number): Buffer {
  let bytes = value;
  if (typeof bytes === "number") {
    const hex = bytes.toString(16);
    bytes = Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, "hex");
  }
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  bytes = bytes.subarray(start);
  if (bytes.length === 0) bytes = Buffer.from([0]);
  // A set top bit would read as negative: prefix a zero byte.
  if ((bytes[0]! & 0x80) !== 0) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(DerTag.INTEGER, bytes);
}

/** oid encodes an OBJECT IDENTIFIER written in dotted form ("1.2.840.10045.4.3.4"). */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split(".").map(Number);
  if (arcs.length < 2 || arcs.some((arc) => !Number.isSafeInteger(arc) || arc < 0)) throw new Error(`der: bad OID ${dotted}`);
  const out: number[] = [];
  const base128 = (value: number): void => {
    const digits = [value & 0x7f];
    for (let rest = Math.floor(value / 128); rest > 0; rest = Math.floor(rest / 128)) digits.unshift((rest & 0x7f) | 0x80);
    out.push(...digits);
  };
  base128(arcs[0]! * 40 + arcs[1]!);
  for (const arc of arcs.slice(2)) base128(arc);
  return tlv(DerTag.OID, Buffer.from(out));
}

/** bitString encodes a BIT STRING of whole bytes, or with `unusedBits` trailing bits unused. */
export function bitString(bytes: Buffer, unusedBits = 0): Buffer {
  return tlv(DerTag.BIT_STRING, Buffer.concat([Buffer.from([unusedBits]), bytes]));
}

/** octetString encodes an OCTET STRING. */
export function octetString(bytes: Buffer): Buffer {
  return tlv(DerTag.OCTET_STRING, bytes);
}

/** printableOrUtf8 encodes text as PrintableString when it fits that alphabet, else UTF8String (as Go does). */
export function printableOrUtf8(text: string): Buffer {
  const printable = /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(text);
  return tlv(printable ? DerTag.PRINTABLE_STRING : DerTag.UTF8_STRING, Buffer.from(text, "utf8"));
}

/** time encodes an X.509 Time: UTCTime for 1950–2049, GeneralizedTime otherwise (RFC 5280). */
export function time(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) return tlv(DerTag.UTC_TIME, Buffer.from(digits.slice(2), "ascii"));
  return tlv(DerTag.GENERALIZED_TIME, Buffer.from(digits, "ascii"));
}

/** explicit wraps an encoded value in a context-specific constructed tag `[n] EXPLICIT`. */
export function explicit(n: number, value: Buffer): Buffer {
  return tlv(0xa0 | n, value);
}

/** implicitPrimitive encodes contents under a context-specific primitive tag `[n] IMPLICIT`. */
export function implicitPrimitive(n: number, contents: Buffer): Buffer {
  return tlv(0x80 | n, contents);
}

/** DerNode is one decoded value: its tag, its contents, and where it ends in the input. */
export interface DerNode {
  readonly tag: number;
  readonly contents: Buffer;
  /** end is the offset just past this value in the buffer it was read from. */
  readonly end: number;
}

/** readTlv decodes the value starting at `offset`; throws on truncated or non-DER lengths. */
export function readTlv(buffer: Buffer, offset = 0): DerNode {
  if (offset + 2 > buffer.length) throw new Error("der: truncated value");
  const tag = buffer[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new Error("der: multi-byte tags are not supported");
  let length = buffer[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new Error("der: unsupported length");
    if (start + count > buffer.length) throw new Error("der: truncated length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buffer[start + i]!;
    start += count;
  }
  const end = start + length;
  if (end > buffer.length) throw new Error("der: truncated value");
  return { tag, contents: buffer.subarray(start, end), end };
}

/** children decodes the values inside a constructed value's contents. */
export function children(contents: Buffer): DerNode[] {
  const out: DerNode[] = [];
  for (let offset = 0; offset < contents.length; ) {
    const node = readTlv(contents, offset);
    out.push(node);
    offset = node.end;
  }
  return out;
}

/** pemBlocks returns the base64-decoded bodies of the PEM blocks of a given label. */
export function pemBlocks(text: string, label: string): Buffer[] {
  const pattern = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, "g");
  return [...text.matchAll(pattern)].map((match) => Buffer.from(match[1]!.replace(/\s+/g, ""), "base64"));
}

/** pem writes DER bytes as a PEM block, 64 characters a line. */
export function pem(label: string, der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
