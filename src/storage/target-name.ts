/** Target names the registries accept: the same rule as target names in config (`presage-config.ts`). */
export const TARGET_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/**
 * Rejects a target name that could escape the registry's directory or collide with its Redis keys.
 * Config already enforces this rule, so a failure here is a programming error, not bad user input.
 */
export function assertTargetName(target: string): void {
  if (!TARGET_NAME_PATTERN.test(target)) {
    throw new RangeError(
      `\`target\` (${JSON.stringify(target)}) must be 1–63 of a-z, 0-9, '.', '_' or '-', starting alphanumeric`,
    );
  }
}

/** Whether `version` can name a stored version (1, 2, 3…); anything else is simply not found. */
export function isVersionNumber(version: number): boolean {
  return Number.isSafeInteger(version) && version >= 1;
}
