/**
 * MemoryAuthBackend: an {@link AuthBackend} that keeps the state in maps, for tests and
 * examples. It stores messages encoded (as the real backend does), so a test that reopens an
 * {@link AuthStore} over the same MemoryAuthBackend exercises a true persistence round trip.
 * It has no transactions: every write lands at once.
 */
import { authpb } from "@etcd-ts/api";
import type { AuthBackend, AuthSnapshot } from "./AuthBackend.js";
import { fromUtf8 } from "./internal/bytes.js";

/** MemoryAuthBackend is an in-memory {@link AuthBackend}; see the module comment. */
export class MemoryAuthBackend implements AuthBackend {
  readonly #users = new Map<string, Uint8Array>();
  readonly #roles = new Map<string, Uint8Array>();
  #enabled = false;
  #revision = 0;
  /** writes counts the write calls received, so tests can see that failed requests wrote nothing. */
  writes = 0;

  /** load decodes and returns everything stored. */
  load(): AuthSnapshot {
    return {
      enabled: this.#enabled,
      revision: this.#revision,
      users: [...this.#users.values()].map((bytes) => authpb.User.decode(bytes)),
      roles: [...this.#roles.values()].map((bytes) => authpb.Role.decode(bytes)),
    };
  }

  /** putUser stores the encoded user under its name. */
  putUser(user: authpb.User): void {
    this.writes++;
    this.#users.set(fromUtf8(user.name), authpb.User.encode(user));
  }

  /** deleteUser removes the user. */
  deleteUser(name: string): void {
    this.writes++;
    this.#users.delete(name);
  }

  /** putRole stores the encoded role under its name. */
  putRole(role: authpb.Role): void {
    this.writes++;
    this.#roles.set(fromUtf8(role.name), authpb.Role.encode(role));
  }

  /** deleteRole removes the role. */
  deleteRole(name: string): void {
    this.writes++;
    this.#roles.delete(name);
  }

  /** setEnabled stores the flag. */
  setEnabled(enabled: boolean): void {
    this.writes++;
    this.#enabled = enabled;
  }

  /** setRevision stores the revision. */
  setRevision(revision: number): void {
    this.writes++;
    this.#revision = revision;
  }
}
