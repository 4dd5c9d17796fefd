import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DOC_FILE, SCHEMA_FILE, schemaJsonText, withReference } from '../../../scripts/gen-schema.ts';
import { Lab } from '../../../engine/lab/schema.ts';

type Schema = Record<string, unknown>;
const isObj = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

describe('lab/schema', () => {
  it(`${SCHEMA_FILE} is up to date (npm run gen)`, () => {
    assert.equal(readFileSync(SCHEMA_FILE, 'utf8'), schemaJsonText(), `${SCHEMA_FILE} is stale: run npm run gen`);
  });

  it(`the field reference in ${DOC_FILE} is up to date (npm run gen)`, () => {
    const doc = readFileSync(DOC_FILE, 'utf8');
    assert.equal(doc, withReference(doc), `${DOC_FILE} is stale: run npm run gen`);
  });

  it('documents every field, so editors can show it', () => {
    const missing: string[] = [];
    const walk = (s: unknown, path: string): void => {
      if (!isObj(s)) return;
      if (isObj(s.properties)) {
        for (const [k, p] of Object.entries(s.properties)) {
          if (!isObj(p) || typeof p.description !== 'string' || p.description === '') missing.push(`${path}.${k}`);
          walk(p, `${path}.${k}`);
        }
      }
      if (isObj(s.patternProperties)) for (const p of Object.values(s.patternProperties)) walk(p, `${path}.*`);
      if (Array.isArray(s.anyOf)) s.anyOf.forEach((b, i) => walk(b, `${path}|${i}`));
      if (isObj(s.items)) walk(s.items, `${path}[]`);
    };
    walk(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')), '');
    assert.deepEqual(missing, []);
  });

  it('is a draft-07 schema whose patterns compile, and names the lab format', () => {
    const s = JSON.parse(schemaJsonText()) as Schema;
    assert.equal(s.$schema, 'http://json-schema.org/draft-07/schema#');
    assert.equal(s.title, 'Lab');
    const patterns: string[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (isObj(v)) {
        if (typeof v.pattern === 'string') patterns.push(v.pattern);
        if (isObj(v.patternProperties)) patterns.push(...Object.keys(v.patternProperties));
        Object.values(v).forEach(walk);
      }
    };
    walk(s);
    assert.ok(patterns.length > 10);
    for (const p of patterns) assert.doesNotThrow(() => new RegExp(p, 'u'), p);
    assert.deepEqual(Object.keys(Lab.properties).sort(), Object.keys(s.properties as Schema).sort());
  });
});
