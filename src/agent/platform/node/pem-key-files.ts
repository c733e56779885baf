import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, MngError } from '../../../shared/errors';
import { msg } from '../../../shared/i18n';
import type { KeyFileText } from '../../policy/ports';
import { readRegularFile } from './bounded-file';

/** Largest key file read, in bytes. An Ed25519 PEM is about 120 bytes; 16 KiB leaves room for comments. */
export const maxKeyFileBytes = 16 * 1024;

/** File name suffix of a trusted public key in a trust directory (see keys.ts `trustedKeySuffix`). */
const publicKeySuffix = '.pub.pem';

/**
 * Reads the public key files of a trust store: every `*.pub.pem` directly in `trustPath` when it
 * is a directory (sorted by name, other files ignored), or `trustPath` itself when it is a file.
 * Parsing is left to `createTrustStore` (agent/policy), which names a bad file. A directory with
 * no key file yields `[]`: the resulting empty trust store refuses every bundle.
 * @throws MngError FileUnreadable / NotRegularFile / FileTooLarge naming the path.
 */
export async function readPemKeyFiles(trustPath: string): Promise<KeyFileText[]> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(trustPath)).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new MngError(
        ErrorCode.FileUnreadable,
        msg(`信頼ストア ${trustPath} がありません`, `trust store ${trustPath} does not exist`),
        { hint: msg('公開鍵（.pub.pem）のフォルダかファイルを指定してください', 'give a folder of public keys (.pub.pem) or one key file'), cause: error },
      );
    }
    if (code === 'EACCES' || code === 'EPERM') {
      throw new MngError(ErrorCode.FileUnreadable, msg(`信頼ストア ${trustPath} を読む権限がありません`, `no permission to read trust store ${trustPath}`), {
        hint: msg('root で実行するか権限を確認してください', 'run as root or check the permissions'),
        cause: error,
      });
    }
    throw error;
  }
  if (!isDirectory) {
    return [{ path: trustPath, name: path.basename(trustPath), text: (await readRegularFile(trustPath, { maxBytes: maxKeyFileBytes })).toString('utf8') }];
  }
  let names: string[];
  try {
    names = await readdir(trustPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new MngError(ErrorCode.FileUnreadable, msg(`信頼ストア ${trustPath} の一覧を読む権限がありません`, `no permission to list trust store ${trustPath}`), {
        hint: msg('root で実行するか権限を確認してください', 'run as root or check the permissions'),
        cause: error,
      });
    }
    throw error;
  }
  const files: KeyFileText[] = [];
  for (const name of names.filter((n) => n.endsWith(publicKeySuffix)).sort()) {
    const file = path.join(trustPath, name);
    files.push({ path: file, name, text: (await readRegularFile(file, { maxBytes: maxKeyFileBytes })).toString('utf8') });
  }
  return files;
}
