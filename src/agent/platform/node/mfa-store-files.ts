// Helpers shared by the file-backed MFA stores (issue #5 item 1): safe per-user file names,
// private folders that refuse loose permissions, reads that tell "missing" from "broken", and
// moving a broken file aside before it is replaced (nothing is lost).
import { mkdir, readdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { ErrorCode, MngError } from '../../../shared/errors';
import { msg } from '../../../shared/i18n';
import { readRegularFile } from './bounded-file';

/** Longest user name (UTF-8 bytes) a store accepts: its hex form must fit a 255-byte file name. */
export const maxMfaUserBytes = 120;

/**
 * File name of `user`'s file: the hex of the UTF-8 name plus `suffix`, so names with `/`, `..`,
 * spaces or any Unicode are safe and two names never share a file.
 */
export function mfaUserFileName(user: string, suffix: string): string {
  const bytes = Buffer.from(user, 'utf8');
  if (user.length === 0 || bytes.length > maxMfaUserBytes) {
    throw new MngError(ErrorCode.InvalidArgument, msg(`利用者名の長さが範囲外です（1〜${maxMfaUserBytes} バイト）`, `the user name length is out of range (1–${maxMfaUserBytes} bytes)`));
  }
  return `${bytes.toString('hex')}${suffix}`;
}

/** The user of a file name made by {@link mfaUserFileName}; undefined for other files. */
export function parseMfaUserFileName(name: string, suffix: string): string | undefined {
  if (!name.endsWith(suffix)) return undefined;
  const hex = name.slice(0, -suffix.length);
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-f]+$/.test(hex)) return undefined;
  const user = Buffer.from(hex, 'hex').toString('utf8');
  return Buffer.from(user, 'utf8').toString('hex') === hex ? user : undefined;
}

/** True when group or others have any permission bit: a secret's folder or key must be owner-only. */
function isLoose(mode: number): boolean {
  return (mode & 0o077) !== 0;
}

/**
 * Makes sure `dir` exists. A new folder is created 0700; an existing one must already be owner-only
 * (it is not silently tightened: a loose folder means someone changed it, which an operator should see).
 */
export async function ensureOwnerOnlyDirectory(dir: string, enforceModes: boolean): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (enforceModes) await checkOwnerOnlyDirectory(dir);
}

/** Refuses `dir` when it is open to group or others or is not a folder; a missing folder passes. */
export async function checkOwnerOnlyDirectory(dir: string): Promise<void> {
  let stats;
  try {
    stats = await stat(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!stats.isDirectory()) {
    throw new MngError(ErrorCode.NotRegularFile, msg(`${dir} はフォルダではありません`, `${dir} is not a directory`), { hint: msg('MFA の保存先フォルダを確認してください', 'check the MFA store folder') });
  }
  if (isLoose(stats.mode)) {
    throw new MngError(
      ErrorCode.KeyInvalid,
      msg(`${dir} がグループや他の利用者にも開かれています（モード ${(stats.mode & 0o777).toString(8)}）。MFA の秘密を置けません`, `${dir} is open to group or others (mode ${(stats.mode & 0o777).toString(8)}); MFA secrets cannot be kept there`),
      { hint: msg(`chmod 700 ${dir} を実行し、誰が変更したか確認してください`, `run chmod 700 ${dir} and find out who changed it`) },
    );
  }
}

/** Refuses a key file open to group or others. */
export function assertOwnerOnlyFile(file: string, mode: number): void {
  if (!isLoose(mode)) return;
  throw new MngError(
    ErrorCode.KeyInvalid,
    msg(`鍵ファイル ${file} がグループや他の利用者にも読めます（モード ${(mode & 0o777).toString(8)}）。使いません`, `key file ${file} is readable by group or others (mode ${(mode & 0o777).toString(8)}); it is not used`),
    { hint: msg(`chmod 600 ${file} を実行し、鍵が漏れていないか確認してください（漏れたなら全員を登録し直す）`, `run chmod 600 ${file} and check whether the key leaked (if so, re-enroll everyone)`) },
  );
}

/** Reads `file` (at most `maxBytes`); undefined when it does not exist. */
export async function readFileIfExists(file: string, maxBytes: number): Promise<Buffer | undefined> {
  try {
    return await readRegularFile(file, { maxBytes });
  } catch (error) {
    if (error instanceof MngError && (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Names in `dir`; empty when the folder does not exist yet. */
export async function listDirectory(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** The error for a store file that is not what we wrote. */
export function corruptStoreFile(file: string, detail: string): MngError {
  return new MngError(
    ErrorCode.MfaStoreCorrupt,
    msg(`MFA の保存ファイル ${file} を読めません（${detail}）。ファイルは変更していません`, `cannot read the MFA store file ${file} (${detail}); the file was left unchanged`),
    { hint: msg('バックアップから戻すか、mng mfa reset <利用者> で状態を作り直してください（壊れたファイルは別名で残ります）', 'restore it from a backup or run mng mfa reset <user> to start over (the broken file is kept under another name)') },
  );
}

/** Parses a JSON store file with `schema`; a broken file is a {@link corruptStoreFile} error. */
export function parseJsonStoreFile<T extends z.ZodType>(file: string, bytes: Uint8Array, schema: T): z.infer<T> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw corruptStoreFile(file, `JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw corruptStoreFile(file, `${issue === undefined || issue.path.length === 0 ? '(root)' : issue.path.join('.')}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/**
 * Before a file is replaced: if what is there does not pass `isValid`, it is renamed to
 * `<file>.corrupt-<ms>` so the replacement loses nothing an operator may want to inspect.
 */
export async function moveAsideIfBroken(file: string, maxBytes: number, isValid: (bytes: Buffer) => boolean, nowMs: number): Promise<void> {
  let bytes: Buffer | undefined;
  try {
    bytes = await readFileIfExists(file, maxBytes);
  } catch (error) {
    if (!(error instanceof MngError)) throw error;
    bytes = Buffer.alloc(0);
  }
  if (bytes === undefined || isValid(bytes)) return;
  await rename(file, `${file}.corrupt-${nowMs}`);
}

/** True when `inner` is `outer` or inside it. */
export function isInside(outer: string, inner: string): boolean {
  const relative = path.relative(path.resolve(outer), path.resolve(inner));
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}
