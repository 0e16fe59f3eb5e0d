import { describe, expect, it } from "vitest";
import { ConfigError, parseConfigText } from "../../src/config/presage-config.js";

const TARGETS = `
targets:
  - name: shop.web
    source: synthetic
`;

describe("the api section of the config", () => {
  it("is absent unless written, and takes defaults for what it leaves out", () => {
    expect(parseConfigText(TARGETS).api).toBeUndefined();
    const config = parseConfigText(
      `api:\n  tokenFile: secrets/tokens\n${TARGETS}`,
      "presage.yaml",
      "/etc/presage",
    );
    expect(config.api).toEqual({
      port: 8080,
      host: "0.0.0.0",
      tokens: [],
      tokenFile: "/etc/presage/secrets/tokens",
      rateLimit: { requestsPerSecond: 100 },
      bodyLimitBytes: 65_536,
    });
    expect(Object.isFrozen(config.api)).toBe(true);
  });

  it("reads tokens, the rate limit and the body limit", () => {
    const config = parseConfigText(`
api:
  port: 9090
  tokens:
    - { name: grafana, role: read, token: grafana-token-0123456789 }
  rateLimit: { requestsPerSecond: 5000, burst: 10000 }
  bodyLimitBytes: 4096
${TARGETS}`);
    expect(config.api).toMatchObject({
      port: 9090,
      tokens: [{ name: "grafana", role: "read", token: "grafana-token-0123456789" }],
      rateLimit: { requestsPerSecond: 5000, burst: 10000 },
      bodyLimitBytes: 4096,
    });
  });

  it("reports every problem of the section at once", () => {
    const error = (() => {
      try {
        parseConfigText(`
api:
  port: 70000
  tokens:
    - { name: x, role: owner, token: short }
  rateLimit: { requestsPerSecond: -1 }
  listen: yes
${TARGETS}`);
        return undefined;
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain("api.port (70000)");
    expect(message).toContain("api.tokens[0].role");
    expect(message).not.toContain("short"); // a secret, even a bad one, is never echoed
    expect(message).toContain("api.rateLimit.requestsPerSecond (-1)");
    expect(message).toContain("listen");
  });
});
