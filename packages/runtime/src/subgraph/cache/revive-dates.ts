const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

const isTimestampKey = (key: string) => key.endsWith('_at') || key.endsWith('At');

/**
 * Timestamps (`created_at` columns, `createdAt` fields) of a cached row, or of the rows in a
 * cached list, come back as Dates. Only that depth: a JSON.parse reviver visiting every node
 * cost as much CPU as reading the rows from Postgres.
 */
export function reviveDates(value: unknown): unknown {
  if (Array.isArray(value)) {
    for (const item of value) reviveRow(item);
  } else {
    reviveRow(value);
  }
  return value;
}

function reviveRow(row: unknown): void {
  if (typeof row !== 'object' || row === null) return;
  const record = row as Record<string, unknown>;
  for (const key in record) {
    const field = record[key];
    if (typeof field === 'string' && isTimestampKey(key) && ISO_DATE.test(field)) record[key] = new Date(field);
  }
}
