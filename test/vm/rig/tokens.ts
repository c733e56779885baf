// TOTP tokens of the test machine's staff users: a PSKC file for `mng mfa import-pskc` and codes
// computed on the host with oathtool, an implementation independent of the agent's. A code is
// never offered twice (the agent and pam_oath refuse replays): each use takes a step not used yet.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface TokenKit {
  /** RFC 6030 PSKC with one plain-value TOTP key per user. */
  pskc(): string;
  /** The code of `user` at `step` (30 s steps since the epoch). */
  code(user: string, step: number): string;
  /** A step whose code has not been used yet (waiting for the next one if needed); marks it used. */
  freshStep(user: string): Promise<number>;
}

export const nowStep = (): number => Math.floor(Date.now() / 1000 / 30);

export function createTokenKit(users: readonly string[]): TokenKit {
  const secrets = new Map(users.map((user) => [user, randomBytes(20)]));
  const spent = new Map<string, number>();
  const secretOf = (user: string): Buffer => {
    const secret = secrets.get(user);
    if (secret === undefined) throw new Error(`no token for ${user}`);
    return secret;
  };
  return {
    pskc() {
      const packages = users.map(
        (user) => `
  <KeyPackage>
    <DeviceInfo><Manufacturer>TestVendor</Manufacturer><SerialNo>SN-${user}</SerialNo><UserId>${user}</UserId></DeviceInfo>
    <Key Id="SN-${user}" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp">
      <AlgorithmParameters><Suite>HMAC-SHA1</Suite><ResponseFormat Length="6" Encoding="DECIMAL"/></AlgorithmParameters>
      <Data>
        <Secret><PlainValue>${secretOf(user).toString('base64')}</PlainValue></Secret>
        <TimeInterval><PlainValue>30</PlainValue></TimeInterval>
      </Data>
    </Key>
  </KeyPackage>`,
      );
      return `<?xml version="1.0" encoding="UTF-8"?>\n<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">${packages.join('')}\n</KeyContainer>\n`;
    },
    code(user, step) {
      const run = spawnSync('oathtool', ['--totp', '-d', '6', '-N', `@${step * 30}`, secretOf(user).toString('hex')], { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`oathtool: ${run.stderr}`);
      return run.stdout.trim();
    },
    async freshStep(user) {
      while (nowStep() <= (spent.get(user) ?? 0)) await new Promise((resolve) => setTimeout(resolve, 1_000));
      const step = nowStep();
      spent.set(user, step);
      return step;
    },
  };
}
