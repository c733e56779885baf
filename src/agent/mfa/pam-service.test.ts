import { describe, expect, it } from 'vitest';
import { checkPamOathUsersfilePath, decidePamFaillockFigures, decidePamOathDigits, planPamServiceInclude, renderPamLogonStack, renderPamOathIncludeFile, renderPamOathLine } from './pam-service';

// /etc/pam.d/login of Debian 12 (login 1:4.13), shortened.
const debianLogin = [
  '#',
  '# The PAM configuration file for the Shadow `login\' service',
  '#',
  'auth       optional   pam_faildelay.so  delay=3000000',
  'auth [success=ok new_authtok_reqd=ok ignore=ignore user_unknown=bad default=die] pam_securetty.so',
  'auth       requisite  pam_nologin.so',
  'session [success=ok ignore=ignore module_unknown=ignore default=bad] pam_selinux.so close',
  '@include common-auth',
  'auth       optional   pam_group.so',
  '@include common-account',
  '@include common-session',
  '@include common-password',
  '',
].join('\n');

describe('planPamServiceInclude', () => {
  it('adds the include right after @include common-auth, once', () => {
    const first = planPamServiceInclude(debianLogin);
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(first.value.changed).toBe(true);
    const lines = first.value.text.split('\n');
    expect(lines.indexOf('@include mynumber-guard-oath')).toBe(lines.indexOf('@include common-auth') + 1);
    expect(planPamServiceInclude(first.value.text)).toEqual({ ok: true, value: { text: first.value.text, changed: false } });
  });

  it('refuses a service without @include common-auth and says what to do', () => {
    const result = planPamServiceInclude('auth required pam_unix.so\naccount required pam_unix.so\n');
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.en).toContain('by hand');
      expect(result.error.ja).toContain('@include mynumber-guard-oath');
    }
  });

  it('a commented-out include does not count', () => {
    const result = planPamServiceInclude('# @include common-auth\n');
    expect(result.ok).toBe(false);
  });
});

describe('the pam_oath line', () => {
  it('renders the line of mfa.md §5.3', () => {
    expect(renderPamOathLine({ usersfile: '/etc/mynumber-guard/users.oath', windowSteps: 1, digits: 6 })).toBe(
      'auth requisite pam_oath.so usersfile=/etc/mynumber-guard/users.oath window=1 digits=6',
    );
    expect(renderPamOathLine({ usersfile: '/x/users.oath', windowSteps: 0, digits: null })).toBe('auth requisite pam_oath.so usersfile=/x/users.oath window=0');
    expect(renderPamOathIncludeFile(['auth requisite pam_oath.so usersfile=/x window=1'])).toMatch(/\nauth requisite pam_oath.so usersfile=\/x window=1\n$/);
  });

  it('digits: 6 or 8 when all tokens agree, none for a mix', () => {
    expect(decidePamOathDigits([])).toBe(6);
    expect(decidePamOathDigits([{ digits: 6 }, { digits: 6 }])).toBe(6);
    expect(decidePamOathDigits([{ digits: 8 }])).toBe(8);
    expect(decidePamOathDigits([{ digits: 6 }, { digits: 8 }])).toBeNull();
  });

  it.each(['relative/users.oath', '/etc/with space', '/home/${USER}/.oath', '/etc/[x]', '/etc/a/../b', '/etc/'])('refuses the usersfile path %s', (location) => {
    expect(checkPamOathUsersfilePath(location).ok).toBe(false);
  });

  it('accepts a plain absolute path', () => {
    expect(checkPamOathUsersfilePath('/etc/mynumber-guard/users.oath')).toEqual({ ok: true, value: '/etc/mynumber-guard/users.oath' });
  });
});

describe('pam_faillock at logon', () => {
  it.each([
    ['the default policy (admin reset)', { maxFailures: 5, delaySeconds: [30, 120, 600, 1800], lockUntilAdminReset: true }, { deny: 5, unlockTimeSeconds: 0, failIntervalSeconds: 86_400 }],
    ['delays only: the longest one', { maxFailures: 3, delaySeconds: [30, 300], lockUntilAdminReset: false }, { deny: 3, unlockTimeSeconds: 300, failIntervalSeconds: 86_400 }],
    ['no delays and no admin reset', { maxFailures: 10, delaySeconds: [], lockUntilAdminReset: false }, { deny: 10, unlockTimeSeconds: 86_400, failIntervalSeconds: 86_400 }],
    ['no policy in force: the strictest', undefined, { deny: 5, unlockTimeSeconds: 0, failIntervalSeconds: 86_400 }],
  ])('%s', (_name, lockout, figures) => {
    expect(decidePamFaillockFigures(lockout)).toEqual(figures);
  });

  it('wraps pam_oath: preauth stops a locked account, authfail counts and ends, authsucc clears', () => {
    const stack = renderPamLogonStack('auth requisite pam_oath.so usersfile=/etc/mynumber-guard/users.oath window=1 digits=6', { deny: 5, unlockTimeSeconds: 0, failIntervalSeconds: 86_400 });
    expect(stack).toEqual([
      'auth requisite pam_faillock.so preauth deny=5 unlock_time=0 fail_interval=86400',
      'auth [success=1 default=ignore] pam_oath.so usersfile=/etc/mynumber-guard/users.oath window=1 digits=6',
      'auth [default=die] pam_faillock.so authfail deny=5 unlock_time=0 fail_interval=86400',
      'auth optional pam_faillock.so authsucc',
    ]);
  });
});
