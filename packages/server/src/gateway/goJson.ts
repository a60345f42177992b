/**
 * goJson: JSON reading and writing the way Go's encoding/json does it, for the gateway.
 *
 * etcd's gateway answers a malformed body with Go's own error text ("invalid character 'b'
 * looking for beginning of object key string", "unexpected EOF"), keeps number literals
 * exactly as written (int64 values beyond 2^53), lets the last of two equal keys win, and
 * writes strings with Go's escaping (`<`, `>`, `&`, U+2028/U+2029 as \u escapes). This file
 * reproduces those; JSON.parse / JSON.stringify differ on each point.
 *
 * Not here: the protobuf mapping (see JsonMapping.ts).
 */

/** JsonValue is a parsed JSON value; strings keep their raw text, numbers their literal. */
export type JsonValue =
  | { readonly kind: "object"; readonly fields: Map<string, JsonValue> }
  | { readonly kind: "array"; readonly items: JsonValue[] }
  | { readonly kind: "string"; readonly value: string; /** raw is the text between the quotes, escapes untouched. */ readonly raw: string }
  | { readonly kind: "number"; readonly raw: string }
  | { readonly kind: "bool"; readonly value: boolean }
  | { readonly kind: "null" };

/** JsonSyntaxError carries Go's message for malformed JSON. */
export class JsonSyntaxError extends Error {
  override name = "JsonSyntaxError";
}

/** Thrown internally when the input ends inside a value. */
class EndOfInput extends Error {}

/** DecodeResult is one step of a Go `json.Decoder` over a buffer that may still grow. */
export type DecodeResult =
  | { readonly kind: "value"; readonly value: JsonValue; readonly end: number }
  /** eof: nothing but whitespace from the offset on. */
  | { readonly kind: "eof" }
  /** incomplete: the value goes on past the bytes received so far. */
  | { readonly kind: "incomplete" };

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

/** quoteChar formats a byte as Go's scanner errors do: `'x'`, `'\n'`, `'\x01'`. */
export function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return "'\"'";
  const quoted = goQuote(String.fromCharCode(c));
  return `'${quoted.slice(1, -1)}'`;
}

/** isGoPrint approximates unicode.IsPrint for the characters our messages can hold. */
function isGoPrint(code: number): boolean {
  if (code < 0x20 || code === 0x7f) return false;
  if (code >= 0x80 && code <= 0xa0) return false;
  if (code === 0xad) return false;
  return !/[\p{C}\p{Z}]/u.test(String.fromCodePoint(code)) || code === 0x20;
}

/** goQuote is Go's strconv.Quote (and fmt's %q) for a string. */
export function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (isGoPrint(code)) out += ch;
    else if (code === 0x07) out += "\\a";
    else if (code === 0x08) out += "\\b";
    else if (code === 0x0c) out += "\\f";
    else if (code === 0x0a) out += "\\n";
    else if (code === 0x0d) out += "\\r";
    else if (code === 0x09) out += "\\t";
    else if (code === 0x0b) out += "\\v";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else if (code < 0x10000) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += `\\U${code.toString(16).padStart(8, "0")}`;
  }
  return `${out}"`;
}

/** Go's encoding/json nesting limit (maxNestingDepth). */
const MAX_NESTING_DEPTH = 10_000;

/** An object or array being read: its members so far (and, for an object, the key of the next one). */
type Container = { readonly fields: Map<string, JsonValue>; key: string } | { readonly items: JsonValue[] };

/** A reader that fails exactly where, and as, Go's scanner does. */
class Reader {
  pos: number;
  constructor(
    private readonly bytes: Uint8Array,
    start: number,
  ) {
    this.pos = start;
  }

  private peek(): number {
    if (this.pos >= this.bytes.length) throw new EndOfInput();
    return this.bytes[this.pos]!;
  }

  skipSpace(): void {
    while (this.pos < this.bytes.length && isSpace(this.bytes[this.pos]!)) this.pos++;
  }

  atEnd(): boolean {
    return this.pos >= this.bytes.length;
  }

  private fail(c: number, context: string): never {
    throw new JsonSyntaxError(`invalid character ${quoteChar(c)} ${context}`);
  }

