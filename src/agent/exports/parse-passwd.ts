/**
 * Parses passwd(5) text into uid → user name. Malformed lines are skipped; the first entry of a
 * uid wins (as getpwuid does). Pure: the adapter reads `/etc/passwd` under an injectable root.
 */
export function parsePasswd(text: string): Map<number, string> {
  const users = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(':');
    const name = fields[0];
    const uidText = fields[2];
    if (fields.length < 7 || name === undefined || name === '' || uidText === undefined || !/^\d{1,10}$/.test(uidText)) continue;
    const uid = Number(uidText);
    if (!users.has(uid)) users.set(uid, name);
  }
  return users;
}
