/**
 * SSH authentication: OpenSSH's sshd (and sshd-session, which logs them since OpenSSH 9.8) in any
 * syslog envelope. Messages kept:
 *   Accepted|Failed METHOD for [invalid user ]USER from IP port N [ssh2[: KEY…]]
 *   Invalid user USER from IP [port N]
 *   Connection closed by [authenticating|invalid ]user USER IP port N [[preauth]]
 *   Disconnected from [authenticating|invalid ]user USER IP port N [[preauth]]
 * METHOD is kept as logged (password, publickey, keyboard-interactive/pam, hostbased, none…);
 * what follows `ssh2:` (the key type and fingerprint) is not stored. Other sshd messages (session
 * opened, Received disconnect…) are quarantined as unsupported_message, never dropped silently.
 * Usernames may contain spaces (sshd logs them verbatim), so the username ends at the last
 * " from " / the address, not at the first space.
 */
import { ipValue, MAX_PORT, parseUint } from '../fields.js';
import type { Envelope } from '../envelope/types.js';
import { reject, type LogType, type ParseResult, type Value } from '../types.js';
import { authInvestigations } from './investigations.js';

const HOSTS = ['auth-srv01', 'auth-srv02', 'auth-srv03', 'auth-srv04', 'auth-srv05', 'auth-srv06', 'auth-srv07'];
const USERS = ['admin', 'root', 'jsmith', 'adrutin', 'deploy-bot', 'backup-svc', 'unknown', 'cjones', 'mlee'];
const METHODS = ['password', 'publickey', 'keyboard-interactive'];
const STATUSES = ['Accepted', 'Accepted', 'Accepted', 'Failed', 'Failed']; // 3/5 accepted

const KEPT = ['Accepted ', 'Failed ', 'Invalid user ', 'Connection closed by ', 'Disconnected from '];

/** `IP port N[ rest]` starting at `from`; returns [ip, port] or a rejection. */
function addressAndPort(msg: string, from: number, portRequired: boolean): [number | string, number | null] | ParseResult {
  let ipEnd = msg.indexOf(' ', from);
  if (ipEnd < 0) ipEnd = msg.length;
  const ip = ipValue(msg, from, ipEnd);
  if (ip === null) return reject('bad_ip', `source "${msg.slice(from, Math.min(ipEnd, from + 60))}" is not an IP address`);
  if (!msg.startsWith(' port ', ipEnd)) {
    return portRequired ? reject('missing_field', 'no "port N" after the address') : [ip, null];
  }
  let portEnd = msg.indexOf(' ', ipEnd + 6);
  if (portEnd < 0) portEnd = msg.length;
  const port = parseUint(msg.slice(ipEnd + 6, portEnd), MAX_PORT);
  if (port < 0) return reject('bad_number', `port "${msg.slice(ipEnd + 6, Math.min(portEnd, ipEnd + 26))}" is not a port`);
  return [ip, port];
}

function stripUserPrefix(s: string): [string, boolean] {
  if (s.startsWith('invalid user ')) return [s.slice(13), true];
  if (s.startsWith('authenticating user ')) return [s.slice(20), false];
  if (s.startsWith('user ')) return [s.slice(5), false];
  return [s, false];
}

function record(env: Envelope, status: string, method: string | null, userPart: string, r: [number | string, number | null]): ParseResult {
  const [user, invalid] = stripUserPrefix(userPart);
  const values: Value[] = [env.ts, env.host, env.pid, status, method, user, invalid, r[0], r[1]];
  return { ok: true, epochMs: env.epochMs, values };
}

function parse(line: string, env: Envelope): ParseResult {
  const msg = line.slice(env.msgStart);
  if (msg.startsWith('Accepted ') || msg.startsWith('Failed ')) {
    const status = msg.charCodeAt(0) === 65 ? 'Accepted' : 'Failed';
    const mStart = status.length + 1;
    const mEnd = msg.indexOf(' for ', mStart);
    const from = msg.lastIndexOf(' from ');
    if (mEnd < 0 || from < mEnd) return reject('missing_field', 'no "METHOD for USER from"');
    const method = msg.slice(mStart, mEnd);
    if (method.length === 0) return reject('missing_field', 'empty auth method');
    const r = addressAndPort(msg, from + 6, true);
    return Array.isArray(r) ? record(env, status, method, msg.slice(mEnd + 5, from), r) : r;
  }
  if (msg.startsWith('Invalid user ')) {
    const from = msg.lastIndexOf(' from ');
    if (from < 12) return reject('missing_field', 'no "from ADDRESS"');
    const r = addressAndPort(msg, from + 6, false);
    return Array.isArray(r) ? record(env, 'Invalid', null, 'invalid user ' + msg.slice(13, from), r) : r;
  }
  if (msg.startsWith('Connection closed by ') || msg.startsWith('Disconnected from ')) {
    const status = msg.charCodeAt(0) === 67 ? 'Closed' : 'Disconnected';
    const rest = msg.slice(status === 'Closed' ? 21 : 18);
    // "… user USER IP port N": the address is the token before " port ".
    const portAt = rest.lastIndexOf(' port ');
    const ipStart = portAt < 0 ? -1 : rest.lastIndexOf(' ', portAt - 1);
    if (ipStart < 0 || !rest.includes('user ')) return reject('unsupported_message', `sshd message not kept: "${msg.slice(0, 60)}"`);
    const r = addressAndPort(rest, ipStart + 1, true);
    return Array.isArray(r) ? record(env, status, null, rest.slice(0, ipStart), r) : r;
  }
  return reject('unsupported_message', `sshd message not kept: "${msg.slice(0, 60)}"`);
}

