import type { ModelRegistry } from "../../training/registry/model-registry.js";
import type { ResolvedConfig } from "../config/presage-config.js";
import { FileModelRegistry } from "../storage/file-model-registry.js";
import { RedisModelRegistry } from "../storage/redis-model-registry.js";

/** The registry the configuration implies: Redis in cluster mode (`redis.url`), files in embedded mode. */
export function openModelRegistry(config: ResolvedConfig): ModelRegistry {
  return config.redis === undefined
    ? new FileModelRegistry({ directory: config.registry.directory })
    : new RedisModelRegistry({ url: config.redis.url });
}
