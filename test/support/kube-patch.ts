/** The patch formats the Kubernetes API stand-in applies. */

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * JSON Merge Patch (RFC 7386): objects merge recursively, `null` deletes a member, anything else —
 * arrays included — replaces. Returns a new value; `target` is not modified.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return structuredClone(patch);
  const result = new Map(isRecord(target) ? Object.entries(structuredClone(target)) : []);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) result.delete(key);
    else result.set(key, applyMergePatch(result.get(key), value));
  }
  return Object.fromEntries(result);
}

/** One RFC 6902 operation. */
export interface JsonPatchOperation {
  readonly op: "add" | "remove" | "replace" | "move" | "copy" | "test";
  readonly path: string;
  readonly from?: string;
  readonly value?: unknown;
}

/** RFC 6901 pointer → reference tokens (`~1` → `/`, `~0` → `~`). */
function tokens(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/"))
    throw new Error(`JSON pointer ${JSON.stringify(pointer)} must start with "/"`);
  return pointer
    .slice(1)
    .split("/")
    .map((token) => token.replaceAll("~1", "/").replaceAll("~0", "~"));
}

type Container = Record<string, unknown> | unknown[];

/** The container holding the pointer's last token, and that token. */
function locate(document: unknown, pointer: string): { parent: Container; key: string } {
  const path = tokens(pointer);
  const key = path.pop();
  if (key === undefined) throw new Error("the whole document cannot be patched here");
  let node: unknown = document;
  for (const token of path) {
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isRecord(node)) node = node[token];
    else node = undefined;
    if (node === undefined) throw new Error(`path ${JSON.stringify(pointer)} does not exist`);
  }
  if (!Array.isArray(node) && !isRecord(node)) {
    throw new Error(`path ${JSON.stringify(pointer)} does not lead into an object or array`);
  }
  return { parent: node, key };
}

function getAt(document: unknown, pointer: string): unknown {
  const { parent, key } = locate(document, pointer);
  const value = Array.isArray(parent) ? parent[Number(key)] : parent[key];
  if (value === undefined) throw new Error(`path ${JSON.stringify(pointer)} does not exist`);
  return value;
}

function removeAt(document: unknown, pointer: string): void {
  const { parent, key } = locate(document, pointer);
  if (Array.isArray(parent)) {
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0 || index >= parent.length) {
      throw new Error(`path ${JSON.stringify(pointer)} does not exist`);
    }
    parent.splice(index, 1);
  } else {
    if (!(key in parent)) throw new Error(`path ${JSON.stringify(pointer)} does not exist`);
    Reflect.deleteProperty(parent, key);
  }
}

function addAt(document: unknown, pointer: string, value: unknown): void {
  const { parent, key } = locate(document, pointer);
  if (Array.isArray(parent)) {
    const index = key === "-" ? parent.length : Number(key);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) {
      throw new Error(`index ${key} is out of bounds at ${JSON.stringify(pointer)}`);
    }
    parent.splice(index, 0, structuredClone(value));
  } else {
    parent[key] = structuredClone(value);
  }
}

/**
 * JSON Patch (RFC 6902): applies the operations in order to a copy of `document`; throws an `Error`
 * saying which operation failed (a failed `test` included).
 */
export function applyJsonPatch(document: unknown, operations: readonly JsonPatchOperation[]): unknown {
  const result = structuredClone(document);
  for (const operation of operations) {
    switch (operation.op) {
      case "add":
        addAt(result, operation.path, operation.value);
        break;
      case "remove":
        removeAt(result, operation.path);
        break;
      case "replace":
        removeAt(result, operation.path);
        addAt(result, operation.path, operation.value);
        break;
      case "move": {
        const value = getAt(result, operation.from ?? "");
        removeAt(result, operation.from ?? "");
        addAt(result, operation.path, value);
        break;
      }
      case "copy":
        addAt(result, operation.path, getAt(result, operation.from ?? ""));
        break;
      case "test":
        if (JSON.stringify(getAt(result, operation.path)) !== JSON.stringify(operation.value)) {
          throw new Error(`testing value ${operation.path} failed`);
        }
        break;
      default:
        throw new Error(`unknown operation ${JSON.stringify((operation as { op: unknown }).op)}`);
    }
  }
  return result;
}
