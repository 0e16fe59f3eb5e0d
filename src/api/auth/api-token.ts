/** What a token may do: `read` the API, or also change models and start training (`admin`). */
export const ApiRole = { read: "read", admin: "admin" } as const;
export type ApiRole = (typeof ApiRole)[keyof typeof ApiRole];

/** A bearer token the API accepts. */
export interface ApiToken {
  /** Who holds it, for logs and the per-token rate limit; never the secret itself. */
  readonly name: string;
  readonly role: ApiRole;
  /** The secret the client sends as `Authorization: Bearer <token>`. */
  readonly token: string;
}

/** The caller a request was authenticated as (the secret left out). */
export interface ApiPrincipal {
  readonly name: string;
  readonly role: ApiRole;
}

/** Whether `role` may use a route that requires `required`: admin implies read. */
export function roleAllows(role: ApiRole, required: ApiRole): boolean {
  return role === ApiRole.admin || required === ApiRole.read;
}
