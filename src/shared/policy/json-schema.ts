import { z } from 'zod';
import { POLICY_API_VERSION, ZonePolicySchema } from './schema';

/** `$id` of the generated JSON Schema (a non-resolvable `.invalid` name: the schema ships in policies/). */
export const POLICY_SCHEMA_ID = 'https://mynumber-guard.invalid/schema/zone-policy-v1.json';

/**
 * The JSON Schema (draft 2020-12) of a Zone Policy, generated from the zod schema so the two never
 * drift. Editors use it for completion and hover text (`# yaml-language-server: $schema=...`).
 * Checks that JSON Schema cannot express (CIDR syntax, URL rules, cross-field lint) are left to
 * `parsePolicyText`; the schema is help for authors, not the gate.
 */
export function policyJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(ZonePolicySchema, { target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: POLICY_SCHEMA_ID,
    title: `Zone Policy (${POLICY_API_VERSION}) / ゾーンポリシー`,
    ...rest,
    description:
      'mynumber-guard のゾーンポリシー。芽室町情報セキュリティポリシー 第1章第6節(3)ア（マイナンバー利用事務系の分離・情報持ち出し不可設定・多要素認証）を端末で実施する設定。\n' +
      'A mynumber-guard zone policy: settings that enforce 芽室町情報セキュリティポリシー 1-6-(3)-ア (isolation, no taking data out, multi-factor authentication) on a terminal.',
  };
}
