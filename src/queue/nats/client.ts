/**
 * The nats client library, loaded only when a NATS queue is opened (a dynamic import, its own
 * chunk in the bundle): every other role starts without parsing its ~600 KB.
 */
export { AckPolicy, connect, createInbox, DeliverPolicy, DiscardPolicy, headers, nanos, RetentionPolicy, StorageType } from 'nats';
export { toJsMsg } from 'nats/lib/jetstream/jsmsg.js';
