/**
 * Which COPY format each log table can take, from its columns as the database has them. Binary
 * COPY hands each value to the column type's receive function, which takes only its own binary
 * form (text COPY would have cast): so the encoder follows the table, not the declaration. A
 * database migrated from 0.1.0 keeps line_no as bigint, written as 8 bytes; a column of any other
 * type than its declared one sends that table's rows as text, which PostgreSQL casts as before.
 */
import type pg from 'pg';
import { LOG_TYPES } from '../logtypes/registry.js';
import type { PgType } from '../logtypes/types.js';
import { tableColumns } from './schema.js';

/** Per log type: the types its columns are encoded as (tableColumns order), or null for COPY text. */
export type CopyColumnTypes = (PgType[] | null)[];

/** The declared types: what a database made by this release's init-db has. */
export const DECLARED_COPY_TYPES: CopyColumnTypes = LOG_TYPES.map((t) => tableColumns(t).map((c) => c.type));

/** How a declared column is encoded into a column of PostgreSQL type `typname` (typtype 'e': an enum), or null if it cannot be. */
function encodable(declared: PgType, typname: string, typtype: string): PgType | null {
  switch (declared) {
    case 'integer':
      return typname === 'int4' ? 'integer' : typname === 'int8' ? 'bigint' : null;
    case 'bigint':
      return typname === 'int8' ? 'bigint' : null;
    case 'timestamptz':
    case 'inet':
    case 'jsonb':
      return typname === declared ? declared : null;
    case 'boolean':
      return typname === 'bool' ? 'boolean' : null;
    case 'text':
    case 'enum':
      // text, varchar and enum labels take the same bytes
      return typname === 'text' || typname === 'varchar' || typtype === 'e' ? declared : null;
  }
}

/** Reads the log tables' column types and says how each table's rows are encoded. */
export async function copyColumnTypes(client: pg.ClientBase): Promise<{ types: CopyColumnTypes; textTables: string[] }> {
  const r = await client.query<{ table: string; column: string; typname: string; typtype: string }>(
    `SELECT c.relname AS table, a.attname AS column, t.typname, t.typtype
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid
      WHERE n.nspname = 'public' AND c.relname = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped`,
    [LOG_TYPES.map((t) => t.table)],
  );
  const found = new Map(r.rows.map((x) => [`${x.table}.${x.column}`, x]));
  const textTables: string[] = [];
  const types = LOG_TYPES.map((type) => {
    const plan = tableColumns(type).map((c) => {
      const col = found.get(`${type.table}.${c.name}`);
      return col ? encodable(c.type, col.typname, col.typtype) : null;
    });
    if (plan.every((p) => p !== null)) return plan as PgType[];
    textTables.push(type.table);
    return null;
  });
  return { types, textTables };
}
