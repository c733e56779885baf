import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, open, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ErrorCode, MngError } from '../../../shared/errors';
import { msg } from '../../../shared/i18n';
import type { TokenRecord } from '../../mfa/model';
import type { SecretStore } from '../../mfa/ports';
import { readRegularFile } from './bounded-file';
import { writeFileAtomically } from './file-policy-state-store';
import {
  assertOwnerOnlyFile,
  checkOwnerOnlyDirectory,
  corruptStoreFile,
  ensureOwnerOnlyDirectory,
  isInside,
  listDirectory,
  mfaUserFileName,
  parseMfaUserFileName,
  readFileIfExists,
} from './mfa-store-files';

/** Suffix of a user's secret file. */
export const secretFileSuffix = '.token';
/** Bytes of the AES-256-GCM key in the key file. */
export const secretKeyBytes = 32;
/** Largest secret file read (a token record is a few hundred bytes). */
const maxSecretFileBytes = 16 * 1024;

// File layout: magic "MNGS", format version 1, 12-byte IV, 16-byte GCM tag, ciphertext.
const magic = Buffer.from('MNGS', 'ascii');
const version = 1;
const ivBytes = 12;
const tagBytes = 16;
const headerBytes = magic.length + 1 + ivBytes + tagBytes;

/** Options of {@link createFileSecretStore}. */
export interface FileSecretStoreOptions {
  /** Folder of the per-user secret files (created 0700; refused when open to group or others). */
  readonly dir: string;
  /** The 32-byte key, created 0600 on first use; must not be inside `dir` (kept apart, e.g. /etc vs /var). */
  readonly keyFile: string;
  /** Check POSIX modes (default true; Windows protects these files with ACLs instead). */
  readonly enforceModes?: boolean;
}

const tokenSchema = z.strictObject({
  format: z.literal('mynumber-guard.mfa-token/v1'),
  user: z.string().min(1).max(256),
  secret: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/),
  algorithm: z.enum(['SHA1', 'SHA256', 'SHA512']),
  digits: z.union([z.literal(6), z.literal(8)]),
  periodSeconds: z.number().int().min(1).max(3600),
  driftSteps: z.number().int().min(-1000).max(1000),
  source: z.enum(['enrolled', 'pskc']),
  serial: z.string().max(256).nullable(),
  createdAt: z.string().min(1).max(40),
});

/** Additional authenticated data: binds a file to its user, so renaming one user's file onto another fails. */
function additionalData(user: string): Buffer {
  return Buffer.from(`mynumber-guard.mfa-token/v1\0${user}`, 'utf8');
}

/**
 * SecretStore on the local file system: one file per user (`<hex of the name>.token`) in `dir`,
 * encrypted with AES-256-GCM under a key kept in `keyFile` apart from the files (a copy of the
 * folder alone reveals nothing). A fresh random 12-byte IV per write; the user name is the AAD.
 * Writes are atomic (temp file, fsync, rename). A file that fails authentication is an
 * `AGENT_E_MFA_STORE_CORRUPT` error, never a silent miss.
 */
