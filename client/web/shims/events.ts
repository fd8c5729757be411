/**
 * The part of Node's `events` module that simple-peer and readable-stream use in the browser
 * (on, once, emit, prependListener, removeListener, listeners...). Bundled in place of the
 * `events` package so that the page needs no extra npm dependency. A function constructor,
 * not a class: readable-stream inherits the old way (`EventEmitter.call(this)`).
 */
type Fn = (...args: any[]) => void;
type Wrapped = Fn & { listener?: Fn };

interface Emitter {
  _events?: Map<string | symbol, Wrapped[]>;
  _maxListeners?: number;
}

function list(self: Emitter): Map<string | symbol, Wrapped[]> {
  if (!self._events) self._events = new Map();
  return self._events;
}

export function EventEmitter(this: Emitter): void {
  list(this);
}

const proto = EventEmitter.prototype as Record<string, unknown>;

function add(self: Emitter & { emit: Fn }, type: string | symbol, fn: Wrapped, prepend: boolean): unknown {
  if (typeof fn !== "function") throw new TypeError("listener must be a function");
  const events = list(self);
  if (events.has("newListener")) self.emit("newListener", type, fn.listener ?? fn);
  const current = events.get(type);
  events.set(type, !current ? [fn] : prepend ? [fn, ...current] : [...current, fn]);
  return self;
}

function wrapOnce(self: { removeListener: Fn }, type: string | symbol, fn: Fn): Wrapped {
  const wrapped: Wrapped = function (this: unknown, ...args: unknown[]) {
    self.removeListener(type, wrapped);
    fn.apply(self, args);
  };
  wrapped.listener = fn;
  return wrapped;
}

proto.on = proto.addListener = function (this: any, type: string | symbol, fn: Fn) {
  return add(this, type, fn, false);
};
proto.prependListener = function (this: any, type: string | symbol, fn: Fn) {
  return add(this, type, fn, true);
};
proto.once = function (this: any, type: string | symbol, fn: Fn) {
  return add(this, type, wrapOnce(this, type, fn), false);
};
proto.prependOnceListener = function (this: any, type: string | symbol, fn: Fn) {
  return add(this, type, wrapOnce(this, type, fn), true);
};
proto.removeListener = proto.off = function (this: any, type: string | symbol, fn: Fn) {
  const events = list(this);
  const current = events.get(type);
  if (!current) return this;
  const i = current.findIndex((l) => l === fn || l.listener === fn);
  if (i < 0) return this;
  const next = current.slice();
  next.splice(i, 1);
  if (next.length === 0) events.delete(type);
  else events.set(type, next);
  if (events.has("removeListener")) this.emit("removeListener", type, fn);
  return this;
};
proto.removeAllListeners = function (this: any, type?: string | symbol) {
  if (type === undefined) list(this).clear();
  else list(this).delete(type);
  return this;
};
proto.emit = function (this: any, type: string | symbol, ...args: unknown[]) {
  const current = list(this).get(type);
  if (!current) {
    if (type === "error") throw args[0] instanceof Error ? args[0] : new Error(`unhandled error event: ${String(args[0])}`);
    return false;
  }
  for (const fn of current) fn.apply(this, args);
  return true;
};
proto.listeners = function (this: any, type: string | symbol) {
  return (list(this).get(type) ?? []).map((l) => l.listener ?? l);
};
proto.rawListeners = function (this: any, type: string | symbol) {
  return [...(list(this).get(type) ?? [])];
};
proto.listenerCount = function (this: any, type: string | symbol) {
  return list(this).get(type)?.length ?? 0;
};
proto.eventNames = function (this: any) {
  return [...list(this).keys()];
};
proto.setMaxListeners = function (this: any, n: number) {
  this._maxListeners = n;
  return this;
};
proto.getMaxListeners = function (this: any) {
  return this._maxListeners ?? 10;
};

const statics = EventEmitter as unknown as Record<string, unknown>;
statics.EventEmitter = EventEmitter;
statics.defaultMaxListeners = 10;
statics.listenerCount = (emitter: { listenerCount(t: string | symbol): number }, type: string | symbol) => emitter.listenerCount(type);

export default EventEmitter;