  /**
   * value reads one value. Containers are read with an explicit stack, not by recursion, so
   * that nesting up to Go's limit (10000, "exceeded max depth" beyond) cannot overflow ours.
   */
  value(topLevelFinal: boolean): JsonValue {
    const open: Container[] = [];
    for (;;) {
      // The start of a value.
      this.skipSpace();
      const c = this.peek();
      let done: JsonValue;
      if (c === 0x7b || c === 0x5b) {
        this.pos++;
        if (open.length >= MAX_NESTING_DEPTH) this.fail(c, "exceeded max depth");
        this.skipSpace();
        if (c === 0x7b) {
          const fields = new Map<string, JsonValue>();
          if (this.peek() !== 0x7d) {
            open.push({ fields, key: this.objectKey() });
            continue;
          }
          this.pos++;
          done = { kind: "object", fields };
        } else {
          const items: JsonValue[] = [];
          if (this.peek() !== 0x5d) {
            open.push({ items });
            continue;
          }
          this.pos++;
          done = { kind: "array", items };
        }
      } else done = this.scalar(c, open.length === 0 && topLevelFinal);
      // A value is complete: it goes into its container, which may end with it, and so on out.
      for (;;) {
        const container = open.at(-1);
        if (container === undefined) return done;
        this.skipSpace();
        const sep = this.peek();
        this.pos++;
        if ("fields" in container) {
          container.fields.delete(container.key); // the last of equal keys wins, in its own position
          container.fields.set(container.key, done);
          if (sep === 0x2c) {
            container.key = this.objectKey();
            break;
          }
          if (sep !== 0x7d) {
            this.pos--;
            this.fail(sep, "after object key:value pair");
          }
          done = { kind: "object", fields: container.fields };
        } else {
          container.items.push(done);
          if (sep === 0x2c) break;
          if (sep !== 0x5d) this.fail(sep, "after array element");
          done = { kind: "array", items: container.items };
        }
        open.pop();
      }
    }
  }

  /** scalar reads a string, literal or number starting with `c`. */
  private scalar(c: number, final: boolean): JsonValue {
    switch (c) {
      case 0x22:
        return this.string();
      case 0x74:
        this.literal("true");
        return { kind: "bool", value: true };
      case 0x66:
        this.literal("false");
        return { kind: "bool", value: false };
      case 0x6e:
        this.literal("null");
        return { kind: "null" };
      default:
        if (c === 0x2d || isDigit(c)) return this.number(final);
        this.fail(c, "looking for beginning of value");
    }
  }

  /** objectKey reads `"key" :` (the value follows). */
  private objectKey(): string {
    this.skipSpace();
    const c = this.peek();
    if (c !== 0x22) this.fail(c, "looking for beginning of object key string");
    const key = this.string() as { value: string };
    this.skipSpace();
    const colon = this.peek();
    if (colon !== 0x3a) this.fail(colon, "after object key");
    this.pos++;
    return key.value;
  }

  private literal(word: string): void {
    this.pos++;
    for (let i = 1; i < word.length; i++) {
      const c = this.peek();
      if (c !== word.charCodeAt(i)) this.fail(c, `in literal ${word} (expecting ${quoteChar(word.charCodeAt(i))})`);
      this.pos++;
    }
  }

  /** number reads a literal; at the end of input it is complete only when `final`. */
  private number(final: boolean): JsonValue {
    const start = this.pos;
    const next = (): number | undefined => {
      if (this.pos < this.bytes.length) return this.bytes[this.pos];
      if (final) return undefined;
      throw new EndOfInput();
    };
    if (this.bytes[this.pos] === 0x2d) {
      this.pos++;
      const c = this.peek();
      if (!isDigit(c)) this.fail(c, "in numeric literal");
    }
    if (this.bytes[this.pos] === 0x30) this.pos++;
    else while (next() !== undefined && isDigit(next()!)) this.pos++;
    let c = next();
    if (c === 0x2e) {
      this.pos++;
      const d = this.peek();
      if (!isDigit(d)) this.fail(d, "after decimal point in numeric literal");
      while (next() !== undefined && isDigit(next()!)) this.pos++;
      c = next();
    }
    if (c === 0x65 || c === 0x45) {
      this.pos++;
      let d = this.peek();
      if (d === 0x2b || d === 0x2d) {
        this.pos++;
        d = this.peek();
      }
      if (!isDigit(d)) this.fail(d, "in exponent of numeric literal");
      while (next() !== undefined && isDigit(next()!)) this.pos++;
    }
    return { kind: "number", raw: Buffer.from(this.bytes.subarray(start, this.pos)).toString("latin1") };
  }

