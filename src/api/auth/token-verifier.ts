import { createHash, timingSafeEqual } from "node:crypto";
import type { ApiPrincipal, ApiToken } from "./api-token.js";

interface StoredToken {
  readonly principal: ApiPrincipal;
  readonly digest: Buffer;
}

/** Options of {@link TokenVerifier}. */
export interface TokenVerifierOptions {
  /**
   * Authorization header values remembered after they verified; the memory is cleared when full.
   * 0 turns remembering off. @defaultValue 1000
   */
  readonly rememberedHeaders?: number;
}

/**
 * Checks presented bearer tokens against the configured ones in constant time: both sides are hashed
 * with SHA-256 (equal lengths whatever was sent) and compared with `timingSafeEqual`, and every
 * configured token is compared on every call, so neither the match nor its position leaks through
 * timing. Secrets are kept only as digests.
 *
 * Authorization header values that verified are remembered (raw value → principal) so a client that
 * sends the same header on every request skips the hash and the comparisons (a few percent of a cached
 * forecast request). This stays safe against timing attacks: a value not remembered — every guess an
 * attacker makes — still takes the full constant-time path, and only values that already proved to hold
 * a valid token are ever remembered, so what the faster path can reveal is that a value is valid, which
 * the response says anyway. Guesses cannot fill or evict the memory (failures are never stored), and it
 * is bounded (cleared when full), so many distinct valid spellings cannot grow it either.
 */
export class TokenVerifier {
  private stored: readonly StoredToken[] = [];
  private readonly remembered = new Map<string, ApiPrincipal>();
  private readonly maxRemembered: number;

  constructor(tokens: readonly ApiToken[], options: TokenVerifierOptions = {}) {
    this.maxRemembered = options.rememberedHeaders ?? 1000;
    this.reload(tokens);
  }

  /** Replaces the accepted tokens (e.g. a re-read Secret); forgets every remembered header. */
  reload(tokens: readonly ApiToken[]): void {
    this.stored = tokens.map((token) => ({
      principal: Object.freeze({ name: token.name, role: token.role }),
      digest: sha256(token.token),
    }));
    this.remembered.clear();
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

  /**
   * The principal an Authorization header value verified as before, if it did; otherwise undefined
   * (the caller then parses the header and calls {@link verifyHeader}).
   */
  recall(header: string): ApiPrincipal | undefined {
    return this.remembered.get(header);
  }

  /**
   * {@link verify} of the token `header` carries; a match is remembered under the raw header value so
   * {@link recall} finds it next time.
   */
  verifyHeader(header: string, presented: string): ApiPrincipal | undefined {
    const principal = this.verify(presented);
    if (principal !== undefined && this.maxRemembered > 0) {
      // Clear-on-full rather than LRU: only valid headers get here, so it fills only when clients
      // spell the few valid tokens in over a thousand ways; clearing then costs one verify each.
      if (this.remembered.size >= this.maxRemembered) this.remembered.clear();
      this.remembered.set(header, principal);
    }
    return principal;
  }

  get size(): number {
    return this.stored.length;
  }

  /** Header values remembered now (for tests and metrics). */
  get rememberedCount(): number {
    return this.remembered.size;
  }
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