export function createFileSecretStore(options: FileSecretStoreOptions): SecretStore & { readonly dir: string; readonly keyFile: string } {
  const dir = path.resolve(options.dir);
  const keyFile = path.resolve(options.keyFile);
  const enforceModes = options.enforceModes ?? true;
  if (isInside(dir, keyFile)) {
    throw new MngError(ErrorCode.InvalidArgument, msg(`鍵ファイル ${keyFile} が秘密のフォルダ ${dir} の中にあります`, `the key file ${keyFile} is inside the secret folder ${dir}`), {
      hint: msg('鍵は別の場所（例 /etc/mynumber-guard/mfa.key）に置いてください', 'keep the key elsewhere (e.g. /etc/mynumber-guard/mfa.key)'),
    });
  }
  let key: Buffer | undefined;

  async function readKey(): Promise<Buffer | undefined> {
    let stats;
    try {
      stats = await stat(keyFile);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    if (enforceModes) {
      assertOwnerOnlyFile(keyFile, stats.mode);
      const uid = process.getuid?.();
      if (uid !== undefined && stats.uid !== uid) {
        throw new MngError(ErrorCode.KeyInvalid, msg(`鍵ファイル ${keyFile} の所有者（uid ${stats.uid}）がこのプロセス（uid ${uid}）ではありません`, `key file ${keyFile} is owned by uid ${stats.uid}, not by this process (uid ${uid})`), {
          hint: msg('root で実行し、鍵の所有者を root にしてください', 'run as root and make root own the key'),
        });
      }
    }
    const bytes = await readRegularFile(keyFile, { maxBytes: secretKeyBytes });
    if (bytes.length !== secretKeyBytes) {
      throw new MngError(ErrorCode.KeyInvalid, msg(`鍵ファイル ${keyFile} の長さが ${bytes.length} バイトです（${secretKeyBytes} バイトのはず）`, `key file ${keyFile} is ${bytes.length} bytes long (expected ${secretKeyBytes})`), {
        hint: msg('バックアップから鍵を戻してください（鍵がなければ全員を登録し直す）', 'restore the key from a backup (without it, re-enroll everyone)'),
      });
    }
    return bytes;
  }

  async function loadKey(create: boolean): Promise<Buffer> {
    if (key !== undefined) return key;
    const existing = await readKey();
    if (existing !== undefined) return (key = existing);
    if (!create) {
      throw new MngError(ErrorCode.KeyInvalid, msg(`鍵ファイル ${keyFile} がないため MFA の秘密を復号できません`, `the key file ${keyFile} is missing, so MFA secrets cannot be decrypted`), {
        hint: msg('バックアップから鍵を戻すか、mng mfa reset --enrollment で登録し直してください', 'restore the key from a backup or re-enroll with mng mfa reset --enrollment'),
      });
    }
    // Only the leaf folder is created here, 0700; an existing parent (/etc/…) is left as it is.
    await mkdir(path.dirname(keyFile), { recursive: true, mode: 0o700 });
    const fresh = randomBytes(secretKeyBytes);
    try {
      const handle = await open(keyFile, 'wx', 0o600);
      try {
        await handle.writeFile(fresh);
        await handle.chmod(0o600);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return (key = fresh);
    } catch (error) {
      // Another process created it first: use theirs.
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadKey(false);
      throw error;
    }
  }

  const fileOf = (user: string): string => path.join(dir, mfaUserFileName(user, secretFileSuffix));

  return {
    dir,
    keyFile,
    get: async (user) => {
      const file = fileOf(user);
      if (enforceModes) await checkOwnerOnlyDirectory(dir);
      const bytes = await readFileIfExists(file, maxSecretFileBytes);
      if (bytes === undefined) return null;
      if (bytes.length <= headerBytes || !bytes.subarray(0, magic.length).equals(magic) || bytes[magic.length] !== version) {
        throw corruptStoreFile(file, 'not a mynumber-guard secret file');
      }
      const secretKey = await loadKey(false);
      const iv = bytes.subarray(magic.length + 1, magic.length + 1 + ivBytes);
      const tag = bytes.subarray(magic.length + 1 + ivBytes, headerBytes);
      let plain: Buffer;
      try {
        const decipher = createDecipheriv('aes-256-gcm', secretKey, iv, { authTagLength: tagBytes });
        decipher.setAAD(additionalData(user));
        decipher.setAuthTag(tag);
        plain = Buffer.concat([decipher.update(bytes.subarray(headerBytes)), decipher.final()]);
      } catch {
        // GCM authentication failed: the file was altered, belongs to another user, or the key changed.
        throw corruptStoreFile(file, 'AES-GCM authentication failed: tampered, moved from another user, or another key');
      }
      let value: unknown;
      try {
        value = JSON.parse(plain.toString('utf8'));
      } catch {
        throw corruptStoreFile(file, 'decrypted content is not JSON');
      }
      const parsed = tokenSchema.safeParse(value);
      if (!parsed.success || parsed.data.user !== user) throw corruptStoreFile(file, 'decrypted content is not a token record');
      const record = parsed.data;
      const secret = new Uint8Array(Buffer.from(record.secret, 'base64'));
      plain.fill(0);
      if (secret.length < 16 || secret.length > 64) throw corruptStoreFile(file, `secret of ${secret.length} bytes`);
      return {
        user: record.user,
        secret,
        algorithm: record.algorithm,
        digits: record.digits,
        periodSeconds: record.periodSeconds,
        driftSteps: record.driftSteps,
        source: record.source,
        serial: record.serial,
        createdAt: record.createdAt,
      } satisfies TokenRecord;
    },
    put: async (record) => {
      const file = fileOf(record.user);
      await ensureOwnerOnlyDirectory(dir, enforceModes);
      const secretKey = await loadKey(true);
      const plain = Buffer.from(
        JSON.stringify({
          format: 'mynumber-guard.mfa-token/v1',
          user: record.user,
          secret: Buffer.from(record.secret).toString('base64'),
          algorithm: record.algorithm,
          digits: record.digits,
          periodSeconds: record.periodSeconds,
          driftSteps: record.driftSteps,
          source: record.source,
          serial: record.serial,
          createdAt: record.createdAt,
        }),
        'utf8',
      );
      const iv = randomBytes(ivBytes);
      const cipher = createCipheriv('aes-256-gcm', secretKey, iv, { authTagLength: tagBytes });
      cipher.setAAD(additionalData(record.user));
      const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
      plain.fill(0);
      await writeFileAtomically(file, Buffer.concat([magic, Buffer.from([version]), iv, cipher.getAuthTag(), ciphertext]));
    },
    remove: async (user) => {
      try {
        await unlink(fileOf(user));
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw error;
      }
    },
    list: async () =>
      (await listDirectory(dir))
        .map((name) => parseMfaUserFileName(name, secretFileSuffix))
        .filter((user): user is string => user !== undefined)
        .sort(),
  };
}