  private string(): JsonValue {
    this.pos++; // opening quote
    const start = this.pos;
    let escaped = false;
    for (;;) {
      const c = this.peek();
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        this.pos++;
        const e = this.peek();
        if (e === 0x75) {
          for (let i = 0; i < 4; i++) {
            this.pos++;
            const h = this.peek();
            if (!isHex(h)) this.fail(h, "in \\u hexadecimal character escape");
          }
        } else if (!'"\\/bfnrt'.includes(String.fromCharCode(e))) this.fail(e, "in string escape code");
      } else if (c < 0x20) this.fail(c, "in string literal");
      this.pos++;
    }
    const rawBytes = Buffer.from(this.bytes.subarray(start, this.pos));
    this.pos++; // closing quote
    const raw = rawBytes.toString("utf8");
    return { kind: "string", raw, value: escaped ? unescape(rawBytes) : raw };
  }
}

/** unescape decodes a JSON string body with escapes, as Go does (lone surrogates → U+FFFD). */
function unescape(raw: Buffer): string {
  const text = raw.toString("utf8");
  return text.replace(/\\(u[0-9a-fA-F]{4}(?:\\u[0-9a-fA-F]{4})?|.)/g, (_m, esc: string) => {
    if (esc[0] !== "u") return ({ b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" } as Record<string, string>)[esc] ?? esc;
    const first = parseInt(esc.slice(1, 5), 16);
    const second = esc.length > 5 ? parseInt(esc.slice(7, 11), 16) : undefined;
    if (first >= 0xd800 && first < 0xdc00 && second !== undefined && second >= 0xdc00 && second < 0xe000) {
      return String.fromCodePoint(0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00));
    }
    const lone = (u: number): string => (u >= 0xd800 && u < 0xe000 ? "\ufffd" : String.fromCharCode(u));
    return lone(first) + (second === undefined ? "" : lone(second));
  });
}

/**
 * decodeNext reads the next value from `offset` as Go's json.Decoder.Decode does. `final`
 * says no more bytes will come; then a value cut short is the error "unexpected EOF".
 */
export function decodeNext(bytes: Uint8Array, offset: number, final: boolean): DecodeResult {
  const reader = new Reader(bytes, offset);
  reader.skipSpace();
  if (reader.atEnd()) return { kind: "eof" };
  try {
    const value = reader.value(final);
    return { kind: "value", value, end: reader.pos };
  } catch (error) {
    if (!(error instanceof EndOfInput)) throw error;
    if (final) throw new JsonSyntaxError("unexpected EOF");
    return { kind: "incomplete" };
  }
}

/** unmarshalText parses a whole document as Go's json.Unmarshal does (errors included). */
export function unmarshalText(text: string): JsonValue {
  const bytes = Buffer.from(text, "utf8");
  const reader = new Reader(bytes, 0);
  let value: JsonValue;
  try {
    value = reader.value(true);
  } catch (error) {
    if (error instanceof EndOfInput) throw new JsonSyntaxError("unexpected end of JSON input");
    throw error;
  }
  reader.skipSpace();
  if (!reader.atEnd()) throw new JsonSyntaxError(`invalid character ${quoteChar(bytes[reader.pos]!)} after top-level value`);
  return value;
}

/** goString writes a JSON string as Go's encoding/json does (HTML-safe escaping). */
export function goString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22) out += '\\"';
    else if (code === 0x5c) out += "\\\\";
    else if (code === 0x0a) out += "\\n";
    else if (code === 0x0d) out += "\\r";
    else if (code === 0x09) out += "\\t";
    else if (code < 0x20 || code === 0x3c || code === 0x3e || code === 0x26 || code === 0x2028 || code === 0x2029) {
      out += `\\u${code.toString(16).padStart(4, "0")}`;
    } else if (code >= 0xd800 && code < 0xe000) {
      const next = text.charCodeAt(i + 1);
      if (code < 0xdc00 && next >= 0xdc00 && next < 0xe000) {
        out += text[i]! + text[i + 1]!;
        i++;
      } else out += "\\ufffd"; // invalid UTF-16 → U+FFFD, as Go does for invalid UTF-8
    } else out += text[i]!;
  }
  return `${out}"`;
}
