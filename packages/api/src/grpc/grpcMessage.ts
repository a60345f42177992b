/**
 * The `grpc-message` header: a status's text, percent-encoded (PROTOCOL-HTTP2.md: the UTF-8
 * bytes of the text, each byte outside printable ASCII 0x20-0x7E, and `%` itself, written
 * as `%XX`).
 *
 * Encoding is strict; decoding is lenient, as the spec asks of receivers: a `%` not followed
 * by two hex digits is kept as it is, bytes that are not UTF-8 become U+FFFD, and a raw
 * non-ASCII character (not allowed, sent by some peers anyway) is kept. Decoding never throws,
 * unlike `decodeURIComponent`.
 */

const PERCENT = 0x25;

/** encodeGrpcMessage percent-encodes a status text for the `grpc-message` header. */
export function encodeGrpcMessage(message: string): string {
  if (isPlain(message)) return message;
  let out = "";
  for (const byte of Buffer.from(message, "utf8")) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== PERCENT ? String.fromCharCode(byte) : `%${byte < 0x10 ? "0" : ""}${byte.toString(16).toUpperCase()}`;
  }
  return out;
}

/** isPlain: every character is printable ASCII but `%`, so the text is its own encoding. */
function isPlain(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === PERCENT) return false;
  }
  return true;
}

const utf8 = new TextDecoder("utf-8", { fatal: false });
const utf8Encoder = new TextEncoder();

const hexValue = (c: number): number => (c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 0x37 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1);

/**
 * decodeGrpcMessage reads a `grpc-message` value back into the status text: `%XX` escapes
 * (either case) become bytes, the bytes are read as UTF-8 (invalid sequences become
 * U+FFFD), and anything malformed is kept as it is.
 */
export function decodeGrpcMessage(value: string): string {
  if (!value.includes("%")) return value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === PERCENT && i + 2 < value.length) {
      const high = hexValue(value.charCodeAt(i + 1));
      const low = hexValue(value.charCodeAt(i + 2));
      if (high >= 0 && low >= 0) {
        bytes.push(high * 16 + low);
        i += 2;
        continue;
      }
    }
    if (c < 0x80) {
      bytes.push(c);
      continue;
    }
    // A raw non-ASCII character: its UTF-8 bytes (a surrogate pair taken whole).
    const end = c >= 0xd800 && c <= 0xdbff && i + 1 < value.length ? i + 2 : i + 1;
    for (const byte of utf8Encoder.encode(value.slice(i, end))) bytes.push(byte);
    i = end - 1;
  }
  return utf8.decode(new Uint8Array(bytes));
}
