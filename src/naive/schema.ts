/** The seed's single table (DESIGN §3): every record as strings in one JSONB column. */
import type pg from 'pg';

export const NAIVE_TABLE_DDL = `CREATE TABLE IF NOT EXISTS logs (
  id SERIAL PRIMARY KEY,
  log_type VARCHAR(50),
  raw_line TEXT,
  timestamp VARCHAR(50),
  source_file VARCHAR(255),
  parsed_data JSONB,
  indexed_at TIMESTAMP DEFAULT NOW()
)`;

export const NAIVE_INSERT = `INSERT INTO logs (log_type, raw_line, timestamp, source_file, parsed_data) VALUES ($1, $2, $3, $4, $5)`;

export async function createNaiveTable(client: pg.ClientBase): Promise<void> {
  await client.query(NAIVE_TABLE_DDL);
}