export const auth: LogType = {
  name: 'auth',
  table: 'auth_logs',
  description: 'OpenSSH sshd authentication events from syslog.',
  columns: [
    { name: 'ts', type: 'timestamptz', nullable: false, doc: 'event time (UTC)' },
    { name: 'hostname', type: 'text', nullable: true, doc: 'host that logged the event (from the syslog envelope)' },
    { name: 'pid', type: 'integer', nullable: true, doc: 'sshd process id (null when RFC 5424 PROCID is nil)' },
    {
      name: 'status', type: 'enum', values: ['Accepted', 'Failed', 'Invalid', 'Closed', 'Disconnected'], nullable: false,
      doc: 'Accepted, Failed, Invalid, Closed or Disconnected (an enum: 4 bytes, compared as text)',
    },
    { name: 'auth_method', type: 'text', nullable: true, doc: 'as logged: password, publickey, keyboard-interactive/pam, hostbased, none, …' },
    { name: 'username', type: 'text', nullable: false, doc: 'as logged (may be empty for invalid users)' },
    { name: 'invalid_user', type: 'boolean', nullable: false, doc: 'sshd said "invalid user"' },
    { name: 'source_ip', type: 'inet', nullable: false, doc: 'client address' },
    { name: 'source_port', type: 'integer', nullable: true, doc: 'client port' },
  ],
  indexes: [
    { name: 'failed_src_ts', on: 'source_ip, ts', where: "status = 'Failed'", why: 'Q3A brute force: failed logins from one source IP, newest first' },
  ],
  clusterBy: { on: 'source_ip, ts', why: 'Q3A: one source IP\'s failed logins, newest first, on a few pages' },
  rollups: [
    {
      name: 'failures_daily', grain: 'day', keys: ['username'], where: { column: 'status', values: ['Failed'] },
      why: 'Q3B brute force: failed attempts per username per day',
    },
  ],
  programs: ['sshd', 'sshd-session'],
  recognise: (line, env) => env.program !== null && (env.program === 'sshd' || env.program === 'sshd-session') && KEPT.some((k) => line.startsWith(k, env.msgStart)),
  parse,
  investigations: authInvestigations,
  sampleWeight: 0.2,
  sampledByDefault: true,
  generate(rng, ts, pools) {
    return (
      `${ts} ${rng.pick(HOSTS)} sshd[${rng.int(1000, 65535)}]: ${rng.pick(STATUSES)} ${rng.pick(METHODS)} ` +
      `for ${rng.pick(USERS)} from ${rng.pick(pools.internalIps)} port ${rng.int(1024, 65535)} ssh2`
    );
  },
  examples: [
    '2024-01-15T10:23:45.123Z auth-srv01 sshd[12345]: Accepted password for admin from 192.168.1.10 port 52113 ssh2',
    '2024-01-15T10:23:45.123Z auth-srv02 sshd[2211]: Failed password for invalid user oracle from 192.168.1.77 port 40022 ssh2',
    '2024-01-15T10:23:45.123Z auth-srv03 sshd[991]: Accepted publickey for deploy-bot from 192.168.1.5 port 41000 ssh2: RSA SHA256:AbCdEf',
    '2024-01-15T10:23:45.123Z auth-srv03 sshd[992]: Invalid user test from 192.168.1.9 port 5050',
    '2024-01-15T10:23:45.123Z auth-srv03 sshd[993]: Connection closed by authenticating user root 192.168.1.9 port 5051 [preauth]',
    '2024-01-15T10:23:45.123Z auth-srv03 sshd[994]: Disconnected from invalid user guest 192.168.1.9 port 5052 [preauth]',
    'Jan 15 10:23:45 bastion sshd[12345]: Failed password for root from 203.0.113.7 port 52144 ssh2',
    '<38>1 2024-01-15T10:23:45.123Z bastion sshd 4242 - - Accepted keyboard-interactive/pam for alice from 2001:db8::42 port 50022 ssh2',
  ],
};
