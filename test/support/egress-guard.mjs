// Zero-egress guard for the test suite (SECURITY.md item 22). Loaded into every Node process of
// a run with NODE_OPTIONS="--import …/egress-guard.mjs": the Playwright runner and workers, the
// core they host and the engine processes they fork. Every outbound TCP connection or UDP
// datagram to anything but loopback is recorded (one JSON line in $BURROW_EGRESS_LOG) and
// blocked before a packet is sent. Plain JavaScript so it needs no TypeScript loader.
import { appendFileSync } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';

const log = process.env.BURROW_EGRESS_LOG;

export function isLoopback(host) {
  if (host === undefined || host === null || host === '' || host === 'localhost') return true;
  const bare = String(host).replace(/^\[|\]$/g, '');
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare) || bare === '::1' || bare === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(bare);
}

/** The destination of a Socket#connect call, whatever form its arguments take. */
export function destinationOf(args) {
  let first = args[0];
  if (Array.isArray(first)) first = first[0]; // internal callers pass normalized [options, cb]
  if (first !== null && typeof first === 'object') {
    if (typeof first.path === 'string') return { path: first.path };
    return { host: first.host ?? first.hostname, port: first.port };
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return { path: first };
  return { host: typeof args[1] === 'string' ? args[1] : undefined, port: first };
}

function record(kind, host, port) {
  const entry = { at: new Date().toISOString(), pid: process.pid, kind, host: String(host), port: Number(port) };
  if (log) appendFileSync(log, `${JSON.stringify(entry)}\n`);
  return entry;
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  const destination = destinationOf(args);
  if (destination.path === undefined && !isLoopback(destination.host)) {
    const entry = record('tcp', destination.host, destination.port);
    process.nextTick(() => this.destroy(new Error(`Blocked by the test suite's egress guard: ${entry.host}:${entry.port}`)));
    return this;
  }
  return connect.apply(this, args);
};

const send = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function guardedSend(...args) {
  // send(msg, [offset, length,] port, address, cb)
  const numbers = args.filter((arg) => typeof arg === 'number');
  const address = args.find((arg, index) => index > 0 && typeof arg === 'string');
  if (!isLoopback(address)) {
    record('udp', address, numbers.at(-1));
    const callback = args.find((arg) => typeof arg === 'function');
    if (callback) process.nextTick(callback, new Error('Blocked by the test suite\'s egress guard'));
    return;
  }
  return send.apply(this, args);
};
