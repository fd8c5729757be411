/**
 * The Lua scripts of the cluster (redis-cluster.ts): each runs atomically in Redis, so a check
 * and the write it guards (the lease, then the room's state) cannot be split by another process.
 */

export const RENEW = `
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
local out = {}
for i = 2, #KEYS, 2 do
  local v = redis.call('GET', KEYS[i])
  if v == ARGV[1] then
    redis.call('PEXPIRE', KEYS[i], ARGV[2]); out[#out + 1] = 1
  elseif v == false then
    local by = redis.call('HGET', KEYS[i + 1], 'by')
    if by == false or by == ARGV[1] then
      redis.call('SET', KEYS[i], ARGV[1], 'PX', ARGV[2]); out[#out + 1] = 2
    else out[#out + 1] = 0 end
  else out[#out + 1] = 0 end
end
return out`;

export const SAVE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], 'data', ARGV[2], 'by', ARGV[1])
return 1`;

/** ARGV[2] "1": the room closed (its record goes, a tombstone of who closed it stays a minute). */
export const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
if ARGV[2] == '1' then
  redis.call('DEL', KEYS[2]); redis.call('HSET', KEYS[2], 'by', ARGV[1]); redis.call('PEXPIRE', KEYS[2], 60000)
  redis.call('HDEL', KEYS[3], ARGV[3])
end
return 1`;

/** Opens a room in the cluster's count: 1, or -1 (maxRooms reached), -2 (the address has maxRoomsPerIp open). */
export const OPEN_ROOM = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return -1 end
local n = 0
for _, v in ipairs(redis.call('HVALS', KEYS[1])) do if v == ARGV[2] then n = n + 1 end end
if n >= tonumber(ARGV[4]) then return -2 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`;

/** A room nobody owns any more, whose record nobody came back for: forgotten. */
export const FORGET_ORPHAN = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[2]); redis.call('HDEL', KEYS[3], ARGV[1])
return 1`;

export const TAKE_JOIN = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local burst = tonumber(ARGV[1]); local rate = tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 't', 'n')
local n = tonumber(b[2]) or burst
local last = tonumber(b[1]) or now
n = math.min(burst, n + (now - last) / 1000 * rate)
local ok = 0
if n >= 1 then n = n - 1; ok = 1 end
redis.call('HSET', KEYS[1], 't', now, 'n', tostring(n))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / math.max(rate, 0.001) * 1000) + 1000)
return ok`;

/** ARGV: prefix, own id, address, most sockets. Counts the address over live processes only. */
export const OPEN_SOCKET = `
local total = 0
for _, p in ipairs(redis.call('SMEMBERS', ARGV[1] .. 'procs')) do
  if redis.call('EXISTS', ARGV[1] .. 'proc:' .. p) == 1 then
    total = total + (tonumber(redis.call('HGET', ARGV[1] .. 'ips:' .. p, ARGV[3])) or 0)
  elseif p ~= ARGV[2] then
    redis.call('SREM', ARGV[1] .. 'procs', p); redis.call('DEL', ARGV[1] .. 'ips:' .. p)
  end
end
if total >= tonumber(ARGV[4]) then return 0 end
redis.call('SADD', ARGV[1] .. 'procs', ARGV[2])
redis.call('HINCRBY', ARGV[1] .. 'ips:' .. ARGV[2], ARGV[3], 1)
return 1`;

export interface Scripts {
  renew(n: number, ...args: string[]): Promise<number[]>;
  save(k1: string, k2: string, proc: string, data: string): Promise<number>;
  release(k1: string, k2: string, k3: string, proc: string, closed: string, room: string): Promise<number>;
  openRoom(k: string, room: string, ip: string, maxRooms: string, maxPerIp: string): Promise<number>;
  forgetOrphan(k1: string, k2: string, k3: string, room: string): Promise<number>;
  takeJoin(k: string, burst: string, rate: string): Promise<number>;
  openSocket(prefix: string, proc: string, ip: string, max: string): Promise<number>;
}
