import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { POLICY_SCHEMA_ID, policyJsonSchema } from './index';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('policies/schema.json', () => {
  it('is the schema generated from src/shared/policy (run `npm run gen:schema` after changing the schema)', () => {
    const stored = readFileSync(path.join(repoRoot, 'policies/schema.json'), 'utf8');
    const generated = `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
    expect(stored === generated, 'policies/schema.json は古くなっています。npm run gen:schema を実行してください / policies/schema.json is stale: run npm run gen:schema').toBe(true);
  });

  it('is a strict draft 2020-12 schema with an id, a title and bilingual descriptions', () => {
    const schema = policyJsonSchema() as {
      $schema: string;
      $id: string;
      title: string;
      additionalProperties: boolean;
      required: string[];
      properties: Record<string, { description?: string; additionalProperties?: boolean }>;
    };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toBe(POLICY_SCHEMA_ID);
    expect(schema.title).toContain('ゾーンポリシー');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    expect(schema.properties.spec?.additionalProperties).toBe(false);
    const description = schema.properties.metadata?.description ?? '';
    expect(description).toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/);
    expect(description).toMatch(/\n[A-Z]/);
  });

  it('documents every field it declares', () => {
    const undocumented: string[] = [];
    const walk = (node: unknown, where: string): void => {
      if (node === null || typeof node !== 'object') return;
      const object = node as { properties?: Record<string, unknown>; items?: unknown; description?: string };
      for (const [key, child] of Object.entries(object.properties ?? {})) {
        if (typeof (child as { description?: unknown }).description !== 'string') undocumented.push(`${where}.${key}`);
        walk(child, `${where}.${key}`);
      }
      if (object.items !== undefined) walk(object.items, `${where}[]`);
    };
    walk(policyJsonSchema(), '');
    expect(undocumented).toEqual([]);
  });
});
