/**
 * Lua scripts of the Redis model registry. Each runs atomically on the server, so replicas saving,
 * promoting and rolling back the same target cannot interleave. Version keys are built inside the
 * scripts from a declared base key (`…:v:`) plus the number, which keeps them consistent with any
 * `keyPrefix` the client applies to declared keys; Redis Cluster (cross-slot keys) is not supported.
 */
export const redisRegistryScripts = {
  /**
   * KEYS: seq, versions (zset), targets (set), version key base. ARGV: artifact JSON without its
   * opening brace, target. Returns the new version. The stored JSON starts with the version so every
   * stored artifact describes itself.
   */
  save: `
local version = redis.call('INCR', KEYS[1])
redis.call('SET', KEYS[4] .. version, '{"version":' .. version .. ',' .. ARGV[1])
redis.call('ZADD', KEYS[2], version, version)
redis.call('SADD', KEYS[3], ARGV[2])
return version
`,
  /**
   * KEYS: current, previous (list, top on the right), version key base. ARGV: version. Returns -1
   * when the version does not exist, 0 when it is already current, 1 when promoted.
   */
  promote: `
if redis.call('EXISTS', KEYS[3] .. ARGV[1]) == 0 then return -1 end
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then return 0 end
if current then redis.call('RPUSH', KEYS[2], current) end
redis.call('SET', KEYS[1], ARGV[1])
return 1
`,
  /**
   * KEYS: current, previous, version key base. Returns nil when there is nothing to go back to;
   * { version } (pointer left untouched) when the version it would go back to is missing; else
   * { version, artifact JSON } after making that version current.
   */
  rollBack: `
local back = redis.call('RPOP', KEYS[2])
if not back then return nil end
local artifact = redis.call('GET', KEYS[3] .. back)
if not artifact then
  redis.call('RPUSH', KEYS[2], back)
  return { back }
end
redis.call('SET', KEYS[1], back)
return { back, artifact }
`,
} as const;
