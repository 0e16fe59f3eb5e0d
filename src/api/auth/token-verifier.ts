import { createHash, timingSafeEqual } from "node:crypto";
import type { ApiPrincipal, ApiToken } from "./api-token.js";

interface StoredToken {
  readonly principal: ApiPrincipal;
  readonly digest: Buffer;
}

/**
 * Checks presented bearer tokens against the configured ones in constant time: both sides are hashed
 * with SHA-256 (equal lengths whatever was sent) and compared with `timingSafeEqual`, and every
 * configured token is compared on every call, so neither the match nor its position leaks through
 * timing. Secrets are kept only as digests.
 */
export class TokenVerifier {
  private readonly stored: readonly StoredToken[];

  constructor(tokens: readonly ApiToken[]) {
    this.stored = tokens.map((token) => ({
      principal: Object.freeze({ name: token.name, role: token.role }),
      digest: sha256(token.token),
    }));
  }

  /** The holder of `presented`, or undefined when it matches no configured token. */
  verify(presented: string): ApiPrincipal | undefined {
    const digest = sha256(presented);
    let match: ApiPrincipal | undefined;
    for (const token of this.stored) {
      if (timingSafeEqual(digest, token.digest) && match === undefined) match = token.principal;
    }
    return match;
  }

  get size(): number {
    return this.stored.length;
  }
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
